package postgres

// Query is one named statement of the stores, declared once with what it
// needs from the schema: the stores send SQL and time it under Name, and
// the plan gate (plans_test.go) and the benchmark harness read Index.
type Query struct {
	// Name is the statement's Query dimension of the QueryDuration
	// metric.
	Name string
	// SQL is the statement as the store sends it.
	SQL string
	// Index is the secondary index the statement was written to be
	// planned on, reached with an Index Cond (not scanned whole with a
	// Filter): a rewrite that the index cannot serve fails the plan gate.
	Index string
}

// The statements written for a secondary index. Statements that read by
// primary key, or only write, stay inline in their store.
var (
	// ordersList cuts the page first (an index scan of
	// orders_user_created_idx that stops after offset+limit rows), then
	// joins it to students and items.
	ordersList = Query{Name: "orders.list", Index: "orders_user_created_idx", SQL: `
		WITH page AS (
			SELECT id, school_id, student_id, delivery_date, status, payment_status, total_paise, currency, created_at
			FROM orders WHERE user_id = $1
			ORDER BY created_at DESC, id DESC
			LIMIT $2 OFFSET $3)
		SELECT ` + orderColumns + `
		FROM page o JOIN students s ON s.id = o.student_id
		ORDER BY o.created_at DESC, o.id DESC`}

	// ordersCount is an index-only scan of the user's entries in
	// orders_user_created_idx, which a parent has a few dozen of a term,
	// whatever the size of the table.
	ordersCount = Query{Name: "orders.count", Index: "orders_user_created_idx",
		SQL: `SELECT count(*) FROM orders WHERE user_id = $1`}

	// ordersByIdempotencyKey finds a retried request's order through the
	// partial unique index that also stops two racing ones.
	ordersByIdempotencyKey = Query{Name: "orders.by_idempotency_key", Index: "orders_idempotency_idx", SQL: `
		SELECT ` + orderColumns + `, o.request_hash
		FROM orders o JOIN students s ON s.id = o.student_id
		WHERE o.user_id = $1 AND o.idempotency_key = $2`}

	// rfidVerify finds the active card (index-only scan of
	// rfid_cards_number_active_idx), the student's paid order for the day
	// (orders_student_date_idx), and inserts the verification unless the
	// order has one (the unique order_id turns a second tap into a no-op)
	// with who verified it, raising the school's summary version when it
	// inserted. The final
	// SELECT reads the snapshot from before the insert, so an existing
	// verification there means "already served".
	rfidVerify = Query{Name: "rfid.verify", Index: "rfid_cards_number_active_idx", SQL: `
		WITH card AS (
			SELECT c.id, c.student_id, c.school_id,
			       coalesce(c.expires_at <= $5, false) AS expired,
			       ($4::uuid IS NOT NULL AND c.school_id <> $4::uuid) AS other_school
			FROM rfid_cards c WHERE c.card_number = $1 AND c.is_active),
		ord AS (
			SELECT o.id FROM orders o JOIN card ON o.student_id = card.student_id
			WHERE o.delivery_date = $2 AND o.payment_status = 'paid' AND o.status <> 'cancelled'
			  AND NOT card.expired AND NOT card.other_school
			ORDER BY o.created_at LIMIT 1),
		ins AS (
			INSERT INTO meal_verifications (order_id, card_id, student_id, school_id, reader_id, service_date, verified_at, verified_by)
			SELECT ord.id, card.id, card.student_id, card.school_id, $3, $2, $5, $7 FROM ord, card
			ON CONFLICT (order_id) DO NOTHING
			RETURNING verified_at, school_id),
		sv AS (
			INSERT INTO cache_versions (scope, id, version) SELECT $6, ins.school_id, 1 FROM ins
			ON CONFLICT (scope, id) DO UPDATE SET version = cache_versions.version + 1
			RETURNING id, version)
		SELECT card.id IS NOT NULL, coalesce(card.expired, false), coalesce(card.other_school, false),
		       st.id::text, st.first_name || ' ' || st.last_name, st.grade, ord.id::text,
		       ins.verified_at, mv.verified_at, coalesce(sv.id::text, ''), coalesce(sv.version, 0)
		FROM (SELECT 1) one
		LEFT JOIN card ON true
		LEFT JOIN students st ON st.id = card.student_id
		LEFT JOIN ord ON true
		LEFT JOIN ins ON true
		LEFT JOIN sv ON true
		LEFT JOIN meal_verifications mv ON mv.order_id = ord.id`}
)

// Indexed are the statements written for a secondary index, each with
// that index.
var Indexed = []Query{ordersList, ordersCount, ordersByIdempotencyKey, rfidVerify}

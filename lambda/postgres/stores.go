package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/menus"
	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/rfid"
)

// Users adapts the users table to auth.UserStore.
type Users struct{ Pool *pgxpool.Pool }

var _ auth.UserStore = (*Users)(nil)

// UserByEmail implements auth.UserStore.
func (s *Users) UserByEmail(ctx context.Context, email string) (*auth.User, error) {
	defer observe(ctx, "users.by_email", time.Now())
	var u auth.User
	err := s.Pool.QueryRow(ctx, `
		SELECT id::text, email, password_hash, first_name, last_name, role, status, coalesce(school_id::text, '')
		FROM users WHERE email = $1`, email).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.FirstName, &u.LastName, &u.Role, &u.Status, &u.SchoolID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no user with that email")
	}
	if err != nil {
		return nil, classify(err, "find user by email")
	}
	return &u, nil
}

// Orders adapts the orders tables to orders.Store.
type Orders struct{ Pool *pgxpool.Pool }

var _ orders.Store = (*Orders)(nil)

// orderColumns selects an order with its student and its items (as one
// JSON array from a correlated subquery over order_items_order_idx), so
// a page of orders is one query and one round trip: no N+1.
const orderColumns = `
	o.id::text, o.school_id::text, o.delivery_date, o.status, o.payment_status, o.total_paise, o.currency, o.created_at,
	s.id::text, s.first_name, s.last_name, s.grade, s.section,
	(SELECT coalesce(json_agg(json_build_object(
	        'menuItemId', oi.menu_item_id, 'name', mi.name, 'category', mi.category,
	        'quantity', oi.quantity, 'unitPricePaise', oi.unit_price_paise) ORDER BY oi.id), '[]')
	   FROM order_items oi JOIN menu_items mi ON mi.id = oi.menu_item_id
	  WHERE oi.order_id = o.id)`

func scanOrder(row pgx.Row, extra ...any) (*orders.Order, error) {
	var o orders.Order
	var date time.Time
	dst := append([]any{&o.ID, &o.SchoolID, &date, &o.Status, &o.PaymentStatus, &o.TotalPaise, &o.Currency,
		&o.CreatedAt, &o.Student.ID, &o.Student.FirstName, &o.Student.LastName, &o.Student.Grade,
		&o.Student.Section, &o.Items}, extra...)
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	o.DeliveryDate = date.Format(time.DateOnly)
	o.CreatedAt = o.CreatedAt.UTC()
	return &o, nil
}

// ListByUser implements orders.Store. The page is cut first (an index
// scan of orders_user_created_idx that stops after offset+limit rows),
// then joined to students and items.
func (s *Orders) ListByUser(ctx context.Context, userID string, offset, limit int) ([]orders.Order, error) {
	defer observe(ctx, "orders.list", time.Now())
	rows, err := s.Pool.Query(ctx, `
		WITH page AS (
			SELECT id, school_id, student_id, delivery_date, status, payment_status, total_paise, currency, created_at
			FROM orders WHERE user_id = $1
			ORDER BY created_at DESC, id DESC
			LIMIT $2 OFFSET $3)
		SELECT `+orderColumns+`
		FROM page o JOIN students s ON s.id = o.student_id
		ORDER BY o.created_at DESC, o.id DESC`, userID, limit, offset)
	if err != nil {
		return nil, classify(err, "list orders")
	}
	defer rows.Close()
	var list []orders.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, classify(err, "scan order")
		}
		list = append(list, *o)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "list orders")
	}
	return list, nil
}

// ByIdempotencyKey implements orders.Store.
func (s *Orders) ByIdempotencyKey(ctx context.Context, userID, key string) (*orders.Order, []byte, error) {
	defer observe(ctx, "orders.by_idempotency_key", time.Now())
	var hash []byte
	o, err := scanOrder(s.Pool.QueryRow(ctx, `
		SELECT `+orderColumns+`, o.request_hash
		FROM orders o JOIN students s ON s.id = o.student_id
		WHERE o.user_id = $1 AND o.idempotency_key = $2`, userID, key), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, classify(err, "find order by idempotency key")
	}
	return o, hash, nil
}

// InTx implements orders.Store.
func (s *Orders) InTx(ctx context.Context, fn func(orders.Tx) error) error {
	return inTx(ctx, s.Pool, func(tx pgx.Tx) error { return fn(&orderTx{tx: tx}) })
}

// inTx runs fn in a transaction: committed on nil, rolled back otherwise
// (and by the server if the connection is lost, so nothing is ever half
// written).
func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return classify(err, "begin transaction")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return classify(err, "transaction")
	}
	if err := tx.Commit(ctx); err != nil {
		return classify(err, "commit")
	}
	return nil
}

type orderTx struct{ tx pgx.Tx }

// Load implements orders.Tx: the student and the day's menu in one batch.
func (t *orderTx) Load(ctx context.Context, studentID, schoolID string, date time.Time) (*orders.StudentRecord, *orders.MenuRecord, error) {
	defer observe(ctx, "orders.load_for_create", time.Now())
	b := &pgx.Batch{}
	b.Queue(`SELECT id::text, parent_id::text, school_id::text, is_active, first_name, last_name, grade, section
		FROM students WHERE id = $1`, studentID)
	b.Queue(`SELECT sc.is_active, dm.status, dmi.menu_item_id::text, mi.name, mi.category, mi.price_paise, mi.is_available
		FROM schools sc
		LEFT JOIN daily_menus dm ON dm.school_id = sc.id AND dm.menu_date = $2
		LEFT JOIN daily_menu_items dmi ON dmi.daily_menu_id = dm.id
		LEFT JOIN menu_items mi ON mi.id = dmi.menu_item_id
		WHERE sc.id = $1`, schoolID, date)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	var st orders.StudentRecord
	err := br.QueryRow().Scan(&st.ID, &st.ParentID, &st.SchoolID, &st.Active, &st.FirstName, &st.LastName,
		&st.Grade, &st.Section)
	stp := &st
	if errors.Is(err, pgx.ErrNoRows) {
		stp = nil
	} else if err != nil {
		return nil, nil, classify(err, "load student")
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, classify(err, "load menu")
	}
	defer rows.Close()
	var menu *orders.MenuRecord
	for rows.Next() {
		var active bool
		var status, id, name, category *string
		var price *int64
		var available *bool
		if err := rows.Scan(&active, &status, &id, &name, &category, &price, &available); err != nil {
			return nil, nil, classify(err, "scan menu")
		}
		if status == nil {
			break // the school exists but has no menu that day
		}
		if menu == nil {
			menu = &orders.MenuRecord{SchoolActive: active, Published: *status == "published",
				Items: map[string]orders.MenuItem{}}
		}
		if id != nil {
			menu.Items[*id] = orders.MenuItem{Name: *name, Category: *category, PricePaise: *price, Available: *available}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, classify(err, "load menu")
	}
	return stp, menu, nil
}

// Insert implements orders.Tx: the order and its items in one statement.
func (t *orderTx) Insert(ctx context.Context, o *orders.Order, userID, key string, hash []byte) (bool, error) {
	defer observe(ctx, "orders.insert", time.Now())
	itemIDs := make([]string, len(o.Items))
	qty := make([]int32, len(o.Items))
	price := make([]int64, len(o.Items))
	for i, it := range o.Items {
		itemIDs[i], qty[i], price[i] = it.MenuItemID, int32(it.Quantity), it.UnitPricePaise
	}
	err := t.tx.QueryRow(ctx, `
		WITH o AS (
			INSERT INTO orders (user_id, student_id, school_id, delivery_date, total_paise, currency, idempotency_key, request_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
			RETURNING id, created_at),
		i AS (
			INSERT INTO order_items (order_id, menu_item_id, quantity, unit_price_paise)
			SELECT o.id, x.menu_item_id, x.quantity, x.price
			FROM o, unnest($9::uuid[], $10::int[], $11::bigint[]) AS x(menu_item_id, quantity, price))
		SELECT id::text, created_at FROM o`,
		userID, o.Student.ID, o.SchoolID, o.DeliveryDate, o.TotalPaise, o.Currency, key, hash,
		itemIDs, qty, price).Scan(&o.ID, &o.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, classify(err, "insert order")
	}
	o.CreatedAt = o.CreatedAt.UTC()
	return true, nil
}

// Menus adapts the menu tables to menus.Store.
type Menus struct{ Pool *pgxpool.Pool }

var _ menus.Store = (*Menus)(nil)

// Daily implements menus.Store: the school (so that an unknown school and
// a day without a menu can be told apart), its menu for the day through
// daily_menus' (school_id, menu_date) key, and the items.
func (s *Menus) Daily(ctx context.Context, schoolID string, date time.Time) (*menus.Menu, error) {
	defer observe(ctx, "menus.daily", time.Now())
	rows, err := s.Pool.Query(ctx, `
		SELECT sc.name, dm.id IS NOT NULL, mi.id::text, mi.name, mi.description, mi.category, mi.price_paise,
		       mi.is_vegetarian, mi.allergens, mi.is_available
		FROM schools sc
		LEFT JOIN daily_menus dm ON dm.school_id = sc.id AND dm.menu_date = $2 AND dm.status = 'published'
		LEFT JOIN daily_menu_items dmi ON dmi.daily_menu_id = dm.id
		LEFT JOIN menu_items mi ON mi.id = dmi.menu_item_id
		WHERE sc.id = $1
		ORDER BY dmi.sort_order, mi.name`, schoolID, date)
	if err != nil {
		return nil, classify(err, "load daily menu")
	}
	defer rows.Close()
	m := &menus.Menu{SchoolID: schoolID, Date: date.Format(time.DateOnly), Items: []menus.Item{}}
	found, hasMenu := false, false
	for rows.Next() {
		var id, name, desc, category *string
		var price *int64
		var veg, available *bool
		var allergens []string
		if err := rows.Scan(&m.SchoolName, &hasMenu, &id, &name, &desc, &category, &price, &veg, &allergens, &available); err != nil {
			return nil, classify(err, "scan daily menu")
		}
		found = true
		if id == nil {
			continue
		}
		if allergens == nil {
			allergens = []string{}
		}
		m.Items = append(m.Items, menus.Item{ID: *id, Name: *name, Description: *desc, Category: *category,
			PricePaise: *price, Vegetarian: *veg, Allergens: allergens, Available: *available})
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err, "load daily menu")
	}
	switch {
	case !found:
		return nil, apperr.New(apperr.NotFound, "school %s not found", schoolID)
	case !hasMenu:
		return nil, apperr.New(apperr.NotFound, "school %s has no menu for %s", schoolID, m.Date)
	}
	return m, nil
}

// Payments adapts the payment tables to payments.Store.
type Payments struct{ Pool *pgxpool.Pool }

var _ payments.Store = (*Payments)(nil)

// PayableOrder implements payments.Store.
func (s *Payments) PayableOrder(ctx context.Context, orderID, userID string) (*payments.PayableOrder, error) {
	defer observe(ctx, "payments.payable_order", time.Now())
	var o payments.PayableOrder
	err := s.Pool.QueryRow(ctx, `
		SELECT id::text, user_id::text, total_paise, currency, status, payment_status
		FROM orders WHERE id = $1 AND user_id = $2`, orderID, userID).
		Scan(&o.ID, &o.UserID, &o.TotalPaise, &o.Currency, &o.Status, &o.PaymentStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "order %s not found", orderID)
	}
	if err != nil {
		return nil, classify(err, "load order")
	}
	return &o, nil
}

const paymentOrderColumns = `id::text, order_id::text, razorpay_order_id, amount_paise, currency, status, expires_at`

func scanPaymentOrder(row pgx.Row) (*payments.PaymentOrder, error) {
	var po payments.PaymentOrder
	if err := row.Scan(&po.ID, &po.OrderID, &po.RazorpayOrderID, &po.AmountPaise, &po.Currency, &po.Status, &po.ExpiresAt); err != nil {
		return nil, err
	}
	po.ExpiresAt = po.ExpiresAt.UTC()
	return &po, nil
}

// LivePaymentOrder implements payments.Store through
// payment_orders_live_order_idx.
func (s *Payments) LivePaymentOrder(ctx context.Context, orderID string, now time.Time) (*payments.PaymentOrder, error) {
	defer observe(ctx, "payments.live_payment_order", time.Now())
	po, err := scanPaymentOrder(s.Pool.QueryRow(ctx, `
		SELECT `+paymentOrderColumns+` FROM payment_orders
		WHERE order_id = $1 AND status IN ('created', 'paid') AND (status = 'paid' OR expires_at > $2)`, orderID, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "load payment order")
	}
	return po, nil
}

// SavePaymentOrder implements payments.Store.
func (s *Payments) SavePaymentOrder(ctx context.Context, po *payments.PaymentOrder, userID string, now time.Time) (*payments.PaymentOrder, error) {
	defer observe(ctx, "payments.save_payment_order", time.Now())
	var saved *payments.PaymentOrder
	err := inTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE payment_orders SET status = 'expired', updated_at = now()
			WHERE order_id = $1 AND status = 'created' AND expires_at <= $2`, po.OrderID, now); err != nil {
			return err
		}
		var err error
		saved, err = scanPaymentOrder(tx.QueryRow(ctx, `
			INSERT INTO payment_orders (order_id, user_id, razorpay_order_id, amount_paise, currency, status, expires_at)
			VALUES ($1, $2, $3, $4, $5, 'created', $6)
			ON CONFLICT (order_id) WHERE status IN ('created', 'paid') DO NOTHING
			RETURNING `+paymentOrderColumns,
			po.OrderID, userID, po.RazorpayOrderID, po.AmountPaise, po.Currency, po.ExpiresAt))
		if errors.Is(err, pgx.ErrNoRows) {
			saved, err = scanPaymentOrder(tx.QueryRow(ctx, `
				SELECT `+paymentOrderColumns+` FROM payment_orders
				WHERE order_id = $1 AND status IN ('created', 'paid')`, po.OrderID))
		}
		return err
	})
	if err != nil {
		return nil, classify(err, "save payment order")
	}
	return saved, nil
}

// ApplyPayment implements payments.Store. The unique
// razorpay_payment_id makes a redelivered webhook insert nothing, and the
// order is marked paid in the same transaction as the payment is
// recorded.
func (s *Payments) ApplyPayment(ctx context.Context, p payments.Captured) (*payments.Applied, error) {
	defer observe(ctx, "payments.apply", time.Now())
	res := &payments.Applied{}
	err := inTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var poID, orderID string
		var amount int64
		err := tx.QueryRow(ctx, `
			SELECT id::text, order_id::text, user_id::text, amount_paise FROM payment_orders
			WHERE razorpay_order_id = $1 FOR UPDATE`, p.RazorpayOrderID).Scan(&poID, &orderID, &res.UserID, &amount)
		if errors.Is(err, pgx.ErrNoRows) {
			res.Outcome = "unknown_order"
			return nil
		}
		if err != nil {
			return err
		}
		status := "captured"
		if p.AmountPaise != amount {
			status = "amount_mismatch"
		}
		currency := p.Currency
		if currency == "" {
			currency = "INR"
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO payments (payment_order_id, order_id, user_id, razorpay_payment_id, amount_paise, currency, status, method, paid_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (razorpay_payment_id) DO NOTHING`,
			poID, orderID, res.UserID, p.RazorpayPaymentID, p.AmountPaise, currency, status, p.Method, p.PaidAt)
		if err != nil {
			return err
		}
		switch {
		case tag.RowsAffected() == 0:
			res.Outcome = "duplicate"
			return nil
		case status == "amount_mismatch":
			res.Outcome = status
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE payment_orders SET status = 'paid', updated_at = now() WHERE id = $1`, poID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE orders SET payment_status = 'paid', updated_at = now(),
			       status = CASE WHEN status = 'pending' THEN 'confirmed' ELSE status END
			WHERE id = $1 AND payment_status <> 'paid'`, orderID); err != nil {
			return err
		}
		res.Outcome = "paid"
		return nil
	})
	if err != nil {
		return nil, classify(err, "apply payment")
	}
	return res, nil
}

// Cards adapts the RFID tables to rfid.Store.
type Cards struct{ Pool *pgxpool.Pool }

var _ rfid.Store = (*Cards)(nil)

// Verify implements rfid.Store in one statement, so one round trip: find
// the active card (index-only scan of rfid_cards_number_active_idx), the
// student's paid order for the day (orders_student_date_idx), and insert
// the verification unless the order has one (the unique order_id turns a
// second tap into a no-op). The final SELECT reads the snapshot from
// before the insert, so an existing verification there means "already
// served".
func (s *Cards) Verify(ctx context.Context, l rfid.Lookup) (*rfid.Outcome, error) {
	defer observe(ctx, "rfid.verify", time.Now())
	var school any
	if l.SchoolID != "" {
		school = l.SchoolID
	}
	var out rfid.Outcome
	var studentID, name, grade, orderID *string
	var inserted, existing *time.Time
	err := s.Pool.QueryRow(ctx, `
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
			INSERT INTO meal_verifications (order_id, card_id, student_id, school_id, reader_id, service_date, verified_at)
			SELECT ord.id, card.id, card.student_id, card.school_id, $3, $2, $5 FROM ord, card
			ON CONFLICT (order_id) DO NOTHING
			RETURNING verified_at)
		SELECT card.id IS NOT NULL, coalesce(card.expired, false), coalesce(card.other_school, false),
		       st.id::text, st.first_name || ' ' || st.last_name, st.grade, ord.id::text,
		       ins.verified_at, mv.verified_at
		FROM (SELECT 1) one
		LEFT JOIN card ON true
		LEFT JOIN students st ON st.id = card.student_id
		LEFT JOIN ord ON true
		LEFT JOIN ins ON true
		LEFT JOIN meal_verifications mv ON mv.order_id = ord.id`,
		l.CardNumber, l.Date, l.ReaderID, school, l.At).
		Scan(&out.CardFound, &out.Expired, &out.OtherSchool, &studentID, &name, &grade, &orderID, &inserted, &existing)
	if err != nil {
		return nil, classify(err, "verify card")
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out.StudentID, out.StudentName, out.Grade, out.OrderID = deref(studentID), deref(name), deref(grade), deref(orderID)
	switch {
	case inserted != nil:
		out.Recorded, out.ServedAt = true, inserted.UTC()
	case existing != nil:
		out.ServedAt = existing.UTC()
	}
	return &out, nil
}

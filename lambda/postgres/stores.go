package postgres

import (
	"context"
	"errors"
	"fmt"
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

// Users adapts the users table to auth.UserStore and auth.StatusStore.
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

// ReplacePasswordHash implements auth.UserStore: sign-in's rehash at the
// current bcrypt cost, only over the hash it read.
func (s *Users) ReplacePasswordHash(ctx context.Context, userID, old, hash string) error {
	defer observe(ctx, "users.rehash", time.Now())
	if _, err := s.Pool.Exec(ctx, `
		UPDATE users SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2`,
		userID, old, hash); err != nil {
		return classify(err, "replace password hash")
	}
	return nil
}

var _ auth.StatusStore = (*Users)(nil)

// UserStatus implements auth.StatusStore: a primary-key read.
func (s *Users) UserStatus(ctx context.Context, userID string) (string, error) {
	defer observe(ctx, "users.status", time.Now())
	var status string
	err := s.Pool.QueryRow(ctx, `SELECT status FROM users WHERE id = $1`, userID).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.NotFound, "no user %s", userID)
	}
	if err != nil {
		return "", classify(err, "read user status")
	}
	return status, nil
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

// ListByUser implements orders.Store with ordersList: one query, one
// round trip.
func (s *Orders) ListByUser(ctx context.Context, userID string, offset, limit int) ([]orders.Order, error) {
	defer observe(ctx, ordersList.Name, time.Now())
	rows, err := s.Pool.Query(ctx, ordersList.SQL, userID, limit, offset)
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

// CountByUser implements orders.Store with ordersCount.
func (s *Orders) CountByUser(ctx context.Context, userID string) (int, error) {
	defer observe(ctx, ordersCount.Name, time.Now())
	var n int
	if err := s.Pool.QueryRow(ctx, ordersCount.SQL, userID).Scan(&n); err != nil {
		return 0, classify(err, "count orders")
	}
	return n, nil
}

// ByIdempotencyKey implements orders.Store with ordersByIdempotencyKey.
func (s *Orders) ByIdempotencyKey(ctx context.Context, userID, key string) (*orders.Order, []byte, error) {
	defer observe(ctx, ordersByIdempotencyKey.Name, time.Now())
	var hash []byte
	o, err := scanOrder(s.Pool.QueryRow(ctx, ordersByIdempotencyKey.SQL, userID, key), &hash)
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

// Insert implements orders.Tx: the order, its items, the user's
// order-list version and the school's summary version in one statement,
// the versions raised only when the order was inserted.
func (t *orderTx) Insert(ctx context.Context, o *orders.Order, userID, key string, hash []byte) (orders.Bumped, error) {
	defer observe(ctx, "orders.insert", time.Now())
	itemIDs := make([]string, len(o.Items))
	qty := make([]int32, len(o.Items))
	price := make([]int64, len(o.Items))
	for i, it := range o.Items {
		itemIDs[i], qty[i], price[i] = it.MenuItemID, int32(it.Quantity), it.UnitPricePaise
	}
	var bumped orders.Bumped
	err := t.tx.QueryRow(ctx, `
		WITH o AS (
			INSERT INTO orders (user_id, student_id, school_id, delivery_date, total_paise, currency, idempotency_key, request_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
			RETURNING id, created_at),
		i AS (
			INSERT INTO order_items (order_id, menu_item_id, quantity, unit_price_paise)
			SELECT o.id, x.menu_item_id, x.quantity, x.price
			FROM o, unnest($9::uuid[], $10::int[], $11::bigint[]) AS x(menu_item_id, quantity, price)),
		v AS (
			INSERT INTO order_list_versions (user_id, version) SELECT $1, 1 FROM o
			ON CONFLICT (user_id) DO UPDATE SET version = order_list_versions.version + 1
			RETURNING version),
		sv AS (
			INSERT INTO cache_versions (scope, id, version) SELECT $12, $3, 1 FROM o
			ON CONFLICT (scope, id) DO UPDATE SET version = cache_versions.version + 1
			RETURNING version)
		SELECT o.id::text, o.created_at, v.version, sv.version FROM o, v, sv`,
		userID, o.Student.ID, o.SchoolID, o.DeliveryDate, o.TotalPaise, o.Currency, key, hash,
		itemIDs, qty, price, SchoolVersions).Scan(&o.ID, &o.CreatedAt, &bumped.List, &bumped.School)
	if errors.Is(err, pgx.ErrNoRows) {
		return orders.Bumped{}, nil
	}
	if err != nil {
		return orders.Bumped{}, classify(err, "insert order")
	}
	o.CreatedAt = o.CreatedAt.UTC()
	return bumped, nil
}

// OrderListVersion implements cache.ListVersions: a primary-key read, 0
// for a user who never had an order.
func (s *Orders) OrderListVersion(ctx context.Context, userID string) (int64, error) {
	defer observe(ctx, "orders.list_version", time.Now())
	var v int64
	if err := s.Pool.QueryRow(ctx, `
		SELECT coalesce((SELECT version FROM order_list_versions WHERE user_id = $1), 0)`, userID).Scan(&v); err != nil {
		return 0, classify(err, "read order-list version")
	}
	return v, nil
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

var _ menus.CatalogueStore = (*Menus)(nil)

// Catalogue implements menus.CatalogueStore: the school and its items
// through menu_items' school_id, in one round trip (a school has a few
// dozen items).
func (s *Menus) Catalogue(ctx context.Context, schoolID string) (*menus.Catalogue, error) {
	defer observe(ctx, "menus.items", time.Now())
	c := &menus.Catalogue{SchoolID: schoolID}
	err := s.Pool.QueryRow(ctx, `
		SELECT sc.name, (
			SELECT coalesce(json_agg(json_build_object(
			        'id', mi.id, 'name', mi.name, 'description', mi.description, 'category', mi.category,
			        'pricePaise', mi.price_paise, 'vegetarian', mi.is_vegetarian, 'allergens', mi.allergens,
			        'available', mi.is_available) ORDER BY mi.category, mi.name, mi.id), '[]')
			FROM menu_items mi WHERE mi.school_id = sc.id)
		FROM schools sc WHERE sc.id = $1`, schoolID).Scan(&c.SchoolName, &c.Items)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "school %s not found", schoolID)
	}
	if err != nil {
		return nil, classify(err, "load menu items")
	}
	return c, nil
}

// Payments adapts the payment tables to payments.Store.
type Payments struct{ Pool *pgxpool.Pool }

var _ payments.Store = (*Payments)(nil)

// checkoutLockTimeout bounds how long a checkout waits for another one of
// the same order, which holds the lock while it calls Razorpay (at most
// the Razorpay client's 5 s timeout): well inside the function's timeout,
// so a waiter answers 503 rather than being killed.
const checkoutLockTimeout = 6 * time.Second

// PayableOrder implements payments.Store.
func (s *Payments) PayableOrder(ctx context.Context, orderID, userID string) (*payments.PayableOrder, error) {
	defer observe(ctx, "payments.payable_order", time.Now())
	return payableOrder(ctx, s.Pool, orderID, userID, "")
}

// payableOrder reads the user's order, with lock appended to the query.
func payableOrder(ctx context.Context, q Querier, orderID, userID, lock string) (*payments.PayableOrder, error) {
	var o payments.PayableOrder
	err := q.QueryRow(ctx, `
		SELECT id::text, user_id::text, total_paise, currency, status, payment_status
		FROM orders WHERE id = $1 AND user_id = $2 `+lock, orderID, userID).
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
	return livePaymentOrder(ctx, s.Pool, orderID, now)
}

func livePaymentOrder(ctx context.Context, q Querier, orderID string, now time.Time) (*payments.PaymentOrder, error) {
	po, err := scanPaymentOrder(q.QueryRow(ctx, `
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

// Checkout implements payments.Store: the order's row lock (FOR UPDATE),
// waited for at most checkoutLockTimeout, is held until fn's work
// commits.
func (s *Payments) Checkout(ctx context.Context, orderID, userID string, fn func(*payments.PayableOrder, payments.CheckoutTx) error) error {
	return inTx(ctx, s.Pool, func(tx pgx.Tx) error {
		start := time.Now()
		// set_config(..., true) is SET LOCAL: it ends with the transaction,
		// which RDS Proxy holds on one connection anyway.
		if _, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`,
			fmt.Sprintf("%dms", checkoutLockTimeout.Milliseconds())); err != nil {
			return err
		}
		o, err := payableOrder(ctx, tx, orderID, userID, "FOR UPDATE")
		observe(ctx, "payments.lock_order", start)
		if err != nil {
			return err
		}
		return fn(o, &checkoutTx{tx: tx, orderID: orderID})
	})
}

type checkoutTx struct {
	tx      pgx.Tx
	orderID string
}

// LivePaymentOrder implements payments.CheckoutTx.
func (t *checkoutTx) LivePaymentOrder(ctx context.Context, now time.Time) (*payments.PaymentOrder, error) {
	defer observe(ctx, "payments.live_payment_order", time.Now())
	return livePaymentOrder(ctx, t.tx, t.orderID, now)
}

// Open implements payments.CheckoutTx: the order's lapsed open payment
// orders expire first, so the new one is the only live one the index
// allows.
func (t *checkoutTx) Open(ctx context.Context, po *payments.PaymentOrder, userID string, now time.Time) error {
	defer observe(ctx, "payments.open_payment_order", time.Now())
	if _, err := t.tx.Exec(ctx, `
		UPDATE payment_orders SET status = 'expired', updated_at = now()
		WHERE order_id = $1 AND status = 'created' AND expires_at <= $2`, t.orderID, now); err != nil {
		return classify(err, "expire payment orders")
	}
	err := t.tx.QueryRow(ctx, `
		INSERT INTO payment_orders (order_id, user_id, razorpay_order_id, amount_paise, currency, status, expires_at)
		VALUES ($1, $2, $3, $4, $5, 'created', $6)
		RETURNING id::text`,
		t.orderID, userID, po.RazorpayOrderID, po.AmountPaise, po.Currency, po.ExpiresAt).Scan(&po.ID)
	if err != nil {
		return classify(err, "store payment order")
	}
	return nil
}

// target reads what a payment event applies to, in one round trip: the
// payment order named by Razorpay's order id, its order locked FOR UPDATE
// (which serialises every checkout, capture and refund of that order),
// the payment already recorded under the payment id, and the refunds
// reported for it. found is false when the payment order is unknown.
func target(ctx context.Context, tx pgx.Tx, rzpOrderID, rzpPaymentID string) (t payments.Target, userID string, found bool, err error) {
	po, err := scanPaymentOrder(tx.QueryRow(ctx, `
		SELECT `+paymentOrderColumns+` FROM payment_orders WHERE razorpay_order_id = $1`, rzpOrderID))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, "", false, nil
	}
	if err != nil {
		return t, "", false, err
	}
	t.PaymentOrder = *po
	b := &pgx.Batch{}
	b.Queue(`SELECT user_id::text, status, payment_status FROM orders WHERE id = $1 FOR UPDATE`, po.OrderID)
	b.Queue(`SELECT coalesce((SELECT status FROM payments WHERE razorpay_payment_id = $1), '')`, rzpPaymentID)
	b.Queue(`SELECT coalesce(sum(amount_paise), 0) FROM refunds WHERE razorpay_payment_id = $1`, rzpPaymentID)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if err := br.QueryRow().Scan(&userID, &t.OrderStatus, &t.OrderPaymentStatus); err != nil {
		return t, "", false, err
	}
	if err := br.QueryRow().Scan(&t.Recorded); err != nil {
		return t, "", false, err
	}
	if err := br.QueryRow().Scan(&t.RefundedPaise); err != nil {
		return t, "", false, err
	}
	return t, userID, true, br.Close()
}

// ApplyCapture implements payments.Store. The payment row is inserted, or
// upgraded from failed (late authorisation); the unique
// razorpay_payment_id and the order's lock make each capture count once.
// A settling capture supersedes the order's open payment order before it
// marks its own paid (the live-order index allows one), marks the order
// paid and bumps its owner's order-list version, all in the transaction
// that records the payment: a capture is never recorded without its
// effect, nor the effect without the capture.
func (s *Payments) ApplyCapture(ctx context.Context, p payments.Captured) (*payments.Applied, error) {
	defer observe(ctx, "payments.apply_capture", time.Now())
	res := &payments.Applied{}
	err := inTx(ctx, s.Pool, func(tx pgx.Tx) error {
		t, userID, found, err := target(ctx, tx, p.RazorpayOrderID, p.RazorpayPaymentID)
		if err != nil || !found {
			res.Outcome = payments.UnknownOrder
			return err
		}
		res.UserID = userID
		v := payments.Judge(t, p)
		res.Outcome, res.RefundReason = v.Outcome, v.Reason
		if v.Outcome == payments.Duplicate {
			return nil
		}
		status := "captured"
		if v.Outcome == payments.Refunded {
			status = "refunded"
		}
		var reason *string
		if v.Reason != "" {
			reason = &v.Reason
		}
		po := t.PaymentOrder
		tag, err := tx.Exec(ctx, `
			INSERT INTO payments (payment_order_id, order_id, user_id, razorpay_payment_id, amount_paise, currency,
			                      status, refund_reason, refunded_paise, method, paid_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (razorpay_payment_id) DO UPDATE SET
			    amount_paise = excluded.amount_paise, currency = excluded.currency, status = excluded.status,
			    refund_reason = excluded.refund_reason, refunded_paise = excluded.refunded_paise,
			    method = excluded.method, paid_at = excluded.paid_at
			WHERE payments.status = 'failed'`,
			po.ID, po.OrderID, userID, p.RazorpayPaymentID, p.AmountPaise, p.Currency, status, reason,
			t.RefundedPaise, p.Method, p.PaidAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Recorded between our read and our write: impossible under the
			// order's lock unless another payment order names this payment.
			res.Outcome, res.RefundReason = payments.Duplicate, ""
			return nil
		}
		if v.Outcome != payments.Paid {
			return nil
		}
		return changeOrder(ctx, tx, res, userID, po.OrderID,
			statement{`UPDATE payment_orders SET status = 'superseded', updated_at = now()
				WHERE order_id = $1 AND status = 'created' AND id <> $2`, []any{po.OrderID, po.ID}},
			statement{`UPDATE payment_orders SET status = 'paid', updated_at = now() WHERE id = $1`, []any{po.ID}},
			statement{`UPDATE orders SET payment_status = 'paid', updated_at = now(),
				       status = CASE WHEN status = 'pending' THEN 'confirmed' ELSE status END
				WHERE id = $1`, []any{po.OrderID}})
	})
	if err != nil {
		return nil, classify(err, "apply capture")
	}
	return res, nil
}

// ApplyFailure implements payments.Store. A failure inserts nothing when
// the payment is recorded already (captured first, or this failure
// delivered again), so it never undoes a capture.
func (s *Payments) ApplyFailure(ctx context.Context, p payments.Captured) (*payments.Applied, error) {
	defer observe(ctx, "payments.apply_failure", time.Now())
	res := &payments.Applied{Outcome: payments.UnknownOrder}
	err := s.Pool.QueryRow(ctx, `
		WITH po AS (SELECT id, order_id, user_id FROM payment_orders WHERE razorpay_order_id = $1),
		ins AS (
			INSERT INTO payments (payment_order_id, order_id, user_id, razorpay_payment_id, amount_paise, currency, status, method, paid_at)
			SELECT po.id, po.order_id, po.user_id, $2, $3, $4, 'failed', $5, $6 FROM po
			ON CONFLICT (razorpay_payment_id) DO NOTHING
			RETURNING id)
		SELECT CASE WHEN NOT EXISTS (SELECT FROM po) THEN 'unknown_order'
		            WHEN EXISTS (SELECT FROM ins) THEN 'failed' ELSE 'duplicate' END,
		       coalesce((SELECT user_id::text FROM po), '')`,
		p.RazorpayOrderID, p.RazorpayPaymentID, p.AmountPaise, p.Currency, p.Method, p.PaidAt).
		Scan(&res.Outcome, &res.UserID)
	if err != nil {
		return nil, classify(err, "apply failure")
	}
	return res, nil
}

// ApplyRefund implements payments.Store. The refund is recorded once by
// its id under the order's lock, so a capture arriving later (or at the
// same time) sums it. It refunds its payment when the payment is recorded
// as captured and the refunds now cover it; a payment that had settled
// its order leaves the order refunded, which bumps the owner's order-list
// version.
func (s *Payments) ApplyRefund(ctx context.Context, r payments.Refund) (*payments.Applied, error) {
	defer observe(ctx, "payments.apply_refund", time.Now())
	res := &payments.Applied{}
	err := inTx(ctx, s.Pool, func(tx pgx.Tx) error {
		t, userID, found, err := target(ctx, tx, r.RazorpayOrderID, r.RazorpayPaymentID)
		if err != nil || !found {
			res.Outcome = payments.UnknownOrder
			return err
		}
		res.UserID = userID
		tag, err := tx.Exec(ctx, `
			INSERT INTO refunds (razorpay_refund_id, razorpay_payment_id, amount_paise, currency)
			VALUES ($1, $2, $3, $4) ON CONFLICT (razorpay_refund_id) DO NOTHING`,
			r.RazorpayRefundID, r.RazorpayPaymentID, r.AmountPaise, r.Currency)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Outcome = payments.Duplicate
			return nil
		}
		res.Outcome = payments.RefundRecorded
		if t.Recorded == "" || t.Recorded == "failed" {
			return nil // applied by the capture, when it comes
		}
		var status string
		var reason *string
		var orderID string
		err = tx.QueryRow(ctx, `
			UPDATE payments SET refunded_paise = refunded_paise + $2,
			       status = CASE WHEN refunded_paise + $2 >= amount_paise THEN 'refunded' ELSE status END
			WHERE razorpay_payment_id = $1
			RETURNING status, refund_reason, order_id::text`, r.RazorpayPaymentID, r.AmountPaise).Scan(&status, &reason, &orderID)
		if err != nil {
			return err
		}
		if status != "refunded" || t.Recorded == "refunded" {
			return nil
		}
		res.Outcome = payments.Refunded
		if reason != nil || t.Recorded != "captured" {
			return nil // owed back anyway: it never settled the order
		}
		return changeOrder(ctx, tx, res, userID, orderID, statement{
			`UPDATE orders SET payment_status = 'refunded', updated_at = now() WHERE id = $1 AND payment_status = 'paid'`,
			[]any{orderID}})
	})
	if err != nil {
		return nil, classify(err, "apply refund")
	}
	return res, nil
}

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

// changeOrder runs the statements that change a user's order, then
// raises the user's order-list version and the version of the order's
// school's summaries by one (creating them at 1), all in one round trip,
// and records the new versions in res.
func changeOrder(ctx context.Context, tx pgx.Tx, res *payments.Applied, userID, orderID string, stmts ...statement) error {
	b := &pgx.Batch{}
	for _, st := range stmts {
		b.Queue(st.sql, st.args...)
	}
	b.Queue(`
		INSERT INTO order_list_versions (user_id, version) VALUES ($1, 1)
		ON CONFLICT (user_id) DO UPDATE SET version = order_list_versions.version + 1
		RETURNING version`, userID)
	b.Queue(`
		INSERT INTO cache_versions (scope, id, version) SELECT $1, school_id, 1 FROM orders WHERE id = $2
		ON CONFLICT (scope, id) DO UPDATE SET version = cache_versions.version + 1
		RETURNING id::text, version`, SchoolVersions, orderID)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	for range stmts {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	if err := br.QueryRow().Scan(&res.ListVersion); err != nil {
		return err
	}
	if err := br.QueryRow().Scan(&res.SchoolID, &res.SchoolVersion); err != nil {
		return err
	}
	return br.Close()
}

// Cards adapts the RFID tables to rfid.Store.
type Cards struct{ Pool *pgxpool.Pool }

var _ rfid.Store = (*Cards)(nil)

// Verify implements rfid.Store in one statement, so one round trip
// (rfidVerify).
func (s *Cards) Verify(ctx context.Context, l rfid.Lookup) (*rfid.Outcome, error) {
	defer observe(ctx, rfidVerify.Name, time.Now())
	var school any
	if l.SchoolID != "" {
		school = l.SchoolID
	}
	var out rfid.Outcome
	var studentID, name, grade, orderID *string
	var inserted, existing *time.Time
	err := s.Pool.QueryRow(ctx, rfidVerify.SQL,
		l.CardNumber, l.Date, l.ReaderID, school, l.At, SchoolVersions, l.VerifiedBy).
		Scan(&out.CardFound, &out.Expired, &out.OtherSchool, &studentID, &name, &grade, &orderID, &inserted, &existing,
			&out.SchoolID, &out.SchoolVersion)
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

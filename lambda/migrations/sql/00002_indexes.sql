-- Secondary indexes: every index the performance plan lists, plus the few
-- the handlers' own queries need. Each comment names the query it serves.
-- They are built inside the migration's transaction because the tables are
-- empty when this first runs; a later index on a filled table belongs in
-- its own migration marked with goose's NO TRANSACTION annotation and CREATE INDEX
-- CONCURRENTLY, so that it does not block writes.

-- +goose Up

-- users ----------------------------------------------------------------
-- Admin screens filter users by role and status ("all suspended parents").
CREATE INDEX users_role_status_idx ON users (role, status);
-- A school's active staff and students by role. Partial: only active
-- accounts are ever listed this way, and the index skips the rest.
CREATE INDEX users_school_role_active_idx ON users (school_id, role) WHERE status = 'active';
-- A parent's active linked student logins. Partial on active accounts,
-- and only rows with a parent (students) are worth indexing.
CREATE INDEX users_parent_active_idx ON users (parent_id) WHERE status = 'active' AND parent_id IS NOT NULL;
-- Newest sign-ups first (admin listing, growth reports).
CREATE INDEX users_created_at_idx ON users (created_at DESC);

-- orders ---------------------------------------------------------------
-- orders-list: WHERE user_id = $1 ORDER BY created_at DESC, id DESC
-- LIMIT/OFFSET. id is the tie-break that keeps pages stable when two
-- orders share a timestamp, so it is part of the key.
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);
-- A school's orders for a day by status: the kitchen's preparation list.
CREATE INDEX orders_school_date_status_idx ON orders (school_id, delivery_date, status);
-- rfid-verify-card: the student's paid order for today
-- (WHERE student_id = $1 AND delivery_date = $2); also a student's history.
CREATE INDEX orders_student_date_idx ON orders (student_id, delivery_date DESC);
-- Operational queues by status and payment state (confirmed but unpaid,
-- cancelled but paid → refund). Partial: delivered orders are the bulk of
-- history and no queue looks at them.
CREATE INDEX orders_status_payment_idx ON orders (status, payment_status) WHERE status <> 'delivered';
-- The platform-wide production summary for a day by status.
CREATE INDEX orders_date_status_idx ON orders (delivery_date, status);
-- orders-create idempotency: a retried request with the same key finds the
-- first order, and two racing ones cannot both insert. Partial: orders
-- created without a key (imports, seed data) need no entry.
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- order_items ------------------------------------------------------------
-- orders-list joins a page of orders to their items by order_id.
CREATE INDEX order_items_order_idx ON order_items (order_id);

-- payment_orders ---------------------------------------------------------
-- A user's payment history, newest first.
CREATE INDEX payment_orders_user_created_idx ON payment_orders (user_id, created_at DESC);
-- The expiry sweep: WHERE status = 'created' AND expires_at < now().
-- Partial on the one status it reads, so the index stays the size of the
-- open payment orders rather than of all history.
CREATE INDEX payment_orders_open_expires_idx ON payment_orders (expires_at) WHERE status = 'created';
-- (razorpay_order_id is indexed by its UNIQUE constraint.)
-- payments-create-order idempotency: at most one open or paid payment
-- order per order, so two racing requests cannot both store one.
CREATE UNIQUE INDEX payment_orders_live_order_idx ON payment_orders (order_id) WHERE status IN ('created', 'paid');

-- payments -----------------------------------------------------------------
-- A user's payments, newest first (receipts screen).
CREATE INDEX payments_user_paid_idx ON payments (user_id, paid_at DESC);
-- Reconciliation by status over a time window.
CREATE INDEX payments_status_created_idx ON payments (status, created_at);
-- A subscription's payments by status. Partial: most payments are for
-- single orders and have no subscription.
CREATE INDEX payments_subscription_status_idx ON payments (subscription_id, status) WHERE subscription_id IS NOT NULL;
-- (razorpay_payment_id is indexed by its UNIQUE constraint.)

-- rfid_cards ---------------------------------------------------------------
-- A student's active card (issue a replacement, deactivate the old one).
CREATE INDEX rfid_cards_student_active_idx ON rfid_cards (student_id) WHERE is_active;
-- A school's active card roster.
CREATE INDEX rfid_cards_school_active_idx ON rfid_cards (school_id) WHERE is_active;
-- rfid-verify-card: WHERE card_number = $1 AND is_active. Unique among
-- active cards (a number may be reissued after deactivation), and covering
-- the columns the lunchtime tap reads so the lookup is an index-only scan.
CREATE UNIQUE INDEX rfid_cards_number_active_idx ON rfid_cards (card_number)
    INCLUDE (id, student_id, school_id, expires_at) WHERE is_active;
-- Expiry sweep and renewal reminders for active cards.
CREATE INDEX rfid_cards_expires_idx ON rfid_cards (expires_at) WHERE is_active AND expires_at IS NOT NULL;

-- subscriptions ------------------------------------------------------------
-- A user's subscriptions by status.
CREATE INDEX subscriptions_user_status_idx ON subscriptions (user_id, status);
-- A school's subscriptions by status (school dashboard).
CREATE INDEX subscriptions_school_status_idx ON subscriptions (school_id, status);
-- The billing run: WHERE status = $1 AND next_billing_date <= $2, for
-- 'active' (charge) and 'past_due' (retry).
CREATE INDEX subscriptions_status_billing_idx ON subscriptions (status, next_billing_date);
-- A student's subscriptions by status (no two active plans per student).
CREATE INDEX subscriptions_student_status_idx ON subscriptions (student_id, status);

-- invoices -----------------------------------------------------------------
-- A user's invoices, newest first.
CREATE INDEX invoices_user_date_idx ON invoices (user_id, invoice_date DESC);
-- A school's invoices by status.
CREATE INDEX invoices_school_status_idx ON invoices (school_id, status);
-- The overdue sweep: WHERE status = 'issued' AND due_date < today.
CREATE INDEX invoices_status_due_idx ON invoices (status, due_date);
-- Invoice numbers are unique and looked up by support staff.
CREATE UNIQUE INDEX invoices_number_idx ON invoices (invoice_number);

-- +goose Down
DROP INDEX users_role_status_idx, users_school_role_active_idx, users_parent_active_idx, users_created_at_idx,
    orders_user_created_idx, orders_school_date_status_idx, orders_student_date_idx, orders_status_payment_idx,
    orders_date_status_idx, orders_idempotency_idx, order_items_order_idx,
    payment_orders_user_created_idx, payment_orders_open_expires_idx, payment_orders_live_order_idx,
    payments_user_paid_idx, payments_status_created_idx, payments_subscription_status_idx,
    rfid_cards_student_active_idx, rfid_cards_school_active_idx, rfid_cards_number_active_idx, rfid_cards_expires_idx,
    subscriptions_user_status_idx, subscriptions_school_status_idx, subscriptions_status_billing_idx,
    subscriptions_student_status_idx, invoices_user_date_idx, invoices_school_status_idx, invoices_status_due_idx,
    invoices_number_idx;

-- The payment state machine written down in package payments, and the
-- order-list versions that keep cached order pages from outliving a write.
-- Expand only: every statement adds (a table, a column, a value a check
-- allows), so the release before this one keeps working against the new
-- schema while a deploy shifts traffic, and after a rollback.

-- +goose Up

-- A user's order-list version: bumped in the transaction of every write
-- that changes what GET /orders shows that user (a new order, a payment
-- settling or refunding one). Cached pages carry the version they were
-- read at; Redis holds a short-lived copy of this number, and this row is
-- the authority a reader falls back to when the copy is missing, so a write
-- made while Redis was unreachable is seen within the copy's lifetime.
CREATE TABLE order_list_versions (
    user_id uuid PRIMARY KEY REFERENCES users (id),
    version bigint NOT NULL CHECK (version > 0)
);

-- payment_orders gains 'superseded': an open payment order left behind
-- when another payment order of the same order was paid. Replacing the
-- check rescans payment_orders, one row per checkout opened: small.
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_status_check,
    ADD CONSTRAINT payment_orders_status_check CHECK (status IN ('created', 'paid', 'expired', 'failed', 'superseded'));

-- A captured payment that did not settle its order is money to give back:
-- refund_reason says why (the order was already paid by another payment,
-- the amount or currency differs from the payment order's, the order was
-- cancelled). Null for a payment that settled its order and for failed
-- ones. 'amount_mismatch' as a status is what the first release wrote for
-- the second case and stays allowed for those rows. refunded_paise is the
-- sum of the refunds Razorpay reported for the payment, which is
-- 'refunded' once that reaches amount_paise. The checks are NOT VALID: the
-- existing rows (null, 0) pass them, and skipping the proof keeps the
-- payments table from being scanned under this migration's lock.
ALTER TABLE payments ADD COLUMN refund_reason text,
    ADD COLUMN refunded_paise bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT payments_refund_reason_check
        CHECK (refund_reason IN ('duplicate_capture', 'amount_mismatch', 'currency_mismatch', 'order_cancelled')) NOT VALID,
    ADD CONSTRAINT payments_refunded_paise_check CHECK (refunded_paise >= 0) NOT VALID;

-- Refunds Razorpay reported (refund.processed), each once by its id. The
-- payment is named by Razorpay's id, not a foreign key: a refund's webhook
-- may arrive before its payment's capture, and is applied when it does.
CREATE TABLE refunds (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    razorpay_refund_id  text NOT NULL UNIQUE,
    razorpay_payment_id text NOT NULL,
    amount_paise        bigint NOT NULL CHECK (amount_paise > 0),
    currency            text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
-- A capture sums the refunds already reported for its payment.
CREATE INDEX refunds_payment_idx ON refunds (razorpay_payment_id);

-- +goose Down
DROP TABLE refunds;
ALTER TABLE payments DROP COLUMN refunded_paise, DROP COLUMN refund_reason;
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_status_check,
    ADD CONSTRAINT payment_orders_status_check CHECK (status IN ('created', 'paid', 'expired', 'failed'));
DROP TABLE order_list_versions;

// Package payments takes payment for orders through Razorpay: it opens a
// Razorpay order for an order of the user (one live one per order) and
// applies Razorpay's signed webhooks, so that every captured payment is
// recorded exactly once and either settles its order or is flagged to be
// refunded. The Razorpay API itself is behind the Gateway interface, and
// the webhooks reach Service.Apply as Events, their signature checked and
// their payload read by the Razorpay adapter (package razorpay).
//
// # State machine
//
// Three records move together. Every transition below happens in one
// database transaction that holds the order's row lock, so a checkout, a
// capture and a refund of one order never interleave.
//
// A payment order (payment_orders.status) is one Razorpay order opened for
// one of our orders:
//
//	(none)  → created     checkout: no live payment order (Service.CreateOrder)
//	created → expired     checkout again after its CheckoutWindow passed
//	created → paid        a capture settles the order through it
//	expired → paid        a late capture: Razorpay still accepts payment on
//	                      an order we stopped offering; the order is unpaid,
//	                      so this payment settles it
//	created → superseded  another payment order of the same order was paid
//
// An order has at most one live payment order (created, or paid); the
// unique index payment_orders_live_order_idx holds the database to it.
// That is why a late capture first supersedes the order's open payment
// order and only then marks its own paid.
//
// A payment (payments.status, refund_reason) is one Razorpay payment:
//
//	(none)   → failed     payment.failed
//	(none)   → captured   a capture that settles its order (refund_reason null)
//	(none)   → captured   a capture that cannot settle it, owed back, with
//	                      refund_reason: duplicate_capture (the order was
//	                      already paid), amount_mismatch, currency_mismatch
//	                      (against the payment order), order_cancelled
//	failed   → captured   late authorisation: Razorpay captures a payment
//	                      it first reported failed; judged as above
//	captured → refunded   refunds reported for it reach its amount
//	(none)   → refunded   a capture whose refunds were reported first
//
// A capture, a failure or a refund delivered again changes nothing, and a
// failure delivered after its payment's capture does not undo it. The
// refund queue is the captured payments with a refund_reason; each flagged
// capture is also counted as metrics.PaymentsRefundDue, which the alarm
// refundDueCount watches. Refunds themselves are issued by operations in
// Razorpay, which reports them back (refund.processed).
//
// An order (orders.payment_status):
//
//	unpaid → paid      the first capture that settles it (status pending →
//	                   confirmed)
//	paid   → refunded  the payment that settled it is refunded in full
//
// Every change of an order's payment status also bumps its owner's order
// list version (Applied.ListVersion), which retires their cached pages,
// and the version of its school's summaries (Applied.SchoolVersion, see
// package analytics), which retires the school's cached summaries.
package payments

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/ids"
)

// CheckoutWindow is how long a payment order stays open for checkout;
// after it a new request creates a fresh Razorpay order.
const CheckoutWindow = 15 * time.Minute

// Payment order statuses.
const (
	POCreated    = "created"
	POPaid       = "paid"
	POExpired    = "expired"
	POSuperseded = "superseded"
)

// PayableOrder is what payment needs to know about an order.
type PayableOrder struct {
	ID            string
	UserID        string
	TotalPaise    int64
	Currency      string
	Status        string
	PaymentStatus string
}

// PaymentOrder is a Razorpay order for one of our orders.
type PaymentOrder struct {
	ID              string    `json:"id"`
	OrderID         string    `json:"orderId"`
	RazorpayOrderID string    `json:"razorpayOrderId"`
	AmountPaise     int64     `json:"amountPaise"`
	Currency        string    `json:"currency"`
	Status          string    `json:"status"`
	ExpiresAt       time.Time `json:"expiresAt"`
	// KeyID is the public Razorpay key the client's checkout needs.
	KeyID string `json:"keyId"`
}

// GatewayOrder is Razorpay's answer to an order creation.
type GatewayOrder struct {
	ID       string
	Amount   int64
	Currency string
	Status   string
}

// Gateway is Razorpay's Orders API.
type Gateway interface {
	// CreateOrder creates a Razorpay order. receipt is our reference
	// (at most 40 characters). Errors: Unavailable when Razorpay cannot be
	// reached or fails.
	CreateOrder(ctx context.Context, amountPaise int64, currency, receipt string, notes map[string]string) (*GatewayOrder, error)
}

// Store keeps payment orders and payments.
type Store interface {
	// PayableOrder returns the user's order. Errors: NotFound (no such
	// order of this user), Unavailable.
	PayableOrder(ctx context.Context, orderID, userID string) (*PayableOrder, error)
	// LivePaymentOrder returns the order's paid payment order or its open
	// one that expires after now, or nil. Errors: Unavailable.
	LivePaymentOrder(ctx context.Context, orderID string, now time.Time) (*PaymentOrder, error)
	// Checkout runs fn in one transaction that holds the order's row lock,
	// giving it the order as locked: checkouts of one order run one at a
	// time, and so do they with captures and refunds. Errors: NotFound (no
	// such order of this user), Unavailable (also when the lock is held
	// longer than a request may wait), fn's.
	Checkout(ctx context.Context, orderID, userID string, fn func(o *PayableOrder, tx CheckoutTx) error) error
	// ApplyCapture records a captured payment, judged by Judge under the
	// order's lock, and carries out the verdict in the same transaction.
	// Errors: Unavailable.
	ApplyCapture(ctx context.Context, p Captured) (*Applied, error)
	// ApplyFailure records a failed payment unless the payment is recorded
	// already. Errors: Unavailable.
	ApplyFailure(ctx context.Context, p Captured) (*Applied, error)
	// ApplyRefund records a refund once and applies it to its payment if
	// that is recorded as captured. Errors: Unavailable.
	ApplyRefund(ctx context.Context, r Refund) (*Applied, error)
}

// CheckoutTx is what a checkout does under the order's lock.
type CheckoutTx interface {
	// LivePaymentOrder is Store.LivePaymentOrder inside the transaction.
	LivePaymentOrder(ctx context.Context, now time.Time) (*PaymentOrder, error)
	// Open marks the order's open payment orders that expired by now as
	// expired and stores po as the order's live one, setting po.ID.
	// Errors: Unavailable.
	Open(ctx context.Context, po *PaymentOrder, userID string, now time.Time) error
}

// Service creates payment orders and applies webhooks.
type Service struct {
	Store   Store
	Gateway Gateway
	// KeyID is the public Razorpay key id returned to checkout.
	KeyID string
	// Now returns the current time; tests move it.
	Now func() time.Time
}

// CreateRequest asks for a payment order.
type CreateRequest struct {
	OrderID string `json:"orderId"`
}

// CreateOrder returns a payment order for the user's order, creating a
// Razorpay order only if the order has no live one (created false when
// an existing one is returned). Razorpay is called under the order's
// lock, so concurrent requests for one order open one Razorpay order: the
// others wait, then find it. Errors: Invalid, NotFound, Conflict (already
// paid, refunded, cancelled), Unavailable (database or Razorpay).
func (s *Service) CreateOrder(ctx context.Context, userID string, req CreateRequest) (*PaymentOrder, bool, error) {
	switch {
	case req.OrderID == "":
		return nil, false, apperr.Field("orderId", "orderId is required")
	case !ids.Valid(req.OrderID):
		return nil, false, apperr.Field("orderId", "orderId is not a valid id")
	}
	orderID := strings.ToLower(req.OrderID)
	o, err := s.Store.PayableOrder(ctx, orderID, userID)
	if err != nil {
		return nil, false, fmt.Errorf("load order %s: %w", orderID, err)
	}
	if err := payable(o); err != nil {
		return nil, false, err
	}
	// The common repeat (checkout reopened within the window) needs no
	// lock.
	if live, err := s.Store.LivePaymentOrder(ctx, orderID, s.Now()); err != nil {
		return nil, false, fmt.Errorf("look up payment order of %s: %w", orderID, err)
	} else if live != nil {
		return s.existing(live)
	}
	var out *PaymentOrder
	created := false
	err = s.Store.Checkout(ctx, orderID, userID, func(o *PayableOrder, tx CheckoutTx) error {
		if err := payable(o); err != nil {
			return err
		}
		now := s.Now()
		live, err := tx.LivePaymentOrder(ctx, now)
		if err != nil {
			return fmt.Errorf("look up payment order of %s: %w", orderID, err)
		}
		if live != nil {
			out = live
			return nil
		}
		g, err := s.Gateway.CreateOrder(ctx, o.TotalPaise, o.Currency, orderID,
			map[string]string{"orderId": orderID, "userId": userID})
		if err != nil {
			return fmt.Errorf("create Razorpay order for %s: %w", orderID, err)
		}
		if g.Amount != o.TotalPaise || g.Currency != o.Currency {
			return fmt.Errorf("razorpay order %s is for %d %s, asked for %d %s", g.ID, g.Amount, g.Currency, o.TotalPaise, o.Currency)
		}
		po := &PaymentOrder{OrderID: orderID, RazorpayOrderID: g.ID, AmountPaise: g.Amount, Currency: g.Currency,
			Status: POCreated, ExpiresAt: now.Add(CheckoutWindow).Truncate(time.Microsecond)}
		if err := tx.Open(ctx, po, userID, now); err != nil {
			return fmt.Errorf("store payment order for %s: %w", orderID, err)
		}
		out, created = po, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if !created {
		return s.existing(out)
	}
	out.KeyID = s.KeyID
	return out, true, nil
}

// existing answers with a live payment order found instead of created.
func (s *Service) existing(live *PaymentOrder) (*PaymentOrder, bool, error) {
	if live.Status == POPaid {
		return nil, false, apperr.New(apperr.Conflict, "order %s is already paid", live.OrderID)
	}
	live.KeyID = s.KeyID
	return live, false, nil
}

// payable says why an order cannot be paid for, or nil.
func payable(o *PayableOrder) error {
	switch {
	case o.PaymentStatus == "paid":
		return apperr.New(apperr.Conflict, "order %s is already paid", o.ID)
	case o.PaymentStatus == "refunded":
		return apperr.New(apperr.Conflict, "order %s was paid and refunded", o.ID)
	case o.Status == "cancelled":
		return apperr.New(apperr.Conflict, "order %s is cancelled", o.ID)
	case o.TotalPaise <= 0:
		return apperr.New(apperr.Conflict, "order %s has nothing to pay", o.ID)
	}
	return nil
}

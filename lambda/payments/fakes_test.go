package payments_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
)

// store is an in-memory payments.Store: orders and their payment orders
// as the tables hold them, with the live-order rules of
// payment_orders_live_order_idx. Applying an event is the SQL's job,
// covered by the real-server suite; here the store records what it was
// asked to apply and answers with applied.
type store struct {
	orders map[string]*payments.PayableOrder
	pos    []*payments.PaymentOrder
	// beforeLock, when set, runs once as Checkout takes the order's
	// lock: the place where a concurrent checkout or capture would have
	// changed things between the unlocked look-up and the lock.
	beforeLock func()
	// applied answers every Apply call; fail, when set, fails them.
	applied *payments.Applied
	fail    error
	// calls lists the Apply methods called, with their argument.
	calls []any
	// lookups counts the reads, locks and writes of orders and payment
	// orders.
	lookups int
}

var (
	_ payments.Store      = (*store)(nil)
	_ payments.CheckoutTx = (*checkoutTx)(nil)
)

func (s *store) PayableOrder(_ context.Context, orderID, userID string) (*payments.PayableOrder, error) {
	s.lookups++
	o, ok := s.orders[orderID]
	if !ok || o.UserID != userID {
		return nil, apperr.New(apperr.NotFound, "order %s not found", orderID)
	}
	c := *o
	return &c, nil
}

func (s *store) LivePaymentOrder(_ context.Context, orderID string, now time.Time) (*payments.PaymentOrder, error) {
	s.lookups++
	return s.live(orderID, now), nil
}

func (s *store) live(orderID string, now time.Time) *payments.PaymentOrder {
	for _, po := range s.pos {
		if po.OrderID == orderID && (po.Status == payments.POPaid || po.Status == payments.POCreated && po.ExpiresAt.After(now)) {
			c := *po
			return &c
		}
	}
	return nil
}

func (s *store) Checkout(ctx context.Context, orderID, userID string, fn func(*payments.PayableOrder, payments.CheckoutTx) error) error {
	if s.beforeLock != nil {
		s.beforeLock()
		s.beforeLock = nil
	}
	o, err := s.PayableOrder(ctx, orderID, userID)
	if err != nil {
		return err
	}
	// The transaction: what fn writes is kept only if it succeeds.
	saved := make([]*payments.PaymentOrder, len(s.pos))
	for i, po := range s.pos {
		c := *po
		saved[i] = &c
	}
	if err := fn(o, &checkoutTx{s: s, orderID: orderID}); err != nil {
		s.pos = saved
		return err
	}
	return nil
}

// open stores a payment order as tx.Open would, for tests to set up.
func (s *store) open(po payments.PaymentOrder) *payments.PaymentOrder {
	po.ID = fmt.Sprintf("po-%d", len(s.pos)+1)
	s.pos = append(s.pos, &po)
	return &po
}

type checkoutTx struct {
	s       *store
	orderID string
}

func (t *checkoutTx) LivePaymentOrder(_ context.Context, now time.Time) (*payments.PaymentOrder, error) {
	t.s.lookups++
	return t.s.live(t.orderID, now), nil
}

func (t *checkoutTx) Open(_ context.Context, po *payments.PaymentOrder, _ string, now time.Time) error {
	t.s.lookups++
	for _, old := range t.s.pos {
		if old.OrderID == t.orderID && old.Status == payments.POCreated && !old.ExpiresAt.After(now) {
			old.Status = payments.POExpired
		}
	}
	if t.s.live(t.orderID, now) != nil {
		return fmt.Errorf("payment_orders_live_order_idx: order %s has a live payment order", t.orderID)
	}
	*po = *t.s.open(*po)
	return nil
}

func (s *store) apply(arg any) (*payments.Applied, error) {
	s.calls = append(s.calls, arg)
	if s.fail != nil {
		return nil, s.fail
	}
	a := *s.applied
	return &a, nil
}

func (s *store) ApplyCapture(_ context.Context, p payments.Captured) (*payments.Applied, error) {
	return s.apply(p)
}

func (s *store) ApplyFailure(_ context.Context, p payments.Captured) (*payments.Applied, error) {
	return s.apply(p)
}

func (s *store) ApplyRefund(_ context.Context, r payments.Refund) (*payments.Applied, error) {
	return s.apply(r)
}

// gateway is Razorpay's Orders API in memory: it opens the order it is
// asked for, unless answer rewrites it or fail fails it.
type gateway struct {
	created []payments.GatewayOrder
	answer  func(*payments.GatewayOrder)
	fail    error
}

var _ payments.Gateway = (*gateway)(nil)

func (g *gateway) CreateOrder(_ context.Context, amount int64, currency, _ string, _ map[string]string) (*payments.GatewayOrder, error) {
	if g.fail != nil {
		return nil, g.fail
	}
	o := payments.GatewayOrder{ID: fmt.Sprintf("order_%d", len(g.created)+1), Amount: amount, Currency: currency, Status: "created"}
	if g.answer != nil {
		g.answer(&o)
	}
	g.created = append(g.created, o)
	return &o, nil
}

// clock is a settable time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

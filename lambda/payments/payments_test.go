package payments_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
)

const (
	parent  = "0191e2a4-7b1c-7c3d-8e4f-000000000001"
	orderID = "0191e2a4-7b1c-7c3d-8e4f-123456789abc"
	keyID   = "rzp_test_key"
)

var t0 = time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC)

// newService returns a payment service over an in-memory store holding
// one pending, unpaid order of the parent for 70 rupees, changed by mod.
func newService(mod func(*payments.PayableOrder)) (*payments.Service, *store, *gateway, *clock) {
	o := &payments.PayableOrder{ID: orderID, UserID: parent, TotalPaise: 7000, Currency: "INR", Status: "pending", PaymentStatus: "unpaid"}
	if mod != nil {
		mod(o)
	}
	st := &store{orders: map[string]*payments.PayableOrder{orderID: o}}
	gw := &gateway{}
	c := &clock{t: t0}
	return &payments.Service{Store: st, Gateway: gw, KeyID: keyID, Now: c.now}, st, gw, c
}

func TestCreateOrderValidatesTheOrderID(t *testing.T) {
	for _, id := range []string{"", "42", orderID + "; DROP TABLE orders", orderID[1:]} {
		svc, st, gw, _ := newService(nil)
		_, _, err := svc.CreateOrder(context.Background(), parent, payments.CreateRequest{OrderID: id})
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != "orderId" {
			t.Errorf("orderId %q: %v, want invalid orderId", id, err)
		}
		if st.lookups != 0 || len(gw.created) != 0 {
			t.Errorf("orderId %q: %d store calls, %d Razorpay orders, want none", id, st.lookups, len(gw.created))
		}
	}
}

func TestCreateOrderRefusesWhatCannotBePaid(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*payments.PayableOrder)
		user string
		want apperr.Code
	}{
		{"paid", func(o *payments.PayableOrder) { o.PaymentStatus = "paid" }, parent, apperr.Conflict},
		{"refunded", func(o *payments.PayableOrder) { o.PaymentStatus = "refunded" }, parent, apperr.Conflict},
		{"cancelled", func(o *payments.PayableOrder) { o.Status = "cancelled" }, parent, apperr.Conflict},
		{"nothing to pay", func(o *payments.PayableOrder) { o.TotalPaise = 0 }, parent, apperr.Conflict},
		{"another parent's order", nil, "0191e2a4-7b1c-7c3d-8e4f-000000000002", apperr.NotFound},
	} {
		svc, st, gw, _ := newService(tc.mod)
		_, _, err := svc.CreateOrder(context.Background(), tc.user, payments.CreateRequest{OrderID: orderID})
		if got := apperr.CodeOf(err); got != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
		if len(gw.created) != 0 || len(st.pos) != 0 {
			t.Errorf("%s: %d Razorpay orders, %d payment orders, want none", tc.name, len(gw.created), len(st.pos))
		}
	}
}

// TestCreateOrderReplaysUntilExpiry: a checkout reopened within
// CheckoutWindow gets the payment order it already has, without a second
// Razorpay order; once the window has passed it gets a fresh one, and the
// lapsed one is expired.
func TestCreateOrderReplaysUntilExpiry(t *testing.T) {
	ctx := context.Background()
	svc, st, gw, clock := newService(nil)
	first, created, err := svc.CreateOrder(ctx, parent, payments.CreateRequest{OrderID: orderID})
	if err != nil || !created {
		t.Fatalf("first checkout: created %v, %v", created, err)
	}
	want := payments.PaymentOrder{ID: first.ID, OrderID: orderID, RazorpayOrderID: "order_1", AmountPaise: 7000, Currency: "INR",
		Status: payments.POCreated, ExpiresAt: t0.Add(payments.CheckoutWindow), KeyID: keyID}
	if *first != want {
		t.Errorf("first checkout: %+v, want %+v", *first, want)
	}

	for _, tc := range []struct {
		name    string
		at      time.Time
		id      string
		created bool
		rzp     string
	}{
		{"reopened at once", t0, orderID, false, "order_1"},
		{"reopened with the id in upper case", t0.Add(time.Minute), strings.ToUpper(orderID), false, "order_1"},
		{"reopened a second before expiry", t0.Add(payments.CheckoutWindow - time.Second), orderID, false, "order_1"},
		{"reopened at expiry", t0.Add(payments.CheckoutWindow), orderID, true, "order_2"},
		{"reopened after the fresh one", t0.Add(payments.CheckoutWindow + time.Minute), orderID, false, "order_2"},
	} {
		clock.t = tc.at
		po, created, err := svc.CreateOrder(ctx, parent, payments.CreateRequest{OrderID: tc.id})
		if err != nil || created != tc.created || po.RazorpayOrderID != tc.rzp || po.KeyID != keyID {
			t.Errorf("%s: %+v created %v (%v), want %s created %v", tc.name, po, created, err, tc.rzp, tc.created)
		}
	}
	if len(gw.created) != 2 {
		t.Errorf("%d Razorpay orders, want 2", len(gw.created))
	}
	if st.pos[0].Status != payments.POExpired || st.pos[1].Status != payments.POCreated {
		t.Errorf("payment orders %s, %s; want expired, created", st.pos[0].Status, st.pos[1].Status)
	}
}

// TestCreateOrderChecksAgainUnderTheLock: between the unlocked look-up
// and the order's lock, another checkout or a capture may have changed
// the order; what is found under the lock decides.
func TestCreateOrderChecksAgainUnderTheLock(t *testing.T) {
	for _, tc := range []struct {
		name      string
		meanwhile func(*store)
		want      apperr.Code
		rzp       string
	}{
		{"another checkout opened one", func(s *store) {
			s.open(payments.PaymentOrder{OrderID: orderID, RazorpayOrderID: "order_other", AmountPaise: 7000, Currency: "INR",
				Status: payments.POCreated, ExpiresAt: t0.Add(time.Minute)})
		}, "", "order_other"},
		{"a capture paid it", func(s *store) {
			s.orders[orderID].PaymentStatus = "paid"
			s.open(payments.PaymentOrder{OrderID: orderID, RazorpayOrderID: "order_other", Status: payments.POPaid})
		}, apperr.Conflict, ""},
		{"a capture through a payment order paid it", func(s *store) {
			s.open(payments.PaymentOrder{OrderID: orderID, RazorpayOrderID: "order_other", Status: payments.POPaid})
		}, apperr.Conflict, ""},
		{"it was cancelled", func(s *store) { s.orders[orderID].Status = "cancelled" }, apperr.Conflict, ""},
	} {
		svc, st, gw, _ := newService(nil)
		st.beforeLock = func() { tc.meanwhile(st) }
		po, created, err := svc.CreateOrder(context.Background(), parent, payments.CreateRequest{OrderID: orderID})
		if got := apperr.CodeOf(err); got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if tc.rzp != "" && (po == nil || created || po.RazorpayOrderID != tc.rzp || po.KeyID != keyID) {
			t.Errorf("%s: %+v created %v, want the existing %s", tc.name, po, created, tc.rzp)
		}
		if len(gw.created) != 0 {
			t.Errorf("%s: %d Razorpay orders, want none", tc.name, len(gw.created))
		}
	}
}

// TestCreateOrderDistrustsTheGateway: a Razorpay order for another
// amount or currency than asked is never offered for checkout, and a
// failed call stores nothing.
func TestCreateOrderDistrustsTheGateway(t *testing.T) {
	for _, tc := range []struct {
		name string
		gw   gateway
		want apperr.Code
	}{
		{"another amount", gateway{answer: func(o *payments.GatewayOrder) { o.Amount = 700 }}, apperr.Internal},
		{"another currency", gateway{answer: func(o *payments.GatewayOrder) { o.Currency = "USD" }}, apperr.Internal},
		{"Razorpay down", gateway{fail: apperr.New(apperr.Unavailable, "down")}, apperr.Unavailable},
	} {
		svc, st, _, _ := newService(nil)
		svc.Gateway = &tc.gw
		po, _, err := svc.CreateOrder(context.Background(), parent, payments.CreateRequest{OrderID: orderID})
		if got := apperr.CodeOf(err); got != tc.want || po != nil {
			t.Errorf("%s: %+v, %v; want %s", tc.name, po, err, tc.want)
		}
		if len(st.pos) != 0 {
			t.Errorf("%s: %d payment orders stored, want none", tc.name, len(st.pos))
		}
	}
}

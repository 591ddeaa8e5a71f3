package razorpay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/razorpay"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
)

const secret = "test-webhook-secret"

var hook = &razorpay.Webhook{Secret: []byte(secret)}

// TestReadChecksTheSignatureFirst: only the hex HMAC-SHA256 of the exact
// body under the secret is accepted, and it is checked before the body
// is parsed, so an unsigned body is Unauthorized however it is formed.
func TestReadChecksTheSignatureFirst(t *testing.T) {
	body := razorpaytest.CapturedEvent("pay_1", "order_1", 7000)
	good := razorpaytest.Sign(body, secret)
	for _, tc := range []struct {
		name      string
		body      []byte
		signature string
		want      apperr.Code
	}{
		{"right", body, good, ""},
		{"right, in upper case", body, strings.ToUpper(good), ""},
		{"missing", body, "", apperr.Unauthorized},
		{"not hex", body, "zz", apperr.Unauthorized},
		{"another secret's", body, razorpaytest.Sign(body, "not-the-secret"), apperr.Unauthorized},
		{"another body's", body, razorpaytest.Sign([]byte(`{}`), secret), apperr.Unauthorized},
		{"cut short", body, good[:len(good)-2], apperr.Unauthorized},
		{"with a byte more", body, good + "00", apperr.Unauthorized},
		{"of the body with a space more", append([]byte(" "), body...), good, apperr.Unauthorized},
		{"unsigned malformed body", []byte(`{"event":`), "00", apperr.Unauthorized},
	} {
		_, err := hook.Read(tc.body, tc.signature)
		if got := apperr.CodeOf(err); got != tc.want {
			t.Errorf("%s signature: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestReadEvents: the events the platform acts on become the domain's
// events with every value it needs; others are read as no kind, whatever
// their payload.
func TestReadEvents(t *testing.T) {
	created := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	payment := func(event, status, createdAt string) []byte {
		return []byte(`{"entity":"event","event":"` + event + `","payload":{"payment":{"entity":{"id":"pay_1","entity":"payment",` +
			`"amount":7000,"currency":"INR","status":"` + status + `","order_id":"order_1","method":"upi","created_at":` + createdAt + `}}}}`)
	}
	captured := func(status string, at time.Time) payments.Captured {
		return payments.Captured{RazorpayPaymentID: "pay_1", RazorpayOrderID: "order_1", AmountPaise: 7000, Currency: "INR",
			Method: "upi", Status: status, PaidAt: at}
	}
	unix := "1772431200" // created
	for _, tc := range []struct {
		name string
		body []byte
		want payments.Event
	}{
		{"payment.captured", payment("payment.captured", "captured", unix),
			payments.Event{Kind: payments.CaptureEvent, Payment: captured("captured", created)}},
		{"order.paid", payment("order.paid", "captured", unix),
			payments.Event{Kind: payments.CaptureEvent, Payment: captured("captured", created)}},
		{"payment.failed", payment("payment.failed", "failed", unix),
			payments.Event{Kind: payments.FailureEvent, Payment: captured("failed", created)}},
		// Whether the payment is in the state its event names is the
		// domain's to judge.
		{"payment.captured of a failed payment", payment("payment.captured", "failed", unix),
			payments.Event{Kind: payments.CaptureEvent, Payment: captured("failed", created)}},
		{"payment without a time", payment("payment.captured", "captured", "0"),
			payments.Event{Kind: payments.CaptureEvent, Payment: captured("captured", time.Time{})}},
		{"payment with a time before 1970", payment("payment.captured", "captured", "-1"),
			payments.Event{Kind: payments.CaptureEvent, Payment: captured("captured", time.Time{})}},
		{"payment in the last second of 9999", payment("payment.captured", "captured", "253402300799"),
			payments.Event{Kind: payments.CaptureEvent, Payment: captured("captured", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC))}},
		{"refund.processed", razorpaytest.RefundEvent("rfnd_1", razorpaytest.Payment{ID: "pay_1", OrderID: "order_1", Amount: 7000}, 2000),
			payments.Event{Kind: payments.RefundEvent, Refund: payments.Refund{RazorpayRefundID: "rfnd_1", RazorpayPaymentID: "pay_1",
				RazorpayOrderID: "order_1", AmountPaise: 2000, Currency: "INR"}}},
		{"refund.created", []byte(`{"event":"refund.created","payload":{}}`), payments.Event{}},
		{"an event with no name", []byte(`{}`), payments.Event{}},
	} {
		got, err := hook.Read(tc.body, razorpaytest.Sign(tc.body, secret))
		if err != nil || !got.Payment.PaidAt.Equal(tc.want.Payment.PaidAt) {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
			continue
		}
		got.Payment.PaidAt = tc.want.Payment.PaidAt
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestReadMatchesTheStandIn: razorpaytest's bodies, which the real-server
// tests send, read as what they say.
func TestReadMatchesTheStandIn(t *testing.T) {
	body := razorpaytest.PaymentEvent("payment.captured", razorpaytest.Payment{ID: "pay_2", OrderID: "order_2", Amount: 100, Currency: "USD"})
	got, err := hook.Read(body, razorpaytest.Sign(body, secret))
	p := got.Payment
	if err != nil || got.Kind != payments.CaptureEvent || p.RazorpayPaymentID != "pay_2" || p.RazorpayOrderID != "order_2" ||
		p.AmountPaise != 100 || p.Currency != "USD" || p.Status != "captured" || p.PaidAt.IsZero() {
		t.Errorf("%+v, %v", got, err)
	}
}

// TestReadRefusesWhatItCannotRead: a signed event the platform acts on
// but whose payload lacks or garbles a value is Invalid, naming the
// payload's field, so that nothing the store cannot hold reaches it.
func TestReadRefusesWhatItCannotRead(t *testing.T) {
	entity := func(fields string) []byte {
		return []byte(`{"event":"payment.captured","payload":{"payment":{"entity":{` + fields + `}}}}`)
	}
	const ok = `"id":"pay_1","order_id":"order_1","amount":7000,"currency":"INR","status":"captured","method":"upi"`
	refund := func(refund, payment string) []byte {
		return []byte(`{"event":"refund.processed","payload":{"refund":{"entity":{` + refund + `}}` + payment + `}}`)
	}
	const okRefund = `"id":"rfnd_1","payment_id":"pay_1","amount":2000,"currency":"INR"`
	const refunded = `,"payment":{"entity":{"order_id":"order_1"}}`
	at := "payload.payment.entity."
	for _, tc := range []struct {
		name  string
		body  []byte
		field string
	}{
		{"not JSON", []byte(`{"event":"payment.captured",`), ""},
		{"a payment event without a payment", []byte(`{"event":"payment.captured","payload":{}}`), "payload.payment"},
		{"a null payment", []byte(`{"event":"payment.failed","payload":{"payment":null}}`), "payload.payment"},
		{"an amount that is not a number", entity(strings.Replace(ok, "7000", `"7000"`, 1)), ""},
		{"a fractional amount", entity(strings.Replace(ok, "7000", "70.5", 1)), ""},
		{"no payment id", entity(strings.Replace(ok, `"pay_1"`, `""`, 1)), at + "id"},
		{"a payment id with a NUL", entity(strings.Replace(ok, `"pay_1"`, `"pay_\u0000"`, 1)), at + "id"},
		{"a payment id of 65 characters", entity(strings.Replace(ok, `"pay_1"`, `"pay_`+strings.Repeat("x", 61)+`"`, 1)), at + "id"},
		{"no order id", entity(strings.Replace(ok, `"order_1"`, `""`, 1)), at + "order_id"},
		{"an order id with a control character", entity(strings.Replace(ok, `"order_1"`, `"order_\u0007"`, 1)), at + "order_id"},
		{"no amount", entity(strings.Replace(ok, `"amount":7000,`, "", 1)), at + "amount"},
		{"a null amount", entity(strings.Replace(ok, "7000", "null", 1)), at + "amount"},
		{"a negative amount", entity(strings.Replace(ok, "7000", "-1", 1)), at + "amount"},
		{"no currency", entity(strings.Replace(ok, `"INR"`, `""`, 1)), at + "currency"},
		{"a currency with a control character", entity(strings.Replace(ok, `"INR"`, `"IN\n"`, 1)), at + "currency"},
		{"a method with a NUL", entity(strings.Replace(ok, `"upi"`, `"\u0000"`, 1)), at + "method"},
		{"a status with a NUL", entity(strings.Replace(ok, `"captured"`, `"\u0000"`, 1)), at + "status"},
		{"a time in the year 10000", entity(ok + `,"created_at":253402300800`), at + "created_at"},
		{"a refund event without a refund", []byte(`{"event":"refund.processed","payload":{"payment":{"entity":{"order_id":"order_1"}}}}`), "payload.refund"},
		{"no refund id", refund(strings.Replace(okRefund, `"rfnd_1"`, `""`, 1), refunded), "payload.refund.entity.id"},
		{"no refunded payment id", refund(strings.Replace(okRefund, `"pay_1"`, `""`, 1), refunded), "payload.refund.entity.payment_id"},
		{"a refund of nothing", refund(strings.Replace(okRefund, "2000", "0", 1), refunded), "payload.refund.entity.amount"},
		{"a refund without an amount", refund(strings.Replace(okRefund, `"amount":2000,`, "", 1), refunded), "payload.refund.entity.amount"},
		{"a refund without a currency", refund(strings.Replace(okRefund, `"INR"`, `""`, 1), refunded), "payload.refund.entity.currency"},
		{"a refund without its payment", refund(okRefund, ""), "payload.payment"},
		{"a refund whose payment has no order", refund(okRefund, `,"payment":{"entity":{}}`), "payload.payment.entity.order_id"},
	} {
		got, err := hook.Read(tc.body, razorpaytest.Sign(tc.body, secret))
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("%s: %+v, %v; want invalid %q", tc.name, got, err, tc.field)
		}
	}
	// The bounds themselves are accepted.
	for name, b := range map[string][]byte{
		"a payment id of 64 characters": entity(strings.Replace(ok, `"pay_1"`, `"pay_`+strings.Repeat("x", 60)+`"`, 1)),
		"an amount of zero":             entity(strings.Replace(ok, "7000", "0", 1)),
		"a payment without a method":    entity(strings.Replace(ok, `"upi"`, `""`, 1)),
		"a refund of one paisa":         refund(strings.Replace(okRefund, "2000", "1", 1), refunded),
	} {
		if _, err := hook.Read(b, razorpaytest.Sign(b, secret)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

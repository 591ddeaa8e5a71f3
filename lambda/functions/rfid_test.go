package functions_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/routes"
)

func TestRFIDVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	staff := f.login("kitchen@test.example")
	orderID := f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-24*time.Hour))
	tap := func(token, body string) response {
		return f.call(routes.RFIDVerifyCard, request{method: "POST", token: token, body: body})
	}
	r := tap(staff, `{"cardNumber":"card0001","readerId":"gate-1"}`)
	if r.status != 200 || r.body["result"] != "verified" || r.body["orderId"] != orderID || r.body["studentName"] != "Sam Parent" {
		t.Fatalf("first tap: %d %s", r.status, r.raw)
	}
	second := tap(staff, `{"cardNumber":"CARD0001","readerId":"gate-2"}`)
	if second.status != 409 || !strings.Contains(second.errorMessage(), "already served") {
		t.Errorf("second tap: %d %s, want 409 already served", second.status, second.raw)
	}
	var reader string
	var verifiedBy *string
	if err := f.db.QueryRow(t.Context(), `SELECT reader_id, verified_by::text FROM meal_verifications WHERE order_id = $1`, orderID).
		Scan(&reader, &verifiedBy); err != nil || reader != "gate-1" || verifiedBy == nil || *verifiedBy != staffID {
		t.Errorf("verification row: reader %q, verified by %v, %v; want gate-1 by the caller %s", reader, verifiedBy, err, staffID)
	}
	if n := f.count(`SELECT count(*) FROM meal_verifications`); n != 1 {
		t.Errorf("%d verifications, want 1", n)
	}

	// The other student has only an unpaid order today.
	f.insertOrder(otherParentID, otherStudent, f.today, "pending", "unpaid", time.Now())
	for _, tc := range []struct {
		name, token, body string
		status            int
		mention           string
	}{
		{"parent", f.login("parent@test.example"), `{"cardNumber":"CARD0001"}`, 403, "only school staff"},
		{"unknown card", staff, `{"cardNumber":"NOPE42"}`, 404, "no active card"},
		{"expired card", staff, `{"cardNumber":"CARD0002"}`, 403, "expired"},
		{"no paid order", staff, `{"cardNumber":"CARD0003"}`, 404, "no paid meal order"},
		{"malformed", staff, `{"cardNumber":`, 400, "malformed JSON"},
		{"missing card", staff, `{"readerId":"x"}`, 400, "cardNumber is required"},
		{"wrong type", staff, `{"cardNumber":12345}`, 400, "field cardNumber must be a string"},
		{"bad card", staff, `{"cardNumber":"' OR 1=1 --"}`, 400, "letters or digits"},
		{"NUL in reader id", staff, `{"cardNumber":"CARD0001","readerId":"gate\u0000"}`, 400, "without control characters"},
	} {
		r := tap(tc.token, tc.body)
		if r.status != tc.status || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.status, r.raw, tc.status, tc.mention)
		}
	}
	if n := f.count(`SELECT count(*) FROM meal_verifications`); n != 1 {
		t.Errorf("refused taps wrote verifications: %d rows", n)
	}
}

// TestRFIDOtherSchoolsCardIsUnknown: a reader at one school learns
// nothing of another school's cards. The answer to a card registered at
// another school is the answer to a number no card has, byte for byte:
// the same number is tapped while it belongs to the other school, then
// after it was renumbered away.
func TestRFIDOtherSchoolsCardIsUnknown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.login("kitchen2@test.example")
	f.insertOrder(otherParentID, otherStudent, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
	tap := func() response {
		return f.call(routes.RFIDVerifyCard, request{method: "POST", token: other, body: `{"cardNumber":"` + otherCard + `"}`})
	}
	registered := tap()
	f.exec(`UPDATE rfid_cards SET card_number = 'RENUMBERED3' WHERE card_number = $1`, otherCard)
	unknown := tap()
	if unknown.status != 404 {
		t.Fatalf("unknown card: %d %s, want 404", unknown.status, unknown.raw)
	}
	if registered.status != unknown.status || registered.raw != unknown.raw || fmt.Sprint(registered.headers) != fmt.Sprint(unknown.headers) {
		t.Errorf("another school's card answers %d %v %s,\nan unknown card %d %v %s", registered.status, registered.headers, registered.raw,
			unknown.status, unknown.headers, unknown.raw)
	}
	if n := f.count(`SELECT count(*) FROM meal_verifications`); n != 0 {
		t.Errorf("%d verifications recorded for another school's card", n)
	}
}

package rfid_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/rfid"
)

const (
	school      = "0191e2a4-7b1c-7c3d-8e4f-000000000001"
	otherSchool = "0191e2a4-7b1c-7c3d-8e4f-000000000002"
	card        = "CARD0001"
)

// store is an in-memory rfid.Store: cards, the paid orders of each
// student by date, and the verifications recorded, one per order.
type store struct {
	cards map[string]cardRecord
	// orders maps student id and date (YYYY-MM-DD) to the paid order.
	orders map[string]string
	served map[string]time.Time
	// simultaneous, when set, makes the next tap lose to one that
	// recorded the order's verification in the same instant: it finds
	// the verification neither inserted nor there before it.
	simultaneous bool
	lookups      []rfid.Lookup
	// schoolVersion is the school's summary version a recorded meal raises.
	schoolVersion int64
}

// told lists the summary changes announced, as "school@version".
type told []string

func (t *told) Changed(_ context.Context, scope string, version int64) {
	*t = append(*t, fmt.Sprintf("%s@%d", scope, version))
}

type cardRecord struct {
	studentID, name, grade, school string
	expires                        time.Time
}

var _ rfid.Store = (*store)(nil)

func (s *store) Verify(_ context.Context, l rfid.Lookup) (*rfid.Outcome, error) {
	s.lookups = append(s.lookups, l)
	c, ok := s.cards[l.CardNumber]
	if !ok {
		return &rfid.Outcome{}, nil
	}
	out := &rfid.Outcome{CardFound: true, StudentID: c.studentID, StudentName: c.name, Grade: c.grade,
		Expired: !c.expires.IsZero() && !c.expires.After(l.At), OtherSchool: l.SchoolID != "" && c.school != l.SchoolID}
	if out.Expired || out.OtherSchool {
		return out, nil
	}
	out.OrderID = s.orders[c.studentID+"/"+l.Date.Format(time.DateOnly)]
	if out.OrderID == "" {
		return out, nil
	}
	if s.simultaneous {
		s.simultaneous = false
		s.served[out.OrderID] = l.At
		return out, nil
	}
	if at, ok := s.served[out.OrderID]; ok {
		out.ServedAt = at
		return out, nil
	}
	s.served[out.OrderID] = l.At
	s.schoolVersion++
	out.Recorded, out.ServedAt, out.SchoolID, out.SchoolVersion = true, l.At, c.school, s.schoolVersion
	return out, nil
}

// lunch is 12:35 on 2 March in India.
var lunch = time.Date(2026, 3, 2, 7, 5, 0, 0, time.UTC)

var staff = &auth.Claims{UserID: "u1", Role: auth.RoleKitchenStaff, SchoolID: school}

// newService returns a service over a store holding the card of a
// student of the school with a paid order for 2 March.
func newService(at time.Time) (*rfid.Service, *store) {
	st := &store{
		cards:  map[string]cardRecord{card: {studentID: "s1", name: "Asha Rao", grade: "4", school: school, expires: lunch.AddDate(1, 0, 0)}},
		orders: map[string]string{"s1/2026-03-02": "o1"},
		served: map[string]time.Time{},
	}
	return &rfid.Service{Store: st, Schools: &told{}, Now: func() time.Time { return at }}, st
}

// TestVerifyRetiresTheSchoolsSummaries: a recorded meal tells the
// school's summaries (package analytics) before the tap is answered; a
// second tap, which records nothing, tells nothing.
func TestVerifyRetiresTheSchoolsSummaries(t *testing.T) {
	svc, _ := newService(lunch)
	for range 2 {
		_, _ = svc.Verify(context.Background(), staff, rfid.Request{CardNumber: card})
	}
	if got := *svc.Schools.(*told); len(got) != 1 || got[0] != school+"@1" {
		t.Errorf("summaries told %v, want %s@1 once", got, school)
	}
}

func TestVerifyChecksTheCaller(t *testing.T) {
	for _, tc := range []struct {
		who    auth.Claims
		want   apperr.Code
		school string
	}{
		{auth.Claims{UserID: "u1", Role: auth.RoleKitchenStaff, SchoolID: school}, "", school},
		{auth.Claims{UserID: "u1", Role: auth.RoleSchoolAdmin, SchoolID: school}, "", school},
		{auth.Claims{UserID: "u1", Role: auth.RoleAdmin}, "", ""},
		{auth.Claims{Role: auth.RoleKitchenStaff}, apperr.Forbidden, ""},
		{auth.Claims{Role: auth.RoleSchoolAdmin}, apperr.Forbidden, ""},
		{auth.Claims{Role: auth.RoleParent, SchoolID: school}, apperr.Forbidden, ""},
		{auth.Claims{Role: auth.RoleStudent, SchoolID: school}, apperr.Forbidden, ""},
		{auth.Claims{Role: "janitor", SchoolID: school}, apperr.Forbidden, ""},
		{auth.Claims{Role: auth.RoleKitchenStaff, SchoolID: school}, apperr.Unauthorized, ""},
	} {
		svc, st := newService(lunch)
		_, err := svc.Verify(context.Background(), &tc.who, rfid.Request{CardNumber: card})
		if got := apperr.CodeOf(err); got != tc.want {
			t.Errorf("%s of %q: %v, want %q", tc.who.Role, tc.who.SchoolID, err, tc.want)
		}
		switch {
		case tc.want != "" && len(st.lookups) != 0:
			t.Errorf("%s of %q: store asked", tc.who.Role, tc.who.SchoolID)
		case tc.want == "" && (len(st.lookups) != 1 || st.lookups[0].SchoolID != tc.school || st.lookups[0].VerifiedBy != tc.who.UserID):
			t.Errorf("%s of %q: store asked %+v, want one look-up limited to %q, verified by %s", tc.who.Role, tc.who.SchoolID,
				st.lookups, tc.school, tc.who.UserID)
		}
	}
}

func TestVerifyValidatesTheTap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   rfid.Request
		field string
	}{
		{"no card", rfid.Request{}, "cardNumber"},
		{"a blank card", rfid.Request{CardNumber: "   "}, "cardNumber"},
		{"a card too long", rfid.Request{CardNumber: strings.Repeat("C", 33)}, "cardNumber"},
		{"a card with a dash", rfid.Request{CardNumber: "CARD-0001"}, "cardNumber"},
		{"a card in another script", rfid.Request{CardNumber: "CARD०००१"}, "cardNumber"},
		{"a reader id too long", rfid.Request{CardNumber: card, ReaderID: strings.Repeat("r", 65)}, "readerId"},
		{"a reader id with a NUL", rfid.Request{CardNumber: card, ReaderID: "gate\x00"}, "readerId"},
	} {
		svc, st := newService(lunch)
		_, err := svc.Verify(context.Background(), staff, tc.req)
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
		}
		if len(st.lookups) != 0 {
			t.Errorf("%s: store asked", tc.name)
		}
	}
	// The card is trimmed and compared in upper case; the limits pass.
	svc, st := newService(lunch)
	req := rfid.Request{CardNumber: " card0001 ", ReaderID: strings.Repeat("r", 64)}
	if _, err := svc.Verify(context.Background(), staff, req); err != nil || st.lookups[0].CardNumber != card {
		t.Errorf("%+v: %v, looked up %+v", req, err, st.lookups)
	}
}

// TestVerifyServesTodaysMealOnce: "today" is the date in India, and a
// student's paid meal for it is served once; a second tap says when it
// was, in Indian time.
func TestVerifyServesTodaysMealOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		want apperr.Code
	}{
		{"lunch", lunch, ""},
		{"00:05 in India, still 1 March in UTC", time.Date(2026, 3, 1, 18, 35, 0, 0, time.UTC), ""},
		{"23:55 on 1 March in India", time.Date(2026, 3, 1, 18, 25, 0, 0, time.UTC), apperr.NotFound},
		{"00:05 on 3 March in India", time.Date(2026, 3, 2, 18, 35, 0, 0, time.UTC), apperr.NotFound},
	} {
		svc, _ := newService(tc.at)
		v, err := svc.Verify(context.Background(), staff, rfid.Request{CardNumber: card})
		if got := apperr.CodeOf(err); got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if tc.want == "" && (v.Result != "verified" || v.OrderID != "o1" || v.StudentName != "Asha Rao" || !v.ServedAt.Equal(tc.at)) {
			t.Errorf("%s: %+v", tc.name, v)
		}
	}

	svc, _ := newService(lunch)
	if _, err := svc.Verify(context.Background(), staff, rfid.Request{CardNumber: card}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Verify(context.Background(), staff, rfid.Request{CardNumber: card})
	if e := apperr.As(err); e == nil || e.Code != apperr.Conflict || !strings.Contains(e.Message, "collected this meal at 12:35") {
		t.Errorf("second tap: %v, want a conflict saying 12:35", err)
	}
}

// TestVerifyRefuses maps what the store found to the answer.
func TestVerifyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*store)
		want apperr.Code
		says string
	}{
		{"an unknown card", func(s *store) { delete(s.cards, card) }, apperr.NotFound, "no active card"},
		{"another school's card", func(s *store) {
			c := s.cards[card]
			c.school = otherSchool
			s.cards[card] = c
		}, apperr.NotFound, "no active card with number " + card},
		{"a card expiring at the tap", func(s *store) {
			c := s.cards[card]
			c.expires = lunch
			s.cards[card] = c
		}, apperr.Forbidden, "expired"},
		{"no paid order today", func(s *store) { delete(s.orders, "s1/2026-03-02") }, apperr.NotFound, "no paid meal order for 2026-03-02"},
		{"a simultaneous tap", func(s *store) { s.simultaneous = true }, apperr.Conflict, "already served"},
	} {
		svc, st := newService(lunch)
		tc.mod(st)
		_, err := svc.Verify(context.Background(), staff, rfid.Request{CardNumber: card})
		if e := apperr.As(err); e == nil || e.Code != tc.want || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: %v, want %s saying %q", tc.name, err, tc.want, tc.says)
		}
	}
}

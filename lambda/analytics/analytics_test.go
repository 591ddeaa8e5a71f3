package analytics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/analytics"
	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/freshness"
)

const (
	school = "0191e2a4-7b1c-7c3d-8e4f-000000000001"
	other  = "0191e2a4-7b1c-7c3d-8e4f-000000000002"
)

// store is an in-memory analytics.Store with one figure per day.
type store struct {
	reads [][2]time.Time
	down  error
}

func (s *store) Daily(_ context.Context, _ string, from, to time.Time) ([]analytics.Day, error) {
	s.reads = append(s.reads, [2]time.Time{from, to})
	if s.down != nil {
		return nil, s.down
	}
	var out []analytics.Day
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, analytics.Day{Date: d.Format(time.DateOnly),
			Totals: analytics.Totals{Orders: 3, PaidOrders: 2, MealsCollected: 1, RevenuePaise: 9000}})
	}
	return out, nil
}

// cache is an in-memory freshness.Cache of summaries.
type cache struct {
	versions map[string]int64
	entries  map[string]analytics.Summary
	at       map[string]freshness.Version
	keys     []string
}

func (c *cache) Get(_ context.Context, scope, key string, dst *analytics.Summary) (freshness.Version, bool) {
	c.keys = append(c.keys, scope+"|"+key)
	v := freshness.Version(c.versions[scope])
	if s, ok := c.entries[scope+"|"+key]; ok && c.at[scope+"|"+key] >= v {
		*dst = s
		return v, true
	}
	return v, false
}

func (c *cache) Put(_ context.Context, scope, key string, v freshness.Version, s *analytics.Summary) {
	c.entries[scope+"|"+key], c.at[scope+"|"+key] = *s, v
}

func (c *cache) Changed(_ context.Context, scope string, v int64) {
	c.versions[scope] = max(c.versions[scope], v)
}

func newService() (*analytics.Service, *store, *cache) {
	st := &store{}
	c := &cache{versions: map[string]int64{}, entries: map[string]analytics.Summary{}, at: map[string]freshness.Version{}}
	return &analytics.Service{Store: st, Cache: c}, st, c
}

var staff = &auth.Claims{UserID: "u", Role: auth.RoleSchoolAdmin, SchoolID: school}

// TestDailyIsForTheSchoolsStaff: the school's administrators and
// kitchen staff may read its summary; nobody else, whatever their role.
func TestDailyIsForTheSchoolsStaff(t *testing.T) {
	for _, tc := range []struct {
		who  auth.Claims
		code apperr.Code
	}{
		{auth.Claims{Role: auth.RoleSchoolAdmin, SchoolID: school}, ""},
		{auth.Claims{Role: auth.RoleKitchenStaff, SchoolID: school}, ""},
		{auth.Claims{Role: auth.RoleSchoolAdmin, SchoolID: other}, apperr.Forbidden},
		{auth.Claims{Role: auth.RoleKitchenStaff, SchoolID: ""}, apperr.Forbidden},
		{auth.Claims{Role: auth.RoleAdmin}, apperr.Forbidden},
		{auth.Claims{Role: auth.RoleAdmin, SchoolID: school}, apperr.Forbidden},
		{auth.Claims{Role: auth.RoleParent}, apperr.Forbidden},
		{auth.Claims{Role: auth.RoleStudent, SchoolID: school}, apperr.Forbidden},
	} {
		svc, st, _ := newService()
		_, err := svc.Daily(context.Background(), &tc.who, school, "2026-03-02", "2026-03-03")
		if apperr.CodeOf(err) != tc.code {
			t.Errorf("%+v: %v, want %q", tc.who, err, tc.code)
		}
		if tc.code != "" && len(st.reads) != 0 {
			t.Errorf("%+v: the store was read", tc.who)
		}
	}
}

func TestDailyValidates(t *testing.T) {
	for _, tc := range []struct {
		school, from, to, field string
	}{
		{"school-1", "2026-03-02", "2026-03-02", "schoolId"},
		{school, "", "2026-03-02", "from"},
		{school, "2026-3-2", "2026-03-02", "from"},
		{school, "2026-03-02", "", "to"},
		{school, "2026-03-02", "2026-02-30", "to"},
		{school, "2026-03-02", "2026-03-01", "to"},
		{school, "2026-03-01", "2026-04-01", "to"}, // 32 days
		{school, "0001-01-01", "9999-12-31", "to"},
		{school, "9999-12-31", "0001-01-01", "to"},
	} {
		svc, st, _ := newService()
		_, err := svc.Daily(context.Background(), staff, tc.school, tc.from, tc.to)
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("%s %s..%s: %v, want invalid %s", tc.school, tc.from, tc.to, err, tc.field)
		}
		if len(st.reads) != 0 {
			t.Errorf("%s %s..%s: the store was read", tc.school, tc.from, tc.to)
		}
	}
}

// TestDailySummarises: the days as the store has them with their
// totals, cached under the school (lower case) and the range until the
// school's summaries change; a single day and MaxDays days are ranges.
func TestDailySummarises(t *testing.T) {
	ctx := context.Background()
	svc, st, c := newService()
	upper := &auth.Claims{Role: auth.RoleKitchenStaff, SchoolID: "0191E2A4-7B1C-7C3D-8E4F-000000000001"}
	s, err := svc.Daily(ctx, upper, "0191E2A4-7B1C-7C3D-8E4F-000000000001", "2026-03-01", "2026-03-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Days) != analytics.MaxDays || s.SchoolID != school || s.From != "2026-03-01" || s.To != "2026-03-31" ||
		s.Totals != (analytics.Totals{Orders: 93, PaidOrders: 62, MealsCollected: 31, RevenuePaise: 279000}) {
		t.Errorf("summary %+v", s)
	}
	if c.keys[0] != school+"|2026-03-01:2026-03-31" {
		t.Errorf("cache key %q", c.keys[0])
	}
	for range 2 {
		if _, err := svc.Daily(ctx, staff, school, "2026-03-01", "2026-03-31"); err != nil || len(st.reads) != 1 {
			t.Errorf("cached read: %v after %d store reads", err, len(st.reads))
		}
	}
	c.Changed(ctx, school, 1)
	if _, err := svc.Daily(ctx, staff, school, "2026-03-01", "2026-03-31"); err != nil || len(st.reads) != 2 {
		t.Errorf("read after a change: %v after %d store reads, want a fresh one", err, len(st.reads))
	}
	if s, err := svc.Daily(ctx, staff, school, "2026-03-05", "2026-03-05"); err != nil || len(s.Days) != 1 {
		t.Errorf("one day: %+v, %v", s, err)
	}
	st.down = apperr.New(apperr.Unavailable, "down")
	if _, err := svc.Daily(ctx, staff, school, "2026-03-06", "2026-03-06"); apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, st.down) {
		t.Errorf("store down: %v", err)
	}
}

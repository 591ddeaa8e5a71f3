package menus_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/menus"
)

const school = "0191e2a4-7b1c-7c3d-8e4f-000000000001"

// store is an in-memory menus.Store of published menus by school and
// date (YYYY-MM-DD); down, when set, fails every read.
type store struct {
	menus map[string]*menus.Menu
	down  error
	// reads lists the dates read.
	reads []time.Time
}

var _ menus.Store = (*store)(nil)

func (s *store) Daily(_ context.Context, schoolID string, date time.Time) (*menus.Menu, error) {
	s.reads = append(s.reads, date)
	if s.down != nil {
		return nil, s.down
	}
	m, ok := s.menus[schoolID+"/"+date.Format(time.DateOnly)]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no menu")
	}
	c := *m
	return &c, nil
}

// cache is an in-memory menus.Cache.
type cache struct {
	menus map[string]menus.Menu
	// asked counts the look-ups.
	asked int
}

var _ menus.Cache = (*cache)(nil)

func (c *cache) Menu(_ context.Context, schoolID, date string, dst *menus.Menu) bool {
	c.asked++
	m, ok := c.menus[schoolID+"/"+date]
	if ok {
		*dst = m
	}
	return ok
}

func (c *cache) StoreMenu(_ context.Context, m *menus.Menu) {
	c.menus[m.SchoolID+"/"+m.Date] = *m
}

func newService() (*menus.Service, *store, *cache) {
	st := &store{menus: map[string]*menus.Menu{school + "/2026-03-02": {SchoolID: school, SchoolName: "Sunrise", Date: "2026-03-02",
		Items: []menus.Item{{ID: "i1", Name: "Idli", PricePaise: 4500, Available: true}}}}}
	c := &cache{menus: map[string]menus.Menu{}}
	return &menus.Service{Store: st, Cache: c}, st, c
}

func TestDailyValidates(t *testing.T) {
	for _, tc := range []struct {
		school, date, field string
	}{
		{"", "2026-03-02", "schoolId"},
		{"sunrise", "2026-03-02", "schoolId"},
		{school + "/..", "2026-03-02", "schoolId"},
		{school, "", "date"},
		{school, "today", "date"},
		{school, "2026-3-2", "date"},
		{school, "2026-02-30", "date"},
		{school, "2026-13-01", "date"},
		{school, "2026-03-02T00:00:00Z", "date"},
	} {
		svc, st, c := newService()
		_, err := svc.Daily(context.Background(), tc.school, tc.date)
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("%q %q: %v, want invalid %s", tc.school, tc.date, err, tc.field)
		}
		if len(st.reads) != 0 || c.asked != 0 {
			t.Errorf("%q %q: store or cache asked", tc.school, tc.date)
		}
	}
}

// TestDailyIsCacheAside: a menu read from the store is cached and then
// served from the cache, whatever the case of the school id; what the
// store does not find is not cached.
func TestDailyIsCacheAside(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService()
	first, err := svc.Daily(ctx, school, "2026-03-02")
	if err != nil || first.SchoolName != "Sunrise" {
		t.Fatalf("%+v, %v", first, err)
	}
	if len(st.reads) != 1 || !st.reads[0].Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("store read %v, want 2026-03-02", st.reads)
	}
	again, err := svc.Daily(ctx, strings.ToUpper(school), "2026-03-02")
	if err != nil || !reflect.DeepEqual(again, first) || len(st.reads) != 1 {
		t.Errorf("second read: %+v, %v, %d store reads; want the cached menu", again, err, len(st.reads))
	}
	for range 2 {
		if _, err := svc.Daily(ctx, school, "2026-03-03"); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("no menu: %v, want not found", err)
		}
	}
	if len(st.reads) != 3 {
		t.Errorf("%d store reads, want a missing menu read each time", len(st.reads))
	}
}

func TestDailyKeepsTheStoresError(t *testing.T) {
	svc, st, c := newService()
	st.down = apperr.New(apperr.Unavailable, "database down")
	if _, err := svc.Daily(context.Background(), school, "2026-03-02"); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("%v, want unavailable", err)
	}
	if len(c.menus) != 0 {
		t.Error("a failed read was cached")
	}
}

// catalogues is an in-memory menus.CatalogueStore and CatalogueCache.
type catalogues struct {
	stored map[string]*menus.Catalogue
	cached map[string]menus.Catalogue
	reads  int
	down   error
}

func (c *catalogues) Catalogue(_ context.Context, schoolID string) (*menus.Catalogue, error) {
	c.reads++
	if c.down != nil {
		return nil, c.down
	}
	got, ok := c.stored[schoolID]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no school")
	}
	cp := *got
	return &cp, nil
}

// catalogueCache adapts catalogues' cache side to menus.CatalogueCache.
type catalogueCache struct{ c *catalogues }

func (k catalogueCache) Catalogue(_ context.Context, schoolID string, dst *menus.Catalogue) bool {
	got, ok := k.c.cached[schoolID]
	if ok {
		*dst = got
	}
	return ok
}

func (k catalogueCache) StoreCatalogue(_ context.Context, c *menus.Catalogue) {
	k.c.cached[c.SchoolID] = *c
}

// TestCatalogueIsCacheAside: a school's catalogue is read once and then
// served from the cache, whatever the case of its id; an invalid id
// reaches neither; what the store does not find, or fails to read, is
// not cached.
func TestCatalogueIsCacheAside(t *testing.T) {
	ctx := context.Background()
	c := &catalogues{stored: map[string]*menus.Catalogue{school: {SchoolID: school, SchoolName: "Sunrise",
		Items: []menus.Item{{ID: "i1", Name: "Idli"}}}}, cached: map[string]menus.Catalogue{}}
	svc := &menus.Catalogues{Store: c, Cache: catalogueCache{c}}
	for _, id := range []string{school, strings.ToUpper(school)} {
		got, err := svc.Get(ctx, id)
		if err != nil || got.SchoolName != "Sunrise" || len(got.Items) != 1 || c.reads != 1 {
			t.Errorf("%s: %+v, %v after %d reads", id, got, err, c.reads)
		}
	}
	if _, err := svc.Get(ctx, "sunrise"); apperr.As(err) == nil || apperr.As(err).Field != "schoolId" || c.reads != 1 {
		t.Errorf("invalid id: %v after %d reads", err, c.reads)
	}
	unknown := "0191e2a4-7b1c-7c3d-8e4f-0000000000ff"
	for range 2 {
		if _, err := svc.Get(ctx, unknown); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("unknown school: %v", err)
		}
	}
	c.down = apperr.New(apperr.Unavailable, "down")
	if _, err := svc.Get(ctx, unknown); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("store down: %v", err)
	}
	if c.reads != 4 || len(c.cached) != 1 {
		t.Errorf("%d reads, %d cached, want every miss read and only the found catalogue cached", c.reads, len(c.cached))
	}
}

package profiles_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/profiles"
)

const user = "0191e2a4-7b1c-7c3d-8e4f-000000000001"

// store is an in-memory profiles.Store with each user's profile version.
type store struct {
	profiles map[string]profiles.Profile
	versions map[string]int64
	reads    int
	updates  []profiles.Change
}

func (s *store) Profile(_ context.Context, id string) (*profiles.Profile, error) {
	s.reads++
	p, ok := s.profiles[id]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no user")
	}
	return &p, nil
}

func (s *store) Update(_ context.Context, id string, c profiles.Change) (int64, error) {
	p, ok := s.profiles[id]
	if !ok {
		return 0, apperr.New(apperr.NotFound, "no user")
	}
	s.updates = append(s.updates, c)
	if c.FirstName != nil {
		p.FirstName = *c.FirstName
	}
	if c.LastName != nil {
		p.LastName = *c.LastName
	}
	if c.Phone != nil {
		p.Phone = *c.Phone
	}
	s.profiles[id] = p
	s.versions[id]++
	return s.versions[id], nil
}

// cache is an in-memory freshness.Cache of profiles.
type cache struct {
	versions map[string]int64
	entries  map[string]profiles.Profile
	at       map[string]freshness.Version
}

func (c *cache) Get(_ context.Context, scope, key string, dst *profiles.Profile) (freshness.Version, bool) {
	v := freshness.Version(c.versions[scope])
	if p, ok := c.entries[scope+key]; ok && c.at[scope+key] >= v {
		*dst = p
		return v, true
	}
	return v, false
}

func (c *cache) Put(_ context.Context, scope, key string, v freshness.Version, p *profiles.Profile) {
	c.entries[scope+key], c.at[scope+key] = *p, v
}

func (c *cache) Changed(_ context.Context, scope string, v int64) {
	c.versions[scope] = max(c.versions[scope], v)
}

func newService() (*profiles.Service, *store) {
	st := &store{profiles: map[string]profiles.Profile{user: {ID: user, FirstName: "Pat", LastName: "Parent"}},
		versions: map[string]int64{}}
	c := &cache{versions: map[string]int64{}, entries: map[string]profiles.Profile{}, at: map[string]freshness.Version{}}
	return &profiles.Service{Store: st, Cache: c}, st
}

func ptr(s string) *string { return &s }

func TestUpdateValidates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     profiles.Change
		field string
	}{
		{"nothing", profiles.Change{}, ""},
		{"an empty first name", profiles.Change{FirstName: ptr("")}, "firstName"},
		{"a blank last name", profiles.Change{LastName: ptr(" \t ")}, "lastName"},
		{"a name too long", profiles.Change{FirstName: ptr(strings.Repeat("क", profiles.MaxNameLen+1))}, "firstName"},
		{"a control character", profiles.Change{LastName: ptr("Ra\no")}, "lastName"},
		{"invalid UTF-8", profiles.Change{FirstName: ptr("\xff")}, "firstName"},
		{"a short phone", profiles.Change{Phone: ptr("987654321")}, "phone"},
		{"a phone with spaces", profiles.Change{Phone: ptr("+91 9876543210")}, "phone"},
		{"a phone with letters", profiles.Change{Phone: ptr("+91987654321x")}, "phone"},
	} {
		svc, st := newService()
		_, err := svc.Update(context.Background(), user, tc.c)
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("%s: %v, want invalid %q", tc.name, err, tc.field)
		}
		if len(st.updates) != 0 {
			t.Errorf("%s: stored", tc.name)
		}
	}
}

// TestUpdateRetiresTheCachedProfile: an update trims names, stores the
// change, tells the cache, and answers the profile as it now is; the
// longest name and the longest phone pass, and "" removes the phone.
func TestUpdateRetiresTheCachedProfile(t *testing.T) {
	ctx := context.Background()
	svc, st := newService()
	if p, err := svc.Get(ctx, user); err != nil || p.FirstName != "Pat" || st.reads != 1 {
		t.Fatalf("first read: %+v, %v after %d reads", p, err, st.reads)
	}
	if _, err := svc.Get(ctx, user); err != nil || st.reads != 1 {
		t.Fatalf("second read went to the store (%d reads, %v)", st.reads, err)
	}
	long := strings.Repeat("क", profiles.MaxNameLen)
	p, err := svc.Update(ctx, user, profiles.Change{FirstName: ptr("  " + long + " "), Phone: ptr("+123456789012345")})
	if err != nil || p.FirstName != long || p.Phone != "+123456789012345" || p.LastName != "Parent" {
		t.Fatalf("update: %+v, %v", p, err)
	}
	if p, err := svc.Get(ctx, user); err != nil || p.FirstName != long || st.reads != 2 {
		t.Errorf("read after the update: %+v, %v after %d reads, want the new name from the update's own read", p, err, st.reads)
	}
	if p, _ := svc.Update(ctx, user, profiles.Change{Phone: ptr("")}); p.Phone != "" {
		t.Errorf("phone not removed: %+v", p)
	}
	if _, err := svc.Update(ctx, "0191e2a4-7b1c-7c3d-8e4f-0000000000ff", profiles.Change{FirstName: ptr("X")}); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown user: %v", err)
	}
}

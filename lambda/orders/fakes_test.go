package orders_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hasivu/infra/lambda/orders"
)

// store is an in-memory orders.Store: students, menus, placed orders with
// their idempotency keys, and each user's order-list version, with the
// tables' uniqueness of (user, idempotency key).
type store struct {
	students map[string]*orders.StudentRecord
	// menus are keyed by school id and date (YYYY-MM-DD).
	menus    map[string]*orders.MenuRecord
	placed   []placed
	versions map[string]int64
	// schoolVersions are the schools' summary versions Insert raises.
	schoolVersions map[string]int64
	// history is each user's order list, newest first, for ListByUser.
	history map[string][]orders.Order
	// beforeInsert, when set, runs once as Insert starts: where a
	// concurrent request with the same key would commit first.
	beforeInsert func()
	// calls lists the store's methods called, loads the dates Load was
	// asked for, lists the offsets and limits ListByUser was.
	calls []string
	loads []time.Time
	lists [][2]int
}

type placed struct {
	userID, key string
	hash        []byte
	order       orders.Order
}

var (
	_ orders.Store = (*store)(nil)
	_ orders.Tx    = (*tx)(nil)
)

func (s *store) ListByUser(_ context.Context, userID string, offset, limit int) ([]orders.Order, error) {
	s.calls = append(s.calls, "ListByUser")
	s.lists = append(s.lists, [2]int{offset, limit})
	h := s.history[userID]
	if offset >= len(h) {
		return nil, nil
	}
	return slices.Clone(h[offset:min(len(h), offset+limit)]), nil
}

func (s *store) CountByUser(_ context.Context, userID string) (int, error) {
	s.calls = append(s.calls, "CountByUser")
	return len(s.history[userID]), nil
}

func (s *store) ByIdempotencyKey(_ context.Context, userID, key string) (*orders.Order, []byte, error) {
	s.calls = append(s.calls, "ByIdempotencyKey")
	for _, p := range s.placed {
		if p.userID == userID && p.key == key {
			o := p.order
			return &o, p.hash, nil
		}
	}
	return nil, nil, nil
}

func (s *store) InTx(_ context.Context, fn func(orders.Tx) error) error {
	s.calls = append(s.calls, "InTx")
	t := &tx{s: s}
	if err := fn(t); err != nil {
		return err
	}
	for _, p := range t.pending {
		s.placed = append(s.placed, p)
		s.versions[p.userID]++
	}
	return nil
}

// tx holds a transaction's inserts until it commits.
type tx struct {
	s       *store
	pending []placed
}

func (t *tx) Load(_ context.Context, studentID, schoolID string, date time.Time) (*orders.StudentRecord, *orders.MenuRecord, error) {
	t.s.loads = append(t.s.loads, date)
	var st *orders.StudentRecord
	if r, ok := t.s.students[studentID]; ok {
		c := *r
		st = &c
	}
	return st, t.s.menus[schoolID+"/"+date.Format(time.DateOnly)], nil
}

func (t *tx) Insert(_ context.Context, o *orders.Order, userID, key string, hash []byte) (orders.Bumped, error) {
	if f := t.s.beforeInsert; f != nil {
		t.s.beforeInsert = nil
		f()
	}
	for _, p := range t.s.placed {
		if p.userID == userID && p.key == key {
			return orders.Bumped{}, nil
		}
	}
	o.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", len(t.s.placed)+1)
	o.CreatedAt = time.Date(2026, 3, 1, 19, 0, 0, 0, time.UTC)
	t.pending = append(t.pending, placed{userID: userID, key: key, hash: hash, order: *o})
	t.s.schoolVersions[o.SchoolID]++
	return orders.Bumped{List: t.s.versions[userID] + 1, School: t.s.schoolVersions[o.SchoolID]}, nil
}

// pageCache is an in-memory orders.PageCache: pages kept with the
// version they were read at, served only at or above the user's current
// version.
type pageCache struct {
	versions map[string]int64
	pages    map[string]cachedPage
	heads    map[string]cachedHead
	// changed lists the Changed calls as "user@version".
	changed []string
}

type cachedHead struct {
	version orders.Version
	head    orders.Head
}

type cachedPage struct {
	version orders.Version
	page    orders.Page
}

var _ orders.PageCache = (*pageCache)(nil)

func pageKey(userID string, page, limit int) string {
	return fmt.Sprintf("%s/%d/%d", userID, page, limit)
}

func (c *pageCache) Page(_ context.Context, userID string, page, limit int, dst *orders.Page) (orders.Version, bool) {
	v := orders.Version(c.versions[userID])
	if e, ok := c.pages[pageKey(userID, page, limit)]; ok && e.version >= v {
		*dst = e.page
		return v, true
	}
	return v, false
}

func (c *pageCache) StorePage(_ context.Context, userID string, v orders.Version, page, limit int, p *orders.Page) {
	if v != orders.NoVersion {
		c.pages[pageKey(userID, page, limit)] = cachedPage{v, *p}
	}
}

func (c *pageCache) Head(_ context.Context, userID string, offset, limit int, dst *orders.Head) (orders.Version, bool) {
	v := orders.Version(c.versions[userID])
	if e, ok := c.heads[userID]; ok && e.version >= v {
		dst.Total = e.head.Total
		dst.Orders = e.head.Orders[min(offset, len(e.head.Orders)):min(offset+limit, len(e.head.Orders))]
		return v, true
	}
	return v, false
}

func (c *pageCache) StoreHead(_ context.Context, userID string, v orders.Version, h *orders.Head) {
	if v != orders.NoVersion {
		c.heads[userID] = cachedHead{v, *h}
	}
}

func (c *pageCache) Changed(_ context.Context, userID string, version int64) {
	c.changed = append(c.changed, fmt.Sprintf("%s@%d", userID, version))
	c.versions[userID] = max(c.versions[userID], version)
}

// changes is an in-memory freshness.Changes: it lists what it was told,
// as "scope@version".
type changes struct{ told []string }

func (c *changes) Changed(_ context.Context, scope string, version int64) {
	c.told = append(c.told, fmt.Sprintf("%s@%d", scope, version))
}

package orders_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/orders"
)

const (
	parent  = "0191e2a4-7b1c-7c3d-8e4f-000000000001"
	student = "0191e2a4-7b1c-7c3d-8e4f-000000000002"
	school  = "0191e2a4-7b1c-7c3d-8e4f-000000000003"
	idli    = "0191e2a4-7b1c-7c3d-8e4f-00000000000a"
	lassi   = "0191e2a4-7b1c-7c3d-8e4f-00000000000b"
	thali   = "0191e2a4-7b1c-7c3d-8e4f-00000000000c"
	key     = "order-1"
)

// now is 00:30 on 2 March in India and still 1 March in UTC, so a rule
// that took "today" from UTC would let orders for 1 March through.
var now = time.Date(2026, 3, 1, 19, 0, 0, 0, time.UTC)

const today = "2026-03-02"

// newService returns an orders service over an in-memory store holding
// the parent's active student at an active school with a published menu
// for today: idli (45 rupees), lassi (20) and thali, which is sold out.
func newService() (*orders.Service, *store, *pageCache) {
	menu := &orders.MenuRecord{SchoolActive: true, Published: true, Items: map[string]orders.MenuItem{
		idli:  {Name: "Idli", Category: "breakfast", PricePaise: 4500, Available: true},
		lassi: {Name: "Lassi", Category: "beverage", PricePaise: 2000, Available: true},
		thali: {Name: "Thali", Category: "lunch", PricePaise: 9000, Available: false},
	}}
	st := &store{
		students: map[string]*orders.StudentRecord{student: {
			Student:  orders.Student{ID: student, FirstName: "Asha", LastName: "Rao", Grade: "4", Section: "B"},
			ParentID: parent, SchoolID: school, Active: true}},
		menus:          map[string]*orders.MenuRecord{school + "/" + today: menu, school + "/2026-04-01": menu},
		versions:       map[string]int64{},
		schoolVersions: map[string]int64{},
		history:        map[string][]orders.Order{},
	}
	c := &pageCache{versions: map[string]int64{}, pages: map[string]cachedPage{}, heads: map[string]cachedHead{}}
	return &orders.Service{Store: st, Cache: c, Schools: &changes{}, Now: func() time.Time { return now }}, st, c
}

func request() orders.NewOrder {
	return orders.NewOrder{StudentID: student, SchoolID: school, DeliveryDate: today,
		Items: []orders.NewItem{{MenuItemID: idli, Quantity: 2}, {MenuItemID: lassi, Quantity: 1}}}
}

func TestCreateValidatesTheRequest(t *testing.T) {
	many := make([]orders.NewItem, orders.MaxItems+1)
	for i := range many {
		many[i] = orders.NewItem{MenuItemID: fmt.Sprintf("0191e2a4-7b1c-7c3d-8e4f-%012d", i), Quantity: 1}
	}
	for _, tc := range []struct {
		name  string
		key   string
		mod   func(*orders.NewOrder)
		field string
	}{
		{"no key", "", nil, "Idempotency-Key"},
		{"a key too long", strings.Repeat("k", orders.MaxIdempotency+1), nil, "Idempotency-Key"},
		{"a key with a NUL", "order\x00", nil, "Idempotency-Key"},
		{"no student", key, func(r *orders.NewOrder) { r.StudentID = "" }, "studentId"},
		{"a student id that is no id", key, func(r *orders.NewOrder) { r.StudentID = "7" }, "studentId"},
		{"no school", key, func(r *orders.NewOrder) { r.SchoolID = "" }, "schoolId"},
		{"a school id that is no id", key, func(r *orders.NewOrder) { r.SchoolID = "school' OR 1=1" }, "schoolId"},
		{"no date", key, func(r *orders.NewOrder) { r.DeliveryDate = "" }, "deliveryDate"},
		{"a date that is no date", key, func(r *orders.NewOrder) { r.DeliveryDate = "2026-3-2" }, "deliveryDate"},
		{"yesterday in India, today in UTC", key, func(r *orders.NewOrder) { r.DeliveryDate = "2026-03-01" }, "deliveryDate"},
		{"more than 30 days ahead", key, func(r *orders.NewOrder) { r.DeliveryDate = "2026-04-02" }, "deliveryDate"},
		{"no items", key, func(r *orders.NewOrder) { r.Items = nil }, "items"},
		{"too many items", key, func(r *orders.NewOrder) { r.Items = many }, "items"},
		{"an item without an id", key, func(r *orders.NewOrder) { r.Items[1].MenuItemID = "" }, "items[1].menuItemId"},
		{"an item listed twice", key, func(r *orders.NewOrder) { r.Items[1].MenuItemID = strings.ToUpper(idli) }, "items[1].menuItemId"},
		{"a quantity of nothing", key, func(r *orders.NewOrder) { r.Items[0].Quantity = 0 }, "items[0].quantity"},
		{"a quantity too large", key, func(r *orders.NewOrder) { r.Items[1].Quantity = orders.MaxQuantity + 1 }, "items[1].quantity"},
	} {
		svc, st, _ := newService()
		req := request()
		if tc.mod != nil {
			tc.mod(&req)
		}
		_, _, err := svc.Create(context.Background(), parent, tc.key, req)
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
		}
		if len(st.calls) != 0 {
			t.Errorf("%s: store called (%v) for an invalid request", tc.name, st.calls)
		}
	}
	// The limits themselves are accepted.
	for _, tc := range []struct {
		name string
		key  string
		mod  func(*orders.NewOrder)
	}{
		{"a key of the longest length", strings.Repeat("k", orders.MaxIdempotency), func(*orders.NewOrder) {}},
		{"today in India", key, func(r *orders.NewOrder) { r.DeliveryDate = today }},
		{"30 days ahead", key, func(r *orders.NewOrder) { r.DeliveryDate = "2026-04-01" }},
		{"the largest quantity", key, func(r *orders.NewOrder) { r.Items[0].Quantity = orders.MaxQuantity }},
	} {
		svc, _, _ := newService()
		req := request()
		tc.mod(&req)
		if _, created, err := svc.Create(context.Background(), parent, tc.key, req); err != nil || !created {
			t.Errorf("%s: created %v, %v", tc.name, created, err)
		}
	}
}

// TestCreatePricesFromTheMenu: the order's prices and total come from the
// menu, ids are compared in lower case, and the user's cached pages learn
// of the new order before it is answered.
func TestCreatePricesFromTheMenu(t *testing.T) {
	svc, st, cache := newService()
	req := request()
	req.StudentID, req.SchoolID, req.Items[0].MenuItemID = strings.ToUpper(student), strings.ToUpper(school), strings.ToUpper(idli)
	o, created, err := svc.Create(context.Background(), parent, key, req)
	if err != nil || !created {
		t.Fatalf("created %v, %v", created, err)
	}
	want := &orders.Order{ID: o.ID, SchoolID: school, DeliveryDate: today, Status: "pending", PaymentStatus: "unpaid",
		Student:    orders.Student{ID: student, FirstName: "Asha", LastName: "Rao", Grade: "4", Section: "B"},
		TotalPaise: 2*4500 + 2000, Currency: "INR", CreatedAt: o.CreatedAt,
		Items: []orders.Item{
			{MenuItemID: idli, Name: "Idli", Category: "breakfast", Quantity: 2, UnitPricePaise: 4500},
			{MenuItemID: lassi, Name: "Lassi", Category: "beverage", Quantity: 1, UnitPricePaise: 2000},
		}}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("order\n%+v, want\n%+v", o, want)
	}
	if len(st.loads) != 1 || !st.loads[0].Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("menu loaded for %v, want 2026-03-02", st.loads)
	}
	if !reflect.DeepEqual(cache.changed, []string{parent + "@1"}) {
		t.Errorf("cache told %v, want %s@1", cache.changed, parent)
	}
	// The school's summaries learn of it too, before it is answered.
	if got := svc.Schools.(*changes).told; !reflect.DeepEqual(got, []string{school + "@1"}) {
		t.Errorf("school summaries told %v, want %s@1", got, school)
	}
}

// TestCreateRefusesWhatTheStoreContradicts: the student and the menu, as
// stored, decide whether the order may be placed; a refused order stores
// nothing and changes no cached page.
func TestCreateRefusesWhatTheStoreContradicts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*store, *orders.NewOrder)
		code  apperr.Code
		field string
	}{
		{"no such student", func(s *store, _ *orders.NewOrder) { delete(s.students, student) }, apperr.NotFound, ""},
		{"another parent's student", func(s *store, _ *orders.NewOrder) { s.students[student].ParentID = school }, apperr.NotFound, ""},
		{"an inactive student", func(s *store, _ *orders.NewOrder) { s.students[student].Active = false }, apperr.Conflict, ""},
		{"a student of another school", func(s *store, _ *orders.NewOrder) { s.students[student].SchoolID = idli }, apperr.Invalid, "schoolId"},
		{"no menu that day", func(s *store, _ *orders.NewOrder) { delete(s.menus, school+"/"+today) }, apperr.NotFound, ""},
		{"a draft menu", func(s *store, _ *orders.NewOrder) { s.menus[school+"/"+today].Published = false }, apperr.NotFound, ""},
		{"a school not taking orders", func(s *store, _ *orders.NewOrder) { s.menus[school+"/"+today].SchoolActive = false }, apperr.Conflict, ""},
		{"an item not on the menu", func(_ *store, r *orders.NewOrder) {
			r.Items[1].MenuItemID = "0191e2a4-7b1c-7c3d-8e4f-0000000000ff"
		}, apperr.Invalid, "items[1].menuItemId"},
		{"a sold-out item", func(_ *store, r *orders.NewOrder) { r.Items[1].MenuItemID = thali }, apperr.Conflict, ""},
	} {
		svc, st, cache := newService()
		req := request()
		tc.mod(st, &req)
		_, _, err := svc.Create(context.Background(), parent, key, req)
		if e := apperr.As(err); e == nil || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: %v, want %s %s", tc.name, err, tc.code, tc.field)
		}
		if len(st.placed) != 0 || len(cache.changed) != 0 {
			t.Errorf("%s: %d orders placed, cache told %v; want none", tc.name, len(st.placed), cache.changed)
		}
	}
}

// TestCreateReplaysItsKey: a request repeated with its idempotency key
// gets the order the first one placed, however its items are ordered or
// its ids cased, and places nothing; the key with another request is a
// conflict.
func TestCreateReplaysItsKey(t *testing.T) {
	ctx := context.Background()
	svc, st, cache := newService()
	first, _, err := svc.Create(ctx, parent, key, request())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*orders.NewOrder)
		code apperr.Code
	}{
		{"the same request", func(*orders.NewOrder) {}, ""},
		{"items in another order", func(r *orders.NewOrder) { r.Items[0], r.Items[1] = r.Items[1], r.Items[0] }, ""},
		{"ids in upper case", func(r *orders.NewOrder) {
			r.StudentID, r.Items[1].MenuItemID = strings.ToUpper(r.StudentID), strings.ToUpper(r.Items[1].MenuItemID)
		}, ""},
		{"another quantity", func(r *orders.NewOrder) { r.Items[0].Quantity = 3 }, apperr.Conflict},
		{"another date", func(r *orders.NewOrder) { r.DeliveryDate = "2026-04-01" }, apperr.Conflict},
	} {
		req := request()
		tc.mod(&req)
		o, created, err := svc.Create(ctx, parent, key, req)
		if apperr.CodeOf(err) != tc.code || created || (tc.code == "" && !reflect.DeepEqual(o, first)) {
			t.Errorf("%s: %+v created %v (%v), want the first order (%q)", tc.name, o, created, err, tc.code)
		}
	}
	if len(st.placed) != 1 || len(cache.changed) != 1 {
		t.Errorf("%d orders placed, cache told %v; want one of each", len(st.placed), cache.changed)
	}
	if _, created, err := svc.Create(ctx, parent, "order-2", request()); err != nil || !created {
		t.Errorf("another key: created %v, %v", created, err)
	}
}

// TestCreateLosesTheRaceForItsKey: when a concurrent request with the
// same key commits between the look-up and the insert, the loser answers
// with the winner's order (or a conflict if the winner's request was
// another), placing nothing itself.
func TestCreateLosesTheRaceForItsKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		winner func(*orders.NewOrder)
		code   apperr.Code
	}{
		{"the same request", func(*orders.NewOrder) {}, ""},
		{"another request", func(r *orders.NewOrder) { r.Items = r.Items[:1] }, apperr.Conflict},
	} {
		ctx := context.Background()
		svc, st, cache := newService()
		var won *orders.Order
		st.beforeInsert = func() {
			req := request()
			tc.winner(&req)
			var err error
			if won, _, err = svc.Create(ctx, parent, key, req); err != nil {
				t.Fatalf("%s: the winner: %v", tc.name, err)
			}
		}
		o, created, err := svc.Create(ctx, parent, key, request())
		if apperr.CodeOf(err) != tc.code || created || (tc.code == "" && !reflect.DeepEqual(o, won)) {
			t.Errorf("%s: %+v created %v (%v), want the winner's %+v (%q)", tc.name, o, created, err, won, tc.code)
		}
		if len(st.placed) != 1 || len(cache.changed) != 1 {
			t.Errorf("%s: %d orders placed, cache told %v; want the winner's only", tc.name, len(st.placed), cache.changed)
		}
	}
}

func TestListValidatesThePage(t *testing.T) {
	for _, tc := range []struct {
		page, limit int
		field       string
	}{
		{0, 20, "page"},
		{-1, 20, "page"},
		{orders.MaxPage + 1, 20, "page"},
		{1, 0, "limit"},
		{1, orders.MaxPageSize + 1, "limit"},
	} {
		svc, st, _ := newService()
		_, err := svc.List(context.Background(), parent, tc.page, tc.limit)
		if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Field != tc.field {
			t.Errorf("page %d limit %d: %v, want invalid %s", tc.page, tc.limit, err, tc.field)
		}
		if len(st.calls) != 0 {
			t.Errorf("page %d limit %d: store called", tc.page, tc.limit)
		}
	}
}

// TestListPages: a page says where it stands in the whole history (the
// plan's total, totalPages, hasNext, hasPrev), a page past the end is an
// empty list, not null; the pages within the head are cut from one read
// of it, which needs no count when the history is shorter, and a page
// beyond the head past the end costs the count only.
func TestListPages(t *testing.T) {
	svc, st, _ := newService()
	for i := range 5 {
		st.history[parent] = append(st.history[parent], orders.Order{ID: fmt.Sprint(i)})
	}
	for _, tc := range []struct {
		page, limit     int
		ids             []string
		pages           int
		hasNext, hasPre bool
		read            bool
	}{
		{1, 2, []string{"0", "1"}, 3, true, false, true},
		{2, 2, []string{"2", "3"}, 3, true, true, false},
		{3, 2, []string{"4"}, 3, false, true, false},
		{4, 2, []string{}, 3, false, true, false},
		{orders.HeadSize/2 + 1, 2, []string{}, 3, false, true, false},
		{1, 5, []string{"0", "1", "2", "3", "4"}, 1, false, false, false},
		{1, 6, []string{"0", "1", "2", "3", "4"}, 1, false, false, false},
	} {
		st.lists = nil
		p, err := svc.List(context.Background(), parent, tc.page, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, o := range p.Orders {
			ids = append(ids, o.ID)
		}
		if p.Orders == nil || !reflect.DeepEqual(ids, tc.ids) || p.Page != tc.page || p.Limit != tc.limit || p.Total != 5 ||
			p.TotalPages != tc.pages || p.HasNext != tc.hasNext || p.HasMore != tc.hasNext || p.HasPrev != tc.hasPre {
			t.Errorf("page %d limit %d: %+v, want %v of 5 in %d pages, next %v, previous %v", tc.page, tc.limit, p, tc.ids,
				tc.pages, tc.hasNext, tc.hasPre)
		}
		var want [][2]int
		if tc.read {
			want = [][2]int{{0, orders.HeadSize}}
		}
		if !reflect.DeepEqual(st.lists, want) {
			t.Errorf("page %d limit %d: store asked for %v, want %v", tc.page, tc.limit, st.lists, want)
		}
	}
	// No history: no pages, nothing before or after, one read of the head.
	st.calls = nil
	p, err := svc.List(context.Background(), "0191e2a4-7b1c-7c3d-8e4f-0000000000ff", 1, 20)
	if err != nil || p.Total != 0 || p.TotalPages != 0 || p.HasNext || p.HasPrev || p.Orders == nil || len(p.Orders) != 0 {
		t.Errorf("empty history: %+v (%v)", p, err)
	}
	if !reflect.DeepEqual(st.calls, []string{"ListByUser"}) {
		t.Errorf("empty history: store calls %v, want the head's read only", st.calls)
	}
	// A full head: the count as well.
	for i := range orders.HeadSize {
		st.history[parent] = append(st.history[parent], orders.Order{ID: fmt.Sprint(5 + i)})
	}
	st.versions[parent]++
	svc.Cache.Changed(context.Background(), parent, st.versions[parent])
	st.calls = nil
	if p, err := svc.List(context.Background(), parent, 2, 20); err != nil || p.Total != 5+orders.HeadSize || len(p.Orders) != 20 ||
		p.Orders[0].ID != "20" {
		t.Errorf("page 2 of a full head: %+v (%v)", p, err)
	}
	if !reflect.DeepEqual(st.calls, []string{"ListByUser", "CountByUser"}) {
		t.Errorf("full head: store calls %v, want the head's read and the count", st.calls)
	}
}

// TestListServesCachedPagesUntilAWrite: a page read once is served from
// the cache until an order placed by the user retires it.
func TestListServesCachedPagesUntilAWrite(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService()
	list := func() int {
		t.Helper()
		before := len(st.calls)
		if _, err := svc.List(ctx, parent, 1, 20); err != nil {
			t.Fatal(err)
		}
		return len(slices.DeleteFunc(slices.Clone(st.calls[before:]), func(c string) bool { return c != "ListByUser" }))
	}
	if n := list(); n != 1 {
		t.Errorf("first read: %d store reads, want 1", n)
	}
	if n := list(); n != 0 {
		t.Errorf("second read: %d store reads, want the cached page", n)
	}
	if _, _, err := svc.Create(ctx, parent, key, request()); err != nil {
		t.Fatal(err)
	}
	if n := list(); n != 1 {
		t.Errorf("read after an order: %d store reads, want 1", n)
	}
}

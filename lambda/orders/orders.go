// Package orders lists a parent's order history and places new orders
// against a school's daily menu. Amounts are computed here from the
// menu's prices, never taken from the client. The package knows nothing
// of HTTP, AWS, PostgreSQL or Redis: storage and caching are interfaces.
package orders

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/ids"
	"github.com/hasivu/infra/lambda/ist"
	"github.com/hasivu/infra/lambda/plaintext"
)

// Limits on a new order.
const (
	MaxItems        = 20
	MaxQuantity     = 10
	MaxDaysAhead    = 30
	MaxIdempotency  = 100
	DefaultPageSize = 20
	MaxPageSize     = 100
	MaxPage         = 10_000
	// HeadSize is how many of a user's newest orders are cached together,
	// as one entry: every page within them (the first three at the
	// default size, which is what parents look at) is cut from it, so a
	// user's pages share one database read and one entry, and the second
	// page hits once the first was read.
	HeadSize = 3 * DefaultPageSize
)

// Order is one order as clients see it.
type Order struct {
	ID            string    `json:"id"`
	SchoolID      string    `json:"schoolId"`
	Student       Student   `json:"student"`
	DeliveryDate  string    `json:"deliveryDate"`
	Status        string    `json:"status"`
	PaymentStatus string    `json:"paymentStatus"`
	TotalPaise    int64     `json:"totalPaise"`
	Currency      string    `json:"currency"`
	Items         []Item    `json:"items"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Student is the student an order is for.
type Student struct {
	ID        string `json:"id"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Grade     string `json:"grade"`
	Section   string `json:"section"`
}

// Item is one line of an order with the menu item's details.
type Item struct {
	MenuItemID     string `json:"menuItemId"`
	Name           string `json:"name"`
	Category       string `json:"category"`
	Quantity       int    `json:"quantity"`
	UnitPricePaise int64  `json:"unitPricePaise"`
}

// Page is one page of a user's order history, newest first, with where
// it stands in the whole history: the plan's pagination answer.
type Page struct {
	Orders []Order `json:"data"`
	Page   int     `json:"page"`
	Limit  int     `json:"limit"`
	// Total is the number of the user's orders, TotalPages the pages of
	// Limit they fill.
	Total      int  `json:"total"`
	TotalPages int  `json:"totalPages"`
	HasNext    bool `json:"hasNext"`
	HasPrev    bool `json:"hasPrev"`
	// HasMore is HasNext under the name the first release answered with,
	// kept for the clients built against it.
	HasMore bool `json:"hasMore"`
}

// Head is the newest orders of a user, up to HeadSize of them, with the
// count of all of them.
type Head struct {
	Orders []Order
	Total  int
}

// NewOrder is a request to place an order.
type NewOrder struct {
	StudentID    string    `json:"studentId"`
	SchoolID     string    `json:"schoolId"`
	DeliveryDate string    `json:"deliveryDate"`
	Items        []NewItem `json:"items"`
}

// NewItem is one requested line.
type NewItem struct {
	MenuItemID string `json:"menuItemId"`
	Quantity   int    `json:"quantity"`
}

// StudentRecord is what order placement needs to know about a student.
type StudentRecord struct {
	Student
	ParentID string
	SchoolID string
	Active   bool
}

// MenuRecord is a school's menu for a day, as order placement sees it.
type MenuRecord struct {
	SchoolActive bool
	// Published is false for a draft menu; Items is empty then.
	Published bool
	Items     map[string]MenuItem
}

// MenuItem is one item on a day's menu.
type MenuItem struct {
	Name       string
	Category   string
	PricePaise int64
	Available  bool
}

// Store keeps orders.
type Store interface {
	// ListByUser returns up to limit orders of the user, newest first,
	// skipping offset, each with its items and student. Errors:
	// Unavailable.
	ListByUser(ctx context.Context, userID string, offset, limit int) ([]Order, error)
	// CountByUser returns how many orders the user has. Errors:
	// Unavailable.
	CountByUser(ctx context.Context, userID string) (int, error)
	// ByIdempotencyKey returns the user's order placed with key and the
	// hash of its request, or a nil order. Errors: Unavailable.
	ByIdempotencyKey(ctx context.Context, userID, key string) (*Order, []byte, error)
	// InTx runs fn in one transaction, committed if fn returns nil and
	// rolled back otherwise. Errors: fn's, Unavailable.
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is the work order placement does in its transaction.
type Tx interface {
	// Load returns the student (nil if there is none with that id) and the
	// school's menu for the date (nil if the school has none, or the
	// school does not exist), in one round trip.
	Load(ctx context.Context, studentID, schoolID string, date time.Time) (*StudentRecord, *MenuRecord, error)
	// Insert stores o with its items, setting o.ID and o.CreatedAt, and
	// bumps the user's order-list version and the school's summary version
	// (package analytics), returning the new ones. It returns zero
	// versions without storing anything if the user already has an order
	// with the idempotency key.
	Insert(ctx context.Context, o *Order, userID, key string, requestHash []byte) (Bumped, error)
}

// Bumped are the versions a placed order raised (package freshness).
type Bumped struct {
	// List is the user's order-list version.
	List int64
	// School is the version of the school's summaries.
	School int64
}

// Version is the order-list version of a user a page was read at. Every
// write that changes what a user's list shows raises it, in the write's
// transaction; a page is served only at the version it was read at, so no
// page read before a write is served after it (package freshness).
type Version = freshness.Version

// NoVersion means the version could not be learnt: the page read next is
// not cached.
const NoVersion = freshness.Unknown

// PageCache caches order history per user and version: each user's head
// (Head) as one entry, and the pages beyond it one by one.
type PageCache interface {
	// Head loads into dst the orders from offset to offset+limit (which
	// is at most HeadSize) of the user's head cached at the user's current
	// order-list version, with its Total, and reports whether it did. On
	// a miss it returns the version to store the head under, as Page.
	Head(ctx context.Context, userID string, offset, limit int, dst *Head) (Version, bool)
	// StoreHead caches h, read after Head returned v.
	StoreHead(ctx context.Context, userID string, v Version, h *Head)
	// Page loads the page cached at the user's current order-list version
	// into dst and reports whether it did. On a miss it returns the
	// version to store the page under: learnt before the caller reads the
	// page from the store, so the page is at least that fresh.
	Page(ctx context.Context, userID string, page, limit int, dst *Page) (Version, bool)
	// StorePage caches p, read after Page returned v.
	StorePage(ctx context.Context, userID string, v Version, page, limit int, p *Page)
	// Changed tells the cache that a committed write moved the user's
	// list to version, before the write is answered.
	Changed(ctx context.Context, userID string, version int64)
}

// Service lists and places orders.
type Service struct {
	Store Store
	Cache PageCache
	// Schools hears that a placed order changed its school's summaries
	// (package analytics), by school id.
	Schools freshness.Changes
	// Now returns the current time; tests move it.
	Now func() time.Time
}

// List returns one page of the user's order history with the count of
// the whole of it, cached under the user's order-list version: a page
// within the newest HeadSize orders is cut from the user's cached head,
// read whole on a miss; a page beyond it is cached alone. page starts at
// 1; limit is 1 to MaxPageSize. A page past the end is empty and costs
// the count only. Errors: Invalid, Unavailable.
func (s *Service) List(ctx context.Context, userID string, page, limit int) (*Page, error) {
	if page < 1 || page > MaxPage {
		return nil, apperr.Field("page", "page must be between 1 and %d", MaxPage)
	}
	if limit < 1 || limit > MaxPageSize {
		return nil, apperr.Field("limit", "limit must be between 1 and %d", MaxPageSize)
	}
	offset := (page - 1) * limit
	if offset+limit <= HeadSize {
		var h Head
		v, hit := s.Cache.Head(ctx, userID, offset, limit, &h)
		if !hit {
			full, err := s.head(ctx, userID)
			if err != nil {
				return nil, err
			}
			s.Cache.StoreHead(ctx, userID, v, full)
			h = Head{Orders: full.Orders[min(offset, len(full.Orders)):min(offset+limit, len(full.Orders))], Total: full.Total}
		}
		return newPage(h.Orders, h.Total, page, limit), nil
	}
	var p Page
	v, hit := s.Cache.Page(ctx, userID, page, limit, &p)
	if hit {
		return &p, nil
	}
	total, err := s.Store.CountByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("count orders of user %s: %w", userID, err)
	}
	var list []Order
	if offset < total {
		if list, err = s.Store.ListByUser(ctx, userID, offset, limit); err != nil {
			return nil, fmt.Errorf("list orders of user %s: %w", userID, err)
		}
	}
	pp := newPage(list, total, page, limit)
	s.Cache.StorePage(ctx, userID, v, page, limit, pp)
	return pp, nil
}

// head reads the user's newest HeadSize orders, and counts them all only
// when there may be more.
func (s *Service) head(ctx context.Context, userID string) (*Head, error) {
	list, err := s.Store.ListByUser(ctx, userID, 0, HeadSize)
	if err != nil {
		return nil, fmt.Errorf("list orders of user %s: %w", userID, err)
	}
	h := &Head{Orders: list, Total: len(list)}
	if h.Orders == nil {
		h.Orders = []Order{}
	}
	if len(list) == HeadSize {
		if h.Total, err = s.Store.CountByUser(ctx, userID); err != nil {
			return nil, fmt.Errorf("count orders of user %s: %w", userID, err)
		}
	}
	return h, nil
}

// newPage is page of limit orders with where it stands among total.
func newPage(list []Order, total, page, limit int) *Page {
	if list == nil {
		list = []Order{}
	}
	p := &Page{Orders: list, Page: page, Limit: limit, Total: total, TotalPages: (total + limit - 1) / limit,
		HasNext: page*limit < total, HasPrev: page > 1}
	p.HasMore = p.HasNext
	return p
}

// Create places an order for the user, or returns the order an earlier
// request with the same idempotency key placed (created false). Errors:
// Invalid (malformed request, student of another school, item not on the
// menu, date out of range), NotFound (student, menu), Conflict (key
// reused for another request, item unavailable, inactive student or
// school), Unavailable.
func (s *Service) Create(ctx context.Context, userID, key string, req NewOrder) (*Order, bool, error) {
	date, err := s.validate(key, &req)
	if err != nil {
		return nil, false, err
	}
	hash := requestHash(req)
	if o, h, err := s.Store.ByIdempotencyKey(ctx, userID, key); err != nil {
		return nil, false, fmt.Errorf("look up idempotency key: %w", err)
	} else if o != nil {
		return replay(o, h, hash)
	}

	var placed *Order
	var version Bumped
	err = s.Store.InTx(ctx, func(tx Tx) error {
		st, menu, err := tx.Load(ctx, req.StudentID, req.SchoolID, date)
		if err != nil {
			return err
		}
		o, err := build(userID, req, st, menu)
		if err != nil {
			return err
		}
		if version, err = tx.Insert(ctx, o, userID, key, hash); err != nil {
			return err
		}
		placed = o
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if version.List == 0 {
		// A concurrent request with the same key won the race.
		o, h, err := s.Store.ByIdempotencyKey(ctx, userID, key)
		if err != nil {
			return nil, false, fmt.Errorf("look up idempotency key: %w", err)
		}
		if o == nil {
			return nil, false, fmt.Errorf("order with idempotency key %q vanished", key)
		}
		return replay(o, h, hash)
	}
	s.Cache.Changed(ctx, userID, version.List)
	if s.Schools != nil {
		s.Schools.Changed(ctx, placed.SchoolID, version.School)
	}
	return placed, true, nil
}

func replay(o *Order, stored, hash []byte) (*Order, bool, error) {
	if !slices.Equal(stored, hash) {
		return nil, false, apperr.New(apperr.Conflict, "Idempotency-Key was already used for a different order request")
	}
	return o, false, nil
}

func (s *Service) validate(key string, req *NewOrder) (time.Time, error) {
	switch {
	case key == "":
		return time.Time{}, apperr.Field("Idempotency-Key", "the Idempotency-Key header is required")
	case len(key) > MaxIdempotency:
		return time.Time{}, apperr.Field("Idempotency-Key", "Idempotency-Key is longer than %d characters", MaxIdempotency)
	case !plaintext.Valid(key):
		return time.Time{}, apperr.Field("Idempotency-Key", "Idempotency-Key must be text without control characters")
	case req.StudentID == "":
		return time.Time{}, apperr.Field("studentId", "studentId is required")
	case !ids.Valid(req.StudentID):
		return time.Time{}, apperr.Field("studentId", "studentId is not a valid id")
	case req.SchoolID == "":
		return time.Time{}, apperr.Field("schoolId", "schoolId is required")
	case !ids.Valid(req.SchoolID):
		return time.Time{}, apperr.Field("schoolId", "schoolId is not a valid id")
	case req.DeliveryDate == "":
		return time.Time{}, apperr.Field("deliveryDate", "deliveryDate is required")
	case len(req.Items) == 0:
		return time.Time{}, apperr.Field("items", "items must list at least one menu item")
	case len(req.Items) > MaxItems:
		return time.Time{}, apperr.Field("items", "items may list at most %d menu items", MaxItems)
	}
	req.StudentID, req.SchoolID = strings.ToLower(req.StudentID), strings.ToLower(req.SchoolID)
	date, err := time.Parse(time.DateOnly, req.DeliveryDate)
	if err != nil {
		return time.Time{}, apperr.Field("deliveryDate", "deliveryDate must be a date as YYYY-MM-DD")
	}
	today := ist.Today(s.Now())
	if date.Before(today) {
		return time.Time{}, apperr.Field("deliveryDate", "deliveryDate %s is in the past", req.DeliveryDate)
	}
	if date.After(today.AddDate(0, 0, MaxDaysAhead)) {
		return time.Time{}, apperr.Field("deliveryDate", "deliveryDate may be at most %d days ahead", MaxDaysAhead)
	}
	seen := map[string]bool{}
	for i := range req.Items {
		it := &req.Items[i]
		field := fmt.Sprintf("items[%d]", i)
		if !ids.Valid(it.MenuItemID) {
			return time.Time{}, apperr.Field(field+".menuItemId", "%s.menuItemId is missing or not a valid id", field)
		}
		it.MenuItemID = strings.ToLower(it.MenuItemID)
		if seen[it.MenuItemID] {
			return time.Time{}, apperr.Field(field+".menuItemId", "menu item %s is listed twice", it.MenuItemID)
		}
		seen[it.MenuItemID] = true
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return time.Time{}, apperr.Field(field+".quantity", "%s.quantity must be between 1 and %d", field, MaxQuantity)
		}
	}
	return date, nil
}

// build checks the request against the stored student and menu and prices
// the order.
func build(userID string, req NewOrder, st *StudentRecord, menu *MenuRecord) (*Order, error) {
	if st == nil || st.ParentID != userID {
		return nil, apperr.New(apperr.NotFound, "student %s not found", req.StudentID)
	}
	if !st.Active {
		return nil, apperr.New(apperr.Conflict, "student %s is not active", req.StudentID)
	}
	if st.SchoolID != req.SchoolID {
		return nil, apperr.Field("schoolId", "student %s does not attend school %s", req.StudentID, req.SchoolID)
	}
	if menu == nil || !menu.Published {
		return nil, apperr.New(apperr.NotFound, "school %s has no menu for %s", req.SchoolID, req.DeliveryDate)
	}
	if !menu.SchoolActive {
		return nil, apperr.New(apperr.Conflict, "school %s is not taking orders", req.SchoolID)
	}
	o := &Order{SchoolID: req.SchoolID, Student: st.Student, DeliveryDate: req.DeliveryDate,
		Status: "pending", PaymentStatus: "unpaid", Currency: "INR"}
	for i, it := range req.Items {
		mi, ok := menu.Items[it.MenuItemID]
		if !ok {
			return nil, apperr.Field(fmt.Sprintf("items[%d].menuItemId", i),
				"menu item %s is not on the menu for %s", it.MenuItemID, req.DeliveryDate)
		}
		if !mi.Available {
			return nil, apperr.New(apperr.Conflict, "menu item %s (%s) is not available", it.MenuItemID, mi.Name)
		}
		o.Items = append(o.Items, Item{MenuItemID: it.MenuItemID, Name: mi.Name, Category: mi.Category,
			Quantity: it.Quantity, UnitPricePaise: mi.PricePaise})
		o.TotalPaise += mi.PricePaise * int64(it.Quantity)
	}
	return o, nil
}

// requestHash fingerprints a validated request, items in a canonical
// order, so that a retry matches however the client ordered them.
func requestHash(req NewOrder) []byte {
	items := slices.Clone(req.Items)
	slices.SortFunc(items, func(a, b NewItem) int { return strings.Compare(a.MenuItemID, b.MenuItemID) })
	req.Items = items
	b, _ := json.Marshal(req)
	h := sha256.Sum256(b)
	return h[:]
}

package redis

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/hasivu/infra/lambda/menus"
	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/payments"
)

// ListVersions reads users' committed order-list versions, the authority
// behind Redis's copies.
type ListVersions interface {
	// OrderListVersion returns the user's order-list version, 0 if it was
	// never raised. Errors: Unavailable.
	OrderListVersion(ctx context.Context, userID string) (int64, error)
}

// OrderPages adapts the cache to orders.PageCache: a user's order
// history as Versioned entries of kind OrderList, scoped by the user's
// order-list version (order_list_versions in PostgreSQL, raised in every
// write's transaction). orders:{user}:v is the copy of the version,
// orders:{user}:head the user's head (orders.Head) and
// orders:{user}:p<page>:l<limit> a page beyond it, each with the version
// it was read at, kept the plan's five minutes.
type OrderPages struct {
	Cache    *Cache
	Versions ListVersions
}

var _ orders.PageCache = OrderPages{}

// listVersions adapts ListVersions to Versions.
type listVersions struct{ ListVersions }

func (l listVersions) Version(ctx context.Context, userID string) (int64, error) {
	return l.OrderListVersion(ctx, userID)
}

func (a OrderPages) entries() Versioned[orders.Page] {
	return Versioned[orders.Page]{Cache: a.Cache, Kind: OrderList, Versions: listVersions{a.Versions}}
}

func pageKey(page, limit int) string { return "p" + strconv.Itoa(page) + ":l" + strconv.Itoa(limit) }

// headEntry is a user's head as cached: each order encoded apart, so
// that a page of it is decoded without the rest.
type headEntry struct {
	Total  int               `json:"t"`
	Orders []json.RawMessage `json:"o"`
}

func (a OrderPages) heads() Versioned[headEntry] {
	return Versioned[headEntry]{Cache: a.Cache, Kind: OrderList, Versions: listVersions{a.Versions}}
}

// Head implements orders.PageCache.
func (a OrderPages) Head(ctx context.Context, userID string, offset, limit int, dst *orders.Head) (orders.Version, bool) {
	var e headEntry
	v, ok := a.heads().Get(ctx, userID, "head", &e)
	if !ok {
		return v, false
	}
	window := e.Orders[min(offset, len(e.Orders)):min(offset+limit, len(e.Orders))]
	dst.Total, dst.Orders = e.Total, make([]orders.Order, len(window))
	for i, raw := range window {
		if err := json.Unmarshal(raw, &dst.Orders[i]); err != nil {
			a.Cache.failed(ctx, OrderList, "decode", err)
			return v, false
		}
	}
	return v, true
}

// StoreHead implements orders.PageCache.
func (a OrderPages) StoreHead(ctx context.Context, userID string, v orders.Version, h *orders.Head) {
	e := headEntry{Total: h.Total, Orders: make([]json.RawMessage, len(h.Orders))}
	for i := range h.Orders {
		b, err := json.Marshal(&h.Orders[i])
		if err != nil {
			a.Cache.failed(ctx, OrderList, "encode", err)
			return
		}
		e.Orders[i] = b
	}
	a.heads().Put(ctx, userID, "head", v, &e)
}

// Page implements orders.PageCache.
func (a OrderPages) Page(ctx context.Context, userID string, page, limit int, dst *orders.Page) (orders.Version, bool) {
	return a.entries().Get(ctx, userID, pageKey(page, limit), dst)
}

// StorePage implements orders.PageCache.
func (a OrderPages) StorePage(ctx context.Context, userID string, v orders.Version, page, limit int, p *orders.Page) {
	a.entries().Put(ctx, userID, pageKey(page, limit), v, p)
}

// Changed implements orders.PageCache.
func (a OrderPages) Changed(ctx context.Context, userID string, version int64) {
	a.entries().Changed(ctx, userID, version)
}

// Menus adapts the cache to menus.Cache and menus.CatalogueCache, one key
// per school and date (menu:<schoolID>:<date>) and one per school's
// catalogue (menu-items:<schoolID>). Menus and menu items have no write
// path in this platform (the school's tools write them straight to the
// database), so an entry lives out its kind's TTL: the plan's two hours
// for a menu, thirty minutes for a catalogue.
type Menus struct{ Cache *Cache }

var (
	_ menus.Cache          = Menus{}
	_ menus.CatalogueCache = Menus{}
)

// Menu implements menus.Cache.
func (a Menus) Menu(ctx context.Context, schoolID, date string, dst *menus.Menu) bool {
	return a.Cache.Get(ctx, DailyMenu, schoolID+":"+date, dst)
}

// StoreMenu implements menus.Cache.
func (a Menus) StoreMenu(ctx context.Context, m *menus.Menu) {
	a.Cache.Set(ctx, DailyMenu, m.SchoolID+":"+m.Date, m)
}

// Catalogue implements menus.CatalogueCache.
func (a Menus) Catalogue(ctx context.Context, schoolID string, dst *menus.Catalogue) bool {
	return a.Cache.Get(ctx, MenuItems, schoolID, dst)
}

// StoreCatalogue implements menus.CatalogueCache.
func (a Menus) StoreCatalogue(ctx context.Context, c *menus.Catalogue) {
	a.Cache.Set(ctx, MenuItems, c.SchoolID, c)
}

// Methods adapts the cache to payments.MethodsCache, one key per
// Razorpay account (payment-methods:<keyID>): the methods are Razorpay's
// configuration of the account, which nothing in this platform changes,
// so an entry lives out the plan's thirty minutes.
type Methods struct{ Cache *Cache }

var _ payments.MethodsCache = Methods{}

// Methods implements payments.MethodsCache.
func (a Methods) Methods(ctx context.Context, keyID string, dst *payments.Methods) bool {
	return a.Cache.Get(ctx, PaymentMethods, keyID, dst)
}

// StoreMethods implements payments.MethodsCache.
func (a Methods) StoreMethods(ctx context.Context, keyID string, m *payments.Methods) {
	a.Cache.Set(ctx, PaymentMethods, keyID, m)
}

package cache

import (
	"context"
	"strconv"

	"github.com/hasivu/infra/lambda/menus"
	"github.com/hasivu/infra/lambda/orders"
)

// OrderPages adapts the cache to orders.PageCache. All cached pages of one
// user live in one hash, orders:<userID>, with a field per page and
// limit, so invalidating a user's history is one DEL of one known key.
type OrderPages struct{ Cache *Cache }

var _ orders.PageCache = OrderPages{}

func pageField(page, limit int) string {
	return "p" + strconv.Itoa(page) + ":l" + strconv.Itoa(limit)
}

// Page implements orders.PageCache.
func (a OrderPages) Page(ctx context.Context, userID string, page, limit int, dst *orders.Page) bool {
	return a.Cache.GetField(ctx, OrderList, userID, pageField(page, limit), dst)
}

// StorePage implements orders.PageCache.
func (a OrderPages) StorePage(ctx context.Context, userID string, page, limit int, p *orders.Page) {
	a.Cache.SetField(ctx, OrderList, userID, pageField(page, limit), p)
}

// Forget implements orders.PageCache.
func (a OrderPages) Forget(ctx context.Context, userID string) {
	_ = a.Cache.Delete(ctx, OrderList, userID)
}

// Menus adapts the cache to menus.Cache, one key per school and date:
// menu:<schoolID>:<date>.
type Menus struct{ Cache *Cache }

var _ menus.Cache = Menus{}

// Menu implements menus.Cache.
func (a Menus) Menu(ctx context.Context, schoolID, date string, dst *menus.Menu) bool {
	return a.Cache.Get(ctx, DailyMenu, schoolID+":"+date, dst)
}

// StoreMenu implements menus.Cache.
func (a Menus) StoreMenu(ctx context.Context, m *menus.Menu) {
	a.Cache.Set(ctx, DailyMenu, m.SchoolID+":"+m.Date, m)
}

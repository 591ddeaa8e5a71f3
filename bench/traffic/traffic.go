// Package traffic declares the school day's request mix once: the share of
// each API route's requests in each phase. The benchmark draws its load
// from it (bench/internal/mix) and the cost estimate prices Lambda and API
// Gateway requests by it (cost.RequestShares). It imports nothing.
package traffic

// Phase is a part of the school day with its own mix.
type Phase string

// The phases.
const (
	Normal Phase = "normal"
	Lunch  Phase = "lunch"
)

// The routes of the mix, by their routes.Route key.
const (
	MenuRoute       = "GET /schools/{schoolId}/menus/{date}"
	MenuItemsRoute  = "GET /schools/{schoolId}/menu-items"
	OrdersListRoute = "GET /orders"
	OrdersRoute     = "POST /orders"
	ProfileRoute    = "GET /me"
	ProfilePatch    = "PATCH /me"
	MethodsRoute    = "GET /payments/methods"
	PaymentRoute    = "POST /payments/orders"
	WebhookRoute    = "POST /payments/webhook"
	LoginRoute      = "POST /auth/login"
	TapRoute        = "POST /rfid/verify"
	AnalyticsRoute  = "GET /schools/{schoolId}/analytics"
)

// Weights are the share of each route's requests in each phase, in
// percent: each phase sums to 100. The
// normal mix is read-heavy (menus, order lists and profiles, which the
// cache serves; the payment methods at each checkout; a school
// administrator's analytics now and then); at lunch RFID taps dominate.
var Weights = map[Phase]map[string]float64{
	Normal: {
		MenuRoute:       30,
		OrdersListRoute: 20,
		TapRoute:        10,
		ProfileRoute:    8,
		OrdersRoute:     8,
		MenuItemsRoute:  5,
		PaymentRoute:    5,
		MethodsRoute:    4,
		WebhookRoute:    4,
		LoginRoute:      3,
		AnalyticsRoute:  2,
		ProfilePatch:    1,
	},
	Lunch: {
		TapRoute:        68,
		MenuRoute:       10,
		OrdersListRoute: 10,
		ProfileRoute:    2,
		MenuItemsRoute:  2,
		OrdersRoute:     2,
		PaymentRoute:    2,
		MethodsRoute:    1,
		WebhookRoute:    1,
		LoginRoute:      1,
		AnalyticsRoute:  1,
	},
}

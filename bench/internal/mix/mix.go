// Package mix generates the benchmark's request mix: what parents,
// kitchen staff and Razorpay send the API in the course of a school day.
//
// Popularity is skewed as in real traffic. Schools are drawn by their
// share of students, which the data generator makes Zipf-distributed
// (weight ∝ rank^-0.8), so a few big schools take most menu views (and
// their administrators most analytics views); parents' activity follows a
// Zipf law too (a few check their orders and profile often, most rarely).
// Two phases of the day differ in what is asked: the normal mix,
// dominated by menu views and order lists, and the lunchtime burst, when
// kitchen staff tap RFID cards as students collect their meals.
package mix

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hasivu/infra/bench/traffic"
	"github.com/hasivu/infra/lambda/routes"
)

// Phase, the phases, the routes and their weights are package traffic's,
// which the cost estimate reads too.
type Phase = traffic.Phase

// The phases.
const (
	Normal = traffic.Normal
	Lunch  = traffic.Lunch
)

// The routes of the mix, by their routes.Route key.
const (
	MenuRoute       = traffic.MenuRoute
	MenuItemsRoute  = traffic.MenuItemsRoute
	OrdersListRoute = traffic.OrdersListRoute
	OrdersRoute     = traffic.OrdersRoute
	ProfileRoute    = traffic.ProfileRoute
	ProfilePatch    = traffic.ProfilePatch
	MethodsRoute    = traffic.MethodsRoute
	PaymentRoute    = traffic.PaymentRoute
	WebhookRoute    = traffic.WebhookRoute
	LoginRoute      = traffic.LoginRoute
	TapRoute        = traffic.TapRoute
	AnalyticsRoute  = traffic.AnalyticsRoute
)

// Weights are the share of each route's requests in each phase.
var Weights = traffic.Weights

// Data is what the requests are made of, from the seed's manifest and
// the database.
type Data struct {
	// Today is the data set's (and the clock's) day in India.
	Today string
	// OrderDate is the next school day, for which parents place orders;
	// MenuItems lists each school's menu item ids on that day.
	OrderDate string
	MenuItems map[string][]string
	// ViewDates are the days with menus parents look at, today first,
	// then the next school day, then later ones.
	ViewDates []string
	Password  string
	Schools   []School
	Parents   []Parent
	// Staff maps a school id to the user id of its kitchen staff, Admins
	// to its administrator's.
	Staff, Admins map[string]string
	// Cards are RFID cards of students with a paid order today.
	Cards []Card
	// Unpaid are future orders awaiting payment.
	Unpaid []Order
}

// School is a school and its share of students.
type School struct {
	ID         string
	Popularity float64
}

// Parent is a parent account and its children.
type Parent struct {
	UserID, Email string
	Students      []Student
}

// Student is one child.
type Student struct{ ID, SchoolID string }

// Card is an RFID card and its school.
type Card struct{ Number, SchoolID string }

// Order is an order and its owner.
type Order struct{ ID, UserID string }

// Request is one HTTP request of the mix.
type Request struct {
	// Function is the handler-table name of the function that serves it,
	// Route the route it goes by ("METHOD /path").
	Function, Route string
	Method          string
	// Path is the request path (and query), e.g. /orders?page=2.
	Path   string
	Header http.Header
	Body   []byte
	// Expect lists the statuses of a correct answer; any other status
	// below 500 is a client fault (a bug in the harness or the data).
	Expect []int
	// Done, if set, is called with the response; chained requests (the
	// payment of a new order, Razorpay's webhook) come from it.
	Done func(status int, body []byte)
}

// Options tune the generator.
type Options struct {
	Seed uint64
	// ParentZipf is the Zipf exponent of parents' activity (default 1).
	ParentZipf float64
	// Sign returns a bearer token for the user.
	Sign func(userID, role, schoolID string) (string, error)
	// WebhookSecret signs Razorpay webhooks.
	WebhookSecret string
	// RetapShare is the share of RFID taps that repeat a recent card
	// (a student tapping twice), answered 409 (default 0.03).
	RetapShare float64
	// ReplayShare is the share of order creations that retry a recent
	// request with the same Idempotency-Key (default 0.03).
	ReplayShare float64
}

// Generator hands out requests. It is safe for concurrent use.
type Generator struct {
	mu      sync.Mutex
	rng     *rand.Rand
	d       Data
	opt     Options
	schools *Sampler
	parents *Sampler
	dates   *Sampler
	phases  map[Phase]*Sampler
	names   map[Phase][]string
	tokens  map[string]string

	nextCard int
	taps     []Card // recent taps, for re-taps
	nextKey  int
	created  []createReq // recent order creations, for replays
	toPay    []Order     // new orders whose parent pays next
	toHook   []hook      // payment orders Razorpay will report paid
	nextPay  int
}

type createReq struct {
	key, token string
	body       []byte
}

type hook struct {
	razorpayOrderID string
	amount          int64
}

// New returns a generator over d.
func New(d Data, opt Options) (*Generator, error) {
	switch {
	case len(d.Schools) == 0, len(d.Parents) == 0, len(d.ViewDates) == 0:
		return nil, fmt.Errorf("mix needs schools, parents and menu dates (have %d, %d, %d)",
			len(d.Schools), len(d.Parents), len(d.ViewDates))
	case opt.Sign == nil:
		return nil, fmt.Errorf("mix needs a token signer")
	}
	if opt.ParentZipf == 0 {
		opt.ParentZipf = 1
	}
	if opt.RetapShare == 0 {
		opt.RetapShare = 0.03
	}
	if opt.ReplayShare == 0 {
		opt.ReplayShare = 0.03
	}
	g := &Generator{rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0xbe4c4)), d: d, opt: opt,
		phases: map[Phase]*Sampler{}, names: map[Phase][]string{}, tokens: map[string]string{}}
	pop := make([]float64, len(d.Schools))
	for i, s := range d.Schools {
		pop[i] = s.Popularity
	}
	var err error
	if g.schools, err = NewSampler(pop); err != nil {
		return nil, fmt.Errorf("school popularity: %w", err)
	}
	if g.parents, err = NewSampler(ZipfWeights(len(d.Parents), opt.ParentZipf)); err != nil {
		return nil, err
	}
	if g.dates, err = NewSampler(DateWeights(len(d.ViewDates))); err != nil {
		return nil, err
	}
	for phase, w := range Weights {
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range w {
				if !yield(n) {
					return
				}
			}
		})
		ws := make([]float64, len(names))
		for i, n := range names {
			ws[i] = w[n]
		}
		if g.phases[phase], err = NewSampler(ws); err != nil {
			return nil, err
		}
		g.names[phase] = names
	}
	return g, nil
}

// DateWeights returns the weights of n menu dates: today 50 %, the next
// school day 35 %, the rest share 15 %.
func DateWeights(n int) []float64 {
	switch n {
	case 1:
		return []float64{1}
	case 2:
		return []float64{0.5, 0.5}
	}
	w := []float64{0.50, 0.35}
	for range n - 2 {
		w = append(w, 0.15/float64(n-2))
	}
	return w
}

// ZipfWeights returns the weights of ranks 1..n under a Zipf law with
// exponent s: weight ∝ 1/rank^s.
func ZipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}

// Sampler draws indexes with probability proportional to their weights.
type Sampler struct{ cum []float64 }

// NewSampler returns a sampler over weights (at least one positive, none
// negative).
func NewSampler(weights []float64) (*Sampler, error) {
	s := &Sampler{cum: make([]float64, len(weights))}
	var sum float64
	for i, w := range weights {
		if w < 0 || math.IsNaN(w) {
			return nil, fmt.Errorf("weight %d is %v", i, w)
		}
		sum += w
		s.cum[i] = sum
	}
	if sum <= 0 {
		return nil, fmt.Errorf("no positive weight among %d", len(weights))
	}
	for i := range s.cum {
		s.cum[i] /= sum
	}
	// Rounding must not leave the top short of 1: the last entries with
	// the final sum (the last positive weight and any zeros after it)
	// end exactly at 1.
	last := s.cum[len(s.cum)-1]
	for j := len(s.cum) - 1; j >= 0 && s.cum[j] == last; j-- {
		s.cum[j] = 1
	}
	return s, nil
}

// Draw returns an index. It draws x from (0, 1] and returns the first
// index whose cumulative weight reaches x, which is never one of weight
// zero.
func (s *Sampler) Draw(rng *rand.Rand) int {
	return sort.SearchFloat64s(s.cum, 1-rng.Float64())
}

// Pick draws the route of the next request of phase p.
func (g *Generator) Pick(p Phase) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pick(p)
}

func (g *Generator) pick(p Phase) string {
	return g.names[p][g.phases[p].Draw(g.rng)]
}

// School draws a school by popularity.
func (g *Generator) School() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.d.Schools[g.schools.Draw(g.rng)].ID
}

// Next returns the next request of phase p.
func (g *Generator) Next(p Phase) (Request, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	route := g.pick(p)
	switch route {
	case MenuRoute:
		return g.menu(), nil
	case MenuItemsRoute:
		return MenuItemsRequest(g.d.Schools[g.schools.Draw(g.rng)].ID), nil
	case OrdersListRoute:
		return g.ordersList()
	case OrdersRoute:
		return g.ordersCreate()
	case ProfileRoute, ProfilePatch:
		return g.profile(route == ProfilePatch)
	case MethodsRoute:
		return g.methods()
	case PaymentRoute:
		return g.paymentsCreate()
	case WebhookRoute:
		if len(g.toHook) == 0 {
			// Nothing awaits payment yet: the parent pays first.
			return g.paymentsCreate()
		}
		return g.webhook()
	case LoginRoute:
		return g.login()
	case TapRoute:
		return g.tap()
	case AnalyticsRoute:
		return g.analytics()
	}
	return Request{}, fmt.Errorf("mix names route %q, which it cannot build requests for", route)
}

// MenuItemsRequest is the menu item catalogue of school.
func MenuItemsRequest(school string) Request {
	return Request{Function: routes.MenusDaily, Route: MenuItemsRoute, Method: "GET", Path: "/schools/" + school + "/menu-items",
		Expect: []int{200}}
}

// profile is a parent reading their profile, or (patch) changing their
// phone number, which retires the cached profile.
func (g *Generator) profile(patch bool) (Request, error) {
	p := g.d.Parents[g.parents.Draw(g.rng)]
	t, err := g.token(p.UserID, "parent", "")
	if err != nil {
		return Request{}, err
	}
	if !patch {
		return ProfileRequest(t), nil
	}
	h := bearer(t)
	h.Set("Content-Type", "application/json")
	body := fmt.Appendf(nil, `{"phone":"+9197%08d"}`, g.rng.IntN(100_000_000))
	return Request{Function: routes.Profile, Route: ProfilePatch, Method: "PATCH", Path: "/me", Header: h, Body: body,
		Expect: []int{200}}, nil
}

// ProfileRequest is a signed-in user reading their profile.
func ProfileRequest(token string) Request {
	return Request{Function: routes.Profile, Route: ProfileRoute, Method: "GET", Path: "/me", Header: bearer(token),
		Expect: []int{200}}
}

// methods is a parent's checkout asking which payment methods it offers.
func (g *Generator) methods() (Request, error) {
	p := g.d.Parents[g.parents.Draw(g.rng)]
	t, err := g.token(p.UserID, "parent", "")
	if err != nil {
		return Request{}, err
	}
	return MethodsRequest(t), nil
}

// MethodsRequest is a checkout asking for the payment methods.
func MethodsRequest(token string) Request {
	return Request{Function: routes.PaymentsCreateOrder, Route: MethodsRoute, Method: "GET", Path: "/payments/methods",
		Header: bearer(token), Expect: []int{200}}
}

// analytics is a school administrator reading the school's summary: the
// week to today most often, otherwise today alone. Schools are drawn by
// popularity, as big schools' administrators look more often.
func (g *Generator) analytics() (Request, error) {
	school := g.d.Schools[g.schools.Draw(g.rng)].ID
	admin, ok := g.d.Admins[school]
	if !ok {
		return Request{}, fmt.Errorf("no administrator for school %s", school)
	}
	t, err := g.token(admin, "school_admin", school)
	if err != nil {
		return Request{}, err
	}
	from := g.d.Today
	if g.rng.Float64() < 0.7 {
		today, err := time.Parse(time.DateOnly, g.d.Today)
		if err != nil {
			return Request{}, fmt.Errorf("today %q: %w", g.d.Today, err)
		}
		from = today.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	return AnalyticsRequest(t, school, from, g.d.Today), nil
}

// AnalyticsRequest is a school's staff member reading its summary from
// from to to.
func AnalyticsRequest(token, school, from, to string) Request {
	return Request{Function: routes.AnalyticsDaily, Route: AnalyticsRoute, Method: "GET",
		Path: "/schools/" + school + "/analytics?from=" + from + "&to=" + to, Header: bearer(token), Expect: []int{200}}
}

// Menu returns a menu view (for the cache measurements).
func (g *Generator) Menu() Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.menu()
}

func (g *Generator) menu() Request {
	school := g.d.Schools[g.schools.Draw(g.rng)].ID
	date := g.d.ViewDates[g.dates.Draw(g.rng)]
	return MenuRequest(school, date)
}

// MenuRequest is the menu view of school on date.
func MenuRequest(school, date string) Request {
	return Request{Function: routes.MenusDaily, Route: MenuRoute, Method: "GET", Path: "/schools/" + school + "/menus/" + date,
		Expect: []int{200}}
}

func (g *Generator) token(userID, role, school string) (string, error) {
	if t, ok := g.tokens[userID]; ok {
		return t, nil
	}
	t, err := g.opt.Sign(userID, role, school)
	if err != nil {
		return "", err
	}
	g.tokens[userID] = t
	return t, nil
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func (g *Generator) ordersList() (Request, error) {
	p := g.d.Parents[g.parents.Draw(g.rng)]
	return g.ordersListFor(p.UserID, g.page())
}

// page draws a page of the order history: the first 85 %, the second
// 10 %, the third 5 %.
func (g *Generator) page() int {
	switch r := g.rng.Float64(); {
	case r < 0.85:
		return 1
	case r < 0.95:
		return 2
	}
	return 3
}

// OrdersListFor is the order history page of a parent.
func (g *Generator) OrdersListFor(userID string, page int) (Request, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ordersListFor(userID, page)
}

func (g *Generator) ordersListFor(userID string, page int) (Request, error) {
	t, err := g.token(userID, "parent", "")
	if err != nil {
		return Request{}, err
	}
	path := "/orders"
	if page > 1 {
		path = fmt.Sprintf("/orders?page=%d", page)
	}
	return Request{Function: routes.OrdersList, Route: OrdersListRoute, Method: "GET", Path: path, Header: bearer(t),
		Expect: []int{200}}, nil
}

// ParentUserIDs returns the parents in order of activity, most active
// first.
func (g *Generator) ParentUserIDs() []string {
	ids := make([]string, len(g.d.Parents))
	for i, p := range g.d.Parents {
		ids[i] = p.UserID
	}
	return ids
}

func (g *Generator) ordersCreate() (Request, error) {
	if len(g.created) > 0 && g.rng.Float64() < g.opt.ReplayShare {
		c := g.created[g.rng.IntN(len(g.created))]
		return createRequest(c, []int{200}), nil
	}
	// Any parent orders, not only the active ones.
	var p Parent
	var st Student
	for range 20 {
		p = g.d.Parents[g.rng.IntN(len(g.d.Parents))]
		if len(p.Students) > 0 && len(g.d.MenuItems[p.Students[0].SchoolID]) > 0 {
			st = p.Students[g.rng.IntN(len(p.Students))]
			if len(g.d.MenuItems[st.SchoolID]) > 0 {
				break
			}
		}
	}
	items := g.d.MenuItems[st.SchoolID]
	if len(items) == 0 {
		return Request{}, fmt.Errorf("no menu items for %s at the sampled parents' schools", g.d.OrderDate)
	}
	n := 1 + g.rng.IntN(min(2, len(items)))
	var chosen []string
	for _, k := range g.rng.Perm(len(items))[:n] {
		chosen = append(chosen, items[k])
	}
	t, err := g.token(p.UserID, "parent", "")
	if err != nil {
		return Request{}, err
	}
	g.nextKey++
	c := createReq{key: fmt.Sprintf("bench-%d-%d", g.opt.Seed, g.nextKey), token: t,
		body: orderBody(st, g.d.OrderDate, chosen)}
	g.created = append(g.created, c)
	if len(g.created) > 64 {
		g.created = g.created[1:]
	}
	r := createRequest(c, []int{201, 200})
	r.Done = func(status int, resp []byte) {
		if status != 201 {
			return
		}
		var o struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(resp, &o) == nil && o.ID != "" {
			g.mu.Lock()
			// The parent pays for it next (at most a few waiting).
			if len(g.toPay) < 256 {
				g.toPay = append(g.toPay, Order{ID: o.ID, UserID: p.UserID})
			}
			g.mu.Unlock()
		}
	}
	return r, nil
}

// orderBody is the body of an order of one of each item.
func orderBody(st Student, date string, items []string) []byte {
	type item struct {
		MenuItemID string `json:"menuItemId"`
		Quantity   int    `json:"quantity"`
	}
	var list []item
	for _, id := range items {
		list = append(list, item{MenuItemID: id, Quantity: 1})
	}
	body, _ := json.Marshal(map[string]any{"studentId": st.ID, "schoolId": st.SchoolID, "deliveryDate": date, "items": list})
	return body
}

// CreateOrderRequest is a parent ordering one of each item for a student
// on date.
func CreateOrderRequest(token, key string, st Student, date string, items []string) Request {
	return createRequest(createReq{key: key, token: token, body: orderBody(st, date, items)}, []int{201})
}

func createRequest(c createReq, expect []int) Request {
	h := bearer(c.token)
	h.Set("Idempotency-Key", c.key)
	h.Set("Content-Type", "application/json")
	return Request{Function: routes.OrdersCreate, Route: OrdersRoute, Method: "POST", Path: "/orders", Header: h, Body: c.body,
		Expect: expect}
}

func (g *Generator) paymentsCreate() (Request, error) {
	var o Order
	switch {
	case len(g.toPay) > 0:
		o, g.toPay = g.toPay[0], g.toPay[1:]
	case len(g.d.Unpaid) > 0:
		o = g.d.Unpaid[g.nextPay%len(g.d.Unpaid)]
		g.nextPay++
	default:
		return Request{}, fmt.Errorf("no unpaid orders to pay")
	}
	t, err := g.token(o.UserID, "parent", "")
	if err != nil {
		return Request{}, err
	}
	r := PaymentRequest(t, o.ID)
	// 409: the order was paid meanwhile (a webhook earlier in the run).
	r.Expect = []int{201, 200, 409}
	r.Done = func(status int, resp []byte) {
		if status != 201 {
			return
		}
		if id, amount, ok := PaymentOrderOf(resp); ok {
			g.mu.Lock()
			if len(g.toHook) < 256 {
				g.toHook = append(g.toHook, hook{id, amount})
			}
			g.mu.Unlock()
		}
	}
	return r, nil
}

// PaymentRequest is a parent starting the payment of an order.
func PaymentRequest(token, orderID string) Request {
	body, _ := json.Marshal(map[string]string{"orderId": orderID})
	h := bearer(token)
	h.Set("Content-Type", "application/json")
	return Request{Function: routes.PaymentsCreateOrder, Route: PaymentRoute, Method: "POST", Path: "/payments/orders", Header: h,
		Body: body, Expect: []int{201, 200}}
}

// PaymentOrderOf reads the Razorpay order id and amount of a
// payments-create-order answer.
func PaymentOrderOf(body []byte) (string, int64, bool) {
	var po struct {
		RazorpayOrderID string `json:"razorpayOrderId"`
		AmountPaise     int64  `json:"amountPaise"`
	}
	if json.Unmarshal(body, &po) != nil || po.RazorpayOrderID == "" {
		return "", 0, false
	}
	return po.RazorpayOrderID, po.AmountPaise, true
}

func (g *Generator) webhook() (Request, error) {
	h := g.toHook[0]
	g.toHook = g.toHook[1:]
	g.nextKey++
	return WebhookRequest(g.opt.WebhookSecret, fmt.Sprintf("pay_bench%d%08d", g.opt.Seed, g.nextKey),
		h.razorpayOrderID, h.amount, time.Now())
}

// WebhookRequest is Razorpay reporting a captured payment, signed with
// the webhook secret.
func WebhookRequest(secret, paymentID, razorpayOrderID string, amount int64, at time.Time) (Request, error) {
	body, err := json.Marshal(map[string]any{"event": "payment.captured", "payload": map[string]any{
		"payment": map[string]any{"entity": map[string]any{"id": paymentID, "order_id": razorpayOrderID,
			"amount": amount, "currency": "INR", "status": "captured", "method": "upi", "created_at": at.Unix()}}}})
	if err != nil {
		return Request{}, err
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return Request{Function: routes.PaymentsWebhook, Route: WebhookRoute, Method: "POST", Path: "/payments/webhook",
		Header: http.Header{"X-Razorpay-Signature": {hex.EncodeToString(mac.Sum(nil))}, "Content-Type": {"application/json"}},
		Body:   body, Expect: []int{200}}, nil
}

func (g *Generator) login() (Request, error) {
	p := g.d.Parents[g.rng.IntN(len(g.d.Parents))]
	return LoginRequest(p.Email, g.d.Password), nil
}

// LoginRequest is a sign-in.
func LoginRequest(email, password string) Request {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return Request{Function: routes.AuthLogin, Route: LoginRoute, Method: "POST", Path: "/auth/login",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: body, Expect: []int{200}}
}

func (g *Generator) tap() (Request, error) {
	var c Card
	expect := []int{200, 409}
	switch {
	case len(g.taps) > 0 && g.rng.Float64() < g.opt.RetapShare:
		// A second tap: 409, or 200 when it overtakes the first one in
		// flight (which then gets the 409).
		c = g.taps[g.rng.IntN(len(g.taps))]
	case len(g.d.Cards) > 0:
		// Each card once; past the end, every tap is a repeat (409).
		c = g.d.Cards[g.nextCard%len(g.d.Cards)]
		if g.nextCard >= len(g.d.Cards) {
			expect = []int{409}
		}
		g.nextCard++
		g.taps = append(g.taps, c)
		if len(g.taps) > 64 {
			g.taps = g.taps[1:]
		}
	default:
		return Request{}, fmt.Errorf("no RFID cards to tap")
	}
	staff, ok := g.d.Staff[c.SchoolID]
	if !ok {
		return Request{}, fmt.Errorf("no kitchen staff for school %s", c.SchoolID)
	}
	t, err := g.token(staff, "kitchen_staff", c.SchoolID)
	if err != nil {
		return Request{}, err
	}
	r := TapRequest(t, c.Number)
	r.Expect = expect
	return r, nil
}

// TapRequest is a kitchen staff member's reader verifying a card.
func TapRequest(token, card string) Request {
	body, _ := json.Marshal(map[string]string{"cardNumber": card, "readerId": "bench-reader"})
	h := bearer(token)
	h.Set("Content-Type", "application/json")
	return Request{Function: routes.RFIDVerifyCard, Route: TapRoute, Method: "POST", Path: "/rfid/verify", Header: h, Body: body,
		Expect: []int{200}}
}

// CardsUsed reports how many distinct cards were tapped.
func (g *Generator) CardsUsed() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return min(g.nextCard, len(g.d.Cards))
}

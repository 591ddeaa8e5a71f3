package mix

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/razorpay"
	"github.com/hasivu/infra/lambda/routes"
)

func testData() Data {
	d := Data{Today: "2026-11-27", OrderDate: "2026-11-28", Password: "pw",
		ViewDates: []string{"2026-11-27", "2026-11-28", "2026-11-30", "2026-12-01"},
		MenuItems: map[string][]string{}, Staff: map[string]string{}, Admins: map[string]string{}}
	w := ZipfWeights(50, 0.8)
	for i := range 50 {
		id := fmt.Sprintf("00000000-0000-7000-8000-%012d", i)
		d.Schools = append(d.Schools, School{ID: id, Popularity: w[i]})
		d.Staff[id] = fmt.Sprintf("00000000-0000-7000-9000-%012d", i)
		d.Admins[id] = fmt.Sprintf("00000000-0000-7000-9100-%012d", i)
		d.MenuItems[id] = []string{"00000000-0000-7000-a000-000000000001", "00000000-0000-7000-a000-000000000002",
			"00000000-0000-7000-a000-000000000003"}
	}
	for i := range 500 {
		school := d.Schools[i%50].ID
		d.Parents = append(d.Parents, Parent{UserID: fmt.Sprintf("00000000-0000-7000-b000-%012d", i),
			Email: fmt.Sprintf("parent%d@example.test", i), Students: []Student{{ID: fmt.Sprintf("00000000-0000-7000-c000-%012d", i), SchoolID: school}}})
		d.Cards = append(d.Cards, Card{Number: fmt.Sprintf("RF%010d", i), SchoolID: school})
		d.Unpaid = append(d.Unpaid, Order{ID: fmt.Sprintf("00000000-0000-7000-d000-%012d", i), UserID: d.Parents[i].UserID})
	}
	return d
}

func newGen(t *testing.T, seed uint64) (*Generator, *auth.Tokens) {
	t.Helper()
	pem, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.ParseSigningKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(auth.Issuer("bench"), auth.StaticKeys{Key: key})
	g, err := New(testData(), Options{Seed: seed, WebhookSecret: "hook-secret",
		Sign: func(user, role, school string) (string, error) {
			tok, _, err := tokens.Sign(context.Background(), auth.Claims{UserID: user, Role: role, SchoolID: school})
			return tok, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	return g, tokens
}

// TestPhaseShares: over many draws each function's share of the
// requests is its weight, in both phases.
func TestPhaseShares(t *testing.T) {
	g, _ := newGen(t, 1)
	const n = 200_000
	for phase, weights := range Weights {
		var total float64
		for _, w := range weights {
			total += w
		}
		counts := map[string]int{}
		for range n {
			counts[g.Pick(phase)]++
		}
		for fn, w := range weights {
			got, want := float64(counts[fn])/n, w/total
			if math.Abs(got-want) > 0.01 {
				t.Errorf("%s: %s has %.3f of requests, want %.3f", phase, fn, got, want)
			}
		}
		if len(counts) != len(weights) {
			t.Errorf("%s: drew %v", phase, counts)
		}
	}
	if Weights[Lunch][TapRoute] <= 3*Weights[Normal][TapRoute] {
		t.Error("the lunchtime burst should be dominated by RFID taps")
	}
}

// TestSchoolsAreZipfSkewed: menu views follow school popularity, so the
// most popular school gets its Zipf share and the top tenth of schools
// get far more than a tenth of the views.
func TestSchoolsAreZipfSkewed(t *testing.T) {
	g, _ := newGen(t, 2)
	const n = 100_000
	counts := map[string]int{}
	for range n {
		counts[g.School()]++
	}
	w := ZipfWeights(50, 0.8)
	var sum float64
	for _, v := range w {
		sum += v
	}
	top := testData().Schools[0].ID
	if got, want := float64(counts[top])/n, w[0]/sum; math.Abs(got-want) > 0.01 {
		t.Errorf("top school share %.3f, want %.3f", got, want)
	}
	var top5 int
	for _, s := range testData().Schools[:5] {
		top5 += counts[s.ID]
	}
	if share := float64(top5) / n; share < 0.25 {
		t.Errorf("top 10%% of schools get %.2f of views; a Zipf mix gives them over a quarter", share)
	}
	// Menu requests draw schools the same way and dates as documented.
	dates := map[string]int{}
	for range 20_000 {
		r := g.Menu()
		dates[r.Path[len(r.Path)-10:]]++
	}
	if share := float64(dates["2026-11-27"]) / 20_000; math.Abs(share-0.5) > 0.02 {
		t.Errorf("today's menu has %.2f of views, want 0.50", share)
	}
}

func TestZipfWeightsAndSampler(t *testing.T) {
	w := ZipfWeights(4, 1)
	if w[0] != 1 || w[1] != 0.5 || math.Abs(w[3]-0.25) > 1e-12 {
		t.Errorf("ZipfWeights(4, 1) = %v", w)
	}
	if _, err := NewSampler([]float64{0, 0}); err == nil {
		t.Error("sampler over zero weights")
	}
	if _, err := NewSampler([]float64{1, -1}); err == nil {
		t.Error("sampler over a negative weight")
	}
	s, err := NewSampler([]float64{0, 3, 0, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, 5)
	for range 40_000 {
		counts[s.Draw(rng)]++
	}
	if counts[0]+counts[2]+counts[4] != 0 {
		t.Errorf("zero-weight entries drawn: %v", counts)
	}
	if share := float64(counts[1]) / 40_000; math.Abs(share-0.75) > 0.01 {
		t.Errorf("entry of weight 3/4 drawn %.3f", share)
	}
	if got := DateWeights(5); math.Abs(got[0]+got[1]+got[2]+got[3]+got[4]-1) > 1e-12 || got[0] != 0.5 {
		t.Errorf("DateWeights(5) = %v", got)
	}
}

// TestRequestsAreValid: the requests carry tokens the functions accept,
// bodies they parse and signatures the webhook checks; the payment flow
// chains from order to payment order to webhook.
func TestRequestsAreValid(t *testing.T) {
	g, tokens := newGen(t, 5)
	seen := map[string]int{}
	var created, paid int
	for range 3000 {
		phase := Normal
		r, err := g.Next(phase)
		if err != nil {
			t.Fatal(err)
		}
		seen[r.Route]++
		if err := matchesRoute(r); err != nil {
			t.Error(err)
		}
		if auth := r.Header.Get("Authorization"); auth != "" {
			c, err := tokens.Verify(context.Background(), auth[len("Bearer "):])
			if err != nil {
				t.Fatalf("%s: token: %v", r.Function, err)
			}
			if r.Function == routes.RFIDVerifyCard && (c.Role != "kitchen_staff" || c.SchoolID == "") {
				t.Errorf("RFID tap by %+v", c)
			}
			if r.Function == routes.AnalyticsDaily && (c.Role != "school_admin" || !strings.Contains(r.Path, "/schools/"+c.SchoolID+"/")) {
				t.Errorf("analytics %s read by %+v", r.Path, c)
			}
		}
		switch r.Route {
		case OrdersRoute:
			var body struct {
				StudentID, SchoolID, DeliveryDate string
				Items                             []struct {
					MenuItemID string
					Quantity   int
				}
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || body.DeliveryDate != "2026-11-28" || len(body.Items) == 0 {
				t.Errorf("order body %s (%v)", r.Body, err)
			}
			if r.Header.Get("Idempotency-Key") == "" {
				t.Error("order without Idempotency-Key")
			}
			created++
			if r.Done != nil {
				r.Done(201, fmt.Appendf(nil, `{"id":"00000000-0000-7000-e000-%012d"}`, created))
			}
		case PaymentRoute:
			var body struct{ OrderID string }
			_ = json.Unmarshal(r.Body, &body)
			if body.OrderID == "" {
				t.Errorf("payment body %s", r.Body)
			}
			paid++
			r.Done(201, fmt.Appendf(nil, `{"razorpayOrderId":"order_%d","amountPaise":4500}`, paid))
		case WebhookRoute:
			hook := razorpay.Webhook{Secret: []byte("hook-secret")}
			if _, err := hook.Read(r.Body, r.Header.Get("X-Razorpay-Signature")); err != nil {
				t.Errorf("webhook signature: %v", err)
			}
		}
	}
	for route := range Weights[Normal] {
		if seen[route] == 0 {
			t.Errorf("no %s request in 3000", route)
		}
	}
	if g.CardsUsed() == 0 {
		t.Error("no card tapped")
	}
}

// matchesRoute checks that r goes by the route it names, which is served
// by the function it names.
func matchesRoute(r Request) error {
	i := slices.IndexFunc(routes.Table, func(rt routes.Route) bool { return rt.Key() == r.Route })
	if i < 0 {
		return fmt.Errorf("request %s %s names no route: %q", r.Method, r.Path, r.Route)
	}
	rt := routes.Table[i]
	path, _, _ := strings.Cut(r.Path, "?")
	want, got := strings.Split(rt.Path, "/"), strings.Split(path, "/")
	ok := rt.Function == r.Function && rt.Method == r.Method && len(want) == len(got)
	for k := 0; ok && k < len(want); k++ {
		ok = strings.HasPrefix(want[k], "{") || want[k] == got[k]
	}
	if !ok {
		return fmt.Errorf("request %s %s of %s does not go by route %s of %s", r.Method, r.Path, r.Function, rt.Key(), rt.Function)
	}
	return nil
}

// TestMixCoversEveryRoute: the normal mix sends every route of the API
// (so the bench measures each), and names only routes.
func TestMixCoversEveryRoute(t *testing.T) {
	for _, rt := range routes.Table {
		if Weights[Normal][rt.Key()] <= 0 {
			t.Errorf("route %s is not in the normal mix", rt.Key())
		}
	}
	for _, phase := range []Phase{Normal, Lunch} {
		for route := range Weights[phase] {
			if !slices.ContainsFunc(routes.Table, func(rt routes.Route) bool { return rt.Key() == route }) {
				t.Errorf("%s mix names %q, which is no route", phase, route)
			}
		}
	}
}

// TestCardsTappedOnce: each card is tapped once, except a few re-taps
// of recent cards.
func TestCardsTappedOnce(t *testing.T) {
	g, _ := newGen(t, 6)
	seen := map[string]int{}
	const taps = 400 // fewer than the 500 cards
	for range taps {
		r, err := g.tap()
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ CardNumber string }
		_ = json.Unmarshal(r.Body, &body)
		seen[body.CardNumber]++
	}
	if g.CardsUsed() != len(seen) {
		t.Errorf("%d cards used, %d distinct cards tapped", g.CardsUsed(), len(seen))
	}
	if retaps := taps - len(seen); retaps == 0 || retaps > taps/10 {
		t.Errorf("%d re-taps in %d taps, want about 3 %%", retaps, taps)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := newGen(t, 9)
	b, _ := newGen(t, 9)
	for i := range 500 {
		ra, _ := a.Next(Lunch)
		rb, _ := b.Next(Lunch)
		if ra.Path != rb.Path || string(ra.Body) != string(rb.Body) {
			t.Fatalf("request %d differs: %s %s vs %s %s", i, ra.Path, ra.Body, rb.Path, rb.Body)
		}
	}
}

// TestPaymentFlowChains: a parent pays for the order just placed, and
// Razorpay then reports that payment order paid.
func TestPaymentFlowChains(t *testing.T) {
	g, _ := newGen(t, 7)
	r, err := g.ordersCreate()
	if err != nil {
		t.Fatal(err)
	}
	const newOrder = "00000000-0000-7000-f000-000000000001"
	r.Done(201, []byte(`{"id":"`+newOrder+`"}`))
	p, err := g.paymentsCreate()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"orderId":"` + newOrder + `"}`; string(p.Body) != want {
		t.Errorf("payment body %s, want %s", p.Body, want)
	}
	p.Done(201, []byte(`{"razorpayOrderId":"order_X1","amountPaise":4500}`))
	w, err := g.webhook()
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Payload struct {
			Payment struct {
				Entity struct {
					OrderID string `json:"order_id"`
					Amount  int64  `json:"amount"`
				} `json:"entity"`
			} `json:"payment"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(w.Body, &ev); err != nil || ev.Payload.Payment.Entity.OrderID != "order_X1" ||
		ev.Payload.Payment.Entity.Amount != 4500 {
		t.Errorf("webhook %s (%v)", w.Body, err)
	}
	// With nothing awaiting payment, a payment comes from the manifest's
	// unpaid orders.
	p, _ = g.paymentsCreate()
	if want := `{"orderId":"` + testData().Unpaid[0].ID + `"}`; string(p.Body) != want {
		t.Errorf("payment body %s, want %s", p.Body, want)
	}
}

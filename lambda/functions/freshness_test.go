package functions_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// heldPages holds a reader between its database read and its cache
// store: the interleaving point of the cache-aside race.
type heldPages struct {
	orders.PageCache
	reached, release chan struct{}
}

func (h heldPages) StoreHead(ctx context.Context, userID string, v orders.Version, head *orders.Head) {
	close(h.reached)
	<-h.release
	h.PageCache.StoreHead(ctx, userID, v, head)
}

func (h heldPages) StorePage(ctx context.Context, userID string, v orders.Version, page, limit int, p *orders.Page) {
	close(h.reached)
	<-h.release
	h.PageCache.StorePage(ctx, userID, v, page, limit, p)
}

// listIDs lists the parent's first page through orders-list and returns
// the order ids.
func (f *fixture) listIDs(token string) []string {
	f.t.Helper()
	r := f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"fields": "id"}})
	if r.status != 200 {
		f.t.Fatalf("list: %d %s", r.status, r.raw)
	}
	var ids []string
	for _, o := range r.body["data"].([]any) {
		ids = append(ids, o.(map[string]any)["id"].(string))
	}
	return ids
}

// createOrder places an order through orders-create and returns its id.
func (f *fixture) createOrder(token, key string) string {
	f.t.Helper()
	r := f.call(routes.OrdersCreate, request{method: "POST", token: token, headers: map[string]string{"Idempotency-Key": key},
		body: fmt.Sprintf(`{"studentId":%q,"schoolId":%q,"deliveryDate":%q,"items":[{"menuItemId":%q,"quantity":1}]}`,
			studentID, schoolID, f.tomorrow, lunchID)})
	if r.status != 201 {
		f.t.Fatalf("create %s: %d %s", key, r.status, r.raw)
	}
	return r.body["id"].(string)
}

// TestListRacingCreateIsNeverStale is finding 2, driven deterministically:
// a cache-miss list reads the database, a create commits and is answered,
// and only then does the list store the page it read. Cache-aside with a
// delete on write stored that old page after the delete and served it for
// five minutes. Any list that starts after the create's answer must show
// the new order.
func TestListRacingCreateIsNeverStale(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	svc := f.deps.OrdersService()
	held := heldPages{PageCache: svc.Cache, reached: make(chan struct{}), release: make(chan struct{})}
	svc.Cache = held
	done := make(chan *orders.Page)
	go func() {
		p, err := svc.List(context.Background(), parentID, 1, orders.DefaultPageSize)
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	<-held.reached // the reader has read the database: no orders yet
	id := f.createOrder(token, "race-1")
	close(held.release)
	if p := <-done; len(p.Orders) != 0 {
		t.Fatalf("the held reader read %d orders, want the empty list it read before the create", len(p.Orders))
	}
	if got := f.listIDs(token); !slices.Contains(got, id) {
		t.Errorf("list after the create's answer = %v, want it to hold %s", got, id)
	}
}

// TestNoStaleListUnderConcurrentCreates runs many create-then-list pairs
// beside readers that keep filling the cache: every list that starts
// after a create was answered shows that order.
func TestNoStaleListUnderConcurrentCreates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{dbConns: 16})
	token := f.login("parent@test.example")
	const writers, each, readers = 4, 6, 4
	stop := make(chan struct{})
	var readersDone sync.WaitGroup
	for range readers {
		readersDone.Add(1)
		go func() {
			defer readersDone.Done()
			for {
				select {
				case <-stop:
					return
				default:
					f.listIDs(token)
				}
			}
		}()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	stale := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := f.createOrder(token, fmt.Sprintf("stress-%d-%d", w, i))
				if !slices.Contains(f.listIDs(token), id) {
					mu.Lock()
					stale++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readersDone.Wait()
	if stale != 0 {
		t.Errorf("%d of %d lists started after a create's answer lacked the new order", stale, writers*each)
	}
}

// TestListAfterRedisOutageWrite is finding 3: an order created while
// Redis is unreachable cannot raise the cached version; when Redis comes
// back with its data, the page cached before the write must stop being
// served within the version copy's lifetime (shortened here from
// redis.ListVersionTTL so the test does not wait 30 s). Cache-aside with
// a delete on write served the old page until its five minutes ran out.
func TestListAfterRedisOutageWrite(t *testing.T) {
	t.Parallel()
	const versionTTL = 300 * time.Millisecond
	f := newFixture(t, fixtureOpts{redisProxy: true, cache: redis.Config{VersionTTL: versionTTL, Cooldown: time.Nanosecond}})
	token := f.login("parent@test.example")
	if got := f.listIDs(token); len(got) != 0 { // caches the empty page
		t.Fatalf("fresh list %v", got)
	}
	if ttl := f.redisTTL("orders:{" + parentID + "}:v"); ttl <= 0 || ttl > versionTTL {
		t.Fatalf("version copy TTL %s, want at most %s", ttl, versionTTL)
	}
	f.proxy.SetMode(testsupport.Down)
	id := f.createOrder(token, "outage")
	f.proxy.SetMode(testsupport.Forward) // Redis is back, with the old page
	f.waitFor("the order created during the outage to be listed", func() bool {
		return slices.Contains(f.listIDs(token), id)
	})
	// From then on it stays listed.
	for range 5 {
		if !slices.Contains(f.listIDs(token), id) {
			t.Fatal("the order vanished from the list again")
		}
	}
}

package redis_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestAttemptsCountConcurrentFailuresExactly: failures of one account
// arriving at the same moment from many execution environments are each
// counted once. The goroutines wait at a barrier and fail together; the
// counts they get back are exactly 1..n, and the counter holds n.
func TestAttemptsCountConcurrentFailuresExactly(t *testing.T) {
	t.Parallel()
	addr, prefix := testsupport.Redis(t)
	// A pool as large as the crowd and the client's default timeouts: the
	// test is about counting, not about a loaded machine's queueing.
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 32})
	t.Cleanup(func() { rdb.Close() })
	a := redis.Attempts{Cache: redis.New(rdb, redis.Config{Prefix: prefix, TripAfter: 1000})}
	const n = 32
	start := make(chan struct{})
	counts := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			counts[i], errs[i] = a.Fail(context.Background(), "acct:x", time.Minute)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != int64(i+1) {
			t.Fatalf("counts %v, want 1..%d each once", counts, n)
		}
	}
	if got, err := rdb.Get(context.Background(), prefix+"login:acct:x").Int(); err != nil || got != n {
		t.Errorf("counter %d (%v), want %d", got, err, n)
	}
	if ttl := rdb.PTTL(context.Background(), prefix+"login:acct:x").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("counter expires in %v, want within the minute's window", ttl)
	}
}

// TestAttemptsLocks: a lock reads back with its time left; a missing one
// reads zero.
func TestAttemptsLocks(t *testing.T) {
	t.Parallel()
	addr, prefix := testsupport.Redis(t)
	a := redis.Attempts{Cache: newCache(t, addr, prefix, redis.Config{})}
	ctx := context.Background()
	if until, err := a.Locked(ctx, "lock:a", "lock:b"); err != nil || !until.IsZero() {
		t.Fatalf("nothing locked: %v, %v", until, err)
	}
	end := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	if err := a.Lock(ctx, "lock:b", end); err != nil {
		t.Fatal(err)
	}
	if until, err := a.Locked(ctx, "lock:a", "lock:b"); err != nil || !until.Equal(end) {
		t.Errorf("b locked until %v (%v), want %v", until, err, end)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	defer rdb.Close()
	if ttl := rdb.PTTL(ctx, prefix+"login:lock:b").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("the lock expires in %v, want within the minute", ttl)
	}
}

// TestNilAttemptsFail: a function built without Redis counts nothing and
// says so with an error (the guard then fails open).
func TestNilAttemptsFail(t *testing.T) {
	if _, err := (redis.Attempts{}).Fail(context.Background(), "k", time.Minute); err == nil {
		t.Error("no error without Redis")
	}
}

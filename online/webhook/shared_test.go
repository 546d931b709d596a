package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"airsign/online/store"
	"airsign/online/store/pgtest"
)

// countingReceiver is a real HTTP server that counts the deliveries it
// accepts by X-Airsign-Delivery. It holds the first delivery until a
// second one is in flight: so the two coordinators are certain to be
// delivering at the same time, and one that sent the same event as the
// other would have done so then.
type countingReceiver struct {
	srv    *httptest.Server
	second chan struct{} // closed when the second delivery arrives

	mu       sync.Mutex
	arrived  int
	counts   map[string]int
	refusals []string
}

func newCountingReceiver(t *testing.T, secret string, c *clock) *countingReceiver {
	r := &countingReceiver{second: make(chan struct{}), counts: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if err := Verify([]byte(secret), req.Header, b, c.Now(), 0); err != nil {
			r.mu.Lock()
			r.refusals = append(r.refusals, err.Error())
			r.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.arrived++
		n := r.arrived
		if n == 2 {
			close(r.second)
		}
		r.mu.Unlock()
		if n == 1 {
			select {
			case <-r.second:
			case <-req.Context().Done():
				return // the sender gave up: not delivered
			}
		}
		r.mu.Lock()
		r.counts[req.Header.Get(HeaderDelivery)]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// TestTwoCoordinatorsDeliverOnce is two coordinator processes (two store
// handles, two queues, two Run loops) sharing one PostgreSQL database and
// one webhook configuration: every event reaches the receiver once.
func TestTwoCoordinatorsDeliverOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	where := pgtest.Shared(t)
	c := &clock{now: t0}
	recv := newCountingReceiver(t, secretA, c)
	opts := Options{Endpoints: []Endpoint{{URL: recv.srv.URL + "/hook", Secret: []byte(secretA)}},
		Now: c.Now, Poll: 10 * time.Millisecond, Timeout: 30 * time.Second}
	var queues []*Queue
	for range 2 {
		q, err := New(openStore(t, where), opts)
		if err != nil {
			t.Fatal(err)
		}
		queues = append(queues, q)
	}
	const n = 20
	for i := range n {
		e := event
		e.Request = fmt.Sprintf("r%02d", i)
		queues[i%2].Notify(ctx, e)
	}
	st := openStore(t, where)
	if got, err := st.RecentWebhooks(ctx, 2*n); err != nil || len(got) != n {
		t.Fatalf("queued %d deliveries, %v; want %d", len(got), err, n)
	}

	var wg sync.WaitGroup
	for _, q := range queues {
		wg.Add(1)
		go func() { defer wg.Done(); q.Run(ctx) }()
	}
	// Wait until the store says every delivery is done, then stop both
	// loops: whatever either was still sending reaches the receiver
	// before they return.
	deadline := time.Now().Add(time.Minute)
	for {
		ds, err := st.RecentWebhooks(ctx, 2*n)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, d := range ds {
			if d.State == store.DeliveryDelivered {
				done++
			}
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute %d of %d deliveries are done: %+v", done, n, ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	recv.mu.Lock()
	defer recv.mu.Unlock()
	if recv.refusals != nil {
		t.Errorf("the receiver refused: %v", recv.refusals)
	}
	if len(recv.counts) != n {
		t.Errorf("the receiver saw %d distinct deliveries, want %d", len(recv.counts), n)
	}
	for id, k := range recv.counts {
		if k != 1 {
			t.Errorf("delivery %s was received %d times, want once", id, k)
		}
	}
}

package webhook

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"airsign/online/store"
)

// TestLateAttemptRefused is a coordinator whose attempt outlasts its
// claim (a stalled machine): another coordinator takes the delivery over
// and delivers it, and the first one's result, when it comes, changes
// nothing and stops nothing.
func TestLateAttemptRefused(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: t0}
	inFlight, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var arrived []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		mu.Lock()
		arrived = append(arrived, req.Header.Get(HeaderDelivery))
		first := len(arrived) == 1
		mu.Unlock()
		if first {
			close(inFlight)
			<-release
		}
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "coordinator.db")
	var logs []string
	var logMu sync.Mutex
	opts := func(holder string) Options {
		return Options{Endpoints: []Endpoint{{URL: srv.URL + "/hook", Secret: []byte(secretA)}}, Now: c.Now, Holder: holder,
			Logf: func(f string, args ...any) {
				logMu.Lock()
				logs = append(logs, holder+": "+fmt.Sprintf(f, args...))
				logMu.Unlock()
			}}
	}
	a, err := New(openStore(t, path), opts("a"))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, path)
	b, err := New(st, opts("b"))
	if err != nil {
		t.Fatal(err)
	}
	a.Notify(ctx, event)

	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() { n, err := a.DeliverDue(ctx); done <- result{n, err} }()
	<-inFlight
	// a's claim runs out while its attempt hangs.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE webhook_deliveries SET claimed_until = 1`); err != nil {
		t.Fatal(err)
	}
	if n, err := b.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("b: %d delivered, %v; want the delivery a's claim let go", n, err)
	}
	close(release)
	if r := <-done; r.err != nil {
		t.Fatalf("a's pass ended with %v; want the late result logged, not an error", r.err)
	}
	recent, err := st.RecentWebhooks(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].State != store.DeliveryDelivered || recent[0].Attempts != 1 || recent[0].ClaimedBy != "b" {
		t.Fatalf("after both: %+v, %v; want delivered once, recorded by b", recent, err)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if len(logs) != 1 || !strings.HasPrefix(logs[0], "a: ") || !strings.Contains(logs[0], store.ErrNotClaimed.Error()) {
		t.Errorf("logged %q; want a's late result refused", logs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrived) != 2 {
		t.Errorf("the receiver got %d posts, want 2 (a's, which hung, and b's)", len(arrived))
	}
}

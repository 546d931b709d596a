package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// leaseState is what a test checks of a Lease: the times are the
// database's.
type leaseState struct {
	Holder string
	Held   bool
	Epoch  int64
}

func acquire(t *testing.T, s *Store, holder string, ttl time.Duration) leaseState {
	t.Helper()
	l, err := s.AcquireLease(context.Background(), "watcher", holder, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s): %v", holder, err)
	}
	if l.Held && !l.Expires.After(time.Unix(0, 0)) {
		t.Errorf("AcquireLease(%s) held until %v", holder, l.Expires)
	}
	return leaseState{l.Holder, l.Held, l.Epoch}
}

// TestLeaseTakeover is a watcher's process dying: its lease runs out, the
// other process takes it, and the first cannot renew it when it wakes.
func TestLeaseTakeover(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		a, b := twoHandles(t)
		const short = 100 * time.Millisecond
		steps := []struct {
			what  string
			s     *Store
			who   string
			ttl   time.Duration
			sleep time.Duration // before the step
			want  leaseState
		}{
			{"a takes the free lease", a, "a", time.Minute, 0, leaseState{"a", true, 1}},
			{"b waits for a", b, "b", time.Minute, 0, leaseState{"a", false, 1}},
			{"a renews, for a short while", a, "a", short, 0, leaseState{"a", true, 1}},
			{"b takes it once a's ran out", b, "b", time.Minute, 2 * short, leaseState{"b", true, 2}},
			{"a, stale, cannot renew", a, "a", time.Minute, 0, leaseState{"b", false, 2}},
			{"b renews", b, "b", time.Minute, 0, leaseState{"b", true, 2}},
		}
		for _, st := range steps {
			time.Sleep(st.sleep)
			if got := acquire(t, st.s, st.who, st.ttl); got != st.want {
				t.Fatalf("%s: got %+v, want %+v", st.what, got, st.want)
			}
		}
		if err := b.ReleaseLease(context.Background(), "watcher", "a"); err != nil {
			t.Fatal(err)
		}
		if got, want := acquire(t, a, "a", time.Minute), (leaseState{"b", false, 2}); got != want {
			t.Fatalf("after a released what it did not hold: got %+v, want %+v", got, want)
		}
		if err := b.ReleaseLease(context.Background(), "watcher", "b"); err != nil {
			t.Fatal(err)
		}
		if got, want := acquire(t, a, "a", time.Minute), (leaseState{"a", true, 3}); got != want {
			t.Fatalf("a after b released: got %+v, want %+v", got, want)
		}
	})
}

// TestConcurrentLeaseOneWinner: processes starting at once on a fresh
// database; exactly one of them gets the lease.
func TestConcurrentLeaseOneWinner(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		a, b := twoHandles(t)
		const n = 8
		got := make([]leaseState, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := []*Store{a, b}[i%2].AcquireLease(context.Background(), "watcher", fmt.Sprint("p", i), time.Minute)
				got[i], errs[i] = leaseState{l.Holder, l.Held, l.Epoch}, err
			}()
		}
		wg.Wait()
		winners := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("p%d: %v", i, errs[i])
			}
			if got[i].Held {
				winners[got[i].Holder] = true
			}
		}
		if len(winners) != 1 {
			t.Fatalf("holders %v, want exactly one", winners)
		}
		for i := range n {
			if !winners[got[i].Holder] || got[i].Epoch != 1 {
				t.Errorf("p%d sees %+v; want the one winner, epoch 1", i, got[i])
			}
		}
	})
}

func TestLeaseRefusals(t *testing.T) {
	s, _ := newStore(t)
	for _, c := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "a", time.Second}, {"w", "", time.Second}, {"w", "a", 0}, {"w", "a", time.Hour}} {
		if _, err := s.AcquireLease(context.Background(), c.name, c.holder, c.ttl); err == nil {
			t.Errorf("AcquireLease(%q, %q, %s) succeeded, want a refusal", c.name, c.holder, c.ttl)
		}
	}
}

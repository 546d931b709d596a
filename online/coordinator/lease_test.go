package coordinator

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"airsign/online/store"
	"airsign/online/store/pgtest"
)

// jobLog records which holders' jobs run, as RunLeased starts and stops
// them.
type jobLog struct {
	mu      sync.Mutex
	running map[string]bool
	started chan string
}

func (j *jobLog) job(holder string) func(ctx context.Context) {
	return func(ctx context.Context) {
		j.mu.Lock()
		j.running[holder] = true
		j.mu.Unlock()
		j.started <- holder
		<-ctx.Done()
		j.mu.Lock()
		j.running[holder] = false
		j.mu.Unlock()
	}
}

func (j *jobLog) isRunning(holder string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.running[holder]
}

// TestLeasedWatcherTakeover is two coordinator processes on one database:
// one runs the job; when it stops cleanly the other takes over at once,
// and when it loses the database (as a dead or cut-off process does) the
// other takes over once its lease has run out, within the 15 s a
// deployment may be without a watcher.
func TestLeasedWatcherTakeover(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			where := filepath.Join(t.TempDir(), "coordinator.db")
			if engine == "postgres" {
				srv := startPostgres(t)
				where = srv.NewDatabase(t, "")
			}
			open := func() *store.Store {
				st, err := store.Open(where)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			const ttl = time.Second
			const takeover = 15 * time.Second
			jobs := &jobLog{running: map[string]bool{}, started: make(chan string, 4)}
			run := func(st *store.Store, holder string) (stop func()) {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					RunLeased(ctx, st, WatcherLease, holder, ttl, t.Logf, jobs.job(holder))
				}()
				return func() { cancel(); <-done }
			}
			waitStart := func(want string) {
				t.Helper()
				select {
				case got := <-jobs.started:
					if got != want {
						t.Fatalf("%s's job started, want %s's", got, want)
					}
				case <-time.After(takeover):
					t.Fatalf("%s's job did not start within %s", want, takeover)
				}
			}

			stopA := run(open(), "a")
			waitStart("a")
			stB := open()
			stopB := run(stB, "b")
			defer stopB()
			// While a renews, b waits: a few of b's tries go by.
			time.Sleep(ttl)
			if jobs.isRunning("b") {
				t.Fatal("b's job runs while a holds the lease")
			}

			stopA() // a clean stop releases the lease
			if jobs.isRunning("a") {
				t.Fatal("a's job still runs after RunLeased returned")
			}
			waitStart("b")

			stopC := run(open(), "c")
			defer stopC()
			stB.Close() // b can no longer renew: it must stop, and c take over
			waitStart("c")
			if jobs.isRunning("b") {
				t.Error("b's job still runs after c took over")
			}
		})
	}
}

func startPostgres(t *testing.T) *pgtest.Server {
	t.Helper()
	srv, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// claim claims for holder at now, for a minute, and fails the test on an
// error.
func claim(t *testing.T, s *Store, holder string, now time.Time, limit int) []WebhookDelivery {
	t.Helper()
	ds, err := s.ClaimWebhooks(context.Background(), holder, now, limit, time.Minute)
	if err != nil {
		t.Fatalf("ClaimWebhooks(%s): %v", holder, err)
	}
	return ds
}

func TestWebhookQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, path := newStore(t)
		e := WebhookEvent{ID: "e1", Kind: "request.needs_approval", Request: "r1", Body: []byte(`{"a":1}`), Created: t0}
		urls := []string{"https://a.example/hook", "https://b.example/hook"}
		if added, err := s.EnqueueWebhook(ctx, e, urls); err != nil || !added {
			t.Fatalf("EnqueueWebhook = %v, %v; want added", added, err)
		}
		// The same kind for the same request again: nothing new.
		again := e
		again.ID = "e2"
		if added, err := s.EnqueueWebhook(ctx, again, urls); err != nil || added {
			t.Fatalf("EnqueueWebhook again = %v, %v; want not added", added, err)
		}
		due := claim(t, s, "p1", t0, 10)
		if len(due) != 2 || due[0].URL != urls[0] || string(due[0].Event.Body) != `{"a":1}` || due[0].ClaimedBy != "p1" || due[0].Claim == "" {
			t.Fatalf("ClaimWebhooks = %+v; want both URLs of e1, claimed by p1", due)
		}
		if err := s.WebhookAttempt(ctx, due[0], DeliveryDelivered, 200, "", t0, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.WebhookAttempt(ctx, due[1], DeliveryPending, 500, "HTTP 500", t0.Add(time.Minute), t0); err != nil {
			t.Fatal(err)
		}
		if err := s.WebhookAttempt(ctx, due[0], DeliveryPending, 500, "", t0, t0); !errors.Is(err, ErrNotClaimed) {
			t.Fatalf("an attempt on a delivered delivery: %v, want ErrNotClaimed", err)
		}
		unclaimed := due[1]
		unclaimed.Claim = ""
		if err := s.WebhookAttempt(ctx, unclaimed, DeliveryDelivered, 200, "", t0, t0); !errors.Is(err, ErrNotClaimed) {
			t.Fatalf("an attempt without a claim: %v, want ErrNotClaimed", err)
		}
		// A restart: the queue is in the database.
		s.Close()
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if due := claim(t, s, "p2", t0.Add(59*time.Second), 10); len(due) != 0 {
			t.Fatalf("ClaimWebhooks before the retry = %+v; want none", due)
		}
		due = claim(t, s, "p2", t0.Add(time.Minute), 10)
		if len(due) != 1 || due[0].URL != urls[1] || due[0].Attempts != 1 || due[0].LastStatus != 500 {
			t.Fatalf("ClaimWebhooks at the retry = %+v; want b's, after 1 attempt", due)
		}
		recent, err := s.RecentWebhooks(ctx, 10)
		if err != nil || len(recent) != 2 || recent[0].State != DeliveryDelivered || recent[1].State != DeliveryPending {
			t.Fatalf("RecentWebhooks = %+v, %v", recent, err)
		}
		if recent[0].ClaimedBy != "p1" || !recent[0].ClaimedUntil.IsZero() || recent[1].ClaimedBy != "p2" || recent[1].ClaimedUntil.IsZero() {
			t.Fatalf("RecentWebhooks claims = %+v; want a's recorded by p1, b's claimed by p2", recent)
		}
		if _, err := s.EnqueueWebhook(ctx, WebhookEvent{ID: "e3", Kind: "request.exploded", Request: "r1", Body: []byte("{}"), Created: t0}, nil); err == nil {
			t.Fatal("an unknown kind was queued")
		}
		for _, bad := range []struct {
			holder string
			limit  int
			ttl    time.Duration
		}{{"", 1, time.Minute}, {"p", 0, time.Minute}, {"p", 1, 0}, {"p", 1, MaxClaimTTL + 1}} {
			if _, err := s.ClaimWebhooks(ctx, bad.holder, t0, bad.limit, bad.ttl); err == nil {
				t.Errorf("ClaimWebhooks(%q, %d, %v) succeeded", bad.holder, bad.limit, bad.ttl)
			}
		}
	})
}

// enqueue queues n events of one URL each, a second apart from t0.
func enqueue(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		e := WebhookEvent{ID: fmt.Sprintf("e%03d", i), Kind: "request.signed", Request: fmt.Sprintf("r%03d", i),
			Body: []byte("{}"), Created: t0.Add(time.Duration(i) * time.Second)}
		if _, err := s.EnqueueWebhook(context.Background(), e, []string{"https://a.example/hook"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWebhookClaimsConcurrent is several claimers in each of two
// processes taking deliveries at once: every delivery is handed out, to
// one claimer only.
func TestWebhookClaimsConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		a, b := twoHandles(t)
		const n, claimers = 60, 8
		enqueue(t, a, n)
		var mu sync.Mutex
		got := map[string][]string{} // event -> claimers
		var wg sync.WaitGroup
		errs := make([]error, claimers)
		for i := range claimers {
			s := []*Store{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				who := fmt.Sprintf("p%d", i)
				for {
					ds, err := s.ClaimWebhooks(context.Background(), who, t0.Add(time.Hour), 1+i%3, time.Minute)
					if err != nil {
						errs[i] = err
						return
					}
					if len(ds) == 0 {
						return
					}
					if len(ds) > 1+i%3 {
						errs[i] = fmt.Errorf("claimed %d deliveries, more than the %d asked for", len(ds), 1+i%3)
						return
					}
					mu.Lock()
					for _, d := range ds {
						got[d.Event.ID] = append(got[d.Event.ID], who)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("claimer %d: %v", i, err)
			}
		}
		if len(got) != n {
			t.Errorf("%d deliveries claimed, want all %d", len(got), n)
		}
		for id, who := range got {
			if len(who) != 1 {
				t.Errorf("delivery %s claimed by %v, want one claimer", id, who)
			}
		}
	})
}

// TestWebhookClaimTakeover is a process that claimed a delivery dying, or
// stalling, while it sends it: once its claim runs out another process
// takes the delivery over, and the first one's late result is refused.
func TestWebhookClaimTakeover(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		a, b := twoHandles(t)
		enqueue(t, a, 1)
		byA := claim(t, a, "a", t0, 10)
		if len(byA) != 1 {
			t.Fatalf("a claimed %+v, want the one delivery", byA)
		}
		if got := claim(t, b, "b", t0, 10); len(got) != 0 {
			t.Fatalf("b claimed %+v while a's claim runs", got)
		}
		// A minute passes on the database's clock: a's claim runs out.
		if _, err := a.db.ExecContext(ctx, `UPDATE webhook_deliveries SET claimed_until = claimed_until - ?`, (61 * time.Second).Nanoseconds()); err != nil {
			t.Fatal(err)
		}
		byB := claim(t, b, "b", t0, 10)
		if len(byB) != 1 || byB[0].ClaimedBy != "b" || byB[0].Claim == byA[0].Claim {
			t.Fatalf("b claimed %+v after a's claim ran out, want the delivery", byB)
		}
		// a wakes and reports its attempt: too late.
		if err := a.WebhookAttempt(ctx, byA[0], DeliveryFailed, 500, "late", t0, t0); !errors.Is(err, ErrNotClaimed) {
			t.Fatalf("a's late attempt: %v, want ErrNotClaimed", err)
		}
		if err := b.WebhookAttempt(ctx, byB[0], DeliveryDelivered, 200, "", t0, t0); err != nil {
			t.Fatalf("b's attempt: %v", err)
		}
		if err := a.WebhookAttempt(ctx, byA[0], DeliveryFailed, 500, "later still", t0, t0); !errors.Is(err, ErrNotClaimed) {
			t.Fatalf("a's attempt after b's: %v, want ErrNotClaimed", err)
		}
		recent, err := a.RecentWebhooks(ctx, 10)
		if err != nil || len(recent) != 1 || recent[0].State != DeliveryDelivered || recent[0].Attempts != 1 || recent[0].ClaimedBy != "b" {
			t.Fatalf("after the takeover: %+v, %v; want delivered once, by b", recent, err)
		}

		// The same process claiming again after its own claim ran out
		// holds a new claim; the old one is refused.
		enqueue(t, a, 2)
		first := claim(t, a, "a", t0.Add(time.Hour), 1)
		if _, err := a.db.ExecContext(ctx, `UPDATE webhook_deliveries SET claimed_until = 1 WHERE claimed_until != 0`); err != nil {
			t.Fatal(err)
		}
		second := claim(t, a, "a", t0.Add(time.Hour), 1)
		if len(first) != 1 || len(second) != 1 || first[0].Event.ID != second[0].Event.ID {
			t.Fatalf("claims %+v then %+v, want the same delivery", first, second)
		}
		if err := a.WebhookAttempt(ctx, first[0], DeliveryDelivered, 200, "", t0, t0); !errors.Is(err, ErrNotClaimed) {
			t.Fatalf("the attempt under the old claim: %v, want ErrNotClaimed", err)
		}
	})
}

// TestWebhookClaimDatabaseClock: a claim's length is counted on the
// database's clock, whatever now the caller passes for what is due.
func TestWebhookClaimDatabaseClock(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		a, b := twoHandles(t)
		enqueue(t, a, 1)
		var before int64
		if err := a.db.QueryRowContext(ctx, `SELECT `+a.db.dialect.nowNanos()).Scan(&before); err != nil {
			t.Fatal(err)
		}
		const ttl = 50 * time.Millisecond
		ds, err := a.ClaimWebhooks(ctx, "a", t0, 1, ttl)
		if err != nil || len(ds) != 1 {
			t.Fatalf("ClaimWebhooks = %+v, %v", ds, err)
		}
		until := ds[0].ClaimedUntil.UnixNano()
		if until < before+ttl.Nanoseconds() || until > before+ttl.Nanoseconds()+int64(time.Minute) {
			t.Fatalf("claimed until %v, want %v after the database's now (%v)", ds[0].ClaimedUntil, ttl, time.Unix(0, before))
		}
		// Wait for the database's clock to pass the claim's end; the
		// caller's now, far in the future, does not end it earlier.
		if got := claim(t, b, "b", t0.Add(24*time.Hour), 1); len(got) != 0 {
			// Only when the machine stalled past the 50 ms.
			var now int64
			a.db.QueryRowContext(ctx, `SELECT `+a.db.dialect.nowNanos()).Scan(&now)
			if now < until {
				t.Fatalf("b claimed %+v before a's claim ran out", got)
			}
			return // b took it once the claim ran out, as it should
		}
		for {
			var now int64
			if err := a.db.QueryRowContext(ctx, `SELECT `+a.db.dialect.nowNanos()).Scan(&now); err != nil {
				t.Fatal(err)
			}
			if now > until {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if got := claim(t, b, "b", t0, 1); len(got) != 1 {
			t.Fatalf("b claimed %+v after a's claim ran out, want the delivery", got)
		}
	})
}

// TestMigrateWebhookClaims: a database at schema 20 with deliveries
// queued keeps them through the migration that adds claims, unclaimed.
func TestMigrateWebhookClaims(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		where, db := databaseAt(t, 20)
		if _, err := db.ExecContext(ctx, `INSERT INTO webhook_events (id, kind, request, body, created)
VALUES ('e1', 'request.signed', 'r1', ?, 1), ('e2', 'request.signed', 'r2', ?, 2)`, []byte("{}"), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO webhook_deliveries (event, url, state, next_attempt, updated)
VALUES ('e1', 'https://a.example/', 'pending', 1, 1), ('e1', 'https://b.example/', 'delivered', 1, 1), ('e2', 'https://a.example/', 'pending', 1, 1)`); err != nil {
			t.Fatal(err)
		}
		db.raw.Close()

		s, err := Open(where)
		if err != nil {
			t.Fatalf("Open of a version 20 database: %v", err)
		}
		defer s.Close()
		ds := claim(t, s, "p", t0, 10)
		var got []string
		for _, d := range ds {
			got = append(got, d.Event.ID+" "+d.URL)
		}
		sort.Strings(got)
		if want := []string{"e1 https://a.example/", "e2 https://a.example/"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("claimed after the migration: %q, want %q", got, want)
		}
	})
}

// databaseAt returns a fresh database of the test's engine left at schema
// version, as an older program left it, and a connection to it that does
// not migrate.
func databaseAt(t *testing.T, version int) (where string, db *sqlDB) {
	t.Helper()
	ctx := context.Background()
	where = newWhere(t)
	db = openRaw(t, where)
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, m := range migrations[:version] {
		if _, err := db.ExecContext(ctx, db.dialect.schema(m)); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_version VALUES (?)`, version); err != nil {
		t.Fatal(err)
	}
	return where, db
}

func TestSwapWebhookConfig(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		a, b := twoHandles(t)
		d1, d2 := fmt.Sprintf("%064x", 1), fmt.Sprintf("%064x", 2)
		steps := []struct {
			s      *Store
			set    WebhookConfig
			want   WebhookConfig
			wantOK bool
		}{
			{a, WebhookConfig{d1, "a", t0}, WebhookConfig{}, false},
			{b, WebhookConfig{d1, "b", t0.Add(time.Second)}, WebhookConfig{d1, "a", t0}, true},
			{a, WebhookConfig{d2, "a", t0.Add(2 * time.Second)}, WebhookConfig{d1, "b", t0.Add(time.Second)}, true},
		}
		for i, st := range steps {
			got, ok, err := st.s.SwapWebhookConfig(ctx, st.set)
			if err != nil || ok != st.wantOK || got != st.want {
				t.Fatalf("step %d: SwapWebhookConfig(%+v) = %+v, %v, %v; want %+v, %v", i+1, st.set, got, ok, err, st.want, st.wantOK)
			}
		}
		if _, _, err := a.SwapWebhookConfig(ctx, WebhookConfig{"abc", "a", t0}); err == nil {
			t.Error("a short digest was recorded")
		}
	})
}

func TestWebhookEventWallet(t *testing.T) {
	for _, c := range []struct{ kind, key, want string }{
		{"wallet.recovery_nearing", "vault:" + strings.Repeat("ab", 32) + ":1", "vault"},
		{"wallet.recovery_open", "ops:cold:" + strings.Repeat("cd", 32) + ":0", "ops:cold"},
		{"request.signed", "wd-0123", ""},
		{"wallet.recovery_open", "nocolon", ""},
	} {
		if got := (WebhookEvent{Kind: c.kind, Request: c.key}).Wallet(); got != c.want {
			t.Errorf("Wallet() of %s %q = %q, want %q", c.kind, c.key, got, c.want)
		}
	}
}

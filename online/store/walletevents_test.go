package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestMigrateWebhookKinds: a database at schema 22 with events of the
// request kinds queued, delivered and claimed keeps every row and column
// through schema 23, which takes the wallet kinds; the deliveries still
// refer to the events, and a kind nobody knows is still refused.
func TestMigrateWebhookKinds(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		where, db := databaseAt(t, 22)
		if _, err := db.ExecContext(ctx, `INSERT INTO webhook_events (id, kind, request, body, created)
VALUES ('e1', 'request.needs_approval', 'r1', ?, 1), ('e2', 'request.confirmed', 'r2', ?, 2)`, []byte(`{"a":1}`), []byte(`{"b":2}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO webhook_deliveries (event, url, state, attempts, next_attempt, last_status, last_error, updated, claim, claimed_by, claimed_until)
VALUES ('e1', 'https://a.example/', 'pending', 3, 40, 500, 'HTTP 500', 41, 'c1', 'p1', 99),
       ('e1', 'https://b.example/', 'delivered', 1, 10, 200, '', 11, '', 'p2', 0),
       ('e2', 'https://a.example/', 'failed', 14, 50, 0, 'refused', 51, '', '', 0)`); err != nil {
			t.Fatal(err)
		}
		rows := func(db *sqlDB) []string {
			t.Helper()
			r, err := db.QueryContext(ctx, `SELECT e.id, e.kind, e.request, e.body, e.created, d.url, d.state, d.attempts, d.next_attempt,
d.last_status, d.last_error, d.updated, d.claim, d.claimed_by, d.claimed_until
FROM webhook_events e JOIN webhook_deliveries d ON d.event = e.id ORDER BY e.id, d.url`)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var out []string
			for r.Next() {
				var id, kind, req, url, state, lastErr, claim, by string
				var body []byte
				var created, attempts, next, status, updated, until int64
				if err := r.Scan(&id, &kind, &req, &body, &created, &url, &state, &attempts, &next, &status, &lastErr, &updated, &claim, &by, &until); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprint(id, kind, req, string(body), created, url, state, attempts, next, status, lastErr, updated, claim, by, until))
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		before := rows(db)
		if len(before) != 3 {
			t.Fatalf("rows before the migration: %q", before)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO webhook_events (id, kind, request, body, created) VALUES ('w', 'wallet.recovery_nearing', 'k', ?, 1)`, []byte("{}")); err == nil {
			t.Fatal("schema 22 took a wallet event: the test shows nothing")
		}
		db.raw.Close()

		s, err := Open(where)
		if err != nil {
			t.Fatalf("Open of a version 22 database: %v", err)
		}
		defer s.Close()
		if after := rows(s.db); !slices.Equal(after, before) {
			t.Fatalf("rows after the migration:\n%q\nwant\n%q", after, before)
		}
		for _, kind := range []string{"wallet.recovery_nearing", "wallet.recovery_open"} {
			if added, err := s.EnqueueWebhook(ctx, WebhookEvent{ID: "id-" + kind, Kind: kind, Request: "vault:ab:0", Body: []byte("{}"), Created: t0}, []string{"https://a.example/"}); err != nil || !added {
				t.Errorf("EnqueueWebhook(%s) = %v, %v; want added", kind, added, err)
			}
		}
		if _, err := s.EnqueueWebhook(ctx, WebhookEvent{ID: "x", Kind: "wallet.exploded", Request: "vault:ab:0", Body: []byte("{}"), Created: t0}, nil); err == nil {
			t.Error("an unknown kind was queued after the migration")
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (event, url, state, next_attempt, updated) VALUES ('nobody', 'https://a.example/', 'pending', 1, 1)`); err == nil {
			t.Error("a delivery of an event that does not exist was taken: the foreign key is gone")
		}
		// The queue goes on: e1's pending delivery to a (its claim ran
		// out long ago) and the wallet events are due.
		var got []string
		for _, d := range claim(t, s, "p3", t0, 10) {
			got = append(got, d.Event.Kind+" "+d.URL)
		}
		want := []string{"request.needs_approval https://a.example/", "wallet.recovery_nearing https://a.example/", "wallet.recovery_open https://a.example/"}
		if !slices.Equal(got, want) {
			t.Errorf("claimed after the migration: %q, want %q", got, want)
		}
	})
}

// A wallet event is queued under an id derived from what it is about, so
// the same event queued again, by a restarted process or another one, has
// the same id and the same key: it is recorded once, without an error.
func TestWebhookDerivedIDOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		e := WebhookEvent{ID: "derived", Kind: "wallet.recovery_nearing", Request: "vault:ab:0", Body: []byte("{}"), Created: t0}
		urls := []string{"https://a.example/"}
		if added, err := s.EnqueueWebhook(ctx, e, urls); err != nil || !added {
			t.Fatalf("EnqueueWebhook = %v, %v; want added", added, err)
		}
		if added, err := s.EnqueueWebhook(ctx, e, urls); err != nil || added {
			t.Fatalf("EnqueueWebhook again = %v, %v; want not added, no error", added, err)
		}
		// Two coordinators queueing one event at once may meet on the id
		// first (PostgreSQL checks the keys in its own order): that is
		// the same event too, not an error.
		sameID := e
		sameID.Request = "vault:ab:1"
		if added, err := s.EnqueueWebhook(ctx, sameID, urls); err != nil || added {
			t.Fatalf("EnqueueWebhook of a recorded id = %v, %v; want not added, no error", added, err)
		}
		open := e
		open.ID, open.Kind = "derived-open", "wallet.recovery_open"
		if added, err := s.EnqueueWebhook(ctx, open, urls); err != nil || !added {
			t.Fatalf("EnqueueWebhook of the other kind = %v, %v; want added", added, err)
		}
		got, err := s.WebhookEventsRecorded(ctx, "wallet.recovery_nearing", []string{"vault:ab:0", "vault:ab:1", "other:ab:0"})
		if err != nil || len(got) != 1 || !got["vault:ab:0"] {
			t.Fatalf("WebhookEventsRecorded = %v, %v; want vault:ab:0 only", got, err)
		}
		// More keys than one query takes.
		keys := make([]string, 1234)
		for i := range keys {
			keys[i] = fmt.Sprintf("vault:cd:%d", i)
		}
		keys[1000] = "vault:ab:0"
		if got, err := s.WebhookEventsRecorded(ctx, "wallet.recovery_open", keys); err != nil || len(got) != 1 || !got["vault:ab:0"] {
			t.Fatalf("WebhookEventsRecorded of 1234 keys = %v, %v; want vault:ab:0 only", got, err)
		}
	})
}

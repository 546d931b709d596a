package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/wire"
)

// The webhook queue: each event a request went through, once per kind and
// request, and its delivery to each configured URL. Rows stay after
// delivery: the events also say which notifications were made, so a
// restarted coordinator neither repeats nor forgets one.
//
// Coordinators sharing one database share the queue: a process claims a
// delivery (ClaimWebhooks) before it sends it, and records the attempt
// (WebhookAttempt) under that claim, so each attempt goes out from one
// process. A claim runs out, so that a process killed while sending does
// not strand the delivery: another takes it over and sends it again. A
// receiver may therefore see a delivery twice (at least once is what a
// crash leaves) and deduplicates by its id, the X-Airsign-Delivery header.

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the last attempt
)

// WebhookEvent is one notification, as its JSON body will be sent.
type WebhookEvent struct {
	ID      string
	Kind    string
	Request string
	Body    []byte
	Created time.Time
}

// WalletEventKey is the key a wallet event (kind wallet.*) about a coin
// is recorded under in place of a request id: WALLET:TXID:VOUT.
func WalletEventKey(wallet string, op wire.OutPoint) string {
	return wallet + ":" + op.String()
}

// Wallet is the wallet a wallet event (kind wallet.*) tells of, from its
// key (WalletEventKey); "" for a request's event.
func (e WebhookEvent) Wallet() string {
	if !strings.HasPrefix(e.Kind, "wallet.") {
		return ""
	}
	i := strings.LastIndex(e.Request, ":")
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(e.Request[:i], ":")
	if j <= 0 {
		return ""
	}
	return e.Request[:j]
}

// WebhookDelivery is an event's delivery to one URL.
type WebhookDelivery struct {
	Event       WebhookEvent
	URL         string
	State       string
	Attempts    int
	NextAttempt time.Time
	LastStatus  int // the HTTP status of the last attempt; 0: none came
	LastError   string
	Updated     time.Time
	// Claim is the token of the claim it was handed out under by
	// ClaimWebhooks, for WebhookAttempt; "" when not claimed.
	Claim string
	// ClaimedBy is the process that claimed it last (kept after its
	// attempt, to show who sent it), and ClaimedUntil when that claim
	// runs out, in the database's clock: zero once its attempt is
	// recorded.
	ClaimedBy    string
	ClaimedUntil time.Time
}

// ErrNotClaimed is an attempt recorded by a process that no longer holds
// the delivery's claim: its claim ran out and another process took the
// delivery over, or the attempt was recorded already.
var ErrNotClaimed = errors.New("the delivery is not claimed under this claim")

// MaxClaimTTL bounds a claim's length: a dead claimant's deliveries must be
// taken over within minutes.
const MaxClaimTTL = 10 * time.Minute

// NewWebhookID returns a fresh event id: 16 random bytes, hex.
func NewWebhookID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// EnqueueWebhook records e and a pending delivery of it to each of urls,
// due at once, in one transaction. An event of e's kind for e's request
// that was recorded before makes it a no-op: added is false. So does one
// with e's id: a wallet event's id is derived from its kind and key, and
// two coordinators queueing it at once must not fail on the id's
// uniqueness before the (kind, request) one is looked at.
func (s *Store) EnqueueWebhook(ctx context.Context, e WebhookEvent, urls []string) (added bool, err error) {
	if e.ID == "" || e.Kind == "" || e.Request == "" || e.Created.IsZero() {
		return false, fmt.Errorf("store: webhook event: id, kind, request and time must be set")
	}
	err = s.inTx(ctx, func(tx *sqlTx) error {
		added = false
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, kind, request, body, created) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`, e.ID, e.Kind, e.Request, e.Body, e.Created.UnixNano())
		if err != nil {
			return fmt.Errorf("store: webhook %s of %s: %w", e.Kind, e.Request, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // recorded before
		}
		for _, u := range urls {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event, url, state, next_attempt, updated) VALUES (?, ?, 'pending', ?, ?)`,
				e.ID, u, e.Created.UnixNano(), e.Created.UnixNano()); err != nil {
				return fmt.Errorf("store: webhook %s of %s to %s: %w", e.Kind, e.Request, u, err)
			}
		}
		added = true
		return nil
	})
	return added, err
}

const deliveryColumns = `e.id, e.kind, e.request, e.body, e.created, d.url, d.state, d.attempts, d.next_attempt, d.last_status, d.last_error, d.updated,
d.claim, d.claimed_by, d.claimed_until`

func (s *Store) deliveries(ctx context.Context, query string, args ...any) ([]WebhookDelivery, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		var created, next, updated, claimedUntil int64
		if err := rows.Scan(&d.Event.ID, &d.Event.Kind, &d.Event.Request, &d.Event.Body, &created,
			&d.URL, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &updated,
			&d.Claim, &d.ClaimedBy, &claimedUntil); err != nil {
			return nil, fmt.Errorf("store: webhook deliveries: %w", err)
		}
		d.Event.Created, d.NextAttempt, d.Updated = unixTime(created), unixTime(next), unixTime(updated)
		if claimedUntil != 0 {
			d.ClaimedUntil = unixTime(claimedUntil)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	return out, nil
}

// ClaimWebhooks claims for holder up to limit pending deliveries due at
// now that no process holds a live claim on, the oldest events first, and
// returns them. The claim lasts ttl in the database's clock, so that the
// processes' own clocks do not decide whether a claim ran out; holder
// must record each attempt (WebhookAttempt) before then, or another
// process may take the delivery over and send it again.
func (s *Store) ClaimWebhooks(ctx context.Context, holder string, now time.Time, limit int, ttl time.Duration) ([]WebhookDelivery, error) {
	if holder == "" || limit <= 0 || ttl <= 0 || ttl > MaxClaimTTL {
		return nil, fmt.Errorf("store: claim webhooks for %q: a holder, a limit and a length from 1 ns to %s are required", holder, MaxClaimTTL)
	}
	claim, err := NewWebhookID()
	if err != nil {
		return nil, err
	}
	// The database's time is read once, and the rows picked once (both
	// materialized): a subquery with the clock in it would be run again
	// for each row, and pick other rows each time. On PostgreSQL the rows
	// are locked as they are picked, rows another process is claiming at
	// this moment are passed over, and a row whose claim another process
	// wrote since this statement began is checked again as it is now
	// (read committed), and left. SQLite runs one writing statement at a
	// time.
	lock := ""
	if s.db.dialect == dialectPostgres {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	q := strings.ReplaceAll(`WITH clock AS MATERIALIZED (SELECT NOW AS now),
picked AS MATERIALIZED (SELECT d.event, d.url FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event CROSS JOIN clock
	WHERE d.state = 'pending' AND d.next_attempt <= ?4 AND d.claimed_until <= clock.now
	ORDER BY e.created, e.id, d.url LIMIT ?5`+lock+`)
UPDATE webhook_deliveries SET claim = ?1, claimed_by = ?2, claimed_until = (SELECT now FROM clock) + ?3
WHERE (event, url) IN (SELECT event, url FROM picked)
AND state = 'pending' AND next_attempt <= ?4 AND claimed_until <= (SELECT now FROM clock)`, "NOW", s.db.dialect.nowNanos())
	rows, err := s.db.QueryContext(ctx, q+` RETURNING event, url`, claim, holder, ttl.Nanoseconds(), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim webhooks for %q: %w", holder, err)
	}
	var keys [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: claim webhooks for %q: %w", holder, err)
		}
		keys = append(keys, k)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: claim webhooks for %q: %w", holder, err)
	}
	// Each by its key (no index on claim is needed), and only while the
	// claim is still this one.
	var out []WebhookDelivery
	for _, k := range keys {
		ds, err := s.deliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event
WHERE d.event = ? AND d.url = ? AND d.claim = ?`, k[0], k[1], claim)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	slices.SortFunc(out, func(a, b WebhookDelivery) int {
		return cmp.Or(a.Event.Created.Compare(b.Event.Created), cmp.Compare(a.Event.ID, b.Event.ID), cmp.Compare(a.URL, b.URL))
	})
	return out, nil
}

// RecentWebhooks returns the latest limit deliveries, newest first, for
// the admins' page.
func (s *Store) RecentWebhooks(ctx context.Context, limit int) ([]WebhookDelivery, error) {
	return s.deliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event
ORDER BY e.created DESC, e.id, d.url LIMIT ?`, limit)
}

// WebhookAttempt records an attempt to deliver d, as ClaimWebhooks handed
// it out: state is DeliveryDelivered, DeliveryFailed (given up) or
// DeliveryPending with the next attempt at next. errText says what went
// wrong, for the admins; it must hold no secret. It ends the claim. It is
// refused (ErrNotClaimed) when d's claim is no longer the delivery's: a
// process that was too slow must not overwrite the result of the one that
// took the delivery over.
func (s *Store) WebhookAttempt(ctx context.Context, d WebhookDelivery, state string, status int, errText string, next, now time.Time) error {
	event, url := d.Event.ID, d.URL
	if d.Claim == "" {
		return fmt.Errorf("store: webhook delivery %s to %s: %w: it was not handed out by ClaimWebhooks", event, url, ErrNotClaimed)
	}
	if len(errText) > 300 {
		errText = errText[:300]
	}
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt = ?,
last_status = ?, last_error = ?, updated = ?, claim = '', claimed_until = 0
WHERE event = ? AND url = ? AND state = 'pending' AND claim = ?`,
		state, next.UnixNano(), status, errText, now.UnixNano(), event, url, d.Claim)
	if err != nil {
		return fmt.Errorf("store: webhook delivery %s to %s: %w", event, url, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: webhook delivery %s to %s: %w: another process took it over after this one's claim ran out, or its attempt was recorded already", event, url, ErrNotClaimed)
	}
	return nil
}

// WebhookConfig is the webhook endpoints a coordinator process started
// delivering with, as a digest (the webhook package's ConfigDigest).
type WebhookConfig struct {
	Digest  string // hex SHA-256
	SetBy   string // the process
	Updated time.Time
}

// SwapWebhookConfig records c as the webhook endpoints the deployment's
// processes deliver to, and returns the one recorded before; ok is false
// when none was.
func (s *Store) SwapWebhookConfig(ctx context.Context, c WebhookConfig) (prev WebhookConfig, ok bool, err error) {
	if len(c.Digest) != 64 || c.SetBy == "" || c.Updated.IsZero() {
		return WebhookConfig{}, false, fmt.Errorf("store: webhook configuration: a 64-digit digest, a process and a time must be set")
	}
	err = s.inTx(ctx, func(tx *sqlTx) error {
		prev, ok = WebhookConfig{}, false
		var updated int64
		err := tx.QueryRowContext(ctx, `SELECT digest, set_by, updated FROM webhook_config WHERE id = 1`).Scan(&prev.Digest, &prev.SetBy, &updated)
		switch {
		case err == nil:
			ok, prev.Updated = true, unixTime(updated)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_config (id, digest, set_by, updated) VALUES (1, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, set_by = excluded.set_by, updated = excluded.updated`,
			c.Digest, c.SetBy, c.Updated.UnixNano())
		return err
	})
	if err != nil {
		return WebhookConfig{}, false, fmt.Errorf("store: webhook configuration: %w", err)
	}
	return prev, ok, nil
}

// RequestsAwaiting returns the ids of requests in status that have a
// webhook event of kind had and none of kind lacks yet: those whose next
// event is lacks, once it happens.
func (s *Store) RequestsAwaiting(ctx context.Context, status Status, had, lacks string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM withdrawals w WHERE status = ?
AND EXISTS (SELECT 1 FROM webhook_events e WHERE e.kind = ? AND e.request = w.id)
AND NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.kind = ? AND e.request = w.id) ORDER BY created`, string(status), had, lacks)
	if err != nil {
		return nil, fmt.Errorf("store: requests awaiting %s: %w", lacks, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: requests awaiting %s: %w", lacks, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// WebhookEventsRecorded returns which of requests (request ids, or the
// keys wallet events are queued under) have an event of kind recorded,
// so that a caller checking often queues only what is new instead of
// writing for every key at every pass.
func (s *Store) WebhookEventsRecorded(ctx context.Context, kind string, requests []string) (map[string]bool, error) {
	out := map[string]bool{}
	const chunk = 500 // well under either engine's limit on parameters
	for len(requests) > 0 {
		n := min(chunk, len(requests))
		part := requests[:n]
		requests = requests[n:]
		args := []any{kind}
		for _, r := range part {
			args = append(args, r)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT request FROM webhook_events WHERE kind = ? AND request IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: webhook events of %s: %w", kind, err)
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: webhook events of %s: %w", kind, err)
			}
			out[r] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("store: webhook events of %s: %w", kind, err)
		}
	}
	return out, nil
}

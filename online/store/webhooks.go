package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// The webhook queue: each event a request went through, once per kind and
// request, and its delivery to each configured URL. Rows stay after
// delivery: the events also say which notifications were made, so a
// restarted coordinator neither repeats nor forgets one.

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
}

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
// that was recorded before makes it a no-op: added is false.
func (s *Store) EnqueueWebhook(ctx context.Context, e WebhookEvent, urls []string) (added bool, err error) {
	if e.ID == "" || e.Kind == "" || e.Request == "" || e.Created.IsZero() {
		return false, fmt.Errorf("store: webhook event: id, kind, request and time must be set")
	}
	err = s.inTx(ctx, func(tx *sqlTx) error {
		added = false
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, kind, request, body, created) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (kind, request) DO NOTHING`, e.ID, e.Kind, e.Request, e.Body, e.Created.UnixNano())
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

const deliveryColumns = `e.id, e.kind, e.request, e.body, e.created, d.url, d.state, d.attempts, d.next_attempt, d.last_status, d.last_error, d.updated`

func (s *Store) deliveries(ctx context.Context, query string, args ...any) ([]WebhookDelivery, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		var created, next, updated int64
		if err := rows.Scan(&d.Event.ID, &d.Event.Kind, &d.Event.Request, &d.Event.Body, &created,
			&d.URL, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &updated); err != nil {
			return nil, fmt.Errorf("store: webhook deliveries: %w", err)
		}
		d.Event.Created, d.NextAttempt, d.Updated = unixTime(created), unixTime(next), unixTime(updated)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	return out, nil
}

// DueWebhooks returns up to limit pending deliveries due at now, the
// oldest events first.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]WebhookDelivery, error) {
	return s.deliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event
WHERE d.state = 'pending' AND d.next_attempt <= ? ORDER BY e.created, e.id, d.url LIMIT ?`, now.UnixNano(), limit)
}

// RecentWebhooks returns the latest limit deliveries, newest first, for
// the admins' page.
func (s *Store) RecentWebhooks(ctx context.Context, limit int) ([]WebhookDelivery, error) {
	return s.deliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event
ORDER BY e.created DESC, e.id, d.url LIMIT ?`, limit)
}

// WebhookAttempt records an attempt to deliver event to url: state is
// DeliveryDelivered, DeliveryFailed (given up) or DeliveryPending with the
// next attempt at next. errText says what went wrong, for the admins; it
// must hold no secret.
func (s *Store) WebhookAttempt(ctx context.Context, event, url, state string, status int, errText string, next, now time.Time) error {
	if len(errText) > 300 {
		errText = errText[:300]
	}
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt = ?,
last_status = ?, last_error = ?, updated = ? WHERE event = ? AND url = ? AND state = 'pending'`,
		state, next.UnixNano(), status, errText, now.UnixNano(), event, url)
	if err != nil {
		return fmt.Errorf("store: webhook delivery %s to %s: %w", event, url, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: webhook delivery %s to %s: %w: no pending delivery", event, url, ErrNotFound)
	}
	return nil
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

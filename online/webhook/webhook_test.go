package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"airsign/online/coordinator"
	"airsign/online/store"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// clock is a test's settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// receiver is a real HTTP server that checks every delivery as a
// receiver would and answers with the statuses it is given, in turn.
type receiver struct {
	srv    *httptest.Server
	secret []byte
	clock  *clock

	mu       sync.Mutex
	statuses []int
	got      []map[string]any
	refusals []string
}

func newReceiver(t *testing.T, secret string, c *clock, statuses ...int) *receiver {
	r := &receiver{secret: []byte(secret), clock: c, statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := Verify(r.secret, req.Header, b, r.clock.Now(), 0); err != nil {
			r.refusals = append(r.refusals, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		if status == http.StatusOK {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("body %s: %v", b, err)
			}
			m["header_event"] = req.Header.Get(HeaderEvent)
			r.got = append(r.got, m)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.got...)
}

const secretA = "0123456789abcdef0123456789abcdef"

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var event = coordinator.Event{Kind: coordinator.EventNeedsApproval, Request: "7f3a", Wallet: "treasury", State: "pending",
	Requester: "alice", Amount: 350_000, Fee: 1_410}

func TestDeliverySignedRetriedAndAfterRestart(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: t0}
	recv := newReceiver(t, secretA, c, http.StatusInternalServerError) // then 200s
	path := filepath.Join(t.TempDir(), "coordinator.db")
	st := openStore(t, path)
	opts := Options{Endpoints: []Endpoint{{URL: recv.srv.URL + "/hooks/airsign?token=t", Secret: []byte(secretA)}},
		PublicURL: "https://treasury.example/", Now: c.Now}
	q, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	q.Notify(ctx, event)
	q.Notify(ctx, event) // the same event again: queued once

	// The first attempt meets a 500: pending, retried after Backoff(1).
	if n, err := q.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("first pass: %d delivered, %v; want 0 (the receiver answers 500)", n, err)
	}
	recent, err := st.RecentWebhooks(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].State != store.DeliveryPending || recent[0].LastStatus != 500 ||
		!strings.Contains(recent[0].LastError, "HTTP 500") || strings.Contains(recent[0].LastError, "token") {
		t.Fatalf("after the 500: %+v, %v; want pending, 500, no URL in the error", recent, err)
	}
	c.Advance(Backoff(1) - time.Second)
	if n, _ := q.DeliverDue(ctx); n != 0 {
		t.Fatal("retried before its backoff")
	}

	// The coordinator restarts: a new store handle and queue, same file.
	st.Close()
	st = openStore(t, path)
	q, err = New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if n, err := q.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the restart: %d delivered, %v; want 1", n, err)
	}
	got := recv.received()
	if len(got) != 1 {
		t.Fatalf("received %d, want 1", len(got))
	}
	req, _ := got[0]["request"].(map[string]any)
	want := map[string]any{"id": "7f3a", "wallet": "treasury", "state": "pending", "requester": "alice",
		"amount_sat": 350000.0, "fee_sat": 1410.0, "url": "https://treasury.example/requests/7f3a"}
	for k, v := range want {
		if req[k] != v {
			t.Errorf("request.%s = %v, want %v", k, req[k], v)
		}
	}
	if got[0]["event"] != coordinator.EventNeedsApproval || got[0]["header_event"] != coordinator.EventNeedsApproval {
		t.Errorf("event %v (header %v), want %s", got[0]["event"], got[0]["header_event"], coordinator.EventNeedsApproval)
	}
	if len(req) != len(want) {
		t.Errorf("request carries %v; want only %v (no PSBT, address or memo)", req, want)
	}
	if recv.refusals != nil {
		t.Errorf("the receiver refused: %v", recv.refusals)
	}
	recent, _ = st.RecentWebhooks(ctx, 10)
	if recent[0].State != store.DeliveryDelivered || recent[0].Attempts != 2 {
		t.Fatalf("after delivery: %+v; want delivered after 2 attempts", recent[0])
	}
}

func TestVerifyRefuses(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	ts := strconv.FormatInt(t0.Unix(), 10)
	good := http.Header{}
	good.Set(HeaderTimestamp, ts)
	good.Set(HeaderSignature, Sign([]byte(secretA), ts, body))
	if err := Verify([]byte(secretA), good, body, t0, 0); err != nil {
		t.Fatalf("a good delivery: %v", err)
	}
	cases := []struct {
		name   string
		secret string
		body   string
		now    time.Time
		ts     string
		want   string
	}{
		{"another secret", "fedcba9876543210fedcba9876543210", string(body), t0, ts, "signature"},
		{"a changed body", secretA, `{"id":"y"}`, t0, ts, "signature"},
		{"replayed later", secretA, string(body), t0.Add(6 * time.Minute), ts, "window"},
		{"from the future", secretA, string(body), t0.Add(-6 * time.Minute), ts, "window"},
		{"no timestamp", secretA, string(body), t0, "", "unix seconds"},
		{"a timestamp moved", secretA, string(body), t0.Add(time.Minute), strconv.FormatInt(t0.Unix()+60, 10), "signature"},
	}
	for _, tc := range cases {
		h := good.Clone()
		h.Set(HeaderTimestamp, tc.ts)
		err := Verify([]byte(tc.secret), h, []byte(tc.body), tc.now, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
}

func TestInternalAddressesRefused(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: t0}
	st := openStore(t, filepath.Join(t.TempDir(), "coordinator.db"))
	// Refused at the dial, before any packet leaves: no server needed.
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/hook", "http://0.0.0.0:9/hook"} {
		q, err := New(st, Options{Endpoints: []Endpoint{{URL: u, Secret: []byte(secretA)}}, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		e := event
		e.Request = "r-" + u
		q.Notify(ctx, e)
		if n, err := q.DeliverDue(ctx); err != nil || n != 0 {
			t.Fatalf("%s: %d delivered, %v", u, n, err)
		}
		recent, _ := st.RecentWebhooks(ctx, 1)
		if len(recent) != 1 || !strings.Contains(recent[0].LastError, "refused address") || recent[0].State != store.DeliveryPending {
			t.Fatalf("%s: %+v; want a refused address, pending", u, recent)
		}
	}
	// The configuration refuses what is not a plain http(s) URL, and
	// short secrets.
	for _, ep := range []Endpoint{
		{URL: "file:///etc/passwd", Secret: []byte(secretA)},
		{URL: "gopher://example.com/", Secret: []byte(secretA)},
		{URL: "https://user:pw@example.com/", Secret: []byte(secretA)},
		{URL: "https://example.com/", Secret: []byte("short")},
	} {
		if _, err := New(st, Options{Endpoints: []Endpoint{ep}}); err == nil {
			t.Errorf("%s with a %d-byte secret was accepted", ep.URL, len(ep.Secret))
		}
	}
}

func TestCheckAddress(t *testing.T) {
	// What the dialler checks, with and without allow_internal; loopback
	// (a receiver on the same host) and private ranges pass either way.
	for _, tc := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"169.254.169.254:80", false, false},
		{"169.254.169.254:80", true, true},
		{"[fe80::1%eth0]:80", false, false},
		{"[fd00:ec2::254]:80", false, false},
		{"100.100.100.200:80", false, false},
		{"224.0.0.1:80", false, false},
		{"[::]:80", false, false},
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"10.1.2.3:443", false, true},
		{"203.0.113.7:443", false, true},
	} {
		err := checkAddress(tc.addr, tc.allow)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, errRefusedAddress) {
			t.Errorf("checkAddress(%s, allow %v) = %v; want ok %v", tc.addr, tc.allow, err, tc.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// A process told to stop just after the receiver took a delivery still
// records it as delivered: left unrecorded, another process would send
// it again once the claim ran out.
func TestResultRecordedWhileStopping(t *testing.T) {
	c := &clock{now: t0}
	recv := newReceiver(t, secretA, c)
	st := openStore(t, filepath.Join(t.TempDir(), "coordinator.db"))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	now := func() time.Time {
		// The first reading of the clock after the receiver has the
		// delivery is the one after the send: stop then.
		if len(recv.received()) > 0 {
			stop()
		}
		return c.Now()
	}
	q, err := New(st, Options{Endpoints: []Endpoint{{URL: recv.srv.URL + "/hooks", Secret: []byte(secretA)}}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	q.Notify(context.Background(), event)
	q.DeliverDue(ctx)
	if ctx.Err() == nil {
		t.Fatal("the process was not stopped during the pass")
	}
	recent, err := st.RecentWebhooks(context.Background(), 10)
	if err != nil || len(recent) != 1 || recent[0].State != store.DeliveryDelivered {
		var states []string
		for _, d := range recent {
			states = append(states, d.State)
		}
		t.Fatalf("after stopping: deliveries %v (%v); want one, recorded as delivered", states, err)
	}
	if n := len(recv.received()); n != 1 {
		t.Fatalf("the receiver got %d deliveries, want 1", n)
	}
}

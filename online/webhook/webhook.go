// Package webhook tells other systems (a chat, a ticketing system, a
// treasury's own service) that a request needs approval, was signed,
// broadcast or confirmed, and that a wallet's coin must be refreshed
// before its recovery path opens: a JSON POST to each configured URL,
// signed with that URL's shared secret.
//
// Events are queued in the store (never sent on the path of the request
// that caused them), delivered by Run in order, and retried with growing
// pauses after an error or a non-2xx answer; the queue outlives a restart.
// A body holds ids, amounts and states and a link to the request's page;
// never a PSBT, an address, a memo or a secret.
//
// A wallet event is about one coin of a wallet with a recovery path, and
// is sent once per coin: wallet.recovery_nearing when the coin comes
// within the warning window (recovery_warn_blocks) of its recovery path
// opening, wallet.recovery_open when the path is open (the recovery key
// alone can spend the coin; a coin first seen open gets this one alone).
// Its body has a "wallet" object in place of "request": the wallet's
// name, the tip height, the lock and window in blocks, the coin's amount,
// recovery height, blocks until then and about when, and the wallet's
// coins in the window now (count, amount, how many open, the earliest
// recovery height and about when); never an address or an outpoint. Its
// id is derived from the kind, wallet and coin, so it is the same
// wherever and however often it is queued.
//
// Each POST carries:
//
//	X-Airsign-Event:     request.needs_approval | request.signed | request.broadcast | request.confirmed |
//	                     wallet.recovery_nearing | wallet.recovery_open
//	X-Airsign-Delivery:  the event's id (the same on every retry and URL: deduplicate by it)
//	X-Airsign-Timestamp: unix seconds when this attempt was signed
//	X-Airsign-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))
//
// A receiver checks the signature (Verify does) and refuses a timestamp
// outside its window, so a captured request cannot be replayed later.
//
// Coordinators sharing one database deliver from one queue: each claims a
// delivery in the store before it sends it, so one attempt goes out from
// one process. A process that dies while sending leaves its claim to run
// out (ClaimTTL), and another sends the delivery again: a receiver can
// see an event twice after a crash, and deduplicates by X-Airsign-Delivery.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/argon2"

	"airsign/online/coordinator"
	"airsign/online/store"
)

// Header names of a delivery.
const (
	HeaderEvent     = "X-Airsign-Event"
	HeaderDelivery  = "X-Airsign-Delivery"
	HeaderTimestamp = "X-Airsign-Timestamp"
	HeaderSignature = "X-Airsign-Signature"
)

// DefaultWindow is how far from now Verify accepts a timestamp.
const DefaultWindow = 5 * time.Minute

// MinSecretLen is the shortest shared secret accepted: 128 bits of a
// random hex or base64 string.
const MinSecretLen = 16

// Endpoint is one receiver of every event.
type Endpoint struct {
	URL    string
	Secret []byte
	// AllowInternal lets deliveries reach link-local addresses, cloud
	// metadata services among them, which are refused by default: a URL
	// in the configuration must not become a way into the coordinator's
	// own network neighbourhood (SSRF).
	AllowInternal bool
}

// Options configure a Queue.
type Options struct {
	Endpoints []Endpoint
	// PublicURL is where people reach the web pages
	// (https://treasury.example), for the request links in bodies; empty
	// sends no link.
	PublicURL string
	// Logf receives delivery failures and queueing errors; never a
	// secret or a URL's path (which may hold a token). nil logs nothing.
	Logf func(format string, args ...any)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Timeout bounds one attempt (0: 10 seconds; at most MaxTimeout).
	Timeout time.Duration
	// Poll is how often Run looks for due deliveries without being woken,
	// for events queued by another process (0: 5 seconds).
	Poll time.Duration
	// Holder names this process in the deliveries it claims, for the
	// admins ("": coordinator.LeaseHolderID()).
	Holder string
	// Record adds an entry to the audit log: CheckConfig records there
	// that this process's endpoints differ from another's. nil records
	// nothing.
	Record func(kind string, data map[string]any) error
}

// MaxTimeout bounds Options.Timeout, so that a claim (ClaimTTL) stays
// within what the store allows.
const MaxTimeout = 4 * time.Minute

// ClaimTTL is how long a process's claim on a delivery lasts when one
// attempt may take timeout: the attempt and the writes around it with
// room to spare. A process that dies while sending holds the delivery up
// this long before another takes it over.
func ClaimTTL(timeout time.Duration) time.Duration { return 2*timeout + 30*time.Second }

// MaxAttempts is how many times a delivery is tried before it is marked
// failed: pauses of 30 s doubling to an hour between, about 9 hours in all.
const MaxAttempts = 14

// Backoff is the pause after the attempt-th failed attempt.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Queue queues events in the store and delivers them. It is the
// coordinator's Notifier.
type Queue struct {
	st     *store.Store
	opts   Options
	client *http.Client
	byURL  map[string]Endpoint
	wake   chan struct{}
}

// New checks the endpoints and returns their queue over st.
func New(st *store.Store, opts Options) (*Queue, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Timeout > MaxTimeout {
		return nil, fmt.Errorf("webhooks: an attempt's timeout of %v is longer than the %v allowed", opts.Timeout, MaxTimeout)
	}
	if opts.Holder == "" {
		opts.Holder = coordinator.LeaseHolderID()
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.PublicURL != "" {
		if _, err := checkURL(opts.PublicURL); err != nil {
			return nil, fmt.Errorf("webhooks: public URL: %w", err)
		}
		opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	}
	q := &Queue{st: st, opts: opts, byURL: map[string]Endpoint{}, wake: make(chan struct{}, 1)}
	for i, e := range opts.Endpoints {
		if _, err := checkURL(e.URL); err != nil {
			return nil, fmt.Errorf("webhook %d: %w", i+1, err)
		}
		if len(e.Secret) < MinSecretLen {
			return nil, fmt.Errorf("webhook %d (%s): the secret is %d bytes; give at least %d random ones (openssl rand -hex 32)", i+1, Redact(e.URL), len(e.Secret), MinSecretLen)
		}
		if _, dup := q.byURL[e.URL]; dup {
			return nil, fmt.Errorf("webhook %d (%s) is configured twice", i+1, Redact(e.URL))
		}
		q.byURL[e.URL] = e
	}
	q.client = &http.Client{
		Timeout: opts.Timeout,
		// A redirect would go to a URL nobody configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would dial for us, past the address check
			DialContext:           q.dial,
			TLSHandshakeTimeout:   opts.Timeout,
			ResponseHeaderTimeout: opts.Timeout,
			MaxIdleConns:          4,
			IdleConnTimeout:       time.Minute,
		},
	}
	return q, nil
}

// checkURL allows http and https URLs with a host and no user info.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %v", Redact(raw), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: only http and https URLs are allowed", Redact(raw))
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%s: give a host, and no user name or password in the URL", Redact(raw))
	}
	return u, nil
}

// Redact is a URL as it may be shown or logged: its scheme and host, since
// a path or query often holds a token (chat webhooks do).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL)"
	}
	s := u.Scheme + "://" + u.Host + "/"
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "…"
	}
	return s
}

// refused says why ip may not be dialled without AllowInternal, or "".
func refused(ip net.IP) string {
	switch {
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "a link-local address (cloud metadata services live there)"
	case ip.IsUnspecified(), ip.IsMulticast():
		return "not a host's address"
	case ip.Equal(net.ParseIP("fd00:ec2::254")), ip.Equal(net.ParseIP("100.100.100.200")):
		return "a cloud metadata service"
	}
	return ""
}

// errRefusedAddress is a dial to an address the endpoint may not reach.
var errRefusedAddress = errors.New("refused address")

// dial connects only to addresses the endpoint may reach. The check is on
// the address actually dialled, after name resolution, so a name that
// resolves to another address by the time of the attempt (DNS rebinding)
// gains nothing.
func (q *Queue) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	allow, _ := ctx.Value(allowKey{}).(bool)
	d := &net.Dialer{Timeout: q.opts.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		return checkAddress(address, allow)
	}}
	return d.DialContext(ctx, network, addr)
}

// checkAddress refuses to dial address (host:port, the host an IP)
// when it is refused, unless allow.
func checkAddress(address string, allow bool) error {
	if allow {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("%w: %s is not an IP address", errRefusedAddress, host)
	}
	if why := refused(ip); why != "" {
		return fmt.Errorf("%w: %s is %s; set allow_internal on this webhook if it is really meant", errRefusedAddress, ip, why)
	}
	return nil
}

type allowKey struct{}

// body is what a delivery posts: a request's event or a wallet's.
type body struct {
	ID      string       `json:"id"`
	Event   string       `json:"event"`
	Time    time.Time    `json:"time"`
	Request *requestBody `json:"request,omitempty"`
	Wallet  *walletBody  `json:"wallet,omitempty"`
}

type requestBody struct {
	ID        string `json:"id"`
	Wallet    string `json:"wallet"`
	State     string `json:"state"`
	Requester string `json:"requester"`
	AmountSat int64  `json:"amount_sat"`
	FeeSat    int64  `json:"fee_sat"`
	TxID      string `json:"txid,omitempty"`
	URL       string `json:"url,omitempty"`
}

// walletBody is a wallet event's: a coin whose recovery path opens soon or
// has opened (coordinator.RecoveryNotice).
type walletBody struct {
	Name               string     `json:"name"`
	TipHeight          int32      `json:"tip_height"`
	RecoveryLockBlocks uint32     `json:"recovery_lock_blocks"`
	WarnBlocks         uint32     `json:"warn_blocks"`
	Coin               coinBody   `json:"coin"`
	InWindow           windowBody `json:"in_window"`
	URL                string     `json:"url,omitempty"`
}

type coinBody struct {
	AmountSat        int64     `json:"amount_sat"`
	RecoveryHeight   int32     `json:"recovery_height"`
	RecoveryInBlocks int32     `json:"recovery_in_blocks"` // 0: open
	RecoveryAbout    time.Time `json:"recovery_about"`
	Open             bool      `json:"open"`
}

type windowBody struct {
	Coins                  int       `json:"coins"`
	AmountSat              int64     `json:"amount_sat"`
	OpenCoins              int       `json:"open_coins"`
	OpenAmountSat          int64     `json:"open_amount_sat"`
	EarliestRecoveryHeight int32     `json:"earliest_recovery_height"`
	EarliestRecoveryAbout  time.Time `json:"earliest_recovery_about"`
}

// eventBody is e's body under id, at now.
func (q *Queue) eventBody(id string, now time.Time, e coordinator.Event) body {
	b := body{ID: id, Event: e.Kind, Time: now}
	if r := e.Recovery; r != nil {
		b.Wallet = &walletBody{Name: e.Wallet, TipHeight: r.Tip, RecoveryLockBlocks: r.Lock, WarnBlocks: r.Window,
			Coin: coinBody{AmountSat: int64(e.Amount), RecoveryHeight: r.RecoveryHeight, RecoveryInBlocks: r.RecoveryIn,
				RecoveryAbout: r.RecoveryAbout.UTC(), Open: r.RecoveryIn == 0},
			InWindow: windowBody{Coins: r.Coins, AmountSat: int64(r.CoinsAmount), OpenCoins: r.Open, OpenAmountSat: int64(r.OpenAmount),
				EarliestRecoveryHeight: r.Earliest, EarliestRecoveryAbout: r.EarliestAbout.UTC()}}
		if q.opts.PublicURL != "" {
			b.Wallet.URL = q.opts.PublicURL + "/wallets/" + url.PathEscape(e.Wallet)
		}
		return b
	}
	b.Request = &requestBody{ID: e.Request, Wallet: e.Wallet, State: e.State,
		Requester: e.Requester, AmountSat: int64(e.Amount), FeeSat: int64(e.Fee), TxID: e.TxID}
	if q.opts.PublicURL != "" {
		b.Request.URL = q.opts.PublicURL + "/requests/" + url.PathEscape(e.Request)
	}
	return b
}

// Notify queues e for every endpoint and wakes Run. It is called on the
// path of the request that caused e: it only writes to the store.
func (q *Queue) Notify(ctx context.Context, e coordinator.Event) {
	if err := q.notify(ctx, e); err != nil {
		q.opts.Logf("webhook: queueing %s of %s: %v", e.Kind, subject(e.Kind, e.Request), err)
	}
}

func (q *Queue) notify(ctx context.Context, e coordinator.Event) error {
	id := e.ID
	if id == "" {
		var err error
		if id, err = store.NewWebhookID(); err != nil {
			return err
		}
	}
	now := q.opts.Now().UTC()
	data, err := json.Marshal(q.eventBody(id, now, e))
	if err != nil {
		return err
	}
	urls := make([]string, 0, len(q.opts.Endpoints))
	for _, ep := range q.opts.Endpoints {
		urls = append(urls, ep.URL)
	}
	added, err := q.st.EnqueueWebhook(ctx, store.WebhookEvent{ID: id, Kind: e.Kind, Request: e.Request, Body: data, Created: now}, urls)
	if added && len(urls) > 0 {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return err
}

// ConfigDigest identifies a set of endpoints, whatever their order: each
// endpoint's URL and allow_internal under an HMAC keyed with its secret,
// sorted, hashed. Processes configured alike get the same digest; a
// different URL, secret or allow_internal gives another. Keyed with the
// secrets, it tells a reader of the database (or of the audit log, which
// records it) nothing about the URLs. The key is the secret stretched by
// Argon2id (2 passes over 32 MiB), so someone who knows a URL cannot test
// guesses of a weak secret against the digest at the speed of SHA-256.
func ConfigDigest(eps []Endpoint) string {
	lines := make([]string, 0, len(eps))
	for _, e := range eps {
		key := argon2.IDKey(e.Secret, []byte("airsign webhook endpoint\x00"+e.URL), 2, 32<<10, 1, 32)
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "airsign webhook endpoint\x00%s\x00%t", e.URL, e.AllowInternal)
		lines = append(lines, hex.EncodeToString(m.Sum(nil)))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// CheckConfig records this process's endpoints (ConfigDigest) as the ones
// the deployment delivers to, and says so loudly, in the log and the audit
// log, when the process that did so before had others. Every coordinator
// sharing a database must have the same webhooks.json: a delivery goes to
// the URLs of the process that queued it, is signed with the secret of the
// process that sends it, and is marked failed by a process that lacks its
// URL. differs reports a difference.
func (q *Queue) CheckConfig(ctx context.Context) (differs bool, err error) {
	mine := store.WebhookConfig{Digest: ConfigDigest(q.opts.Endpoints), SetBy: q.opts.Holder, Updated: q.opts.Now().UTC()}
	prev, ok, err := q.st.SwapWebhookConfig(ctx, mine)
	if err != nil || !ok || prev.Digest == mine.Digest {
		return false, err
	}
	q.opts.Logf("webhook: WARNING: this process's webhooks.json (%d endpoint(s), digest %.16s) differs from the one process %s started with at %s (digest %.16s). "+
		"Every coordinator sharing the database must have the same webhooks.json (URLs, secrets, allow_internal): copy one file to every machine and restart the others.",
		len(q.opts.Endpoints), mine.Digest, prev.SetBy, prev.Updated.Format(time.RFC3339), prev.Digest)
	if q.opts.Record != nil {
		err = q.opts.Record("webhooks-config-differs", map[string]any{"process": mine.SetBy, "digest": mine.Digest, "endpoints": len(q.opts.Endpoints),
			"other_process": prev.SetBy, "other_digest": prev.Digest, "other_since": prev.Updated})
	}
	return true, err
}

// Run delivers due events until ctx ends: at once when Notify queues one,
// and every Poll for retries and events other processes queued. It starts
// with CheckConfig.
func (q *Queue) Run(ctx context.Context) {
	if _, err := q.CheckConfig(ctx); err != nil && ctx.Err() == nil {
		q.opts.Logf("webhook: checking the configuration against the other processes': %v", err)
	}
	t := time.NewTicker(q.opts.Poll)
	defer t.Stop()
	for {
		if _, err := q.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			q.opts.Logf("webhook: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// deliverBatch bounds one pass, so that a long queue does not hold up
// the pass's end (and new events) for long.
const deliverBatch = 50

// DeliverDue makes one attempt at each delivery due now and returns how
// many were delivered. It claims one delivery at a time, so that the
// claim covers a single attempt and other processes sharing the store
// take the next ones meanwhile.
func (q *Queue) DeliverDue(ctx context.Context) (int, error) {
	delivered := 0
	for range deliverBatch {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		due, err := q.st.ClaimWebhooks(ctx, q.opts.Holder, q.opts.Now(), 1, ClaimTTL(q.opts.Timeout))
		if err != nil || len(due) == 0 {
			return delivered, err
		}
		ok, err := q.attempt(ctx, due[0])
		if ok {
			delivered++
		}
		if errors.Is(err, store.ErrNotClaimed) {
			// This attempt took longer than the claim: another process
			// has the delivery now, and its result counts.
			q.opts.Logf("webhook: %s of %s to %s: %v", due[0].Event.Kind, subject(due[0].Event.Kind, due[0].Event.Request), Redact(due[0].URL), err)
			continue
		}
		if err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// subject names what an event of kind tells of, for the log: "request
// ID", or "wallet NAME" for a wallet event, recorded under the coin's key.
func subject(kind, key string) string {
	if w := (store.WebhookEvent{Kind: kind, Request: key}).Wallet(); w != "" {
		return "wallet " + w
	}
	return "request " + key
}

// recordTimeout bounds recording an attempt's result.
const recordTimeout = 10 * time.Second

// attempt sends the claimed delivery d once and records the attempt; ok
// is whether the receiver took it.
func (q *Queue) attempt(ctx context.Context, d store.WebhookDelivery) (ok bool, err error) {
	ep, known := q.byURL[d.URL]
	if !known {
		// Queued for a URL since removed from the configuration:
		// nobody to sign for.
		return false, q.st.WebhookAttempt(ctx, d, store.DeliveryFailed, 0,
			"this URL is no longer configured", q.opts.Now(), q.opts.Now())
	}
	status, sendErr := q.send(ctx, ep, d.Event)
	if sendErr != nil && ctx.Err() != nil {
		// Cut short by this process stopping: not the receiver's
		// failure. The claim runs out and the delivery is sent again.
		return false, nil
	}
	// A result is recorded even when the process stops meanwhile: a
	// delivery the receiver took and left unrecorded would go out again
	// from another process once the claim runs out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := q.opts.Now()
	state, next, msg := store.DeliveryDelivered, now, ""
	if sendErr != nil {
		msg = sendErr.Error()
		state, next = store.DeliveryPending, now.Add(Backoff(d.Attempts+1))
		if d.Attempts+1 >= MaxAttempts {
			state = store.DeliveryFailed
		}
		q.opts.Logf("webhook: %s of %s to %s, attempt %d: %s", d.Event.Kind, subject(d.Event.Kind, d.Event.Request), Redact(d.URL), d.Attempts+1, msg)
	}
	return sendErr == nil, q.st.WebhookAttempt(ctx, d, state, status, msg, next, now)
}

// send makes one attempt. Its error says what went wrong without the URL
// (which may hold a token): the HTTP status, or the network's error.
func (q *Queue) send(ctx context.Context, ep Endpoint, e store.WebhookEvent) (int, error) {
	ctx = context.WithValue(ctx, allowKey{}, ep.AllowInternal)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(string(e.Body)))
	if err != nil {
		return 0, errors.New("the URL cannot be requested")
	}
	ts := strconv.FormatInt(q.opts.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "airsign-coordinator webhook")
	req.Header.Set(HeaderEvent, e.Kind)
	req.Header.Set(HeaderDelivery, e.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(ep.Secret, ts, e.Body))
	resp, err := q.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the receiver answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// Sign is the X-Airsign-Signature value of body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery as a receiver should: the signature over the
// timestamp and body under secret, and the timestamp within window of
// now (0: DefaultWindow).
func Verify(secret []byte, h http.Header, body []byte, now time.Time, window time.Duration) error {
	if window <= 0 {
		window = DefaultWindow
	}
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: the timestamp %q is not unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return fmt.Errorf("webhook: the timestamp is %v from now, outside the %v window: a replay, or a clock to set", d.Round(time.Second), window)
	}
	if !hmac.Equal([]byte(h.Get(HeaderSignature)), []byte(Sign(secret, ts, body))) {
		return errors.New("webhook: the signature does not match: another secret, or a body changed on the way")
	}
	return nil
}

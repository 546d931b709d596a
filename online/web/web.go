// Package web serves the treasury's browser pages (ui/web) over the
// coordinator: sign-in with per-user passwords and sessions, the wallets,
// new withdrawals with a preview, requests with approvals, the animated QR
// for the kiosk and the way back (uploaded or camera-scanned signed
// frames), and the audit log.
//
// Every page and form checks the user's role on the server; every POST
// carries a CSRF token bound to the session; every input is capped before
// it is read. The pages carry no inline script or style, so the
// Content-Security-Policy is default-src 'self'.
package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/coordinator"
	"airsign/online/httperr"
	"airsign/online/store"
	"airsign/psbt/amount"
	"airsign/psbt/auditlog"
	ui "airsign/ui/web"
)

// Options tune the handler. The zero value is usable.
type Options struct {
	// Audit is the coordinator's audit log, shown on the Audit page and
	// exported from it; nil shows no log.
	Audit *auditlog.Log
	// Logf receives one line per request and internal errors; never a
	// password, session id or CSRF token. nil means no logging.
	Logf func(format string, args ...any)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SecureCookies marks the session cookie Secure and names it with the
	// __Host- prefix. Set it when the pages are served over TLS, directly
	// or behind a TLS proxy; requests that arrive over TLS get Secure
	// cookies anyway.
	SecureCookies bool
	// SessionIdle ends a session after this long without a request (0:
	// 30 minutes); SessionMax ends it this long after sign-in whatever the
	// activity (0: 12 hours).
	SessionIdle, SessionMax time.Duration
	// MaxFailures wrong passwords in a row from one client address lock
	// the account's sign-in from that address for LockFor (0: 5 and 15
	// minutes).
	MaxFailures int
	LockFor     time.Duration
	// GlobalMaxFailures wrong passwords in a row from any addresses lock
	// the user's sign-in from everywhere (0: 10 times MaxFailures).
	// MaxFailures counts per client address, so a stranger cannot lock a
	// user out; this bounds guessing from many addresses.
	GlobalMaxFailures int
	// ConcurrentKDF bounds simultaneous argon2id runs (0: 2).
	ConcurrentKDF int
	// DummyParams are the argon2id parameters of the hash checked for
	// unknown users, to take as long as a real one (zero:
	// DefaultPasswordParams). Tests set cheap ones.
	DummyParams PasswordParams
	// MaxUpload caps a signed-frames upload, in bytes, before any of it
	// is read (0: DefaultMaxUpload).
	MaxUpload int64
}

// Limits on what a browser may send.
const (
	DefaultMaxUpload = 20 << 20 // several GIFs of a large PSBT
	maxFormBytes     = 16 << 10 // every form but the upload
	maxScanBytes     = 4 << 20  // one camera frame or one file of the upload
	maxUploadFiles   = 64
)

// Handler is the web UI. Mount it at / next to the JSON API.
type Handler struct {
	c     *coordinator.Coordinator
	st    *store.Store
	opts  Options
	pages map[string]*template.Template
	mux   *http.ServeMux
	kdf   *kdf
	dummy []byte
	scans *scans
	// decoding bounds how many uploads or camera frames are decoded at
	// once (see qr.MaxGIFPixels for what one may cost).
	decoding chan struct{}
	// userDecoding holds the users who have an image being decoded: one
	// at a time each, so that one user's uploads cannot take every
	// decoding slot from the others.
	userDecodingMu sync.Mutex
	userDecoding   map[string]bool
	// loginMu serialises password checks per user name, so concurrent
	// wrong guesses cannot both pass the lockout check before either
	// counts.
	loginMu [64]sync.Mutex
}

// New returns the web UI over c, with users and sessions in st.
func New(c *coordinator.Coordinator, st *store.Store, opts Options) (*Handler, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 30 * time.Minute
	}
	if opts.SessionMax <= 0 {
		opts.SessionMax = 12 * time.Hour
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 5
	}
	if opts.GlobalMaxFailures <= 0 {
		opts.GlobalMaxFailures = 10 * opts.MaxFailures
	}
	if opts.LockFor <= 0 {
		opts.LockFor = 15 * time.Minute
	}
	if opts.ConcurrentKDF <= 0 {
		opts.ConcurrentKDF = 2
	}
	if opts.DummyParams == (PasswordParams{}) {
		opts.DummyParams = DefaultPasswordParams
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = DefaultMaxUpload
	}
	h := &Handler{c: c, st: st, opts: opts, mux: http.NewServeMux(), kdf: newKDF(opts.ConcurrentKDF),
		dummy: dummyHash(opts.DummyParams), scans: newScans(), decoding: make(chan struct{}, 2),
		userDecoding: map[string]bool{}}
	var err error
	if h.pages, err = ui.Pages(template.FuncMap{
		"btc":      func(a btcutil.Amount) string { return amount.Format(a, amount.Grouped) },
		"sat":      func(a btcutil.Amount) string { return amount.Group(int64(a)) },
		"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"atLeast":  func(r store.Role, want string) bool { return r.AtLeast(store.Role(want)) },
		"kindName": kindName,
		// percentNum is a fraction as a whole percentage; percent says it.
		"percentNum": func(f float64) int { return int(math.Round(100 * f)) },
		"percent":    func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	}); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	static := http.FileServerFS(ui.Static())
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", static))
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/wallets", http.StatusSeeOther)
	})

	h.page("POST /logout", store.RoleViewer, h.logout)
	h.page("GET /wallets", store.RoleViewer, h.wallets)
	h.page("GET /wallets/{name}", store.RoleViewer, h.wallet)
	h.page("POST /wallets/{name}/receive", store.RoleRequester, h.receive)
	h.page("POST /wallets/{name}/quorum", store.RoleAdmin, h.quorum)
	h.page("GET /qr.png", store.RoleViewer, h.qrPNG)
	h.page("GET /withdraw", store.RoleRequester, h.withdrawPage)
	h.page("POST /withdraw", store.RoleRequester, h.withdraw)
	h.page("GET /requests", store.RoleViewer, h.requests)
	h.page("GET /requests.json", store.RoleViewer, h.requestsVersion)
	h.page("GET /requests.csv", store.RoleViewer, h.requestsCSV)
	h.page("GET /wallets/{name}/history.csv", store.RoleViewer, h.historyCSV)
	h.page("GET /requests/{id}", store.RoleViewer, h.request)
	h.page("GET /requests/{id}/status.json", store.RoleViewer, h.requestVersion)
	h.page("POST /requests/{id}/approve", store.RoleApprover, h.approve)
	h.page("POST /requests/{id}/cancel", store.RoleRequester, h.cancel)
	h.page("POST /requests/{id}/bump", store.RoleRequester, h.bump)
	h.page("POST /requests/{id}/reject", store.RoleApprover, h.reject)
	h.page("GET /requests/{id}/frames/count.json", store.RoleViewer, h.frameCount)
	h.page("GET /requests/{id}/frames/{n}", store.RoleViewer, h.frame)
	h.page("GET /requests/{id}/animated.gif", store.RoleViewer, h.animatedGIF)
	h.page("GET /requests/{id}/unsigned.psbt", store.RoleViewer, h.unsignedPSBT)
	h.page("POST /requests/{id}/scan", store.RoleRequester, h.scan)
	h.page(uploadPattern, store.RoleRequester, h.upload)
	h.page("POST /requests/{id}/scan/restart", store.RoleRequester, h.restartScan)
	h.page("GET /keys", store.RoleApprover, h.keysPage)
	h.page("POST /keys/webauthn/begin", store.RoleApprover, h.webauthnBegin)
	h.page("POST /keys/webauthn/finish", store.RoleApprover, h.webauthnFinish)
	h.page("POST /keys/station", store.RoleApprover, h.stationKey)
	h.page("POST /requests/{id}/approve/key/begin", store.RoleApprover, h.approveKeyBegin)
	h.page("POST /requests/{id}/approve/key/finish", store.RoleApprover, h.approveKeyFinish)
	h.page("POST /requests/{id}/station-approval", store.RoleRequester, h.stationApproval)
	h.page(stationImagePattern, store.RoleRequester, h.stationApprovalImage)
	h.page("GET /audit", store.RoleViewer, h.audit)
	h.page("GET /audit/export", store.RoleViewer, h.auditExport)
	h.page("GET /audit/checkpoint", store.RoleViewer, h.auditCheckpoint)
	h.addressBookRoutes()
	h.userAdminRoutes()
}

// securityHeaders are sent with every answer. The pages load their own
// script, style and images only; nothing may frame them; forms post only
// here; the camera is allowed for this origin alone.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=(), usb=()")
}

// ServeHTTP sets the security headers, recovers panics and logs.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		w.Header().Set("Cache-Control", "no-store")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	start := h.opts.Now()
	sw := &httperr.StatusWriter{ResponseWriter: w}
	ri := &reqInfo{}
	r = r.WithContext(withInfo(r.Context(), ri))
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.opts.Logf("web: %s %s: panic: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			if sw.Status == 0 {
				h.errorPage(sw, r, nil, http.StatusInternalServerError, "Internal error", internalMessage)
			}
		}
		user := ri.user
		if user == "" {
			user = "-"
		}
		h.opts.Logf("web: %s %s %d user=%s %s", r.Method, r.URL.Path, sw.Status, user, h.opts.Now().Sub(start).Round(time.Microsecond))
	}()
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.errorPage(sw, r, nil, http.StatusNotFound, "Not found",
			fmt.Sprintf("There is no page %s. Use the links at the top.", r.URL.Path))
		return
	}
	h.mux.ServeHTTP(sw, r)
}

const internalMessage = "Internal error; the coordinator's log has the details. Try again, and tell the operator if it persists."

// page is what every template gets.
type page struct {
	Title   string
	Active  string
	User    *store.User
	CSRF    string
	Network string
	Notice  string
	Error   string
	Data    any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t := h.pages[name]
	if t == nil {
		panic("web: no page " + name)
	}
	p.Network = h.c.Network()
	if s := session(r); s != nil {
		p.User, p.CSRF = &s.user, s.csrf
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.opts.Logf("web: %s %s: rendering %s: %v", r.Method, r.URL.Path, name, err)
		http.Error(w, internalMessage, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorData struct {
	Heading, Message, Back, BackLabel string
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, _ error, status int, heading, msg string) {
	back, label := "/", "Home"
	if session(r) == nil {
		back, label = "/login", "Sign in"
	}
	h.render(w, r, status, "error", page{Title: heading, Data: errorData{heading, msg, back, label}})
}

// classify is httperr.Classify for a page: a status and a message for
// people; an internal error's message is the page's, not the API's.
func classify(err error) (int, string) {
	a := httperr.Classify(err)
	if a.Internal() {
		return a.Status, internalMessage
	}
	return a.Status, a.Message
}

// fail shows err on an error page (or logs it when internal).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.opts.Logf("web: %s %s: internal error: %v", r.Method, r.URL.Path, err)
	}
	h.errorPage(w, r, err, status, http.StatusText(status), msg)
}

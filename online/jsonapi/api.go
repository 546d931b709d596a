package jsonapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"airsign/online/coordinator"
	"airsign/online/httperr"
	"airsign/online/store"
)

// Options tune the handler New returns. The zero value is usable.
type Options struct {
	// Logf receives one line per request (method, path, status, user,
	// duration) and the details of internal errors. It never receives a
	// token. nil means no logging.
	Logf func(format string, args ...any)
	// MaxBody caps request bodies, in bytes; a larger body is refused with
	// 413 before any of it is decoded. 0 means DefaultMaxBody.
	MaxBody int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultMaxBody is the body cap when Options.MaxBody is 0: room for a
// finalize call carrying several large signed PSBTs in base64.
const DefaultMaxBody = 2 << 20

// New returns the coordinator's HTTP API over c, authenticating users
// against st. Every path is under /api/v1/; see the package documentation
// for the endpoints.
func New(c *coordinator.Coordinator, st *store.Store, opts Options) http.Handler {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &server{c: c, st: st, opts: opts, mux: http.NewServeMux()}
	s.routes()
	return s
}

type server struct {
	c    *coordinator.Coordinator
	st   *store.Store
	opts Options
	mux  *http.ServeMux
}

// handlerFunc is an endpoint: it writes its own success response and
// returns an error for fail to turn into an error response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, u store.User) error

func (s *server) routes() {
	s.mux.HandleFunc("GET /api/v1/health", s.health)

	s.handle("GET /api/v1/wallets", store.RoleViewer, s.listWallets)
	s.handle("POST /api/v1/wallets", store.RoleAdmin, s.addWallet)
	s.handle("GET /api/v1/wallets/{name}/balance", store.RoleViewer, s.balance)
	s.handle("POST /api/v1/wallets/{name}/receive", store.RoleRequester, s.receive)
	s.handle("GET /api/v1/wallets/{name}/utxos", store.RoleViewer, s.utxos)
	s.handle("GET /api/v1/wallets/{name}/history", store.RoleViewer, s.history)

	s.handle("POST /api/v1/withdrawals", store.RoleRequester, s.withdraw)
	s.handle("GET /api/v1/withdrawals", store.RoleViewer, s.listWithdrawals)
	s.handle("GET /api/v1/withdrawals/{id}", store.RoleViewer, s.getWithdrawal)
	s.handle("POST /api/v1/withdrawals/{id}/cancel", store.RoleRequester, s.cancel)
	s.handle("POST /api/v1/withdrawals/{id}/bump-fee", store.RoleRequester, s.bumpFee)
	s.handle("POST /api/v1/withdrawals/{id}/approve", store.RoleApprover, s.approve)
	s.handle("POST /api/v1/withdrawals/{id}/station-approval", store.RoleRequester, s.stationApproval)

	s.handle("POST /api/v1/finalize", store.RoleRequester, s.finalize)
	s.handle("POST /api/v1/sync", store.RoleRequester, s.sync)
}

// handle registers fn behind authentication and a role check.
func (s *server) handle(pattern string, need store.Role, fn handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err != nil {
			// Refused credentials are evidence; the token is not.
			// Counted per client address, not each signed into the log:
			// anyone can send these.
			s.fail(w, r, errors.Join(err, s.c.Refused("auth-refused", clientHost(r), map[string]any{"path": r.URL.Path, "reason": err.Error(), "remote": clientHost(r)})))
			return
		}
		info(r).user = u.Name
		if !u.Role.AtLeast(need) {
			s.fail(w, r, errors.Join(&httpError{http.StatusForbidden, codeForbidden,
				fmt.Sprintf("user %q has the %s role; %s needs %s or above: ask an admin", u.Name, u.Role, r.Pattern, need)},
				s.c.Record("forbidden", map[string]any{"path": r.URL.Path, "user": u.Name, "role": string(u.Role)})))
			return
		}
		if err := fn(w, r, u); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authenticate checks the bearer token. Its errors never contain the token.
func (s *server) authenticate(r *http.Request) (store.User, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return store.User{}, errUnauthorized("no token: send the header \"Authorization: Bearer <token>\" with the token an admin created for you")
	}
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return store.User{}, errUnauthorized("the Authorization header is not \"Bearer <token>\"")
	}
	u, err := s.st.Authenticate(r.Context(), token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, errUnauthorized("the token is not valid: it was mistyped, rotated or never issued; ask an admin for a new one")
	case errors.Is(err, store.ErrDisabled):
		return store.User{}, errUnauthorized("the token's user is disabled; ask an admin")
	case err != nil:
		return store.User{}, err
	}
	return u, nil
}

// ServeHTTP sets the security headers, recovers panics, answers unknown
// paths and methods in JSON and logs the request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The API serves only JSON to programs: nothing may be framed,
	// rendered, sniffed, cached or sent on as a referrer.
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")

	start := s.opts.Now()
	ri := &requestInfo{}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
	sw := &httperr.StatusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.opts.Logf("api: %s %s: panic: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			if sw.Status == 0 {
				writeError(sw, &httpError{http.StatusInternalServerError, codeInternal, internalMessage})
			}
		}
		user := ri.user
		if user == "" {
			user = "-"
		}
		s.opts.Logf("api: %s %s %d %s user=%s %s", r.Method, r.URL.Path, sw.Status, ri.code, user,
			s.opts.Now().Sub(start).Round(time.Microsecond))
	}()

	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// unrouted answers a request no pattern matches. ServeMux knows whether
// the path exists with another method (405 and Allow) or not at all (404),
// or needs a redirect; its plain-text answer is rewritten as JSON.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	for _, k := range []string{"Allow", "Location"} {
		if v := rec.header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	switch {
	case rec.status == http.StatusMethodNotAllowed:
		s.fail(w, r, &httpError{rec.status, codeInvalid,
			fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, rec.header.Get("Allow"))})
	case rec.status >= 400 || rec.status == 0:
		s.fail(w, r, &httpError{http.StatusNotFound, codeNotFound,
			fmt.Sprintf("no endpoint %s %s; the endpoints are under /api/v1/ (see the API documentation)", r.Method, r.URL.Path)})
	default:
		w.WriteHeader(rec.status)
	}
}

// headerRecorder keeps the status and headers of ServeMux's own answers.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return len(b), nil
}
func (h *headerRecorder) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

// requestInfo collects what the request log line says.
type requestInfo struct {
	user string
	code string
}

type infoKey struct{}

func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// clientHost is the request's client address without its port.
func clientHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

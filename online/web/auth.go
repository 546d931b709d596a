package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"airsign/online/store"
)

// Cookie names. With SecureCookies the session cookie takes the __Host-
// prefix, which browsers accept only from a secure origin, with Path=/ and
// no Domain: no other host or path can set or shadow it.
const (
	sessionCookie     = "airsign_session"
	hostSessionCookie = "__Host-airsign_session"
	preCookie         = "airsign_pre" // the sign-in form's CSRF token
)

type reqInfo struct {
	user string
	sess *sessionInfo
}

type infoKey struct{}

func withInfo(ctx context.Context, ri *reqInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, ri)
}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// sessionInfo is the signed-in user of a request.
type sessionInfo struct {
	user   store.User
	idHash []byte
	csrf   string
}

func session(r *http.Request) *sessionInfo { return info(r).sess }

// newSessionID returns a fresh session id: 32 bytes from crypto/rand,
// base64url. Only its SHA-256 is stored.
func newSessionID() (string, []byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(id))
	return id, h[:], nil
}

// csrfToken is derived from the session id, so it needs no storage, is
// different for every session and cannot be computed without the id,
// which script cannot read (HttpOnly).
func csrfToken(id string) string {
	h := sha256.Sum256([]byte("airsign web csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func (h *Handler) secure(r *http.Request) bool { return h.opts.SecureCookies || r.TLS != nil }

func (h *Handler) cookieName(r *http.Request) string {
	if h.secure(r) {
		return hostSessionCookie
	}
	return sessionCookie
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteStrictMode})
}

// authenticate finds the request's session, if any.
func (h *Handler) authenticate(r *http.Request) (*sessionInfo, error) {
	c, err := r.Cookie(h.cookieName(r))
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil, store.ErrNotFound
	}
	sum := sha256.Sum256([]byte(c.Value))
	// A page's own polling (GET ….json) keeps a viewer's wall screen
	// signed in, but not the session of someone who can act: an
	// unattended approver's or requester's page ends after the idle time
	// (the security review's point).
	poll := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".json")
	ss, err := h.st.Session(r.Context(), sum[:], h.opts.Now(), h.opts.SessionIdle, !poll)
	if err == nil && poll && ss.User.Role == store.RoleViewer {
		ss, err = h.st.Session(r.Context(), sum[:], h.opts.Now(), h.opts.SessionIdle, true)
	}
	if err != nil {
		return nil, err
	}
	return &sessionInfo{user: ss.User, idHash: sum[:], csrf: csrfToken(c.Value)}, nil
}

// pageFunc is a page or form behind sign-in and a role check.
type pageFunc func(w http.ResponseWriter, r *http.Request, s *sessionInfo)

// page registers fn behind a session, a role and, for every method but
// GET, a CSRF token and a same-origin check.
func (h *Handler) page(pattern string, need store.Role, fn pageFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s, err := h.authenticate(r)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrDisabled) {
				h.fail(w, r, err)
				return
			}
			if r.Method != http.MethodGet || strings.HasSuffix(r.URL.Path, ".json") {
				// A script or a form whose session ended: say so
				// plainly instead of redirecting a POST. A refused
				// POST is evidence (someone tried to act); a poll
				// whose session ended is not.
				// Without a session nobody is known to have tried
				// anything, and recording it would let anyone fill the
				// audit log: the server log has it.
				if r.Method != http.MethodGet {
					h.opts.Logf("web: %s %s without a session from %s", r.Method, r.URL.Path, remoteHost(r))
				}
				var data map[string]any
				h.refuse(w, r, http.StatusUnauthorized, "Your session has ended (signed out, idle too long, or the account was disabled). Sign in again.", data)
				return
			}
			next := "/login"
			if r.URL.Path != "/" {
				next += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		ri := info(r)
		ri.user, ri.sess = s.user.Name, s
		if r.Method != http.MethodGet {
			if err := h.checkCSRF(r, s); err != nil {
				h.refuse(w, r, http.StatusForbidden, err.Error(), map[string]any{"user": s.user.Name, "reason": "csrf"})
				return
			}
		}
		if !s.user.Role.AtLeast(need) {
			h.refuse(w, r, http.StatusForbidden,
				fmt.Sprintf("User %s has the %s role; this needs %s or above. Ask an admin if you should have it.", s.user.Name, s.user.Role, need),
				map[string]any{"user": s.user.Name, "role": string(s.user.Role), "reason": "role"})
			return
		}
		if h.mustSetPassword(w, r, s) {
			return
		}
		fn(w, r, s)
	})
}

// refuse answers a refusal and records it in the audit log (when data is
// not nil): who tried what, never a secret.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string, data map[string]any) {
	if data != nil {
		data["path"], data["method"] = r.URL.Path, r.Method
		if err := h.c.Record("web-refused", data); err != nil {
			h.opts.Logf("web: recording a refusal: %v", err)
		}
	}
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"error": true, "message": msg})
		return
	}
	h.errorPage(w, r, nil, status, http.StatusText(status), msg)
}

func wantsJSON(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ".json") || strings.HasSuffix(r.URL.Path, "/scan") ||
		strings.HasSuffix(r.URL.Path, "/begin") || strings.HasSuffix(r.URL.Path, "/finish")
}

// checkCSRF requires the session's token in the form field "csrf" or the
// X-CSRF-Token header, and, when the browser says where the request came
// from, that it came from this origin. SameSite=Strict already keeps the
// cookie off cross-site requests; the token also covers browsers or
// proxies that do not honour it.
func (h *Handler) checkCSRF(r *http.Request, s *sessionInfo) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return fmt.Errorf("this form was sent from another site (%s); use the coordinator's own pages", site)
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		// The upload forms carry it as their first multipart field, but
		// parsing the body here would read it before its cap: the upload
		// handlers check it themselves. Only those routes: any other POST
		// sent as multipart would otherwise skip the check (found in
		// the security review).
		if (r.Pattern == uploadPattern || r.Pattern == stationImagePattern) && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			return nil
		}
		r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return fmt.Errorf("the form could not be read (%v); reload the page and try again", err)
		}
		got = r.PostForm.Get("csrf")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
		return errors.New("the form's security token is missing or stale (the page was open before you signed in again?); reload the page and try again")
	}
	return nil
}

type loginData struct {
	Name        string
	Pre         string
	MaxFailures int
	LockFor     string
	Next        string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, err := h.authenticate(r); err == nil {
		info(r).sess = s
		http.Redirect(w, r, "/wallets", http.StatusSeeOther)
		return
	}
	h.showLogin(w, r, http.StatusOK, "", "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	var b [24]byte
	rand.Read(b[:])
	pre := base64.RawURLEncoding.EncodeToString(b[:])
	h.setCookie(w, r, preCookie, pre, 600)
	h.render(w, r, status, "login", page{Title: "Sign in", Error: msg,
		Data: loginData{Name: name, Pre: pre, MaxFailures: h.opts.MaxFailures, LockFor: humanDuration(h.opts.LockFor),
			Next: safeNext(r.URL.Query().Get("next"))}})
}

// userLock serialises sign-ins of one user name. The locks are striped
// by a hash of the name, so names an attacker makes up cost no memory.
func (h *Handler) userLock(name string) *sync.Mutex {
	f := fnv.New32a()
	f.Write([]byte(name))
	return &h.loginMu[f.Sum32()%uint32(len(h.loginMu))]
}

const wrongCredentials = "Wrong user name or password. Check both, mind the caps lock."

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.showLogin(w, r, http.StatusBadRequest, "", "The sign-in form could not be read; reload the page and try again.")
		return
	}
	name := r.PostForm.Get("user")
	pw := []byte(r.PostForm.Get("password"))
	defer clear(pw)
	// The pre-session token: the form's value must match the cookie set
	// with it (double submit), so another site cannot sign a browser in
	// as the attacker.
	c, err := r.Cookie(preCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		// Not recorded: it needs no password work, so anyone could fill
		// the audit log with it; the server log has it.
		h.opts.Logf("web: sign-in form without its token from %s", remoteHost(r))
		h.showLogin(w, r, http.StatusForbidden, "", "The sign-in form expired or did not come from this page. Try again.")
		return
	}
	if name == "" || len(name) > 64 || len(pw) == 0 || len(pw) > MaxPasswordLen {
		h.showLogin(w, r, http.StatusBadRequest, "", "Give your user name (up to 64 characters) and your password (up to 1024 bytes).")
		return
	}
	mu := h.userLock(name)
	mu.Lock()
	defer mu.Unlock()
	now := h.opts.Now()
	acct, err := h.st.WebAccount(r.Context(), name)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	// Two locks: this address's (MaxFailures wrong passwords from it), and
	// the user's from everywhere (GlobalMaxFailures), which takes many
	// addresses to reach. A stranger's guesses lock out the stranger.
	locked := time.Time{}
	if known {
		if locked, err = h.st.WebLockFrom(r.Context(), name, remoteHost(r), now); err != nil {
			h.fail(w, r, err)
			return
		}
		if acct.LockedUntil.After(now) && acct.LockedUntil.After(locked) {
			locked = acct.LockedUntil
		}
	}
	if locked.After(now) {
		h.refused("web-signin", r, map[string]any{"user": name, "result": "refused", "reason": "locked", "locked_until": locked, "remote": remoteHost(r)})
		h.showLogin(w, r, http.StatusTooManyRequests, name, fmt.Sprintf(
			"Sign-in for %s from this address is locked until %s after too many wrong passwords in a row. Wait, or ask an admin to set a new password (airsign-coordinator user password %s).",
			name, locked.Format("15:04 UTC"), name))
		return
	}
	hash := h.dummy
	if known && acct.PasswordHash != nil {
		hash = acct.PasswordHash
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	ok, err := h.kdf.verify(ctx, hash, pw)
	cancel()
	switch {
	case errors.Is(err, errBusy):
		h.showLogin(w, r, http.StatusServiceUnavailable, name, "The coordinator is busy checking other sign-ins. Try again in a moment.")
		return
	case err != nil:
		h.opts.Logf("web: sign-in of %q: %v", name, err)
		h.record("web-signin", map[string]any{"user": name, "result": "refused", "reason": "stored hash unreadable"})
		h.showLogin(w, r, http.StatusInternalServerError, name, "Your stored password cannot be checked; ask an admin to set a new one.")
		return
	}
	if !known || acct.PasswordHash == nil || acct.Disabled || !ok {
		reason := "wrong password"
		switch {
		case !known:
			reason = "no such user"
		case acct.PasswordHash == nil:
			reason = "no web password set"
		case acct.Disabled:
			reason = "user disabled"
		}
		// What was typed as a name is recorded only when it is a user's:
		// anything else may be a password typed in the wrong field, and
		// every viewer reads the audit log.
		who := name
		if !known {
			who = "(unknown)"
		}
		data := map[string]any{"user": who, "result": "refused", "reason": reason, "remote": remoteHost(r)}
		msg := wrongCredentials
		if known && acct.PasswordHash != nil && !acct.Disabled {
			n, until, err := h.st.RecordWebFailureFrom(r.Context(), name, remoteHost(r), now, h.opts.MaxFailures, h.opts.LockFor)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			if _, all, err := h.st.RecordWebFailure(r.Context(), name, now, h.opts.GlobalMaxFailures, h.opts.LockFor); err != nil {
				h.fail(w, r, err)
				return
			} else if all.After(until) {
				until = all
			}
			data["failures"] = n
			if !until.IsZero() {
				data["locked_until"] = until
				h.record("web-lockout", map[string]any{"user": name, "until": until, "failures": n})
				msg = fmt.Sprintf("Wrong password, %d times in a row: sign-in for %s is locked until %s. Ask an admin if you cannot remember it.",
					n, name, until.Format("15:04 UTC"))
			}
		}
		h.refused("web-signin", r, data)
		h.showLogin(w, r, http.StatusUnauthorized, name, msg)
		return
	}
	if expired, err := h.temporaryExpired(r, name, now); err != nil {
		h.fail(w, r, err)
		return
	} else if expired {
		h.refused("web-signin", r, map[string]any{"user": name, "result": "refused", "reason": "temporary password expired", "remote": remoteHost(r)})
		h.showLogin(w, r, http.StatusUnauthorized, name, "This temporary password has expired. Ask an admin to reset your password again.")
		return
	}
	if err := h.st.ClearWebFailures(r.Context(), name, remoteHost(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.startSession(w, r, name, now); err != nil {
		h.fail(w, r, err)
		return
	}
	// Ended sessions are removed at each sign-in, so their rows do not
	// pile up; an ended session is refused whether or not its row is there.
	if _, err := h.st.PruneSessions(r.Context(), now, h.opts.SessionIdle); err != nil {
		h.opts.Logf("web: pruning ended sessions: %v", err)
	}
	if err := h.st.RecordSignIn(r.Context(), name, now); err != nil {
		h.opts.Logf("web: %v", err)
	}
	h.record("web-signin", map[string]any{"user": name, "result": "done", "role": string(acct.Role), "remote": remoteHost(r)})
	h.setCookie(w, r, preCookie, "", -1)
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// startSession signs the browser in as name: a new session and its
// cookie.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, name string, now time.Time) error {
	id, idHash, err := newSessionID()
	if err != nil {
		return err
	}
	if err := h.st.CreateSession(r.Context(), idHash, name, now, now.Add(h.opts.SessionMax)); err != nil {
		return err
	}
	h.setCookie(w, r, h.cookieName(r), id, int(h.opts.SessionMax/time.Second))
	info(r).user = name
	return nil
}

// safeNext keeps a post-sign-in redirect on this site: a local path only.
// Control characters are refused outright: browsers drop a tab in "/\t/x"
// and go to //x, another site (found in the security review).
func safeNext(next string) string {
	const fallback = "/wallets"
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x20 || next[i] == 0x7f {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return next
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	if err := h.st.DeleteSession(r.Context(), s.idHash); err != nil {
		h.fail(w, r, err)
		return
	}
	h.scans.dropSession(s.idHash)
	h.record("web-signout", map[string]any{"user": s.user.Name})
	h.setCookie(w, r, h.cookieName(r), "", -1)
	info(r).sess = nil
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// record adds an audit entry; a failure to record is logged (the page
// still answers: the refusal itself has happened).
func (h *Handler) record(kind string, data map[string]any) {
	if err := h.c.Record(kind, data); err != nil {
		h.opts.Logf("web: recording %s: %v", kind, err)
	}
}

// refused records a refused sign-in: anyone who reaches the page can cause
// one, so each client address's first per reason in a window is written and
// the rest counted (coordinator.Refused).
func (h *Handler) refused(kind string, r *http.Request, data map[string]any) {
	if err := h.c.Refused(kind, remoteHost(r), data); err != nil {
		h.opts.Logf("web: recording %s: %v", kind, err)
	}
}

func remoteHost(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

// humanDuration writes d for people: "15 minutes", "1 hour".
func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d >= time.Hour:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0 && d >= time.Minute:
		if d == time.Minute {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

package web

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/online/webhook"
)

// User administration for admins (list, add, role, disable and enable,
// reset password, webhook deliveries) and every user's own password.
//
// A new user, and a user whose password an admin resets, gets a temporary
// password, shown once to the admin: it signs in for
// coordinator.TemporaryPasswordLife, and then only to the page that sets
// the user's own (every other page sends them there).

func (h *Handler) userAdminRoutes() {
	h.page("GET /users", store.RoleAdmin, h.usersPage)
	h.page("POST /users", store.RoleAdmin, h.addUser)
	h.page("POST /users/{name}/role", store.RoleAdmin, h.setRole)
	h.page("POST /users/{name}/disable", store.RoleAdmin, h.setDisabled)
	h.page("POST /users/{name}/enable", store.RoleAdmin, h.setDisabled)
	h.page("POST /users/{name}/reset", store.RoleAdmin, h.resetPassword)
	h.page(passwordPagePattern, store.RoleViewer, h.passwordPage)
	h.page("POST /account/password", store.RoleViewer, h.changePassword)
}

const passwordPagePattern = "GET /account/password"

// webhookRows is how many recent deliveries the admins' page shows.
const webhookRows = 50

type userRow struct {
	store.UserAccount
	State string
	Self  bool
}

type deliveryRow struct {
	store.WebhookDelivery
	Where string // the URL without its path, which may hold a token
}

type usersView struct {
	Users      []userRow
	Roles      []store.Role
	Deliveries []deliveryRow
	// Issued is what an add or a reset made, shown once.
	Issued *issued
	// Name and Role are the add form as sent, after a refusal.
	Name string
	Role store.Role
}

// issued is a new user's token or temporary password, on the page that
// made them and nowhere else.
type issued struct {
	Name, Token, Password string
	Until                 time.Time
}

func (h *Handler) usersView(r *http.Request, s *sessionInfo) (usersView, error) {
	v := usersView{Roles: []store.Role{store.RoleViewer, store.RoleRequester, store.RoleApprover, store.RoleAdmin}, Role: store.RoleViewer}
	accts, err := h.st.UserAccounts(r.Context())
	if err != nil {
		return v, err
	}
	now := h.opts.Now()
	for _, a := range accts {
		v.Users = append(v.Users, userRow{UserAccount: a, State: a.State(now), Self: a.Name == s.user.Name})
	}
	ds, err := h.st.RecentWebhooks(r.Context(), webhookRows)
	if err != nil {
		return v, err
	}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, deliveryRow{WebhookDelivery: d, Where: webhook.Redact(d.URL)})
	}
	return v, nil
}

var userNotices = map[string]string{
	"role":     "Role changed. Their open pages ended: they sign in again with the new role.",
	"disable":  "User disabled. Their sessions ended; their token, approval key, approver stations and security keys are refused from now on.",
	"enable":   "User enabled. They sign in with their password as before.",
	"password": "Your password is set. Your other sessions ended.",
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	h.showUsers(w, r, s, http.StatusOK, userNotices[r.URL.Query().Get("done")], "", nil)
}

// showUsers renders the page with a notice or an error, and what an add or
// reset issued; keep adjusts the view (the add form as sent).
func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, s *sessionInfo, status int, notice, msg string, keep func(*usersView)) {
	v, err := h.usersView(r, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if keep != nil {
		keep(&v)
	}
	h.render(w, r, status, "users", page{Title: "Users", Active: "users", Notice: notice, Error: msg, Data: v})
}

// showUserError shows err on the users page.
func (h *Handler) showUserError(w http.ResponseWriter, r *http.Request, s *sessionInfo, err error, keep func(*usersView)) {
	status, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.opts.Logf("web: %s %s: internal error: %v", r.Method, r.URL.Path, err)
	}
	h.showUsers(w, r, s, status, "", msg, keep)
}

// TemporaryPassword is a fresh temporary password: 20 random bytes in
// lower-case base32, in groups of four for reading out (160 bits).
func TemporaryPassword() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	s := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
	var groups []string
	for len(s) > 0 {
		n := min(4, len(s))
		groups = append(groups, s[:n])
		s = s[n:]
	}
	return strings.Join(groups, "-"), nil
}

// hashPassword hashes pw in one of the sign-in checks' slots, so password
// changes cannot together take more memory than sign-ins may.
func (h *Handler) hashPassword(ctx context.Context, pw []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case h.kdf.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: the coordinator is busy checking sign-ins; try again in a moment", coordinator.ErrInvalid)
	}
	defer func() { <-h.kdf.slots }()
	return HashPassword(pw, DefaultPasswordParams)
}

// issueTemporary sets a fresh temporary password for name and returns it.
func (h *Handler) issueTemporary(r *http.Request, name, by string) (*issued, error) {
	pw, err := TemporaryPassword()
	if err != nil {
		return nil, err
	}
	hash, err := h.hashPassword(r.Context(), []byte(pw))
	if err != nil {
		return nil, err
	}
	until, err := h.c.SetWebPassword(r.Context(), name, hash, true, by)
	if err != nil {
		return nil, err
	}
	return &issued{Name: name, Password: pw, Until: until}, nil
}

func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	role, err := store.ParseRole(r.PostForm.Get("role"))
	keep := func(v *usersView) { v.Name, v.Role = capText(name, 64), role }
	if err != nil {
		h.showUserError(w, r, s, fmt.Errorf("%w: %v", coordinator.ErrInvalid, err), keep)
		return
	}
	token, err := h.c.AddUser(r.Context(), name, role, s.user.Name)
	if errors.Is(err, store.ErrExists) {
		err = fmt.Errorf("%w: there is a user %s already; pick another name", store.ErrExists, name)
	}
	if err != nil {
		h.showUserError(w, r, s, err, keep)
		return
	}
	iss, err := h.issueTemporary(r, name, s.user.Name)
	if err != nil {
		h.showUserError(w, r, s, err, nil)
		return
	}
	iss.Token = token
	h.showUsers(w, r, s, http.StatusOK, "User "+name+" added. Give them what is below, by a channel only they read; it is shown this once.", "",
		func(v *usersView) { v.Issued = iss })
}

func (h *Handler) setRole(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	role, err := store.ParseRole(r.PostForm.Get("role"))
	if err == nil {
		err = h.c.SetUserRole(r.Context(), r.PathValue("name"), role, s.user.Name)
	} else {
		err = fmt.Errorf("%w: %v", coordinator.ErrInvalid, err)
	}
	if err != nil {
		h.showUserError(w, r, s, err, nil)
		return
	}
	h.afterChange(w, r, s, "role")
}

func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	disable := strings.HasSuffix(r.URL.Path, "/disable")
	if err := h.c.SetUserDisabled(r.Context(), r.PathValue("name"), disable, s.user.Name); err != nil {
		h.showUserError(w, r, s, err, nil)
		return
	}
	done := "enable"
	if disable {
		done = "disable"
	}
	h.afterChange(w, r, s, done)
}

// afterChange goes back to the users page, or to sign-in when the change
// ended the admin's own session (a role change of their own, to admin).
func (h *Handler) afterChange(w http.ResponseWriter, r *http.Request, s *sessionInfo, done string) {
	if r.PathValue("name") == s.user.Name {
		h.scans.dropSession(s.idHash)
		h.setCookie(w, r, h.cookieName(r), "", -1)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/users?done="+done, http.StatusSeeOther)
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	name := r.PathValue("name")
	iss, err := h.issueTemporary(r, name, s.user.Name)
	if err != nil {
		h.showUserError(w, r, s, err, nil)
		return
	}
	if name == s.user.Name {
		// Their own session ended with the reset: sign in with it.
		h.setCookie(w, r, h.cookieName(r), "", -1)
		info(r).sess = nil
	}
	h.showUsers(w, r, s, http.StatusOK, "The password of "+name+" is reset and their sessions ended. Give them the temporary password below; they set their own when they sign in.", "",
		func(v *usersView) { v.Issued = iss })
}

type passwordView struct {
	Temporary bool
	Until     time.Time
	Min, Max  int
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	h.showPassword(w, r, s, http.StatusOK, "")
}

func (h *Handler) showPassword(w http.ResponseWriter, r *http.Request, s *sessionInfo, status int, msg string) {
	until, err := h.st.TemporaryPasswordUntil(r.Context(), s.user.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notice := ""
	if !until.IsZero() && msg == "" {
		notice = "You signed in with a temporary password. Set your own to go on."
	}
	h.render(w, r, status, "password", page{Title: "Your password", Active: "password", Notice: notice, Error: msg,
		Data: passwordView{Temporary: !until.IsZero(), Until: until, Min: MinPasswordLen, Max: MaxPasswordLen}})
}

// changePassword sets the user's own password. It asks for the current
// one, so an open session left behind cannot take the account over.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	cur, pw, again := []byte(r.PostForm.Get("current")), []byte(r.PostForm.Get("password")), []byte(r.PostForm.Get("again"))
	defer func() { clear(cur); clear(pw); clear(again) }()
	acct, err := h.st.WebAccount(r.Context(), s.user.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok := false
	if acct.PasswordHash != nil && len(cur) <= MaxPasswordLen {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		ok, err = h.kdf.verify(ctx, acct.PasswordHash, cur)
		cancel()
	}
	switch {
	case errors.Is(err, errBusy):
		h.showPassword(w, r, s, http.StatusServiceUnavailable, "The coordinator is busy checking sign-ins. Try again in a moment.")
		return
	case err != nil || !ok:
		h.record("web-password", map[string]any{"name": s.user.Name, "by": s.user.Name, "result": "refused", "reason": "wrong current password"})
		h.showPassword(w, r, s, http.StatusForbidden, "The current password is wrong. Type the one you signed in with.")
		return
	case string(pw) != string(again):
		h.showPassword(w, r, s, http.StatusBadRequest, "The two new passwords differ. Type the same one twice.")
		return
	case string(pw) == string(cur):
		h.showPassword(w, r, s, http.StatusBadRequest, "The new password is the one you have. Choose another.")
		return
	}
	if err := CheckPassword(pw); err != nil {
		h.showPassword(w, r, s, http.StatusBadRequest, err.Error())
		return
	}
	hash, err := h.hashPassword(r.Context(), pw)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.c.SetWebPassword(r.Context(), s.user.Name, hash, false, s.user.Name); err != nil {
		h.fail(w, r, err)
		return
	}
	// Every session ended with the change, this one too: this browser
	// gets a new one, the others sign in again.
	h.scans.dropSession(s.idHash)
	if err := h.startSession(w, r, s.user.Name, h.opts.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/wallets", http.StatusSeeOther)
}

// mustSetPassword keeps a user signed in with a temporary password on the
// page that sets their own: it answers the request (a redirect there, or a
// refusal) and returns true when the request is for anything else.
func (h *Handler) mustSetPassword(w http.ResponseWriter, r *http.Request, s *sessionInfo) bool {
	if r.Pattern == passwordPagePattern || r.Pattern == "POST /account/password" || r.Pattern == "POST /logout" {
		return false
	}
	until, err := h.st.TemporaryPasswordUntil(r.Context(), s.user.Name)
	if err != nil {
		h.fail(w, r, err)
		return true
	}
	if until.IsZero() {
		return false
	}
	if r.Method == http.MethodGet && !wantsJSON(r) {
		http.Redirect(w, r, "/account/password", http.StatusSeeOther)
		return true
	}
	h.refuse(w, r, http.StatusForbidden, "You signed in with a temporary password: set your own first (Your password).",
		map[string]any{"user": s.user.Name, "reason": "temporary password"})
	return true
}

// temporaryExpired says, at sign-in, whether name's password is a
// temporary one past its end.
func (h *Handler) temporaryExpired(r *http.Request, name string, now time.Time) (bool, error) {
	until, err := h.st.TemporaryPasswordUntil(r.Context(), name)
	if err != nil {
		return false, err
	}
	return !until.IsZero() && !now.Before(until), nil
}

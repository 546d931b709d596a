package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"airsign/online/coordinator"
	"airsign/online/store"
)

// The address book: named payees the withdraw form offers and request
// pages name, labels of the wallets' own records, and their BIP-329
// export.

func (h *Handler) addressBookRoutes() {
	h.page("GET /addressbook", store.RoleViewer, h.addressBook)
	h.page("POST /addressbook", store.RoleRequester, h.addPayee)
	h.page("POST /addressbook/remove", store.RoleRequester, h.removePayee)
	h.page("POST /labels", store.RoleRequester, h.setLabel)
	h.page("GET /labels.jsonl", store.RoleViewer, h.labelsExport)
	h.page("GET /wallets/{name}/labels.jsonl", store.RoleViewer, h.labelsExport)
}

type addressBookView struct {
	Payees  []store.Payee
	Labels  []store.Label
	Wallets []string
	// The forms as sent, shown again after a refusal.
	Payee       store.Payee
	LabelWallet string
	LabelRef    string
	LabelText   string
	MaxName     int
	MaxLabel    int
}

func (h *Handler) addressBookView(r *http.Request) (addressBookView, error) {
	v := addressBookView{MaxName: coordinator.MaxPayeeName, MaxLabel: coordinator.MaxLabel}
	var err error
	if v.Payees, err = h.c.Payees(r.Context()); err != nil {
		return v, err
	}
	if v.Labels, err = h.c.Labels(r.Context(), ""); err != nil {
		return v, err
	}
	ws, err := h.c.Wallets(r.Context())
	if err != nil {
		return v, err
	}
	for _, wl := range ws {
		v.Wallets = append(v.Wallets, wl.Name)
	}
	return v, nil
}

var addressBookNotices = map[string]string{
	"payee":   "Payee saved. The withdraw form offers it, and request pages show its name beside its address.",
	"removed": "Payee removed. Requests made to it keep their address.",
	"label":   "Label saved. It goes out with the BIP-329 export.",
}

func (h *Handler) addressBook(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	v, err := h.addressBookView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The wallet page's "Label it" link names the record.
	q := r.URL.Query()
	v.LabelWallet, v.LabelRef = capText(q.Get("wallet"), 64), capText(q.Get("ref"), 100)
	h.render(w, r, http.StatusOK, "addressbook", page{Title: "Address book", Active: "addressbook",
		Notice: addressBookNotices[q.Get("done")], Data: v})
}

// showAddressBook shows the page again with err at the top and the form
// as it was sent.
func (h *Handler) showAddressBook(w http.ResponseWriter, r *http.Request, err error, keep func(*addressBookView)) {
	v, verr := h.addressBookView(r)
	if verr != nil {
		h.fail(w, r, verr)
		return
	}
	keep(&v)
	status, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.opts.Logf("web: %s %s: internal error: %v", r.Method, r.URL.Path, err)
	}
	h.render(w, r, status, "addressbook", page{Title: "Address book", Active: "addressbook", Error: msg, Data: v})
}

func (h *Handler) addPayee(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	pf := r.PostForm
	p := store.Payee{Label: pf.Get("label"), Address: pf.Get("address"), Note: pf.Get("note"), AddedBy: s.user.Name}
	if _, err := h.c.AddPayee(r.Context(), p); err != nil {
		h.showAddressBook(w, r, err, func(v *addressBookView) { v.Payee = p })
		return
	}
	http.Redirect(w, r, "/addressbook?done=payee", http.StatusSeeOther)
}

func (h *Handler) removePayee(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	if err := h.c.RemovePayee(r.Context(), r.PostForm.Get("label"), s.user.Name); err != nil {
		h.showAddressBook(w, r, err, func(*addressBookView) {})
		return
	}
	http.Redirect(w, r, "/addressbook?done=removed", http.StatusSeeOther)
}

func (h *Handler) setLabel(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	pf := r.PostForm
	wallet, ref, label := pf.Get("wallet"), pf.Get("ref"), pf.Get("label")
	if _, err := h.c.SetLabel(r.Context(), wallet, ref, label, s.user.Name); err != nil {
		h.showAddressBook(w, r, err, func(v *addressBookView) { v.LabelWallet, v.LabelRef, v.LabelText = wallet, ref, label })
		return
	}
	http.Redirect(w, r, "/addressbook?done=label#labels", http.StatusSeeOther)
}

// labelsExport is the BIP-329 export of every wallet, or of the one named
// in the path.
func (h *Handler) labelsExport(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	wallet := r.PathValue("name")
	var buf bytes.Buffer
	if _, err := h.c.ExportLabels(r.Context(), &buf, wallet); err != nil {
		h.fail(w, r, err)
		return
	}
	name := "airsign-labels.jsonl"
	if wallet != "" {
		name = "airsign-" + url.PathEscape(wallet) + "-labels.jsonl"
	}
	h.record("labels-export", map[string]any{"wallet": wallet, "user": s.user.Name, "via": "web"})
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, strings.ReplaceAll(name, `"`, "")))
	w.Write(buf.Bytes())
}

// payeeChoice resolves the withdraw form's destination: the payee picked
// from the address book, or the address typed. Both given must agree.
func (h *Handler) payeeChoice(r *http.Request, payee, to string) (string, error) {
	if payee == "" {
		return to, nil
	}
	p, err := h.c.Payee(r.Context(), payee)
	if err != nil {
		return "", err
	}
	if to != "" && h.c.CanonicalAddress(to) != p.Address {
		return "", fmt.Errorf("%w: you picked the payee %s (%s) and typed another address, %s; clear one of them", coordinator.ErrInvalid, p.Label, p.Address, to)
	}
	return p.Address, nil
}

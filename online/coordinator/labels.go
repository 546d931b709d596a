package coordinator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/store"
)

// The treasury's books: an address book of named payees, labels of the
// wallets' own addresses, outputs and transactions, and their export and
// import in the BIP-329 format (JSON Lines) that Sparrow, BTCPay and other
// wallets read.

// Limits on what people write, in characters. MaxLabel is BIP-329's
// suggested maximum label length, so an export never needs truncating.
const (
	MaxLabel     = 255
	MaxPayeeName = 64
)

// checkText refuses text a page, CSV or export would show wrongly or
// deceptively: invalid UTF-8, longer than max characters, control
// characters (a line break would split a BIP-329 line), and the bidi
// controls that make text read in another order than it is stored.
func checkText(what, s string, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8 text", ErrInvalid, what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%w: %s is %d characters; at most %d", ErrInvalid, what, n, max)
	}
	for i, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return fmt.Errorf("%w: %s holds the control character %U at byte %d; write it on one line, without control characters", ErrInvalid, what, r, i)
		}
	}
	return nil
}

func isBidiControl(r rune) bool {
	return r == 0x200E || r == 0x200F || r == 0x061C || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// CheckMemo is the check a request's memo passes: one line of at most
// MaxLabel characters. Forms check it before a preview, so a bad memo is
// said before anything else.
func CheckMemo(memo string) error { return checkText("the memo", memo, MaxLabel) }

// address decodes s as an address of the coordinator's network.
func (c *Coordinator) address(what, s string) (btcutil.Address, error) {
	a, err := btcutil.DecodeAddress(s, c.cfg.Network.Params())
	if err != nil || !a.IsForNet(c.cfg.Network.Params()) {
		return nil, fmt.Errorf("%w: %s %q is not a %s address", ErrInvalid, what, s, c.cfg.Network)
	}
	return a, nil
}

// CanonicalAddress is s as the coordinator writes it (bech32 in lower
// case), so that one address typed two ways finds one payee; s itself when
// it is no address of the network.
func (c *Coordinator) CanonicalAddress(s string) string {
	if a, err := c.address("", s); err == nil {
		return a.EncodeAddress()
	}
	return s
}

// AddPayee records a named destination in the address book, or changes
// the one of that name. It is recorded in the audit log.
func (c *Coordinator) AddPayee(ctx context.Context, p store.Payee) (store.Payee, error) {
	p.Label, p.Address, p.Note = strings.TrimSpace(p.Label), strings.TrimSpace(p.Address), strings.TrimSpace(p.Note)
	data := map[string]any{"payee": p.Label, "address": p.Address, "user": p.AddedBy}
	err := c.logged("payee-add", data, func() error {
		if p.Label == "" {
			return fmt.Errorf("%w: give the payee a name", ErrInvalid)
		}
		if err := checkText("the payee's name", p.Label, MaxPayeeName); err != nil {
			return err
		}
		if err := checkText("the note", p.Note, MaxLabel); err != nil {
			return err
		}
		a, err := c.address("the payee's address", p.Address)
		if err != nil {
			return err
		}
		p.Address, p.Updated = a.EncodeAddress(), c.cfg.Now().UTC()
		return c.st.PutPayee(ctx, p)
	})
	return p, err
}

// RemovePayee takes a payee out of the address book. Requests made to it
// keep their address. It is recorded in the audit log.
func (c *Coordinator) RemovePayee(ctx context.Context, label, user string) error {
	return c.logged("payee-remove", map[string]any{"payee": label, "user": user}, func() error {
		return c.st.DeletePayee(ctx, label)
	})
}

// Payees returns the address book, by name.
func (c *Coordinator) Payees(ctx context.Context) ([]store.Payee, error) { return c.st.Payees(ctx) }

// Payee returns the payee of name (any case).
func (c *Coordinator) Payee(ctx context.Context, name string) (store.Payee, error) {
	p, err := c.st.Payee(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return p, fmt.Errorf("%w: no payee %q in the address book", store.ErrNotFound, name)
	}
	return p, err
}

// Names maps addresses (canonical) to what the treasury calls them: the
// address book's payees and the labels of the wallets' own addresses.
func (c *Coordinator) Names(ctx context.Context) (map[string]string, error) {
	names := map[string]string{}
	ls, err := c.st.Labels(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.Type == store.LabelAddr {
			names[l.Ref] = l.Label
		}
	}
	ps, err := c.st.Payees(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		names[p.Address] = p.Label
	}
	return names, nil
}

// refKind tells what a label's reference names: a txid (64 hex digits),
// an output (txid:vout) or else an address.
func refKind(ref string) store.LabelType {
	switch {
	case len(ref) == 64 && isHex(ref):
		return store.LabelTx
	case strings.Contains(ref, ":"):
		return store.LabelOutput
	}
	return store.LabelAddr
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// ownRef checks that ref, of kind typ, is one of the wallet's own records,
// and returns it as the label stores it.
func (c *Coordinator) ownRef(ctx context.Context, wallet string, typ store.LabelType, ref string) (string, error) {
	switch typ {
	case store.LabelAddr:
		a, err := c.address("address", ref)
		if err != nil {
			return "", err
		}
		script, err := txscript.PayToAddrScript(a)
		if err != nil {
			return "", fmt.Errorf("%w: address %s: %v", ErrInvalid, ref, err)
		}
		ok, err := c.st.HasAddress(ctx, wallet, script)
		if err == nil && !ok {
			err = fmt.Errorf("%w: address %s is not one wallet %q derived; label payees in the address book instead", ErrInvalid, ref, wallet)
		}
		return a.EncodeAddress(), err
	case store.LabelTx:
		h, err := chainhash.NewHashFromStr(ref)
		if err != nil || len(ref) != 64 {
			return "", fmt.Errorf("%w: transaction %q: give its txid, 64 hex digits", ErrInvalid, ref)
		}
		ok, err := c.st.HasTx(ctx, wallet, h[:])
		if err == nil && !ok {
			err = fmt.Errorf("%w: transaction %s neither paid, spent from nor was requested by wallet %q", ErrInvalid, ref, wallet)
		}
		return h.String(), err
	case store.LabelOutput:
		op, err := parseOutPoint(ref)
		if err != nil {
			return "", err
		}
		u, err := c.st.Output(ctx, op)
		if errors.Is(err, store.ErrNotFound) || err == nil && u.Wallet != wallet {
			return "", fmt.Errorf("%w: output %s is not one of wallet %q's", ErrInvalid, ref, wallet)
		}
		return op.String(), err
	}
	return "", fmt.Errorf("%w: label type %q: the coordinator keeps tx, addr and output labels", ErrInvalid, typ)
}

func parseOutPoint(s string) (wire.OutPoint, error) {
	txid, vout, ok := strings.Cut(s, ":")
	n, err := strconv.ParseUint(vout, 10, 32)
	h, herr := chainhash.NewHashFromStr(txid)
	if !ok || err != nil || herr != nil || len(txid) != 64 {
		return wire.OutPoint{}, fmt.Errorf("%w: output %q: give it as txid:index", ErrInvalid, s)
	}
	return wire.OutPoint{Hash: *h, Index: uint32(n)}, nil
}

// SetLabel names one of the wallet's own records: ref is an address it
// derived, a txid that paid or spent from it, or an output txid:vout of
// it. An empty label removes the name. It is recorded in the audit log.
func (c *Coordinator) SetLabel(ctx context.Context, wallet, ref, label, user string) (store.Label, error) {
	ref, label = strings.TrimSpace(ref), strings.TrimSpace(label)
	l := store.Label{Wallet: wallet, Type: refKind(ref), Label: label, SetBy: user, Updated: c.cfg.Now().UTC()}
	data := map[string]any{"wallet": wallet, "ref": ref, "label": label, "user": user}
	err := c.logged("label", data, func() error {
		if _, err := c.Wallet(ctx, wallet); err != nil {
			return err
		}
		if err := checkText("the label", label, MaxLabel); err != nil {
			return err
		}
		var err error
		if l.Ref, err = c.ownRef(ctx, wallet, l.Type, ref); err != nil {
			return err
		}
		return c.st.SetLabel(ctx, l)
	})
	return l, err
}

// Labels returns the wallet's labels (every wallet's when empty).
func (c *Coordinator) Labels(ctx context.Context, wallet string) ([]store.Label, error) {
	return c.st.Labels(ctx, wallet)
}

// LabelRecord is one line of a BIP-329 export.
type LabelRecord struct {
	Type  string `json:"type"`
	Ref   string `json:"ref"`
	Label string `json:"label,omitempty"`
	// Origin, on tx records only, is the wallet's descriptor without
	// keys, child steps or checksum, e.g. wpkh([d34db33f/84'/0'/0']).
	Origin string `json:"origin,omitempty"`
	// Spendable is on output records only; the coordinator writes none
	// and ignores it on import (it freezes no coin).
	Spendable *bool `json:"spendable,omitempty"`
}

// keyExpr is an account key with its multipath step in a descriptor.
var keyExpr = regexp.MustCompile(`\][1-9A-HJ-NP-Za-km-z]+/<0;1>/\*`)

// origin is a wallet's descriptor abbreviated as BIP-329 wants it.
func origin(w Wallet) string {
	s := w.Wallet.Descriptor // as stored: the parsed descriptor's String
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	return keyExpr.ReplaceAllString(s, "]")
}

// ExportLabels writes the BIP-329 labels of a wallet (every wallet when
// empty): each live request's memo on its transaction, the labels of the
// wallets' own records, and the address book's payees as addr records.
// It returns how many lines it wrote.
func (c *Coordinator) ExportLabels(ctx context.Context, w io.Writer, wallet string) (int, error) {
	var ws []Wallet
	if wallet != "" {
		one, err := c.Wallet(ctx, wallet)
		if err != nil {
			return 0, err
		}
		ws = []Wallet{one}
	} else {
		all, err := c.Wallets(ctx)
		if err != nil {
			return 0, err
		}
		for _, sw := range all {
			one, err := c.Wallet(ctx, sw.Name)
			if err != nil {
				return 0, err
			}
			ws = append(ws, one)
		}
	}
	var recs []LabelRecord
	for _, wl := range ws {
		org := origin(wl)
		ls, err := c.st.Labels(ctx, wl.Name)
		if err != nil {
			return 0, err
		}
		named := map[string]bool{}
		for _, l := range ls {
			r := LabelRecord{Type: string(l.Type), Ref: l.Ref, Label: l.Label}
			if l.Type == store.LabelTx {
				r.Origin, named[l.Ref] = org, true
			}
			recs = append(recs, r)
		}
		wds, err := c.st.Withdrawals(ctx, wl.Name)
		if err != nil {
			return 0, err
		}
		for _, wd := range wds {
			// Replaced requests pass their memo on; cancelled ones never
			// made a transaction.
			if wd.Memo == "" || wd.Status != store.StatusPending && wd.Status != store.StatusBroadcast {
				continue
			}
			// For segwit inputs, the only kind the coordinator builds, the
			// unsigned txid is the final one.
			txid := wd.UnsignedTxID.String()
			if wd.TxID != nil {
				txid = wd.TxID.String()
			}
			if !named[txid] {
				recs = append(recs, LabelRecord{Type: string(store.LabelTx), Ref: txid, Label: wd.Memo, Origin: org})
			}
		}
	}
	ps, err := c.st.Payees(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		recs = append(recs, LabelRecord{Type: string(store.LabelAddr), Ref: p.Address, Label: p.Label})
	}
	return len(recs), WriteLabels(w, recs)
}

// WriteLabels writes records as JSON Lines: one object a line, each line
// ended by \n, as BIP-329 requires.
func WriteLabels(w io.Writer, recs []LabelRecord) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil { // Encode ends each with \n
			return err
		}
	}
	return bw.Flush()
}

// Limits on a label import, which comes from another wallet's file.
const (
	MaxLabelImport    = 4 << 20 // bytes
	maxLabelLineBytes = 8 << 10
)

// LabelLineError is a line of an import that was not taken, and why.
type LabelLineError struct {
	Line   int
	Reason string
}

func (e LabelLineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ParseLabels reads a BIP-329 export of at most MaxLabelImport bytes.
// Lines that are not a JSON object with a type and a ref are returned as
// problems, not errors: the format is meant to survive a bad line. err is
// for an input too large or unreadable.
func ParseLabels(r io.Reader) (recs []LabelRecord, problems []LabelLineError, err error) {
	lines, problems, err := parseLabels(r)
	for _, l := range lines {
		recs = append(recs, l.LabelRecord)
	}
	return recs, problems, err
}

// labelLine is a record with the line it was on, for messages.
type labelLine struct {
	LabelRecord
	line int
}

func parseLabels(r io.Reader) (recs []labelLine, problems []LabelLineError, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxLabelImport+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxLabelImport {
		return nil, nil, fmt.Errorf("%w: the label file is over %d MiB; split it", ErrInvalid, MaxLabelImport>>20)
	}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		bad := func(reason string) { problems = append(problems, LabelLineError{n + 1, reason}) }
		if len(line) > maxLabelLineBytes {
			bad(fmt.Sprintf("%d bytes; a label line is at most %d", len(line), maxLabelLineBytes))
			continue
		}
		if !utf8.Valid(line) {
			bad("not UTF-8 text")
			continue
		}
		var rec LabelRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			bad("not a JSON object with string type, ref and label: " + err.Error())
			continue
		}
		if rec.Type == "" || rec.Ref == "" {
			bad(`no "type" or no "ref"; BIP-329 requires both`)
			continue
		}
		recs = append(recs, labelLine{rec, n + 1})
	}
	return recs, problems, nil
}

// ImportReport is what a label import did.
type ImportReport struct {
	Imported  int
	Truncated int // labels cut to MaxLabel characters
	// Ignored are records of types the coordinator does not keep
	// (pubkey, input, xpub, others) and records without a label.
	Ignored  int
	Problems []LabelLineError // lines not taken, with why
}

// ImportLabels takes the tx, addr and output labels of a BIP-329 file that
// name the wallet's own records. It never adds a payee: who gets paid is
// decided in the address book, not by a file. It is recorded in the audit
// log with its counts.
func (c *Coordinator) ImportLabels(ctx context.Context, wallet string, r io.Reader, user string) (ImportReport, error) {
	var rep ImportReport
	data := map[string]any{"wallet": wallet, "user": user}
	err := c.logged("labels-import", data, func() error {
		if _, err := c.Wallet(ctx, wallet); err != nil {
			return err
		}
		recs, problems, err := parseLabels(r)
		if err != nil {
			return err
		}
		rep.Problems = problems
		for _, rec := range recs {
			typ := store.LabelType(rec.Type)
			if typ != store.LabelTx && typ != store.LabelAddr && typ != store.LabelOutput || rec.Label == "" {
				rep.Ignored++
				continue
			}
			label := strings.TrimSpace(rec.Label)
			if utf8.RuneCountInString(label) > MaxLabel {
				label = string([]rune(label)[:MaxLabel])
				rep.Truncated++
			}
			fail := func(err error) {
				rep.Problems = append(rep.Problems, LabelLineError{Line: rec.line, Reason: fmt.Sprintf("%s %s: %v", rec.Type, rec.Ref, err)})
			}
			if err := checkText("the label", label, MaxLabel); err != nil {
				fail(err)
				continue
			}
			ref, err := c.ownRef(ctx, wallet, typ, rec.Ref)
			if errors.Is(err, ErrInvalid) {
				fail(err)
				continue
			}
			if err != nil {
				return err
			}
			if err := c.st.SetLabel(ctx, store.Label{Wallet: wallet, Type: typ, Ref: ref, Label: label, SetBy: user, Updated: c.cfg.Now().UTC()}); err != nil {
				return err
			}
			rep.Imported++
		}
		data["imported"], data["ignored"], data["truncated"], data["problems"] = rep.Imported, rep.Ignored, rep.Truncated, len(rep.Problems)
		return nil
	})
	return rep, err
}

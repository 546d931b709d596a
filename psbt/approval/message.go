package approval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"

	"airsign/psbt/amount"
)

// Version is the message and value format this package writes and the
// only one it reads.
const Version = 1

// Limits on what a message and an approval may hold. Parsers check them
// before allocating for the data they limit.
const (
	// MaxFieldLen caps the wallet name and the request id, in bytes.
	MaxFieldLen = 256
	// MaxApproverLen caps the approver's name, in characters.
	MaxApproverLen = 64
	// MaxOutputs caps the outputs of an approved transaction, as package
	// psbt caps what it decodes.
	MaxOutputs = 1000
	// MaxScriptLen caps an output script, as consensus caps scripts.
	MaxScriptLen = txscript.MaxScriptSize
	// MaxValueBytes caps one approval's PSBT value, as package psbt caps
	// a whole PSBT.
	MaxValueBytes = 1 << 20
)

// domain starts every canonical message.
const domain = "airsign approval v1\n"

// Errors wrapped by this package's errors, for errors.Is.
var (
	// ErrMalformed reports an approval or message that breaks the format
	// or its limits.
	ErrMalformed = errors.New("malformed approval")
	// ErrUnsupportedVersion reports a message or value of a format
	// version other than 1.
	ErrUnsupportedVersion = errors.New("unsupported approval version")
	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("approval signature is not valid")
)

// Output is one output of the approved transaction.
type Output struct {
	Script []byte
	Value  int64 // satoshis
}

// Message is what an approver signs: this wallet may pay exactly these
// outputs, with this fee, in this transaction, until Expires.
type Message struct {
	Version int    // format version, 1
	Wallet  string // the wallet's name, as the kiosk knows it
	Request string // the withdrawal request's id, for people and audits
	TxID    chainhash.Hash
	Outputs []Output
	Fee     int64 // satoshis
	Expires time.Time
}

// MessageFor returns the message approving the PSBT's transaction: its
// txid and every output come from p's unsigned transaction. The fee is the
// caller's, since computing it needs every input's UTXO (see FeeOf).
// Expires is kept to the second, in UTC.
func MessageFor(p *btcpsbt.Packet, wallet, request string, fee btcutil.Amount, expires time.Time) (Message, error) {
	if p == nil || p.UnsignedTx == nil {
		return Message{}, errors.New("approval: the PSBT has no unsigned transaction")
	}
	m := Message{
		Version: Version,
		Wallet:  wallet,
		Request: request,
		TxID:    p.UnsignedTx.TxHash(),
		Fee:     int64(fee),
		Expires: unixUTC(expires.Unix()),
	}
	for _, out := range p.UnsignedTx.TxOut {
		m.Outputs = append(m.Outputs, Output{Script: slices.Clone(out.PkScript), Value: out.Value})
	}
	if err := m.check(); err != nil {
		return Message{}, fmt.Errorf("approval: %w", err)
	}
	return m, nil
}

// FeeOf returns the fee of p's transaction: what its inputs spend, from
// each input's witness UTXO or non-witness UTXO, less what its outputs
// pay. It refuses a PSBT that lacks an input's UTXO or whose two UTXO
// fields for an input disagree. It trusts the non-witness UTXO to be the
// transaction the input spends; psbt.Decode checks that.
func FeeOf(p *btcpsbt.Packet) (btcutil.Amount, error) {
	if p == nil || p.UnsignedTx == nil {
		return 0, errors.New("approval: the PSBT has no unsigned transaction")
	}
	if len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return 0, fmt.Errorf("approval: the PSBT has %d input maps for %d transaction inputs", len(p.Inputs), len(p.UnsignedTx.TxIn))
	}
	var in, out int64
	for i, txIn := range p.UnsignedTx.TxIn {
		v, known := int64(-1), false
		if u := p.Inputs[i].NonWitnessUtxo; u != nil {
			idx := txIn.PreviousOutPoint.Index
			if int64(idx) >= int64(len(u.TxOut)) {
				return 0, fmt.Errorf("approval: input %d spends output %d of a previous transaction with %d outputs", i, idx, len(u.TxOut))
			}
			v, known = u.TxOut[idx].Value, true
		}
		if w := p.Inputs[i].WitnessUtxo; w != nil {
			if known && w.Value != v {
				return 0, fmt.Errorf("approval: input %d's witness UTXO says %s, its non-witness UTXO %s; the PSBT contradicts itself", i, btc(w.Value), btc(v))
			}
			v, known = w.Value, true
		}
		if !known {
			return 0, fmt.Errorf("approval: input %d carries neither a witness nor a non-witness UTXO, so its amount and the fee are unknown", i)
		}
		if v < 0 || v > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("approval: input %d spends %d satoshis, outside 0 to 21,000,000 BTC", i, v)
		}
		in += v
	}
	for i, txOut := range p.UnsignedTx.TxOut {
		if txOut.Value < 0 || txOut.Value > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("approval: output %d pays %d satoshis, outside 0 to 21,000,000 BTC", i, txOut.Value)
		}
		out += txOut.Value
	}
	if out > in {
		return 0, fmt.Errorf("approval: the outputs pay %s but the inputs spend only %s", btc(out), btc(in))
	}
	return btcutil.Amount(in - out), nil
}

// Canonical returns the bytes an approver signs, as the package
// documentation specifies: the same message always gives the same bytes,
// and different messages different bytes.
func (m Message) Canonical() []byte {
	n := len(domain) + 4 + 4 + len(m.Wallet) + 4 + len(m.Request) + 32 + 4 + 8 + 8
	for _, o := range m.Outputs {
		n += 8 + 4 + len(o.Script)
	}
	b := make([]byte, 0, n)
	b = append(b, domain...)
	b = binary.BigEndian.AppendUint32(b, uint32(m.Version))
	b = appendBytes(b, []byte(m.Wallet))
	b = appendBytes(b, []byte(m.Request))
	for i := len(m.TxID) - 1; i >= 0; i-- { // display order
		b = append(b, m.TxID[i])
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Outputs)))
	for _, o := range m.Outputs {
		b = binary.BigEndian.AppendUint64(b, uint64(o.Value))
		b = appendBytes(b, o.Script)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(m.Fee))
	b = binary.BigEndian.AppendUint64(b, uint64(m.Expires.Unix()))
	return b
}

func appendBytes(b, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// check refuses a message outside the format's limits.
func (m *Message) check() error {
	if m.Version != Version {
		return fmt.Errorf("message version %d; this kiosk reads version %d: update it: %w", m.Version, Version, ErrUnsupportedVersion)
	}
	if err := checkText("wallet name", m.Wallet, MaxFieldLen); err != nil {
		return err
	}
	if err := checkText("request id", m.Request, MaxFieldLen); err != nil {
		return err
	}
	if len(m.Outputs) == 0 || len(m.Outputs) > MaxOutputs {
		return fmt.Errorf("the message lists %d outputs; a transaction has 1 to %d: %w", len(m.Outputs), MaxOutputs, ErrMalformed)
	}
	for i, o := range m.Outputs {
		if len(o.Script) > MaxScriptLen {
			return fmt.Errorf("output %d's script is %d bytes, more than %d: %w", i, len(o.Script), MaxScriptLen, ErrMalformed)
		}
		if o.Value < 0 || o.Value > btcutil.MaxSatoshi {
			return fmt.Errorf("output %d pays %d satoshis, outside 0 to 21,000,000 BTC: %w", i, o.Value, ErrMalformed)
		}
	}
	if m.Fee < 0 || m.Fee > btcutil.MaxSatoshi {
		return fmt.Errorf("a fee of %d satoshis is outside 0 to 21,000,000 BTC: %w", m.Fee, ErrMalformed)
	}
	if m.Expires.Unix() <= 0 {
		return fmt.Errorf("the expiry %d is not after 1970-01-01 00:00:00 UTC: no one can sign an approval that expired before it was made: %w", m.Expires.Unix(), ErrMalformed)
	}
	return nil
}

// checkText refuses names that are empty, too long, not UTF-8, or that
// hold characters able to disguise them on the kiosk's screen.
func checkText(what, s string, maxBytes int) error {
	switch {
	case s == "":
		return fmt.Errorf("the %s is empty: %w", what, ErrMalformed)
	case len(s) > maxBytes:
		return fmt.Errorf("the %s is %d bytes, more than %d: %w", what, len(s), maxBytes, ErrMalformed)
	case !utf8.ValidString(s):
		return fmt.Errorf("the %s %q is not UTF-8: %w", what, s, ErrMalformed)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("the %s %q holds the control or format character %U: %w", what, s, r, ErrMalformed)
		}
	}
	return nil
}

func unixUTC(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// parseMessage reads a canonical message, refusing anything Canonical
// would not have written.
func parseMessage(b []byte) (Message, error) {
	r := &reader{b: b, what: "message"}
	if string(r.take(len(domain), "domain separator")) != domain {
		if r.err != nil {
			return Message{}, r.err
		}
		return Message{}, fmt.Errorf("the message does not start with %q: %w", domain, ErrMalformed)
	}
	var m Message
	m.Version = int(r.uint32("version"))
	if r.err == nil && m.Version != Version {
		return Message{}, fmt.Errorf("message version %d; this kiosk reads version %d: update it: %w", m.Version, Version, ErrUnsupportedVersion)
	}
	m.Wallet = string(r.bytes32("wallet name", MaxFieldLen))
	m.Request = string(r.bytes32("request id", MaxFieldLen))
	if id := r.take(32, "txid"); id != nil {
		for i := range id {
			m.TxID[31-i] = id[i]
		}
	}
	n := r.uint32("output count")
	if r.err == nil && (n == 0 || n > MaxOutputs) {
		return Message{}, fmt.Errorf("the message lists %d outputs; a transaction has 1 to %d: %w", n, MaxOutputs, ErrMalformed)
	}
	if r.err == nil && uint64(n)*12 > uint64(r.remaining()) {
		return Message{}, fmt.Errorf("the message claims %d outputs, but its %d remaining bytes cannot hold them: %w", n, r.remaining(), ErrMalformed)
	}
	for i := 0; r.err == nil && i < int(n); i++ {
		v := int64(r.uint64(fmt.Sprintf("output %d's value", i)))
		s := r.bytes32(fmt.Sprintf("output %d's script", i), MaxScriptLen)
		m.Outputs = append(m.Outputs, Output{Script: slices.Clone(s), Value: v})
	}
	m.Fee = int64(r.uint64("fee"))
	m.Expires = unixUTC(int64(r.uint64("expiry")))
	if r.err != nil {
		return Message{}, r.err
	}
	if r.remaining() != 0 {
		return Message{}, fmt.Errorf("%d bytes follow the message's expiry: %w", r.remaining(), ErrMalformed)
	}
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// reader reads big-endian fields; after its first error it reads nothing
// and keeps that error.
type reader struct {
	b    []byte
	off  int
	what string
	err  error
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.remaining() {
		r.err = fmt.Errorf("the %s ends inside its %s (%d bytes needed, %d left): %w", r.what, field, n, r.remaining(), ErrMalformed)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) uint8(field string) uint8 {
	if b := r.take(1, field); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) uint16(field string) uint16 {
	if b := r.take(2, field); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) uint32(field string) uint32 {
	if b := r.take(4, field); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) uint64(field string) uint64 {
	if b := r.take(8, field); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// bytes32 reads a uint32 length, refusing one above limit, and that many
// bytes.
func (r *reader) bytes32(field string, limit int) []byte {
	n := r.uint32(field + " length")
	if r.err == nil && n > uint32(limit) {
		r.err = fmt.Errorf("the %s's %s is %d bytes, more than %d: %w", r.what, field, n, limit, ErrMalformed)
	}
	return r.take(int(n), field)
}

// btc formats satoshis for sentences: "0.5 BTC".
func btc(sat int64) string { return amount.Format(btcutil.Amount(sat), amount.Short) }

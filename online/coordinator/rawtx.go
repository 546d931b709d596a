package coordinator

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/amount"
)

// A signed raw transaction is what wallets that finalize themselves hand
// back (Electrum's signtransaction and its export of a complete
// transaction): the return path accepts it beside signed PSBTs.

// Limits on a raw transaction as received, checked before anything is
// allocated for it.
const (
	// MaxRawTxBytes caps the transaction itself: nodes relay none over
	// 400,000 weight units, and a transaction's size in bytes is at most
	// its weight.
	MaxRawTxBytes = 400_000
	// maxRawTxText caps the input in any form: hex doubles the size, and
	// room is left for line breaks where an export wraps its text.
	maxRawTxText = 3 * MaxRawTxBytes
	// maxBase43Chars caps Electrum's base43 text, which only ever comes
	// from one QR code (at most 4,296 characters); its decoding is
	// quadratic in the length.
	maxBase43Chars = 8_000
)

// base43Alphabet is Electrum's QR alphabet for transactions: QR
// alphanumeric mode's characters but the space.
const base43Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-./:"

// LooksLikePSBT says whether data starts as a PSBT does in any of the
// encodings psbt.Decode reads (binary, base64, hex); anything else given
// back for finalizing is read as a raw transaction.
func LooksLikePSBT(data []byte) bool {
	if bytes.HasPrefix(data, []byte("psbt\xff")) {
		return true
	}
	var head []byte // the first non-space bytes, as psbt.Decode joins them
	for _, f := range bytes.Fields(data[:min(len(data), 64)]) {
		head = append(head, f...)
	}
	return bytes.HasPrefix(head, []byte("cHNidP")) ||
		(len(head) >= 10 && bytes.EqualFold(head[:10], []byte("70736274ff")))
}

// ParseRawTx reads a signed raw transaction that came from across the
// network: binary, hex text (either case; whitespace ignored) or
// Electrum's base43 QR text. All of the input must be the one transaction.
// Its errors say which form the input was taken for and why it is not a
// transaction.
func ParseRawTx(data []byte) (*wire.MsgTx, error) {
	if len(data) > maxRawTxText {
		return nil, fmt.Errorf("the input is %d bytes, more than any transaction a node relays (%d bytes, or twice that as hex)", len(data), MaxRawTxBytes)
	}
	text := bytes.Join(bytes.Fields(data), nil)
	if len(text) == 0 {
		return nil, errors.New("the input is empty")
	}
	isHex := len(text)%2 == 0 && onlyOf(text, "0123456789abcdefABCDEF")
	isBase43 := onlyOf(text, base43Alphabet) // upper-case hex is base43 too
	if !isHex && !isBase43 {
		if len(data) > MaxRawTxBytes {
			return nil, fmt.Errorf("the input is %d bytes, more than any transaction a node relays (%d bytes)", len(data), MaxRawTxBytes)
		}
		tx, err := deserializeTx(data)
		if err != nil {
			return nil, fmt.Errorf("the input is neither hex nor base43 text, and as binary it is not a transaction: %v", err)
		}
		return tx, nil
	}
	var why []string
	if isHex {
		bin := make([]byte, len(text)/2)
		_, _ = hex.Decode(bin, text) // only hex digits, of even count
		tx, err := deserializeTx(bin)
		if err == nil {
			return tx, nil
		}
		why = append(why, fmt.Sprintf("as hex it is not a transaction: %v", err))
	}
	if isBase43 {
		if len(text) > maxBase43Chars {
			why = append(why, fmt.Sprintf("as Electrum's QR text (base43) it is longer than a QR code holds (%d characters)", len(text)))
		} else if tx, err := deserializeTx(decodeBase43(text)); err == nil {
			return tx, nil
		} else {
			why = append(why, fmt.Sprintf("as Electrum's QR text (base43) it is not a transaction: %v", err))
		}
	}
	return nil, errors.New("the input is text, but " + strings.Join(why, "; and "))
}

// deserializeTx reads one whole transaction from b.
func deserializeTx(b []byte) (*wire.MsgTx, error) {
	if len(b) > MaxRawTxBytes {
		return nil, fmt.Errorf("it is %d bytes, more than any transaction a node relays (%d bytes)", len(b), MaxRawTxBytes)
	}
	r := bytes.NewReader(b)
	var tx wire.MsgTx
	if err := tx.Deserialize(r); err != nil {
		return nil, err
	}
	switch {
	case r.Len() > 0:
		return nil, fmt.Errorf("%d bytes follow the transaction; give one transaction alone", r.Len())
	case len(tx.TxIn) == 0 || len(tx.TxOut) == 0:
		return nil, fmt.Errorf("it has %d inputs and %d outputs", len(tx.TxIn), len(tx.TxOut))
	}
	return &tx, nil
}

// decodeBase43 is Electrum's base_decode(v, base=43): a big-endian number
// in base43, each leading '0' a leading zero byte. text holds only
// base43Alphabet's characters.
func decodeBase43(text []byte) []byte {
	n, base, d := new(big.Int), big.NewInt(43), new(big.Int)
	for _, c := range text {
		n.Mul(n, base)
		n.Add(n, d.SetInt64(int64(strings.IndexByte(base43Alphabet, c))))
	}
	zeros := len(text) - len(bytes.TrimLeft(text, "0"))
	return append(make([]byte, zeros), n.Bytes()...)
}

// onlyOf says whether every byte of b is one of chars.
func onlyOf(b []byte, chars string) bool {
	for _, c := range b {
		if strings.IndexByte(chars, c) < 0 {
			return false
		}
	}
	return true
}

// RawTxError is Finalize's refusal of a raw transaction: Msg says what
// was wrong and what to do. It wraps ErrInvalid (not a transaction),
// ErrWrongTx (not a request's, or changed) or psbt.ErrBadSignature.
type RawTxError struct {
	Kind error
	Msg  string
}

func (e *RawTxError) Error() string { return e.Msg }

func (e *RawTxError) Unwrap() error { return e.Kind }

func rawTxError(kind error, format string, args ...any) error {
	return &RawTxError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// finalizeRaw is finalize for one signed raw transaction: the request's
// PSBT, with the transaction's scripts as its inputs' final scripts, must
// finalize into exactly that transaction, psbt.Finalize running every
// input's scripts against the coins the request spends.
func (c *Coordinator) finalizeRaw(ctx context.Context, requestID string, data []byte, broadcast bool) (*FinalizeResult, error) {
	tx, err := ParseRawTx(data)
	if err != nil {
		return nil, rawTxError(ErrInvalid, "what was given is not a PSBT (it would start with \"cHNidP\" or \"70736274ff\"), nor a signed raw transaction: %v", err)
	}
	sw, err := c.rawTxRequest(ctx, requestID, tx)
	if err != nil {
		return nil, err
	}
	if sw.Status != store.StatusPending && sw.Status != store.StatusBroadcast {
		return nil, fmt.Errorf("%w: request %s is %s", store.ErrState, sw.ID, sw.Status)
	}
	p, err := psbt.Decode(sw.PSBT)
	if err != nil {
		return nil, err
	}
	for i, in := range tx.TxIn {
		if len(in.SignatureScript) == 0 && len(in.Witness) == 0 {
			return nil, rawTxError(ErrNotFinal, "the raw transaction's input %d carries no signature (request %s): the wallet exported it unsigned; sign it there and export the signed transaction", i, sw.ID)
		}
		pin := &p.Inputs[i]
		// Only the final scripts decide; the partial data would make
		// btcd's finalizer try to build scripts of its own.
		*pin = btcpsbt.PInput{NonWitnessUtxo: pin.NonWitnessUtxo, WitnessUtxo: pin.WitnessUtxo,
			FinalScriptSig: in.SignatureScript}
		if len(in.Witness) > 0 {
			pin.FinalScriptWitness = serializeWitness(in.Witness)
		}
	}
	final, err := psbt.Finalize(p)
	if err != nil {
		return nil, rawTxError(psbt.ErrBadSignature, "the raw transaction for request %s does not verify against the coins it spends: %v; have the cosigner sign the request's transaction again", sw.ID, err)
	}
	if final.WitnessHash() != tx.WitnessHash() {
		return nil, fmt.Errorf("request %s: the raw transaction %s came out of its PSBT as %s", sw.ID, tx.WitnessHash(), final.WitnessHash())
	}
	return c.finish(ctx, sw, &FinalizeResult{Tx: tx, TxID: tx.TxHash(), Signatures: len(tx.TxIn)}, broadcast)
}

// rawTxRequest is the request whose unsigned transaction tx is once its
// signatures are taken off, the one named requestID when it is not empty.
// A transaction that is no request's, or another one's than the request
// named, is refused with a sentence that says what differs from the
// request it resembles.
func (c *Coordinator) rawTxRequest(ctx context.Context, requestID string, tx *wire.MsgTx) (store.Withdrawal, error) {
	unsigned := unsignedTxID(tx)
	sw, err := c.st.WithdrawalByUnsignedTx(ctx, unsigned)
	switch {
	case err == nil && (requestID == "" || sw.ID == requestID):
		return sw, nil
	case err == nil:
		return store.Withdrawal{}, rawTxError(ErrWrongTx, "the raw transaction is request %s's, not %s's: give it to that request", sw.ID, requestID)
	case !errors.Is(err, store.ErrNotFound):
		return store.Withdrawal{}, err
	}
	like, err := c.resembled(ctx, requestID, tx)
	if err != nil {
		return store.Withdrawal{}, err
	}
	if like == nil {
		return store.Withdrawal{}, rawTxError(ErrWrongTx, "the raw transaction (%s) matches no withdrawal request and spends none of their coins: it was not built by this coordinator", tx.TxHash())
	}
	want, err := psbt.Decode(like.PSBT)
	if err != nil {
		return store.Withdrawal{}, err
	}
	return store.Withdrawal{}, rawTxError(ErrWrongTx, "the raw transaction is not request %s's: %s; it is refused: have the cosigner sign the request's own PSBT",
		like.ID, txDifference(want.UnsignedTx, tx, c.cfg.Network.Params()))
}

// resembled is the request named id or, when id is empty, the newest live
// request that spends one of the coins tx spends; nil when there is none.
func (c *Coordinator) resembled(ctx context.Context, id string, tx *wire.MsgTx) (*store.Withdrawal, error) {
	if id != "" {
		sw, err := c.st.Withdrawal(ctx, id)
		return &sw, err
	}
	spends := map[wire.OutPoint]bool{}
	for _, in := range tx.TxIn {
		spends[in.PreviousOutPoint] = true
	}
	all, err := c.st.Withdrawals(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		for _, op := range all[i].Inputs { // only live requests reserve coins
			if spends[op] {
				return &all[i], nil
			}
		}
	}
	return nil, nil
}

// unsignedTxID is the txid of tx without its signatures: the txid of the
// PSBT it was signed from.
func unsignedTxID(tx *wire.MsgTx) chainhash.Hash {
	bare := tx.Copy()
	for _, in := range bare.TxIn {
		in.SignatureScript, in.Witness = nil, nil
	}
	return bare.TxHash()
}

// txDifference says the first way got differs from want, the request's
// unsigned transaction, in words an operator can check.
func txDifference(want, got *wire.MsgTx, params *chaincfg.Params) string {
	if len(got.TxIn) != len(want.TxIn) {
		return fmt.Sprintf("it spends %d coins, the request %d", len(got.TxIn), len(want.TxIn))
	}
	for i, in := range got.TxIn {
		w := want.TxIn[i]
		if in.PreviousOutPoint != w.PreviousOutPoint {
			return fmt.Sprintf("its input %d spends %s, the request's %s", i, in.PreviousOutPoint, w.PreviousOutPoint)
		}
		if in.Sequence != w.Sequence {
			return fmt.Sprintf("its input %d has sequence %#x, the request's %#x", i, in.Sequence, w.Sequence)
		}
	}
	if len(got.TxOut) != len(want.TxOut) {
		return fmt.Sprintf("it has %d outputs, the request %d", len(got.TxOut), len(want.TxOut))
	}
	for i, out := range got.TxOut {
		w := want.TxOut[i]
		if out.Value != w.Value || !bytes.Equal(out.PkScript, w.PkScript) {
			return fmt.Sprintf("its output %d pays %s to %s, the request's %s to %s", i,
				amount.Format(btcutil.Amount(out.Value), amount.Short), scriptText(out.PkScript, params),
				amount.Format(btcutil.Amount(w.Value), amount.Short), scriptText(w.PkScript, params))
		}
	}
	if got.Version != want.Version {
		return fmt.Sprintf("its version is %d, the request's %d", got.Version, want.Version)
	}
	return fmt.Sprintf("its lock time is %d, the request's %d", got.LockTime, want.LockTime)
}

// scriptText is the address a script pays to, or the script in hex.
func scriptText(script []byte, params *chaincfg.Params) string {
	if _, addrs, _, err := txscript.ExtractPkScriptAddrs(script, params); err == nil && len(addrs) == 1 {
		return addrs[0].EncodeAddress()
	}
	return "script " + hex.EncodeToString(script)
}

// serializeWitness is a witness as PSBT_IN_FINAL_SCRIPTWITNESS holds it:
// the transaction's own serialization of it.
func serializeWitness(w wire.TxWitness) []byte {
	var b bytes.Buffer
	_ = wire.WriteVarInt(&b, 0, uint64(len(w)))
	for _, item := range w {
		_ = wire.WriteVarBytes(&b, 0, item)
	}
	return b.Bytes()
}

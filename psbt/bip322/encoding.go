package bip322

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"airsign/psbt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Limits on a signature, checked before anything is allocated for it.
const (
	// MaxSignatureBytes bounds a decoded signature: the largest standard
	// transaction (400,000 weight units) is 100,000 virtual bytes, and no
	// BIP-322 signature of one address needs more.
	MaxSignatureBytes = 100_000
	// MaxWitnessItems bounds one input's witness stack. Standard P2WSH
	// spends have at most 100 items; a Taproot script path with a large
	// multi_a stays well below 1,000.
	MaxWitnessItems = 1000
	// MaxInputs bounds to_sign's inputs (the commitment input and the coins
	// of a proof of funds); it is the kiosk's limit on any PSBT.
	MaxInputs = psbt.MaxInputs
)

// ErrMalformed is wrapped by every error about a signature that cannot be
// decoded at all.
var ErrMalformed = errors.New("bip322: malformed signature")

// Format is how a signature is encoded.
type Format int

// The formats of BIP-322 ("Types of Signatures").
const (
	// Legacy is the "Bitcoin Signed Message" compact signature, for P2PKH
	// addresses only.
	Legacy Format = iota + 1
	// Simple is to_sign's first witness stack, base64.
	Simple
	// Full is the whole signed to_sign transaction, base64.
	Full
)

func (f Format) String() string {
	switch f {
	case Legacy:
		return "legacy"
	case Simple:
		return "simple"
	case Full:
		return "full"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// strictBase64 refuses base64 whose padding bits are not zero, so that a
// signature has one text form only and encode(decode(s)) == s.
var strictBase64 = base64.StdEncoding.Strict()

// decodeText returns the bytes of a base64 signature, refusing an oversized
// text before decoding it.
func decodeText(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if len(text) > base64.StdEncoding.EncodedLen(MaxSignatureBytes) {
		return nil, fmt.Errorf("%w: the signature is %d characters, more than the %d of a %d-byte signature (MaxSignatureBytes); a BIP-322 signature of one address is a few hundred characters", ErrMalformed, len(text), base64.StdEncoding.EncodedLen(MaxSignatureBytes), MaxSignatureBytes)
	}
	if text == "" {
		return nil, fmt.Errorf("%w: the signature is empty; paste the base64 text the signer gave", ErrMalformed)
	}
	b, err := strictBase64.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: the signature is not base64 (%v); BIP-322 signatures are standard base64 with padding", ErrMalformed, err)
	}
	return b, nil
}

// reader reads consensus encodings from a bounded buffer: every length is
// checked against the bytes that remain before it is used.
type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, r.off, fmt.Sprintf(format, args...))
}

func (r *reader) take(n uint64, what string) ([]byte, error) {
	if n > uint64(r.remaining()) {
		return nil, r.fail("%s claims %d bytes but %d remain", what, n, r.remaining())
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) uint32(what string) (uint32, error) {
	b, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// varint reads a compact size, refusing non-minimal encodings as consensus
// does.
func (r *reader) varint(what string) (uint64, error) {
	if r.remaining() < 1 {
		return 0, r.fail("%s is missing", what)
	}
	v, err := wire.ReadVarInt(bytes.NewReader(r.b[r.off:]), 0)
	if err != nil {
		return 0, r.fail("%s: %v", what, err)
	}
	r.off += wire.VarIntSerializeSize(v)
	return v, nil
}

// count reads a count of items each at least minSize bytes long, refusing
// more than max or more than the remaining bytes could hold.
func (r *reader) count(what string, minSize, max int) (int, error) {
	n, err := r.varint(what)
	if err != nil {
		return 0, err
	}
	if n > uint64(max) {
		return 0, r.fail("%s is %d, more than the limit of %d", what, n, max)
	}
	if n*uint64(minSize) > uint64(r.remaining()) {
		return 0, r.fail("%s is %d, more than the %d remaining bytes can hold", what, n, r.remaining())
	}
	return int(n), nil
}

func (r *reader) varBytes(what string) ([]byte, error) {
	n, err := r.varint(what + " length")
	if err != nil {
		return nil, err
	}
	b, err := r.take(n, what)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

func (r *reader) witness(what string) (wire.TxWitness, error) {
	n, err := r.count(what+" item count", 1, MaxWitnessItems)
	if err != nil {
		return nil, err
	}
	w := make(wire.TxWitness, n)
	for i := range w {
		if w[i], err = r.varBytes(fmt.Sprintf("%s item %d", what, i)); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (r *reader) end(what string) error {
	if r.remaining() != 0 {
		return r.fail("%d bytes follow the %s", r.remaining(), what)
	}
	return nil
}

// decodeSimple decodes a simple signature: one witness stack, consensus
// encoded, and nothing after it.
func decodeSimple(b []byte) (wire.TxWitness, error) {
	r := &reader{b: b}
	w, err := r.witness("witness")
	if err != nil {
		return nil, err
	}
	if err := r.end("witness stack"); err != nil {
		return nil, err
	}
	return w, nil
}

func encodeWitness(w wire.TxWitness) []byte {
	var b bytes.Buffer
	_ = wire.WriteVarInt(&b, 0, uint64(len(w)))
	for _, item := range w {
		_ = wire.WriteVarBytes(&b, 0, item)
	}
	return b.Bytes()
}

// Sizes of a transaction's smallest input and output on the wire.
const (
	minTxInSize  = chainhash.HashSize + 4 + 1 + 4
	minTxOutSize = 8 + 1
)

// decodeFull decodes a full signature: one transaction in network
// serialization, and nothing after it. Only the canonical encoding is
// accepted (minimal compact sizes, the segwit marker only when a witness is
// present), so that every accepted transaction encodes back to its bytes.
func decodeFull(b []byte) (*wire.MsgTx, error) {
	r := &reader{b: b}
	version, err := r.uint32("version")
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(int32(version))
	segwit := false
	if r.remaining() >= 2 && r.b[r.off] == 0 && r.b[r.off+1] == 1 {
		segwit = true
		r.off += 2
	}
	nIn, err := r.count("input count", minTxInSize, MaxInputs)
	if err != nil {
		return nil, err
	}
	if nIn == 0 {
		return nil, r.fail("the transaction has no inputs")
	}
	tx.TxIn = make([]*wire.TxIn, nIn)
	for i := range tx.TxIn {
		in := &wire.TxIn{}
		h, err := r.take(chainhash.HashSize, fmt.Sprintf("input %d's previous txid", i))
		if err != nil {
			return nil, err
		}
		copy(in.PreviousOutPoint.Hash[:], h)
		if in.PreviousOutPoint.Index, err = r.uint32(fmt.Sprintf("input %d's previous index", i)); err != nil {
			return nil, err
		}
		if in.SignatureScript, err = r.varBytes(fmt.Sprintf("input %d's scriptSig", i)); err != nil {
			return nil, err
		}
		if len(in.SignatureScript) > txscript.MaxScriptSize {
			return nil, r.fail("input %d's scriptSig is %d bytes, more than a script's %d", i, len(in.SignatureScript), txscript.MaxScriptSize)
		}
		if in.Sequence, err = r.uint32(fmt.Sprintf("input %d's sequence", i)); err != nil {
			return nil, err
		}
		tx.TxIn[i] = in
	}
	nOut, err := r.count("output count", minTxOutSize, MaxInputs)
	if err != nil {
		return nil, err
	}
	tx.TxOut = make([]*wire.TxOut, nOut)
	for i := range tx.TxOut {
		v, err := r.take(8, fmt.Sprintf("output %d's value", i))
		if err != nil {
			return nil, err
		}
		out := &wire.TxOut{Value: int64(binary.LittleEndian.Uint64(v))}
		if out.PkScript, err = r.varBytes(fmt.Sprintf("output %d's script", i)); err != nil {
			return nil, err
		}
		tx.TxOut[i] = out
	}
	if segwit {
		for i, in := range tx.TxIn {
			if in.Witness, err = r.witness(fmt.Sprintf("input %d's witness", i)); err != nil {
				return nil, err
			}
		}
		if !tx.HasWitness() {
			return nil, r.fail("the segwit marker is set but every witness is empty (a superfluous witness record)")
		}
	}
	if tx.LockTime, err = r.uint32("lock time"); err != nil {
		return nil, err
	}
	if err := r.end("transaction"); err != nil {
		return nil, err
	}
	return tx, nil
}

func encodeTx(tx *wire.MsgTx) []byte {
	var b bytes.Buffer
	b.Grow(tx.SerializeSize())
	_ = tx.Serialize(&b)
	return b.Bytes()
}

// compactSigSize is the length of a legacy (compact, recoverable) signature.
const compactSigSize = 65

// decodeLegacy accepts a legacy signature: 65 bytes whose header says a
// P2PKH key (27 to 34). The segwit headers of BIP-137 (35 to 42) are
// refused: BIP-322 restricts the legacy format to P2PKH.
func decodeLegacy(b []byte) ([]byte, error) {
	if len(b) != compactSigSize {
		return nil, fmt.Errorf("%w: a legacy signature is %d bytes, this one %d", ErrMalformed, compactSigSize, len(b))
	}
	if b[0] < 27 || b[0] > 34 {
		return nil, fmt.Errorf("%w: legacy signature header %d is not a P2PKH header (27 to 34); BIP-322 allows the legacy format for P2PKH addresses only, sign with BIP-322 (simple or full) instead", ErrMalformed, b[0])
	}
	return bytes.Clone(b), nil
}

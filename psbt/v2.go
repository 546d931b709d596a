package psbt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// convertV2 checks the fields BIP370 requires of a version 2 PSBT and
// returns the same PSBT as version 0: the unsigned transaction built from
// the version 2 fields, every other field kept.
func convertV2(s *scanned) ([]byte, error) {
	if p := s.global.find(0x00); p != nil {
		return nil, errAt(ErrInvalidField, "global map", p.off, "PSBT_GLOBAL_UNSIGNED_TX must not be in a version 2 PSBT%s", advice)
	}
	txVersion := s.global.find(0x02)
	if txVersion == nil {
		return nil, errAt(ErrMissingField, "global map", s.global.off, "no PSBT_GLOBAL_TX_VERSION, which every version 2 PSBT must have%s", advice)
	}
	tx := wire.NewMsgTx(int32(binary.LittleEndian.Uint32(txVersion.value)))
	for i := range s.inputs {
		m := &s.inputs[i]
		txid, index := m.find(0x0e), m.find(0x0f)
		switch {
		case txid == nil:
			return nil, errAt(ErrMissingField, m.where, m.off, "no PSBT_IN_PREVIOUS_TXID, which every input of a version 2 PSBT must have%s", advice)
		case index == nil:
			return nil, errAt(ErrMissingField, m.where, m.off, "no PSBT_IN_OUTPUT_INDEX, which every input of a version 2 PSBT must have%s", advice)
		}
		var hash chainhash.Hash
		copy(hash[:], txid.value)
		in := wire.NewTxIn(wire.NewOutPoint(&hash, binary.LittleEndian.Uint32(index.value)), nil, nil)
		if seq := m.find(0x10); seq != nil {
			in.Sequence = binary.LittleEndian.Uint32(seq.value)
		}
		tx.AddTxIn(in)
	}
	for i := range s.outputs {
		m := &s.outputs[i]
		amount, script := m.find(0x03), m.find(0x04)
		switch {
		case amount == nil:
			return nil, errAt(ErrMissingField, m.where, m.off, "no PSBT_OUT_AMOUNT, which every output of a version 2 PSBT must have%s", advice)
		case script == nil:
			return nil, errAt(ErrMissingField, m.where, m.off, "no PSBT_OUT_SCRIPT, which every output of a version 2 PSBT must have%s", advice)
		}
		tx.AddTxOut(wire.NewTxOut(int64(binary.LittleEndian.Uint64(amount.value)), script.value))
	}
	lockTime, err := lockTimeV2(s)
	if err != nil {
		return nil, err
	}
	tx.LockTime = lockTime
	var b bytes.Buffer
	if err := tx.SerializeNoWitness(&b); err != nil {
		return nil, fmt.Errorf("psbt: serializing the transaction of a version 2 PSBT: %w", err)
	}
	return serializeV0(s, b.Bytes()), nil
}

// lockTimeV2 is BIP370's lock time determination: the fallback lock time
// when no input requires one; otherwise the largest required lock time of
// the type that every input requiring one accepts, heights when both types
// are accepted.
func lockTimeV2(s *scanned) (uint32, error) {
	var maxTime, maxHeight uint32
	anyRequired, timeOK, heightOK := false, true, true
	var timeOnly, heightOnly string
	for i := range s.inputs {
		t, h := s.inputs[i].find(0x11), s.inputs[i].find(0x12)
		if t == nil && h == nil {
			continue
		}
		anyRequired = true
		if t == nil {
			timeOK, heightOnly = false, s.inputs[i].where
		} else {
			maxTime = max(maxTime, binary.LittleEndian.Uint32(t.value))
		}
		if h == nil {
			heightOK, timeOnly = false, s.inputs[i].where
		} else {
			maxHeight = max(maxHeight, binary.LittleEndian.Uint32(h.value))
		}
	}
	switch {
	case !anyRequired:
		if f := s.global.find(0x03); f != nil {
			return binary.LittleEndian.Uint32(f.value), nil
		}
		return 0, nil
	case heightOK:
		return maxHeight, nil
	case timeOK:
		return maxTime, nil
	}
	return 0, errAt(ErrLockTime, "", -1, "%s requires a block-height lock time and %s a time-based one; no transaction can satisfy both%s", heightOnly, timeOnly, advice)
}

// Form is how a PSBT was written: its version and, for version 2, the
// fields that its version 0 packet cannot hold (the fallback lock time, the
// modifiable flags, the inputs' required lock times and whether each gave
// its sequence), kept as received so that an answer in version 2 says what
// the PSBT said. The zero Form is version 0.
type Form struct {
	Version uint32
	global  []pair   // PSBT_GLOBAL_FALLBACK_LOCKTIME, PSBT_GLOBAL_TX_MODIFIABLE
	inputs  [][]pair // per input: PSBT_IN_SEQUENCE, PSBT_IN_REQUIRED_*_LOCKTIME
}

// formOf keeps what EncodeForm needs of a scanned PSBT.
func formOf(s *scanned) Form {
	f := Form{Version: s.version}
	if s.version != 2 {
		return f
	}
	for _, typ := range []uint64{0x03, 0x06} {
		if p := s.global.find(typ); p != nil {
			f.global = append(f.global, *p)
		}
	}
	f.inputs = make([][]pair, len(s.inputs))
	for i := range s.inputs {
		for _, typ := range []uint64{0x10, 0x11, 0x12} {
			if p := s.inputs[i].find(typ); p != nil {
				f.inputs[i] = append(f.inputs[i], *p)
			}
		}
	}
	return f
}

// EncodeForm writes p in the version of f: Encode for version 0, BIP370 for
// version 2. A Form from DecodeForm of a version 2 PSBT keeps its fallback
// lock time, required lock times and modifiable flags; the flags are
// updated for the signatures p carries, as BIP370 asks of a signer. A
// version 0 Form with Version set to 2 converts: the lock time becomes the
// fallback lock time and every sequence is written. Before returning, the
// version 2 form is read back: it must make exactly p's transaction.
func EncodeForm(p *btcpsbt.Packet, f Form) ([]byte, error) {
	v0, err := Encode(p)
	if err != nil || f.Version == 0 {
		return v0, err
	}
	if f.Version != 2 {
		return nil, fmt.Errorf("psbt: cannot encode version %d; airsign writes versions 0 and 2: %w", f.Version, ErrUnsupportedVersion)
	}
	s, err := scan(v0)
	if err != nil {
		return nil, err
	}
	tx := p.UnsignedTx
	if f.inputs != nil && len(f.inputs) != len(tx.TxIn) {
		return nil, fmt.Errorf("psbt: the version 2 form is of %d inputs, the packet has %d", len(f.inputs), len(tx.TxIn))
	}
	var le [8]byte
	u32 := func(v uint32) []byte { binary.LittleEndian.PutUint32(le[:], v); return bytes.Clone(le[:4]) }
	compact := func(n int) []byte {
		var b bytes.Buffer
		_ = wire.WriteVarInt(&b, 0, uint64(n))
		return b.Bytes()
	}
	global := []record{
		{[]byte{0x02}, u32(uint32(tx.Version))},
		{[]byte{0x04}, compact(len(tx.TxIn))},
		{[]byte{0x05}, compact(len(tx.TxOut))},
		{[]byte{0xfb}, u32(2)},
	}
	if f.inputs == nil {
		global = append(global, record{[]byte{0x03}, u32(tx.LockTime)})
	}
	for _, kept := range f.global {
		value := kept.value
		if kept.typ == 0x06 {
			value = []byte{modifiableAfter(p, value[0])}
		}
		global = append(global, record{kept.key, value})
	}
	for _, q := range s.global.pairs {
		if q.typ != 0x00 && q.typ != 0xfb {
			global = append(global, record{q.key, q.value})
		}
	}
	maps := [][]record{global}
	for i, in := range tx.TxIn {
		m := []record{
			{[]byte{0x0e}, bytes.Clone(in.PreviousOutPoint.Hash[:])},
			{[]byte{0x0f}, u32(in.PreviousOutPoint.Index)},
		}
		hasSequence := false
		if f.inputs != nil {
			for _, kept := range f.inputs[i] {
				hasSequence = hasSequence || kept.typ == 0x10
				m = append(m, record{kept.key, kept.value})
			}
		}
		if !hasSequence && (f.inputs == nil || in.Sequence != wire.MaxTxInSequenceNum) {
			m = append(m, record{[]byte{0x10}, u32(in.Sequence)})
		}
		maps = append(maps, append(m, pairsOf(s.inputs[i])...))
	}
	for o, out := range tx.TxOut {
		binary.LittleEndian.PutUint64(le[:], uint64(out.Value))
		m := []record{{[]byte{0x03}, bytes.Clone(le[:])}, {[]byte{0x04}, out.PkScript}}
		maps = append(maps, append(m, pairsOf(s.outputs[o])...))
	}
	var b bytes.Buffer
	b.Write(magic)
	for _, m := range maps {
		slices.SortFunc(m, func(x, y record) int { return bytes.Compare(x.key, y.key) })
		for _, q := range m {
			writePair(&b, q.key, q.value)
		}
		b.WriteByte(0x00)
	}
	if b.Len() > MaxPSBTBytes {
		return nil, fmt.Errorf("psbt: the packet encodes to %d bytes, more than the %d bytes (MaxPSBTBytes) airsign reads: %w", b.Len(), MaxPSBTBytes, ErrTooLarge)
	}
	back, err := scan(b.Bytes())
	var v0back []byte
	if err == nil {
		v0back, err = convertV2(back)
	}
	if err == nil {
		back, err = scan(v0back)
	}
	if err != nil {
		return nil, fmt.Errorf("psbt: the packet would encode to a version 2 PSBT that airsign itself refuses to read: %w", err)
	}
	var want bytes.Buffer
	_ = tx.SerializeNoWitness(&want)
	if !bytes.Equal(back.global.find(0x00).value, want.Bytes()) {
		return nil, errors.New("psbt: the version 2 form would make another transaction than the packet's (its kept lock times no longer fit): encode it as version 0")
	}
	return b.Bytes(), nil
}

// record is one key-value record to write.
type record struct{ key, value []byte }

func pairsOf(m kvMap) []record {
	out := make([]record, 0, len(m.pairs))
	for _, q := range m.pairs {
		out = append(out, record{q.key, q.value})
	}
	return out
}

// modifiableAfter is PSBT_GLOBAL_TX_MODIFIABLE once p's signatures are
// in, by BIP370's signer rules: a signature without ANYONECANPAY fixes the
// inputs (bit 0), one that is not NONE fixes the outputs (bit 1), and
// SINGLE sets bit 2. A 64-byte taproot signature is DEFAULT, which is ALL.
func modifiableAfter(p *btcpsbt.Packet, flags byte) byte {
	apply := func(h byte) {
		if h&byte(txscript.SigHashAnyOneCanPay) == 0 {
			flags &^= 0x01
		}
		switch txscript.SigHashType(h &^ byte(txscript.SigHashAnyOneCanPay)) {
		case txscript.SigHashNone:
		case txscript.SigHashSingle:
			flags &^= 0x02
			flags |= 0x04
		default:
			flags &^= 0x02
		}
	}
	schnorrType := func(sig []byte) {
		if len(sig) == 65 {
			apply(sig[64])
		} else if len(sig) == 64 {
			apply(byte(txscript.SigHashAll))
		}
	}
	for _, in := range p.Inputs {
		for _, ps := range in.PartialSigs {
			if len(ps.Signature) > 0 {
				apply(ps.Signature[len(ps.Signature)-1])
			}
		}
		schnorrType(in.TaprootKeySpendSig)
		for _, ss := range in.TaprootScriptSpendSig {
			schnorrType(ss.Signature)
		}
	}
	return flags
}

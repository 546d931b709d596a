package psbt

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

// Limits on what Decode accepts, checked before anything is allocated for
// the data they limit.
const (
	// MaxPSBTBytes caps the input as received, in any of its encodings.
	// Animated QR codes carry a few tens of kilobytes in practice.
	MaxPSBTBytes = 1 << 20 // 1 MiB
	// MaxInputs caps the inputs of the transaction being signed.
	MaxInputs = 1000
	// MaxOutputs caps the outputs of the transaction being signed.
	MaxOutputs = 1000
)

// Decode reads a PSBT that arrived from an untrusted coordinator. It
// accepts the binary format and its base64 and hex text forms (detected by
// their first bytes; whitespace around text is ignored), in version 0
// (BIP174) or version 2 (BIP370), and returns a version 0 packet: a version 2
// PSBT is converted by building its unsigned transaction, and its version 2
// fields, which the transaction now holds, are not kept (nor are
// PSBT_GLOBAL_TX_MODIFIABLE and the fallback lock time). Every other field,
// unknown and proprietary ones included, is kept.
//
// Decode refuses anything BIP174, BIP370 or BIP371 make invalid, and more:
// see the package documentation. Its errors are *DecodeError values wrapping
// the package's sentinel errors.
func Decode(data []byte) (*btcpsbt.Packet, error) {
	p, _, err := DecodeForm(data)
	return p, err
}

// DecodeForm is Decode that also returns the PSBT's Form: its version and,
// for version 2, the fields its version 0 packet cannot hold, so that
// EncodeForm can answer in the version received.
func DecodeForm(data []byte) (*btcpsbt.Packet, Form, error) {
	if len(data) > MaxPSBTBytes {
		return nil, Form{}, errAt(ErrTooLarge, "", -1, "the input is %d bytes, more than airsign's limit of %d bytes (MaxPSBTBytes); a PSBT that large is not one the kiosk should sign: split the transaction", len(data), MaxPSBTBytes)
	}
	bin, err := binaryForm(data)
	if err != nil {
		return nil, Form{}, err
	}
	s, err := scan(bin)
	if err != nil {
		return nil, Form{}, err
	}
	var v0 []byte
	if s.version == 2 {
		if v0, err = convertV2(s); err != nil {
			return nil, Form{}, err
		}
	} else {
		v0 = serializeV0(s, nil)
	}
	p, err := btcpsbt.NewFromRawBytes(bytes.NewReader(v0), false)
	if err != nil {
		return nil, Form{}, &DecodeError{Offset: -1, Err: fmt.Errorf("%w: %w", ErrInvalidField, err),
			Msg: fmt.Sprintf("btcd's PSBT parser refused the data: %v%s", err, advice)}
	}
	if err := afterBtcd(p, s); err != nil {
		return nil, Form{}, err
	}
	return p, formOf(s), nil
}

// binaryForm returns the binary PSBT that data holds.
func binaryForm(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, magic) {
		return data, nil
	}
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, errAt(ErrNotPSBT, "", -1, "the input is empty")
	}
	// Text split over lines (as some exports wrap base64) is joined.
	compact := bytes.Join(bytes.Fields(text), nil)
	switch {
	case len(compact) >= 10 && bytes.EqualFold(compact[:10], []byte("70736274ff")):
		bin := make([]byte, hex.DecodedLen(len(compact)))
		if _, err := hex.Decode(bin, compact); err != nil {
			return nil, errAt(ErrNotPSBT, "", -1, "the input starts like a hex PSBT but is not valid hex (%v); copy it again from the coordinator", err)
		}
		return bin, nil
	case bytes.HasPrefix(compact, []byte("cHNidP")):
		enc := base64.StdEncoding.Strict()
		bin := make([]byte, enc.DecodedLen(len(compact)))
		n, err := enc.Decode(bin, compact)
		if err != nil {
			return nil, errAt(ErrNotPSBT, "", -1, "the input starts like a base64 PSBT but is not valid base64 (%v); copy it again from the coordinator", err)
		}
		return bin[:n], nil
	}
	hint := ""
	for _, tx := range []string{"01000000", "02000000", "AQAAAA", "AgAAAA"} {
		if bytes.HasPrefix(compact, []byte(tx)) {
			hint = " It looks like a raw transaction: the coordinator must export the unsigned transaction as a PSBT."
		}
	}
	return nil, errAt(ErrNotPSBT, "", -1, "the input is not a PSBT: it starts neither with the binary magic \"psbt\\xff\", nor with \"cHNidP\" (base64) or \"70736274ff\" (hex).%s", hint)
}

// serializeV0 writes the scanned maps as a version 0 PSBT with the unsigned
// transaction first, as btcd requires (BIP174 does not). If tx is not nil it
// is the unsigned transaction, and the version 2 fields are left out.
func serializeV0(s *scanned, tx []byte) []byte {
	var b bytes.Buffer
	b.Grow(MaxPSBTBytes / 16)
	b.Write(magic)
	drop := func(kind int, p *pair) bool {
		if tx == nil {
			return false
		}
		switch kind {
		case 'g':
			return p.typ == 0xfb || (p.typ >= 0x02 && p.typ <= 0x06)
		case 'i':
			return p.typ >= 0x0e && p.typ <= 0x12
		default:
			return p.typ == 0x03 || p.typ == 0x04
		}
	}
	if tx == nil {
		tx = s.global.find(0x00).value
	}
	writePair(&b, []byte{0x00}, tx)
	for i := range s.global.pairs {
		p := &s.global.pairs[i]
		if p.typ != 0x00 && !drop('g', p) {
			writePair(&b, p.key, p.value)
		}
	}
	b.WriteByte(0x00)
	for _, m := range s.inputs {
		for i := range m.pairs {
			if !drop('i', &m.pairs[i]) {
				writePair(&b, m.pairs[i].key, m.pairs[i].value)
			}
		}
		b.WriteByte(0x00)
	}
	for _, m := range s.outputs {
		for i := range m.pairs {
			if !drop('o', &m.pairs[i]) {
				writePair(&b, m.pairs[i].key, m.pairs[i].value)
			}
		}
		b.WriteByte(0x00)
	}
	return b.Bytes()
}

func writePair(b *bytes.Buffer, key, value []byte) {
	_ = wire.WriteVarBytes(b, 0, key)
	_ = wire.WriteVarBytes(b, 0, value)
}

// afterBtcd checks what needs btcd's parsed packet, and repairs what btcd
// reads wrongly.
func afterBtcd(p *btcpsbt.Packet, s *scanned) error {
	for i := range p.Inputs {
		in := &p.Inputs[i]
		m := &s.inputs[i]
		if u := in.NonWitnessUtxo; u != nil {
			prev := p.UnsignedTx.TxIn[i].PreviousOutPoint
			where := fmt.Sprintf("input %d", i)
			off := m.find(0x00).off
			if h := u.TxHash(); h != prev.Hash {
				return errAt(ErrInvalidField, where, off, "PSBT_IN_NON_WITNESS_UTXO is transaction %s, but the input spends an output of %s; the coordinator attached the wrong previous transaction%s", h, prev.Hash, advice)
			}
			if int(prev.Index) >= len(u.TxOut) {
				return errAt(ErrInvalidField, where, off, "the input spends output %d of %s, which has only %d outputs%s", prev.Index, prev.Hash, len(u.TxOut), advice)
			}
		}
		if w := m.find(0x01); w != nil {
			// btcd ignores the script's length prefix and takes
			// everything after byte 9 as the script.
			amount, script, _ := scanTxOut(w.value, w.voff, m.where)
			in.WitnessUtxo = wire.NewTxOut(amount, script)
		}
	}
	return nil
}

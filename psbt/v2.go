package psbt

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
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

package approval

import (
	"bytes"
	"slices"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// airsign's global proprietary fields (BIP174 PSBT_GLOBAL_PROPRIETARY with
// identifier "airsign"), by subtype. This package builds, reads and strips
// them all, so that their layout is written down once; package auditlog
// stores its carried checkpoints through SetField and Fields.
const (
	SubtypeApproval   = 0x01 // an ed25519 approval (Attach)
	SubtypeCheckpoint = 0x02 // a device's signed audit-log checkpoint (auditlog.Carry)
	SubtypeWebAuthn   = 0x03 // a WebAuthn approval (AttachWebAuthn)
	SubtypeRequest    = 0x04 // the withdrawal request's id (SetRequest)
	// SubtypeMessage carries, beside a BIP-322 to_sign PSBT, the message or
	// proof-of-reserves challenge it signs, which to_spend holds only as a
	// hash: the kiosk shows it and checks the hash (kiosk.ProofMessage).
	SubtypeMessage = 0x05
)

const (
	subtypeApproval = SubtypeApproval
	subtypeWebAuthn = SubtypeWebAuthn
	subtypeRequest  = SubtypeRequest
)

// fieldPrefix is the start of the key of an airsign field of subtype sub.
func fieldPrefix(sub byte) []byte {
	return append(append([]byte{0xfc, byte(len(identifier))}, identifier...), sub)
}

// SetField writes the airsign field of subtype sub and key data data,
// replacing a field with the same key, and leaves the global unknowns sorted
// by key (as package psbt's Combine leaves them).
func SetField(p *btcpsbt.Packet, sub byte, data, value []byte) {
	putField(p, append(fieldPrefix(sub), data...), value)
}

// Field is one airsign field: its key data and value.
type Field struct {
	Data, Value []byte
}

// Fields returns p's airsign fields of subtype sub, in map order. A
// proprietary key that does not parse is not airsign's and is skipped.
func Fields(p *btcpsbt.Packet, sub byte) []Field {
	var out []Field
	for _, u := range p.Unknowns {
		if u == nil || len(u.Key) == 0 || u.Key[0] != 0xfc {
			continue
		}
		id, got, data, err := splitProprietary(u.Key[1:])
		if err == nil && id == identifier && got == uint64(sub) {
			out = append(out, Field{Data: data, Value: u.Value})
		}
	}
	return out
}

// putField writes one global field, replacing a field with the same key,
// and leaves the global unknowns sorted by key.
func putField(p *btcpsbt.Packet, key, value []byte) {
	i := slices.IndexFunc(p.Unknowns, func(u *btcpsbt.Unknown) bool { return u != nil && bytes.Equal(u.Key, key) })
	if i >= 0 {
		p.Unknowns[i] = &btcpsbt.Unknown{Key: key, Value: value}
	} else {
		p.Unknowns = append(p.Unknowns, &btcpsbt.Unknown{Key: key, Value: value})
	}
	// A nil field is not one btcd could write.
	p.Unknowns = slices.DeleteFunc(p.Unknowns, func(u *btcpsbt.Unknown) bool { return u == nil })
	slices.SortStableFunc(p.Unknowns, func(x, y *btcpsbt.Unknown) int { return bytes.Compare(x.Key, y.Key) })
}

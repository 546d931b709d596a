package approval

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// identifier is the BIP174 proprietary identifier of airsign's fields.
const identifier = "airsign"

// Attach adds a to p's global map, replacing an approval by the same key.
// It refuses an approval that Verify refuses, but does not check that a is
// for p's transaction: the kiosk's Check does. Global unknown fields are
// left sorted by key, as package psbt's Combine leaves them, so the result
// does not depend on the order approvals arrived in.
func Attach(p *btcpsbt.Packet, a Approval) error {
	if p == nil || p.UnsignedTx == nil {
		return fmt.Errorf("approval: cannot attach to a PSBT without an unsigned transaction")
	}
	if err := a.Verify(); err != nil {
		return err
	}
	put(p, &a)
	return nil
}

// put writes a's field into p without judging it.
func put(p *btcpsbt.Packet, a *Approval) {
	putField(p, append(fieldPrefix(subtypeApproval), a.PublicKey...), a.marshalValue())
}

// Extract returns the approvals in p's global map, in the order of their
// keys. Other proprietary and unknown fields are left alone. It does not
// verify signatures (Verify and Check do) but refuses, naming the field and
// what is wrong, any approval field that breaks the format: a malformed
// proprietary key, a key that is not 32 bytes, a value over MaxValueBytes
// or not exactly as the package documentation specifies, or a key that
// appears twice.
func Extract(p *btcpsbt.Packet) ([]Approval, error) {
	var out []Approval
	err := eachField(p, subtypeApproval, "ed25519 public key", ed25519.PublicKeySize, func(data, value []byte) error {
		a, err := parseValue(data, value)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y Approval) int { return bytes.Compare(x.PublicKey, y.PublicKey) })
	return out, nil
}

// eachField calls fn with the key data and value of every airsign field of
// subtype sub in p's global map, refusing a malformed proprietary key, key
// data that is not keyLen bytes (a keyName) and a key that appears twice.
func eachField(p *btcpsbt.Packet, sub uint64, keyName string, keyLen int, fn func(data, value []byte) error) error {
	if p == nil {
		return fmt.Errorf("approval: no PSBT")
	}
	seen := make(map[string]bool)
	for i, u := range p.Unknowns {
		if u == nil || len(u.Key) == 0 || u.Key[0] != 0xfc {
			continue
		}
		id, got, data, err := splitProprietary(u.Key[1:])
		if err != nil {
			return fmt.Errorf("approval: global field %d, proprietary key %s: %w", i, shortHex(u.Key), err)
		}
		if id != identifier || got != sub {
			continue
		}
		if len(data) != keyLen {
			return fmt.Errorf("approval: global field %d, key %s: the key data must be a %d-byte %s, not %d bytes: %w", i, shortHex(u.Key), keyLen, keyName, len(data), ErrMalformed)
		}
		if seen[string(data)] {
			return fmt.Errorf("approval: global field %d: a second approval by key %s; a PSBT holds one per key: %w", i, shortKey(data), ErrMalformed)
		}
		seen[string(data)] = true
		if err := fn(data, u.Value); err != nil {
			return fmt.Errorf("approval: global field %d, the approval by key %s: %w", i, shortKey(data), err)
		}
	}
	return nil
}

// splitProprietary reads <compact size length> <identifier> <compact size
// subtype> <key data>, refusing compact sizes that are not minimal (which
// would let one approval hide under a second key).
func splitProprietary(b []byte) (id string, sub uint64, data []byte, err error) {
	n, b, err := compactSize(b, "the identifier's length")
	if err != nil {
		return "", 0, nil, err
	}
	if n > uint64(len(b)) {
		return "", 0, nil, fmt.Errorf("the identifier claims %d bytes but only %d follow: %w", n, len(b), ErrMalformed)
	}
	id, b = string(b[:n]), b[n:]
	if sub, b, err = compactSize(b, "the subtype"); err != nil {
		return "", 0, nil, err
	}
	return id, sub, b, nil
}

func compactSize(b []byte, what string) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("the key ends where %s should be: %w", what, ErrMalformed)
	}
	var size int
	var min uint64
	switch b[0] {
	case 0xfd:
		size, min = 2, 0xfd
	case 0xfe:
		size, min = 4, 0x10000
	case 0xff:
		size, min = 8, 0x100000000
	default:
		return uint64(b[0]), b[1:], nil
	}
	if len(b) < 1+size {
		return 0, nil, fmt.Errorf("the key ends inside %s: %w", what, ErrMalformed)
	}
	var buf [8]byte
	copy(buf[:], b[1:1+size])
	n := binary.LittleEndian.Uint64(buf[:])
	if n < min {
		return 0, nil, fmt.Errorf("%s (%d) is not minimally encoded, as BIP174 requires: %w", what, n, ErrMalformed)
	}
	return n, b[1+size:], nil
}

// shortKey names a key in messages by its first 8 bytes.
func shortKey(k []byte) string {
	if len(k) > 8 {
		return fmt.Sprintf("%x…", k[:8])
	}
	return fmt.Sprintf("%x", k)
}

func shortHex(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("%x… (%d bytes)", b[:16], len(b))
	}
	return fmt.Sprintf("%x", b)
}

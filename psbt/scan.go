package psbt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// magic starts every binary PSBT: "psbt" and the 0xff separator.
var magic = []byte{0x70, 0x73, 0x62, 0x74, 0xff}

// lockTimeThreshold separates block heights (below) from Unix times in lock
// times (BIP65, BIP370).
const lockTimeThreshold = 500_000_000

// maxKeyLen is btcd's limit on a key's length (btcpsbt.MaxPsbtKeyLength).
// The scanner refuses longer keys itself so that the error says where.
const maxKeyLen = 10000

// pair is one key-value record as it is on the wire.
type pair struct {
	key   []byte // <keytype><keydata>, exactly as read
	typ   uint64 // the key type, a compact size
	data  []byte // the key data after the type
	value []byte
	off   int // offset of the record's key length
	voff  int // offset of the value's first byte
}

// kvMap is one map of the PSBT: the global map, an input or an output.
type kvMap struct {
	where string
	off   int
	pairs []pair
}

// find returns the record of type typ, or nil. Keys are unique per map and
// the scanner has checked that the types find is used for carry no key data,
// so there is at most one.
func (m *kvMap) find(typ uint64) *pair {
	for i := range m.pairs {
		if m.pairs[i].typ == typ {
			return &m.pairs[i]
		}
	}
	return nil
}

// scanned is a PSBT whose structure the scanner has checked.
type scanned struct {
	version uint32
	global  kvMap
	inputs  []kvMap
	outputs []kvMap
}

// readMap reads key-value records up to the 0x00 separator, refusing
// duplicate keys.
func readMap(r *reader, where string) (kvMap, error) {
	r.where = where
	m := kvMap{where: where, off: r.pos()}
	seen := make(map[string]int)
	for {
		off := r.pos()
		klen, err := r.compactSize("a key")
		if err != nil {
			if r.remaining() == 0 {
				return m, errAt(ErrTruncated, where, off, "the data ends before the map's 0x00 separator"+advice)
			}
			return m, err
		}
		if klen == 0 {
			return m, nil
		}
		if klen > maxKeyLen {
			return m, errAt(ErrInvalidField, where, off, "a key of %d bytes, more than the %d any PSBT field needs"+advice, klen, maxKeyLen)
		}
		key, err := r.take(klen, "a key")
		if err != nil {
			return m, err
		}
		kr := &reader{b: key, base: off + (r.pos() - off - len(key)), where: where}
		typ, err := kr.compactSize("a key type")
		if err != nil {
			return m, err
		}
		voff := r.pos()
		value, err := r.varBytes(fmt.Sprintf("the value of key %s", hexKey(key)))
		if err != nil {
			return m, err
		}
		if first, dup := seen[string(key)]; dup {
			return m, errAt(ErrDuplicateKey, where, off, "key %s appears twice (first at byte %d); BIP174 allows each key once per map, and a reader could take either value"+advice, hexKey(key), first)
		}
		seen[string(key)] = off
		m.pairs = append(m.pairs, pair{
			key: key, typ: typ, data: key[kr.off:], value: value,
			off: off, voff: voff + (r.pos() - voff - len(value)),
		})
	}
}

// scan checks the structure of a binary PSBT and returns its maps.
func scan(b []byte) (*scanned, error) {
	if !bytes.HasPrefix(b, magic) {
		return nil, errAt(ErrNotPSBT, "", 0, "the data does not start with the PSBT magic bytes 70736274ff (\"psbt\" and 0xff)")
	}
	r := &reader{b: b, off: len(magic)}
	s := &scanned{}
	var err error
	if s.global, err = readMap(r, "global map"); err != nil {
		return nil, err
	}
	if p := s.global.find(0xfb); p != nil {
		if len(p.data) != 0 || len(p.value) != 4 {
			return nil, errAt(ErrInvalidField, "global map", p.off, "PSBT_GLOBAL_VERSION must have no key data and a 4-byte value, not %d and %d bytes"+advice, len(p.data), len(p.value))
		}
		s.version = binary.LittleEndian.Uint32(p.value)
		if s.version != 0 && s.version != 2 {
			return nil, errAt(ErrUnsupportedVersion, "global map", p.off, "PSBT version %d; airsign reads versions 0 (BIP174) and 2 (BIP370): export the PSBT as one of those", s.version)
		}
	}
	if err := checkGlobal(s); err != nil {
		return nil, err
	}
	nIn, nOut, err := mapCounts(s)
	if err != nil {
		return nil, err
	}
	for i := 0; i < nIn; i++ {
		if r.remaining() == 0 {
			return nil, errAt(ErrTruncated, fmt.Sprintf("input %d", i), r.pos(), "the PSBT ends after %d of its %d input maps"+advice, i, nIn)
		}
		m, err := readMap(r, fmt.Sprintf("input %d", i))
		if err != nil {
			return nil, err
		}
		if err := checkInput(s, &m); err != nil {
			return nil, err
		}
		s.inputs = append(s.inputs, m)
	}
	for i := 0; i < nOut; i++ {
		if r.remaining() == 0 {
			return nil, errAt(ErrTruncated, fmt.Sprintf("output %d", i), r.pos(), "the PSBT ends after %d of its %d output maps"+advice, i, nOut)
		}
		m, err := readMap(r, fmt.Sprintf("output %d", i))
		if err != nil {
			return nil, err
		}
		if err := checkOutput(s, &m); err != nil {
			return nil, err
		}
		s.outputs = append(s.outputs, m)
	}
	if r.remaining() > 0 {
		off, extra := r.pos(), r.remaining()
		what := fmt.Sprintf("%d bytes follow the last output map", extra)
		if _, err := readMap(r, "trailing data"); err == nil {
			what = fmt.Sprintf("%d bytes follow the last output map, and they form another map: the PSBT has more maps than its transaction has inputs (%d) and outputs (%d)", extra, nIn, nOut)
		}
		return nil, errAt(ErrTrailingData, "", off, "%s"+advice, what)
	}
	return s, nil
}

// mapCounts returns how many input and output maps follow the global map:
// the counts of the unsigned transaction in version 0, of
// PSBT_GLOBAL_INPUT_COUNT and PSBT_GLOBAL_OUTPUT_COUNT in version 2. The
// limits are checked here, before anything is allocated for them.
func mapCounts(s *scanned) (int, int, error) {
	if s.version == 0 {
		p := s.global.find(0x00)
		if p == nil {
			return 0, 0, errAt(ErrMissingField, "global map", s.global.off, "no unsigned transaction (PSBT_GLOBAL_UNSIGNED_TX), which every version 0 PSBT must have"+advice)
		}
		shape, err := scanTx(p.value, p.voff, "global map", "the unsigned transaction", false)
		if err != nil {
			return 0, 0, err
		}
		return shape.nIn, shape.nOut, nil
	}
	var n [2]int
	for i, f := range []struct {
		typ   uint64
		name  string
		limit int
	}{{0x04, "PSBT_GLOBAL_INPUT_COUNT", MaxInputs}, {0x05, "PSBT_GLOBAL_OUTPUT_COUNT", MaxOutputs}} {
		p := s.global.find(f.typ)
		if p == nil {
			return 0, 0, errAt(ErrMissingField, "global map", s.global.off, "no %s, which every version 2 PSBT must have"+advice, f.name)
		}
		vr := &reader{b: p.value, base: p.voff, where: "global map"}
		c, err := vr.compactSize(f.name)
		if err != nil {
			return 0, 0, err
		}
		if vr.remaining() != 0 {
			return 0, 0, errAt(ErrInvalidField, "global map", p.off, "%s has %d bytes after its compact size"+advice, f.name, vr.remaining())
		}
		if c > uint64(f.limit) {
			return 0, 0, errAt(ErrTooLarge, "global map", p.off, "%s is %d, more than airsign's limit of %d; split the transaction into smaller ones", f.name, c, f.limit)
		}
		n[i] = int(c)
	}
	return n[0], n[1], nil
}

// Field names for messages, by map kind and key type.
var (
	globalNames = map[uint64]string{
		0x00: "PSBT_GLOBAL_UNSIGNED_TX", 0x01: "PSBT_GLOBAL_XPUB",
		0x02: "PSBT_GLOBAL_TX_VERSION", 0x03: "PSBT_GLOBAL_FALLBACK_LOCKTIME",
		0x04: "PSBT_GLOBAL_INPUT_COUNT", 0x05: "PSBT_GLOBAL_OUTPUT_COUNT",
		0x06: "PSBT_GLOBAL_TX_MODIFIABLE", 0xfb: "PSBT_GLOBAL_VERSION",
		0xfc: "PSBT_GLOBAL_PROPRIETARY",
	}
	inputNames = map[uint64]string{
		0x00: "PSBT_IN_NON_WITNESS_UTXO", 0x01: "PSBT_IN_WITNESS_UTXO",
		0x02: "PSBT_IN_PARTIAL_SIG", 0x03: "PSBT_IN_SIGHASH_TYPE",
		0x04: "PSBT_IN_REDEEM_SCRIPT", 0x05: "PSBT_IN_WITNESS_SCRIPT",
		0x06: "PSBT_IN_BIP32_DERIVATION", 0x07: "PSBT_IN_FINAL_SCRIPTSIG",
		0x08: "PSBT_IN_FINAL_SCRIPTWITNESS", 0x09: "PSBT_IN_POR_COMMITMENT",
		0x0a: "PSBT_IN_RIPEMD160", 0x0b: "PSBT_IN_SHA256",
		0x0c: "PSBT_IN_HASH160", 0x0d: "PSBT_IN_HASH256",
		0x0e: "PSBT_IN_PREVIOUS_TXID", 0x0f: "PSBT_IN_OUTPUT_INDEX",
		0x10: "PSBT_IN_SEQUENCE", 0x11: "PSBT_IN_REQUIRED_TIME_LOCKTIME",
		0x12: "PSBT_IN_REQUIRED_HEIGHT_LOCKTIME", 0x13: "PSBT_IN_TAP_KEY_SIG",
		0x14: "PSBT_IN_TAP_SCRIPT_SIG", 0x15: "PSBT_IN_TAP_LEAF_SCRIPT",
		0x16: "PSBT_IN_TAP_BIP32_DERIVATION", 0x17: "PSBT_IN_TAP_INTERNAL_KEY",
		0x18: "PSBT_IN_TAP_MERKLE_ROOT", 0xfc: "PSBT_IN_PROPRIETARY",
	}
	outputNames = map[uint64]string{
		0x00: "PSBT_OUT_REDEEM_SCRIPT", 0x01: "PSBT_OUT_WITNESS_SCRIPT",
		0x02: "PSBT_OUT_BIP32_DERIVATION", 0x03: "PSBT_OUT_AMOUNT",
		0x04: "PSBT_OUT_SCRIPT", 0x05: "PSBT_OUT_TAP_INTERNAL_KEY",
		0x06: "PSBT_OUT_TAP_TREE", 0x07: "PSBT_OUT_TAP_BIP32_DERIVATION",
		0xfc: "PSBT_OUT_PROPRIETARY",
	}
)

// field checks one record against the rules of its type.
type field struct {
	m     *kvMap
	p     *pair
	name  string
	isV2  bool // the PSBT is version 2
	v2    bool // the field exists only in version 2
	notV2 bool // the field is excluded from version 2
}

func (f *field) fail(format string, args ...any) error {
	return errAt(ErrInvalidField, f.m.where, f.p.off, "%s: "+format+advice, append([]any{f.name}, args...)...)
}

// version refuses a field that the PSBT's version excludes (BIP370's
// invalid test vectors are mostly this).
func (f *field) version() error {
	if f.v2 && !f.isV2 {
		return errAt(ErrInvalidField, f.m.where, f.p.off, "%s is a version 2 field, but this PSBT is version 0 (it has no PSBT_GLOBAL_VERSION 2)%s", f.name, advice)
	}
	if f.notV2 && f.isV2 {
		return errAt(ErrInvalidField, f.m.where, f.p.off, "%s must not be in a version 2 PSBT%s", f.name, advice)
	}
	return nil
}

func (f *field) noKeyData() error {
	if len(f.p.data) != 0 {
		return f.fail("the key must be the type alone, but it has %d bytes of key data", len(f.p.data))
	}
	return nil
}

func (f *field) size(n ...int) error {
	for _, want := range n {
		if len(f.p.value) == want {
			return nil
		}
	}
	if len(n) == 1 {
		return f.fail("the value must be %d bytes, not %d", n[0], len(f.p.value))
	}
	return f.fail("the value must be %v bytes, not %d", n, len(f.p.value))
}

// emptyKeySized is the common shape: no key data, a fixed-size value.
func (f *field) emptyKeySized(n ...int) error {
	if err := f.noKeyData(); err != nil {
		return err
	}
	return f.size(n...)
}

func validPubKey(b []byte) bool {
	if len(b) != 33 && len(b) != 65 {
		return false
	}
	_, err := btcec.ParsePubKey(b)
	return err == nil
}

func validXOnly(b []byte) bool {
	if len(b) != 32 {
		return false
	}
	_, err := schnorr.ParsePubKey(b)
	return err == nil
}

// bip32Path checks <4 byte fingerprint> <32-bit index>*. btcd panics on a
// value shorter than four bytes.
func (f *field) bip32Path(v []byte) error {
	if len(v) < 4 || len(v)%4 != 0 {
		return f.fail("a BIP32 derivation must be a 4-byte fingerprint and 4 bytes per path step, not %d bytes", len(v))
	}
	return nil
}

// tapBip32 checks <hashes len> <leaf hash>* <fingerprint> <index>*. btcd
// computes the length check in int and can be made to allocate 2^59 leaf
// hashes or panic; here the count is bounded by the value's length.
func (f *field) tapBip32() error {
	if !validXOnly(f.p.data) {
		return f.fail("the key data must be a valid 32-byte x-only public key, not %d bytes", len(f.p.data))
	}
	vr := &reader{b: f.p.value, base: f.p.voff, where: f.m.where}
	n, err := vr.count("leaf hashes", 32, 0)
	if err != nil {
		return err
	}
	vr.off += 32 * n
	return f.bip32Path(f.p.value[vr.off:])
}

// proprietary checks the 0xFC key data: <compact size identifier length>
// <identifier> <compact size subtype> <subkey data>.
func (f *field) proprietary() error {
	kr := &reader{b: f.p.data, base: f.p.off, where: f.m.where}
	if _, err := kr.varBytes("the proprietary identifier"); err != nil {
		return err
	}
	if _, err := kr.compactSize("the proprietary subtype"); err != nil {
		return err
	}
	return nil
}

func checkGlobal(s *scanned) error {
	isV2 := s.version == 2
	for i := range s.global.pairs {
		p := &s.global.pairs[i]
		f := &field{m: &s.global, p: p, name: globalNames[p.typ], isV2: isV2}
		var err error
		switch p.typ {
		case 0x00:
			f.notV2 = true
			if err = f.version(); err == nil {
				err = f.noKeyData()
			}
		case 0x01:
			// The xpub's depth (byte 4) fixes the path length.
			switch {
			case len(p.data) != 78:
				err = f.fail("the key data must be a 78-byte BIP32 extended public key, not %d bytes", len(p.data))
			case !validPubKey(p.data[45:78]):
				err = f.fail("the extended key does not hold a valid compressed public key")
			case len(p.value) != 4+4*int(p.data[4]):
				err = f.fail("the extended key has depth %d, so the value must be a 4-byte fingerprint and %d path steps (%d bytes), not %d bytes", p.data[4], p.data[4], 4+4*int(p.data[4]), len(p.value))
			}
		case 0x02, 0x03:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.emptyKeySized(4)
			}
		case 0x04, 0x05:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.noKeyData() // the value is read by mapCounts
			}
		case 0x06:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.emptyKeySized(1)
			}
		case 0xfc:
			err = f.proprietary()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func checkInput(s *scanned, m *kvMap) error {
	isV2 := s.version == 2
	for i := range m.pairs {
		p := &m.pairs[i]
		f := &field{m: m, p: p, name: inputNames[p.typ], isV2: isV2}
		if f.name == "" {
			f.name = fmt.Sprintf("key type 0x%x", p.typ)
		}
		var err error
		switch p.typ {
		case 0x00:
			if err = f.noKeyData(); err == nil {
				_, err = scanTx(p.value, p.voff, m.where, "the non-witness UTXO transaction", true)
			}
		case 0x01:
			if err = f.noKeyData(); err == nil {
				_, _, err = scanTxOut(p.value, p.voff, m.where)
			}
		case 0x02:
			switch {
			case !validPubKey(p.data):
				err = f.fail("the key data must be a valid 33- or 65-byte public key, not %d bytes", len(p.data))
			case len(p.value) == 0:
				err = f.fail("the signature is empty")
			}
		case 0x03:
			err = f.emptyKeySized(4)
		case 0x04, 0x05, 0x07, 0x09:
			err = f.noKeyData()
		case 0x06:
			if !validPubKey(p.data) {
				err = f.fail("the key data must be a valid 33- or 65-byte public key, not %d bytes", len(p.data))
			} else {
				err = f.bip32Path(p.value)
			}
		case 0x08:
			if err = f.noKeyData(); err == nil {
				err = scanWitness(p.value, p.voff, m.where)
			}
		case 0x0a, 0x0b, 0x0c, 0x0d:
			err = f.preimage()
		case 0x0e:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.emptyKeySized(32)
			}
		case 0x0f, 0x10:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.emptyKeySized(4)
			}
		case 0x11, 0x12:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.emptyKeySized(4)
			}
			if err == nil {
				lt := binary.LittleEndian.Uint32(p.value)
				if p.typ == 0x11 && lt < lockTimeThreshold {
					err = f.fail("%d is a block height; a time-based lock time must be at least %d", lt, lockTimeThreshold)
				}
				if p.typ == 0x12 && (lt == 0 || lt >= lockTimeThreshold) {
					err = f.fail("%d is not a block height; a height-based lock time must be above 0 and below %d", lt, lockTimeThreshold)
				}
			}
		case 0x13:
			err = f.emptyKeySized(64, 65)
		case 0x14:
			switch {
			case len(p.data) != 64 || !validXOnly(p.data[:32]):
				err = f.fail("the key data must be a 32-byte x-only public key and a 32-byte leaf hash, not %d bytes", len(p.data))
			default:
				err = f.size(64, 65)
			}
		case 0x15:
			if _, cerr := txscript.ParseControlBlock(p.data); cerr != nil {
				err = f.fail("the key data is not a valid control block (%d bytes): %v", len(p.data), cerr)
			} else if len(p.value) < 1 {
				err = f.fail("the value must be a script followed by its leaf version byte")
			}
		case 0x16:
			err = f.tapBip32()
		case 0x17:
			if err = f.emptyKeySized(32); err == nil && !validXOnly(p.value) {
				err = f.fail("the value is not a valid x-only public key")
			}
		case 0x18:
			err = f.emptyKeySized(32)
		case 0xfc:
			err = f.proprietary()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// preimage checks the hash-preimage fields: the key data is the hash, the
// value its preimage. RIPEMD160 alone is outside std and btcd, so for it only
// the hash length is checked.
func (f *field) preimage() error {
	want := map[uint64]int{0x0a: 20, 0x0b: 32, 0x0c: 20, 0x0d: 32}[f.p.typ]
	if len(f.p.data) != want {
		return f.fail("the key data must be a %d-byte hash, not %d bytes", want, len(f.p.data))
	}
	var got []byte
	switch f.p.typ {
	case 0x0b:
		h := sha256.Sum256(f.p.value)
		got = h[:]
	case 0x0c:
		got = btcutil.Hash160(f.p.value)
	case 0x0d:
		h := sha256.Sum256(f.p.value)
		h = sha256.Sum256(h[:])
		got = h[:]
	default:
		return nil
	}
	if !bytes.Equal(got, f.p.data) {
		return f.fail("the preimage does not hash to the key's hash")
	}
	return nil
}

func checkOutput(s *scanned, m *kvMap) error {
	isV2 := s.version == 2
	for i := range m.pairs {
		p := &m.pairs[i]
		f := &field{m: m, p: p, name: outputNames[p.typ], isV2: isV2}
		if f.name == "" {
			f.name = fmt.Sprintf("key type 0x%x", p.typ)
		}
		var err error
		switch p.typ {
		case 0x00, 0x01:
			err = f.noKeyData()
		case 0x02:
			if !validPubKey(p.data) {
				err = f.fail("the key data must be a valid 33- or 65-byte public key, not %d bytes", len(p.data))
			} else {
				err = f.bip32Path(p.value)
			}
		case 0x03:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.emptyKeySized(8)
			}
			if err == nil {
				if v := int64(binary.LittleEndian.Uint64(p.value)); v < 0 || v > btcutil.MaxSatoshi {
					err = f.fail("amount %d is outside 0 to 21,000,000 BTC", v)
				}
			}
		case 0x04:
			f.v2 = true
			if err = f.version(); err == nil {
				err = f.noKeyData()
			}
		case 0x05:
			if err = f.emptyKeySized(32); err == nil && !validXOnly(p.value) {
				err = f.fail("the value is not a valid x-only public key")
			}
		case 0x06:
			if err = f.noKeyData(); err == nil {
				err = f.tapTree()
			}
		case 0x07:
			err = f.tapBip32()
		case 0xfc:
			err = f.proprietary()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tapTree checks PSBT_OUT_TAP_TREE: {<depth> <leaf version> <script>}+ in
// depth-first order, forming one complete binary tree of depth at most 128.
// btcd keeps the value without looking at it.
func (f *field) tapTree() error {
	const maxDepth = 128 // BIP341's limit on a control block's path
	vr := &reader{b: f.p.value, base: f.p.voff, where: f.m.where}
	if vr.remaining() == 0 {
		return f.fail("the tree has no leaves")
	}
	// have[d] says a finished subtree at depth d waits for its sibling;
	// deepest is the deepest such d, or -1.
	var have [maxDepth + 1]bool
	deepest, complete := -1, false
	for vr.remaining() > 0 {
		hdr, err := vr.take(2, "a leaf's depth and version")
		if err != nil {
			return err
		}
		depth, ver := int(hdr[0]), hdr[1]
		if depth > maxDepth {
			return f.fail("a leaf at depth %d, deeper than the %d BIP341 allows", depth, maxDepth)
		}
		if ver&^txscript.TaprootLeafMask != 0 {
			return f.fail("leaf version 0x%02x is odd; BIP341 leaf versions are even", ver)
		}
		if _, err := vr.varBytes("a leaf script"); err != nil {
			return err
		}
		if complete {
			return f.fail("leaves follow a tree that is already complete")
		}
		if depth < deepest {
			return f.fail("a leaf at depth %d while a subtree at depth %d is unfinished: the leaves are not in depth-first order", depth, deepest)
		}
		d := depth
		for have[d] { // combine with the waiting sibling, one level up
			have[d] = false
			d--
		}
		have[d] = true
		deepest = d
		complete = d == 0
	}
	if !complete {
		return f.fail("the leaves do not form a complete tree")
	}
	return nil
}

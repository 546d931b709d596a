// Package ur is airsign's codec for Blockchain Commons Uniform Resources
// (BCR-2020-005): CBOR messages written as Bytewords (BCR-2020-012) in
// "ur:type/..." strings, split across animated QR codes with the fountain
// code of the multipart UR spec, so that Sparrow, Keystone, SeedSigner,
// Jade, Passport and Nunchuk read what airsign shows and airsign reads what
// they show.
//
// Encode writes a single-part UR. An Encoder writes the parts of an animated
// sequence: first the message's fragments in order, then an endless run of
// parts that XOR random subsets of them together, so a receiver that misses
// frames catches up from whatever it scans next. A Decoder is fed one scanned
// string at a time (any case, any order, with losses and repeats) and reports
// when the message is complete and its checksum verified.
//
// Everything a part claims is checked against fixed limits (MaxSeqLen,
// MaxMessageLen, MaxFragmentLen) before anything is allocated for it, because
// the parts come from a camera pointed at a screen nobody vouches for.
//
// The registry helpers carry what airsign moves across the gap: PSBTs
// (crypto-psbt) and watch-only wallet exports (crypto-output, crypto-account,
// crypto-hdkey, BCR-2020-006/007/010/015, and the version 3
// output-descriptor and account-descriptor of BCR-2023-010/019). They
// depend on nothing but the
// standard library; callers convert to their own descriptor types.
package ur

import (
	"fmt"
	"strconv"
	"strings"
)

// UR is a decoded Uniform Resource: a registered type and the CBOR item it
// carries.
type UR struct {
	Type string // lower case, e.g. "crypto-psbt"
	CBOR []byte // exactly one CBOR item
}

// Maximum fragment lengths, in bytes, for the QR densities wallets use. Pass
// one as maxFragmentLen to NewEncoder; the encoder picks equal fragments no
// longer than that.
const (
	// FragmentLenSparrow is Sparrow's default: dense codes for a good webcam.
	FragmentLenSparrow = 400
	// FragmentLenKeystone is what Keystone and Passport show and scan
	// comfortably.
	FragmentLenKeystone = 200
	// FragmentLenSmall suits weak cameras and small screens: sparse codes
	// that scan from further away, at the cost of more frames.
	FragmentLenSmall = 100
	// MinFragmentLen is the reference implementation's lower bound on the
	// fragment length.
	MinFragmentLen = 10
)

// Limits on what a part may claim. A PSBT with hundreds of inputs is a few
// hundred kilobytes; a single QR code holds under 3 KB.
const (
	// MaxSeqLen is the most fragments a message may be split into.
	MaxSeqLen = 10_000
	// MaxMessageLen is the longest message, in bytes, that the decoder
	// assembles.
	MaxMessageLen = 2 << 20
	// MaxFragmentLen is the longest fragment a part may carry; a version 40
	// QR code cannot hold more.
	MaxFragmentLen = 4096
	// MaxTypeLen is the longest UR type accepted.
	MaxTypeLen = 64
)

// Encode returns u as a single-part UR in upper case, the form QR codes
// carry in alphanumeric mode. It does not check u; a UR whose type or CBOR
// is invalid encodes to a string that Decoder refuses.
func Encode(u UR) string {
	return strings.ToUpper("ur:" + u.Type + "/" + encodeBytewords(styleMinimal, u.CBOR))
}

// checkType reports whether t is a valid UR type: 1 to MaxTypeLen lower-case
// letters, digits and hyphens.
func checkType(t string) error {
	if t == "" {
		return fmt.Errorf("the type is empty")
	}
	if len(t) > MaxTypeLen {
		return fmt.Errorf("the type is %d characters, longer than %d", len(t), MaxTypeLen)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("the type %q has %q, but types hold only letters, digits and '-'", t, c)
		}
	}
	return nil
}

// parsed is a UR string split into its components.
type parsed struct {
	typ    string
	seq    string // "" for single-part
	seqNum uint64
	seqLen uint64
	body   string // minimal bytewords
}

// parse splits "ur:type/body" or "ur:type/seqNum-seqLen/body", lower-casing
// it first (QR codes carry URs in upper case).
func parse(s string) (parsed, error) {
	var p parsed
	s = strings.ToLower(strings.TrimSpace(s))
	rest, ok := strings.CutPrefix(s, "ur:")
	if !ok {
		return p, fmt.Errorf("%q is not a UR: it does not start with \"ur:\"", abbrev(s))
	}
	comps := strings.Split(rest, "/")
	switch len(comps) {
	case 2:
		p.typ, p.body = comps[0], comps[1]
	case 3:
		p.typ, p.seq, p.body = comps[0], comps[1], comps[2]
		a, b, ok := strings.Cut(p.seq, "-")
		var errA, errB error
		p.seqNum, errA = parseSeq(a)
		p.seqLen, errB = parseSeq(b)
		if !ok || errA != nil || errB != nil {
			return p, fmt.Errorf("ur:%s has sequence %q, expected two numbers like \"3-10\"", abbrev(p.typ), abbrev(p.seq))
		}
	default:
		return p, fmt.Errorf("%q is not a UR: expected ur:type/data or ur:type/n-m/data", abbrev(s))
	}
	if err := checkType(p.typ); err != nil {
		return p, fmt.Errorf("not a UR: %v", err)
	}
	if p.body == "" {
		return p, fmt.Errorf("ur:%s carries no data", p.typ)
	}
	return p, nil
}

func parseSeq(s string) (uint64, error) {
	if s == "" || len(s) > 10 {
		return 0, fmt.Errorf("bad sequence number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("bad sequence number")
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// abbrev shortens s for an error message.
func abbrev(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

package bbqr

import (
	"encoding/base32"
	"encoding/hex"
	"fmt"
)

// b32 is RFC 4648 base32 without padding, as BBQr requires.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Options tune Split. The zero value asks for what the reference encoder
// does by default: Z encoding with a fall-back to base32, the fewest parts
// between QR versions 5 and 40.
type Options struct {
	// Encoding is Zlib, Base32 or Hex; zero means Zlib. Zlib falls back to
	// Base32 when compression does not make the data smaller (high-entropy
	// data such as signatures), as the specification asks; the header of
	// the parts says which was used.
	Encoding Encoding
	// MinVersion and MaxVersion bound the QR version (error correction L)
	// every part must fit; zero means 5 and 40. To force one version, set
	// both.
	MinVersion, MaxVersion int
	// MinParts and MaxParts bound the number of parts; zero means 1 and
	// MaxParts (1295).
	MinParts, MaxParts int
}

// Split encodes data of file type ft as a BBQr series. It picks, among the
// QR versions Options allow, the one that needs the fewest parts, and the
// lowest version among equals; every part then fits a QR code of that
// version at error correction L (see VersionFor). All parts but the last
// have the same length and each decodes to whole bytes.
//
// Empty data gives one part with an empty body.
func Split(data []byte, ft FileType, opt Options) ([]string, error) {
	if !ft.Valid() {
		return nil, fmt.Errorf("bbqr: split: %w: file type %q is not one of P T J U B C X", ErrBadOptions, rune(ft))
	}
	enc := opt.Encoding
	if enc == 0 {
		enc = Zlib
	}
	if !enc.Valid() {
		return nil, fmt.Errorf("bbqr: split: %w: encoding %q is not H, 2 or Z", ErrBadOptions, rune(enc))
	}
	minV, maxV := opt.MinVersion, opt.MaxVersion
	if minV == 0 {
		minV = 5
	}
	if maxV == 0 {
		maxV = 40
	}
	minV = min(minV, maxV) // a low MaxVersion alone lowers the floor too
	if minV < 1 || maxV > 40 {
		return nil, fmt.Errorf("bbqr: split: %w: QR versions %d..%d are outside 1..40", ErrBadOptions, opt.MinVersion, opt.MaxVersion)
	}
	minP, maxP := opt.MinParts, opt.MaxParts
	if minP == 0 {
		minP = 1
	}
	if maxP == 0 {
		maxP = MaxParts
	}
	if minP < 1 || maxP > MaxParts || minP > maxP {
		return nil, fmt.Errorf("bbqr: split: %w: part counts %d..%d are outside 1..%d", ErrBadOptions, opt.MinParts, opt.MaxParts, MaxParts)
	}

	var body string
	if enc == Zlib && len(data) <= MaxInflatedSize {
		z := deflateWindowed(data)
		if len(z) < len(data) {
			body = b32.EncodeToString(z)
		} else {
			enc = Base32
		}
	} else if enc == Zlib {
		// Our own decoder refuses to inflate past MaxInflatedSize, so we
		// do not produce such a series; base32 carries it uncapped.
		enc = Base32
	}
	switch enc {
	case Hex:
		body = hex.EncodeToString(data)
		body = upper(body)
	case Base32:
		body = b32.EncodeToString(data)
	}

	version, count, per := plan(len(body), enc.charsPerUnit(), minV, maxV, minP, maxP)
	if version == 0 {
		return nil, fmt.Errorf("bbqr: split: %w: %d bytes encode to %d %v characters, which do not fit %d..%d parts at QR versions %d..%d; allow more parts or larger versions", ErrTooLarge, len(data), len(body), enc, minP, maxP, minV, maxV)
	}
	parts := make([]string, count)
	prefix := "B$" + string(rune(enc)) + string(rune(ft)) + base36(count)
	for i := range parts {
		lo := min(i*per, len(body))
		hi := min(lo+per, len(body))
		parts[i] = prefix + base36(i) + body[lo:hi]
	}
	return parts, nil
}

// plan chooses the QR version and part count for n encoded characters whose
// non-final parts must be a multiple of unit long. It returns the version,
// the count and the characters per non-final part, or a zero version when
// nothing fits.
func plan(n, unit, minV, maxV, minP, maxP int) (version, count, per int) {
	for v := minV; v <= maxV; v++ {
		room := alnumCapacity[v] - HeaderLen
		c, p := 1, room
		if n > room {
			// Several parts: each but the last holds a whole number
			// of units, so the split never cuts a byte.
			p = room - room%unit
			c = (n + p - 1) / p
		}
		if c < minP || c > maxP {
			continue
		}
		if version == 0 || c < count {
			version, count, per = v, c, p
		}
	}
	if version != 0 && count == 1 {
		per = n
	}
	return version, count, per
}

// upper upper-cases ASCII hex digits; hex.EncodeToString writes lower case
// and BBQr (and QR alphanumeric mode) needs capitals.
func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Package bbqr implements Coinkite's BBQr ("Better Bitcoin QR"), the
// multipart QR framing that Coldcard Q and Sparrow use for PSBTs and
// transactions too large for one QR code.
//
// Every part is QR-alphanumeric text:
//
//	B$ Z P 08 03 <data>
//	|  | |  |  |
//	|  | |  |  +-- index of this part, two base-36 digits (00..ZZ)
//	|  | |  +----- number of parts, two base-36 digits (01..ZZ, at most 1295)
//	|  | +-------- file type: P psbt, T transaction, J json, U text, B binary, C cbor, X executable
//	|  +---------- encoding: H hex, 2 base32 (RFC 4648, no padding), Z raw DEFLATE (1 KiB window) then base32
//	+------------- fixed marker
//
// All parts but the last carry the same number of data characters, and every
// part decodes to whole bytes on its own, so a receiver can place any part as
// soon as it sees it.
//
// The package is pure: [Split] turns bytes into part strings and a [Decoder]
// takes scanned strings one at a time, in any order, with duplicates, and
// reports progress. It draws nothing and scans nothing.
package bbqr

import (
	"errors"
	"fmt"
)

// FileType is the BBQr file-type character, the fourth of the header.
type FileType byte

// The file types the BBQr specification assigns.
const (
	PSBT        FileType = 'P' // a BIP174/BIP370 PSBT
	Transaction FileType = 'T' // a ready-to-send wire transaction
	JSON        FileType = 'J' // JSON, general purpose
	Text        FileType = 'U' // UTF-8 text
	Binary      FileType = 'B' // a generic octet stream
	CBOR        FileType = 'C' // CBOR, general purpose
	Executable  FileType = 'X' // platform-dependent executable data
)

// Valid reports whether t is a file type the specification assigns.
func (t FileType) Valid() bool {
	switch t {
	case PSBT, Transaction, JSON, Text, Binary, CBOR, Executable:
		return true
	}
	return false
}

// String returns the file type's name and its header character.
func (t FileType) String() string {
	name := map[FileType]string{
		PSBT: "psbt", Transaction: "transaction", JSON: "json", Text: "text",
		Binary: "binary", CBOR: "cbor", Executable: "executable",
	}[t]
	if name == "" {
		return fmt.Sprintf("unknown file type %q", rune(t))
	}
	return fmt.Sprintf("%s (%c)", name, rune(t))
}

// Encoding is the BBQr encoding character, the third of the header.
type Encoding byte

// The encodings the specification defines; receivers must implement all
// three.
const (
	Hex    Encoding = 'H' // upper-case hex, 4 bits a character
	Base32 Encoding = '2' // RFC 4648 base32 without padding, 5 bits a character
	Zlib   Encoding = 'Z' // raw DEFLATE with a 1 KiB window (wbits=10), then base32
)

// Valid reports whether e is one of the three defined encodings.
func (e Encoding) Valid() bool { return e == Hex || e == Base32 || e == Zlib }

// String returns the encoding's name and its header character.
func (e Encoding) String() string {
	switch e {
	case Hex:
		return "hex (H)"
	case Base32:
		return "base32 (2)"
	case Zlib:
		return "deflate+base32 (Z)"
	}
	return fmt.Sprintf("unknown encoding %q", rune(e))
}

// charsPerUnit is how many data characters make a whole number of bytes:
// every part but the last must be a multiple of it.
func (e Encoding) charsPerUnit() int {
	if e == Hex {
		return 2
	}
	return 8
}

// Format limits.
const (
	// HeaderLen is the length of the "B$" header with its encoding, file
	// type, count and index.
	HeaderLen = 8
	// MaxParts is the largest part count two base-36 digits can state (ZZ).
	MaxParts = 36*36 - 1
	// MaxPartLen is the most alphanumeric characters a QR code holds
	// (version 40, error correction L), header included. No real part is
	// longer, so a longer one is refused before anything is allocated.
	MaxPartLen = 4296
	// MaxInflatedSize caps what a Z series may inflate to, so a small,
	// hostile series cannot make the kiosk allocate without bound. A PSBT
	// with a thousand outputs is about 36 KB.
	MaxInflatedSize = 2 << 20
)

// Errors a caller can test for with errors.Is. Every error this package
// returns wraps one of them and says, in words, what to do.
var (
	// ErrNotBBQr: the text does not start with the "B$" marker.
	ErrNotBBQr = errors.New("not a BBQr part")
	// ErrMalformed: a header or data field breaks the format.
	ErrMalformed = errors.New("malformed BBQr part")
	// ErrOtherSeries: the part belongs to a series other than the one
	// being assembled (different encoding, file type or part count).
	ErrOtherSeries = errors.New("part of another BBQr series")
	// ErrInconsistent: the part's length or content contradicts parts
	// already accepted from the same series.
	ErrInconsistent = errors.New("inconsistent BBQr part")
	// ErrTooLarge: the data exceeds a size limit.
	ErrTooLarge = errors.New("BBQr data too large")
	// ErrIncomplete: Result was called before every part arrived.
	ErrIncomplete = errors.New("BBQr series incomplete")
	// ErrCorrupt: the assembled series does not decode (bad DEFLATE stream).
	ErrCorrupt = errors.New("BBQr data corrupt")
	// ErrBadOptions: Split was asked for a file type, encoding, QR version
	// or part count the format does not have.
	ErrBadOptions = errors.New("bad BBQr split options")
)

const base36Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// base36 writes n (0..1295) as two upper-case base-36 digits.
func base36(n int) string {
	return string([]byte{base36Digits[n/36], base36Digits[n%36]})
}

// parseBase36 reads two upper-case base-36 digits. Lower case is refused: the
// specification requires capitals, and a QR alphanumeric code cannot carry
// lower-case letters, so lower case means the text did not come from a BBQr
// QR code unaltered.
func parseBase36(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		n = n*36 + d
	}
	return n, true
}

// alnumCapacity is the number of QR alphanumeric characters each QR version
// (index) holds at error-correction level L, as tabulated in ISO/IEC 18004
// and repeated in the BBQr specification's size table.
var alnumCapacity = [41]int{0,
	25, 47, 77, 114, 154, 195, 224, 279, 335, 395,
	468, 535, 619, 667, 758, 854, 938, 1046, 1153, 1249,
	1352, 1460, 1588, 1704, 1853, 1990, 2132, 2223, 2369, 2520,
	2677, 2840, 3009, 3183, 3351, 3537, 3729, 3927, 4087, 4296,
}

// Capacity returns how many QR alphanumeric characters (header included) a
// QR code of the given version holds at error-correction level L, or 0 for a
// version outside 1..40.
func Capacity(version int) int {
	if version < 1 || version > 40 {
		return 0
	}
	return alnumCapacity[version]
}

// VersionFor returns the smallest QR version (error correction L) whose
// alphanumeric capacity holds the longest of parts, or 0 if one is too long
// for any version. The specification advises drawing every part of a series
// at the same version so the animation does not jump; this is that version.
func VersionFor(parts []string) int {
	longest := 0
	for _, p := range parts {
		longest = max(longest, len(p))
	}
	for v := 1; v <= 40; v++ {
		if alnumCapacity[v] >= longest {
			return v
		}
	}
	return 0
}

// header is a parsed part header.
type header struct {
	enc   Encoding
	ft    FileType
	total int
	index int
}

// parseHeader reads and checks the eight-character header of part.
func parseHeader(part string) (header, error) {
	var h header
	if len(part) < 2 || part[:2] != "B$" {
		return h, fmt.Errorf("bbqr: text starting %q: %w: a BBQr part starts with \"B$\"; scan a BBQr code or pick the right decoder", clip(part, 8), ErrNotBBQr)
	}
	if len(part) < HeaderLen {
		return h, fmt.Errorf("bbqr: part %q: %w: header is %d characters, needs %d (B$, encoding, file type, 2-digit count, 2-digit index); rescan", part, ErrMalformed, len(part), HeaderLen)
	}
	h.enc = Encoding(part[2])
	if !h.enc.Valid() {
		return h, fmt.Errorf("bbqr: part %q: %w: encoding %q is not H, 2 or Z; the sender uses a BBQr version this decoder does not know", part[:HeaderLen], ErrMalformed, rune(h.enc))
	}
	h.ft = FileType(part[3])
	if !h.ft.Valid() {
		return h, fmt.Errorf("bbqr: part %q: %w: file type %q is not one of P T J U B C X; the sender uses a type this decoder does not know", part[:HeaderLen], ErrMalformed, rune(h.ft))
	}
	var ok bool
	if h.total, ok = parseBase36(part[4:6]); !ok {
		return h, fmt.Errorf("bbqr: part %q: %w: part count %q is not two upper-case base-36 digits (0-9, A-Z); rescan", part[:HeaderLen], ErrMalformed, part[4:6])
	}
	if h.index, ok = parseBase36(part[6:8]); !ok {
		return h, fmt.Errorf("bbqr: part %q: %w: part index %q is not two upper-case base-36 digits (0-9, A-Z); rescan", part[:HeaderLen], ErrMalformed, part[6:8])
	}
	if h.total == 0 {
		return h, fmt.Errorf("bbqr: part %q: %w: part count is 00; a series has at least one part", part[:HeaderLen], ErrMalformed)
	}
	if h.index >= h.total {
		return h, fmt.Errorf("bbqr: part %q: %w: part index %d is not below the part count %d; the sender's series is broken", part[:HeaderLen], ErrMalformed, h.index, h.total)
	}
	return h, nil
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

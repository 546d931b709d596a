package shamir

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tyler-smith/go-bip39"
	"github.com/tyler-smith/go-bip39/wordlists"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var entropyLens = []int{16, 20, 24, 28, 32}

// fixedShare is a deterministic share of length l: set 7f3a, share 2 of 3.
func fixedShare(l int, seed uint64) *Share {
	r := rand.New(testRand(seed))
	y := make([]byte, l)
	for i := range y {
		y[i] = byte(r.Uint32())
	}
	return &Share{
		SetID:       0x7f3a,
		Threshold:   2,
		Total:       3,
		Index:       2,
		X:           0x8e,
		Fingerprint: [4]byte{0x73, 0xc5, 0xda, 0x0a},
		Y:           y,
	}
}

// reseal recomputes the CRC of envelope bytes.
func reseal(b []byte) []byte {
	n := len(b) - crcLen
	binary.LittleEndian.PutUint32(b[n:], crc32.ChecksumIEEE(b[:n]))
	return b
}

func TestEnvelopeLayout(t *testing.T) {
	s := &Share{
		SetID: 0x7f3a, Threshold: 3, Total: 5, Index: 4, X: 0xc1,
		Fingerprint: [4]byte{0x73, 0xc5, 0xda, 0x0a},
		Y:           mustHex(t, "000102030405060708090a0b0c0d0e0f1011121314151617"),
	}
	b := s.Bytes()
	crc := crc32.ChecksumIEEE(b[:len(b)-4])
	want := fmt.Sprintf("01"+"7f3a"+"24"+"32"+"c1"+"73c5da0a"+"000102030405060708090a0b0c0d0e0f1011121314151617"+"%02x%02x%02x%02x",
		byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24))
	if got := fmt.Sprintf("%x", b); got != want {
		t.Errorf("Bytes()\n got %s\nwant %s", got, want)
	}
	// With the CRC little-endian, the CRC-32 of a whole envelope is the
	// fixed CRC-32 residue: an independent tool may check either way.
	if got := crc32.ChecksumIEEE(b); got != 0x2144df1c {
		t.Errorf("CRC-32 of the whole envelope = %08x, want residue 2144df1c", got)
	}
	if got, want := s.Digest(), sha256.Sum256(b); got != want {
		t.Errorf("Digest() = %x, want SHA-256 of Bytes() %x", got, want)
	}
	s.Wipe()
	if !bytes.Equal(s.Y, make([]byte, 24)) {
		t.Errorf("after Wipe, Y = %x, want zeros", s.Y)
	}
}

func TestRoundTrip(t *testing.T) {
	wantWords := map[int]int{16: 22, 20: 25, 24: 28, 28: 31, 32: 34}
	for _, l := range entropyLens {
		s := fixedShare(l, uint64(l))
		forms := map[string][]byte{
			"words":             s.Words(),
			"qr":                s.QRText(),
			"file":              s.File("Alice", time.Date(2025, 11, 25, 14, 3, 0, 0, time.UTC)),
			"file without time": s.File("", time.Time{}),
		}
		if n := len(bytes.Fields(forms["words"])); n != wantWords[l] {
			t.Errorf("%d-byte share has %d words, want %d", l, n, wantWords[l])
		}
		for _, c := range string(forms["qr"]) {
			if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", c) {
				t.Errorf("QR text has %q, not in the QR alphanumeric set", c)
			}
		}
		if got, err := ParseBytes(s.Bytes()); err != nil || !got.Equal(s) {
			t.Errorf("%d bytes: ParseBytes(Bytes()) = %+v, %v; want %+v", l, got, err, s)
		}
		for name, text := range forms {
			got, err := Parse(text)
			if err != nil || !got.Equal(s) {
				t.Errorf("%d bytes: Parse(%s form) = %+v, %v; want %+v", l, name, got, err, s)
			}
		}
	}
}

func TestParseVariants(t *testing.T) {
	s := fixedShare(16, 1)
	words := strings.Fields(string(s.Words()))
	var numbered, glued, prefixes, shouty strings.Builder
	for i, w := range words {
		fmt.Fprintf(&numbered, "%d. %s\n", i+1, w)
		fmt.Fprintf(&glued, "%d.%s\t", i+1, w)
		if len(w) > 4 {
			w = w[:4]
		}
		fmt.Fprintf(&prefixes, "%s ", w)
		fmt.Fprintf(&shouty, "  %s\r\n", strings.ToUpper(words[i]))
	}
	qr := string(s.QRText())
	tests := map[string]string{
		"one per line, numbered": numbered.String(),
		"numbers glued, tabs":    glued.String(),
		"four-letter prefixes":   prefixes.String(),
		"uppercase, CRLF":        shouty.String(),
		"qr lowercase":           strings.ToLower(qr),
		"qr, body lowercase":     qrPrefix + strings.ToLower(qr[len(qrPrefix):]),
		"qr, outer whitespace":   " \t" + qr + " \r\n",
		"words and qr":           strings.Join(words, " ") + "\n" + qr + "\n",
		"qr twice":               qr + "\n" + qr,
		"file with a BOM":        "\ufeff" + string(s.File("Alice", time.Time{})),
	}
	for name, text := range tests {
		got, err := Parse([]byte(text))
		if err != nil || !got.Equal(s) {
			t.Errorf("%s: Parse = %+v, %v; want %+v", name, got, err, s)
		}
	}
}

func TestFileGolden(t *testing.T) {
	s := fixedShare(16, 1)
	got := s.File("Alice Example", time.Date(2025, 11, 25, 14, 3, 0, 0, time.UTC))
	golden := filepath.Join("testdata", "share-file.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("File() differs from %s (go test -update refreshes it)\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestFileCustodianCannotAddLines(t *testing.T) {
	s := fixedShare(16, 1)
	evil := fixedShare(16, 2)
	f := s.File("Mallory\n"+string(evil.QRText())+"\r\n1. abandon\u2028x", time.Time{})
	if got := bytes.Count(f, []byte("\n")); got != bytes.Count(s.File("Mallory", time.Time{}), []byte("\n")) {
		t.Errorf("custodian name added lines to the file:\n%s", f)
	}
	got, err := Parse(f)
	if err != nil || !got.Equal(s) {
		t.Errorf("Parse(file with hostile custodian name) = %+v, %v; want %+v", got, err, s)
	}
}

func TestParseDisagree(t *testing.T) {
	a, b := fixedShare(16, 1), fixedShare(16, 2)
	tests := []struct {
		name string
		text []byte
		want string
	}{
		{"file words vs QR", bytes.Replace(a.File("", time.Time{}), a.QRText(), b.QRText(), 1),
			"the words and the QR line in this file are different shares: check which one the custodian holds"},
		{"two QR lines", []byte(string(a.QRText()) + "\n" + string(b.QRText())),
			"the first QR line and the second QR line in this file are different shares: check which one the custodian holds"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.text)
		var de *DisagreeError
		if got != nil || !errors.As(err, &de) {
			t.Errorf("%s: Parse = %v, %v; want DisagreeError", tt.name, got, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s: error\n got %q\nwant %q", tt.name, err, tt.want)
		}
	}
}

// indexesOf returns the word indexes of a share's words form.
func indexesOf(s *Share) []int {
	b := s.Bytes()
	return toIndexes(b)
}

func wordsText(idx []int) []byte {
	return appendWords(nil, idx, " ")
}

func TestBitFlips(t *testing.T) {
	for _, l := range entropyLens {
		b := fixedShare(l, 3).Bytes()
		for bit := range 8 * len(b) {
			c := bytes.Clone(b)
			c[bit/8] ^= 0x80 >> (bit % 8)
			got, err := ParseBytes(c)
			var ce *ChecksumError
			if got != nil || !errors.As(err, &ce) {
				t.Fatalf("%d bytes, bit %d flipped: ParseBytes = %v, %v; want a checksum error", l, bit, got, err)
			}
			// The same flip in the QR text form.
			qr := append([]byte(qrPrefix), b32.EncodeToString(c)...)
			if got, err := Parse(qr); got != nil || err == nil {
				t.Fatalf("%d bytes, bit %d flipped in QR text: Parse = %v, %v; want an error", l, bit, got, err)
			}
		}
	}
}

func TestWrongWord(t *testing.T) {
	for _, l := range entropyLens {
		s := fixedShare(l, 4)
		idx := indexesOf(s)
		padBits := len(idx)*wordBits - 8*len(s.Bytes())
		for p := range idx {
			for _, delta := range []int{1, 0x400, 0x7ff} {
				bad := append([]int(nil), idx...)
				d := delta << padBits // keep the last word's padding zero
				if p != len(idx)-1 {
					d = delta
				}
				bad[p] = (bad[p] ^ d) & 0x7ff
				if bad[p] == idx[p] {
					continue
				}
				got, err := Parse(wordsText(bad))
				var ce *ChecksumError
				if got != nil || !errors.As(err, &ce) || ce.Word != p+1 {
					t.Fatalf("%d bytes, word %d replaced: Parse = %v, %v; want checksum error naming word %d", l, p+1, got, err, p+1)
				}
				want := fmt.Sprintf("share 2 of set 7f3a has a bad checksum: word %d looks wrong", p+1)
				if err.Error() != want {
					t.Fatalf("error\n got %q\nwant %q", err, want)
				}
				assertNoSecret(t, err, []*Share{s}, nil)
			}
		}
	}
}

func TestNonZeroPadding(t *testing.T) {
	s := fixedShare(16, 5)
	idx := indexesOf(s)
	idx[len(idx)-1] |= 1 // 22 words hold 242 bits: the last 2 are padding
	got, err := Parse(wordsText(idx))
	var ce *ChecksumError
	if got != nil || !errors.As(err, &ce) || ce.Word != len(idx) {
		t.Errorf("Parse(words with padding bits set) = %v, %v; want checksum error naming word %d", got, err, len(idx))
	}
}

func TestAdjacentSwap(t *testing.T) {
	for _, l := range entropyLens {
		s := fixedShare(l, 6)
		idx := indexesOf(s)
		for p := 0; p+1 < len(idx); p++ {
			if idx[p] == idx[p+1] {
				continue
			}
			bad := append([]int(nil), idx...)
			bad[p], bad[p+1] = bad[p+1], bad[p]
			got, err := Parse(wordsText(bad))
			var ce *ChecksumError
			if got != nil || !errors.As(err, &ce) {
				t.Fatalf("%d bytes, words %d and %d swapped: Parse = %v, %v; want checksum error", l, p+1, p+2, got, err)
			}
			if ce.Word != 0 && ce.Word != p+1 && ce.Word != p+2 {
				t.Errorf("%d bytes, words %d and %d swapped: error names word %d", l, p+1, p+2, ce.Word)
			}
			assertNoSecret(t, err, []*Share{s}, nil)
		}
	}
}

// syndromes returns, for each bit of an n-byte envelope, the change that
// flipping it makes to CRC(data) XOR stored CRC. The CRC is affine, so an
// error pattern goes unnoticed exactly when the syndromes of its bits XOR
// to zero, whatever the share.
func syndromes(n int) []uint32 {
	zero := make([]byte, n)
	reseal(zero)
	base := crc32.ChecksumIEEE(zero[:n-4]) ^ binary.LittleEndian.Uint32(zero[n-4:])
	out := make([]uint32, 8*n)
	for bit := range out {
		c := bytes.Clone(zero)
		c[bit/8] ^= 0x80 >> (bit % 8)
		out[bit] = crc32.ChecksumIEEE(c[:n-4]) ^ binary.LittleEndian.Uint32(c[n-4:]) ^ base
	}
	return out
}

// rank returns the rank over GF(2) of 32-bit vectors.
func rank(v []uint32) int {
	v = append([]uint32(nil), v...)
	r := 0
	for bit := 31; bit >= 0 && r < len(v); bit-- {
		p := -1
		for i := r; i < len(v); i++ {
			if v[i]>>bit&1 == 1 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		v[r], v[p] = v[p], v[r]
		for i := range v {
			if i != r && v[i]>>bit&1 == 1 {
				v[i] ^= v[r]
			}
		}
		r++
	}
	return r
}

// TestCRCDetectsFourByteErrors proves what docs/share-format.md claims:
// any error confined to 4 consecutive envelope bytes changes the checksum,
// because the 32 syndromes of every such window are linearly independent.
func TestCRCDetectsFourByteErrors(t *testing.T) {
	for _, l := range entropyLens {
		n := l + overhead
		syn := syndromes(n)
		for start := 0; start+4 <= n; start++ {
			if r := rank(syn[8*start : 8*start+32]); r != 32 {
				t.Errorf("%d-byte envelope: bytes %d..%d have syndrome rank %d, want 32", n, start, start+3, r)
			}
		}
	}
}

// TestCRCDetectsEveryWordError checks every single-word error and every
// swap of two adjacent words, over all share lengths: none leaves the
// checksum and padding valid.
func TestCRCDetectsEveryWordError(t *testing.T) {
	for _, l := range entropyLens {
		n := l + overhead
		syn := syndromes(n)
		words := wordCount(n)
		// syndrome of XORing d into word w; ok false if it touches padding
		wordSyn := func(w, d int) (uint32, bool) {
			var x uint32
			for j := range wordBits {
				if d>>(wordBits-1-j)&1 == 1 {
					bit := w*wordBits + j
					if bit >= 8*n {
						return 0, false // padding made non-zero: refused
					}
					x ^= syn[bit]
				}
			}
			return x, true
		}
		for w := range words {
			for d := 1; d < 1<<wordBits; d++ {
				if x, ok := wordSyn(w, d); ok && x == 0 {
					t.Fatalf("%d-byte share: XOR %03x into word %d goes undetected", l, d, w+1)
				}
				if w+1 < words {
					x1, ok1 := wordSyn(w, d)
					x2, ok2 := wordSyn(w+1, d)
					if ok1 && ok2 && x1^x2 == 0 {
						t.Fatalf("%d-byte share: swapping words %d and %d that differ by %03x goes undetected", l, w+1, w+2, d)
					}
				}
			}
		}
	}
}

func TestParseRefused(t *testing.T) {
	s := fixedShare(16, 7)
	words := strings.Fields(string(s.Words()))
	withWord := func(p int, w string) []byte {
		c := append([]string(nil), words...)
		c[p] = w
		return []byte(strings.Join(c, " "))
	}
	header := func(f func(b []byte)) []byte {
		b := s.Bytes()
		f(b)
		return append([]byte(qrPrefix), b32.EncodeToString(reseal(b))...)
	}
	asWords := func(f func(b []byte)) []byte {
		b := s.Bytes()
		f(b)
		return wordsText(toIndexes(reseal(b)))
	}
	// A QR text with one damaged character.
	damagedQR := s.QRText()
	damagedQR[len(qrPrefix)+20] ^= 'A' ^ 'B'
	tests := []struct {
		name  string
		input []byte
		check func(error) bool
		want  string
	}{
		{"empty", nil, func(err error) bool { return errors.Is(err, ErrNoShare) }, ErrNoShare.Error()},
		{"word not in list", withWord(6, "bitcoin"),
			func(err error) bool { var e *WordError; return errors.As(err, &e) && e.Position == 7 },
			"word 7 is not in the BIP39 English list"},
		{"three-letter prefix", withWord(0, words[0][:3]+"q"),
			func(err error) bool { var e *WordError; return errors.As(err, &e) && e.Position == 1 },
			"word 1 is not in the BIP39 English list"},
		{"21 words", []byte(strings.Join(words[:21], " ")),
			func(err error) bool { var e *WordCountError; return errors.As(err, &e) },
			"share has 21 words; airsign shares have 22, 25, 28, 31 or 34"},
		{"numbering skips", []byte("1. " + words[0] + " 3. " + strings.Join(words[1:], " ")),
			func(err error) bool {
				var e *NumberingError
				return errors.As(err, &e) && e.Position == 2 && e.Number == 3
			},
			"word 2 is numbered 3: a word is missing, doubled or out of order"},
		{"unknown version", header(func(b []byte) { b[0] = 2 }),
			func(err error) bool { var e *VersionError; return errors.As(err, &e) && e.Version == 2 },
			"share has format version 2; this airsign reads version 1: use the airsign release that made it"},
		{"unknown version, words", asWords(func(b []byte) { b[0] = 2 }),
			func(err error) bool { var e *VersionError; return errors.As(err, &e) && e.Version == 2 },
			"share has format version 2; this airsign reads version 1: use the airsign release that made it"},
		{"x = 0", header(func(b []byte) { b[5] = 0 }),
			func(err error) bool { return errors.Is(err, ErrZeroX) },
			"share 2 of set 7f3a (of 3) is not a valid share: its x coordinate is 0, which no genuine share has"},
		{"x = 0, words", asWords(func(b []byte) { b[5] = 0 }),
			func(err error) bool { return errors.Is(err, ErrZeroX) },
			"share 2 of set 7f3a (of 3) is not a valid share: its x coordinate is 0, which no genuine share has"},
		{"index above total", header(func(b []byte) { b[4] = 0x30 }),
			func(err error) bool { return errors.Is(err, ErrIndexAboveTotal) },
			"share 4 of set 7f3a (of 3) is not a valid share: its index is above its total"},
		{"threshold above total", header(func(b []byte) { b[3] = 0x32 }),
			func(err error) bool { return errors.Is(err, ErrThresholdAboveTotal) },
			"share 2 of set 7f3a (of 3) is not a valid share: its threshold is above its total"},
		{"threshold 1", header(func(b []byte) { b[3] = 0x02 }),
			func(err error) bool { return errors.Is(err, ErrThresholdRange) },
			"share 2 of set 7f3a (of 3) is not a valid share: its threshold is below 2"},
		{"length code disagrees", header(func(b []byte) { b[4] = 0x11 }),
			func(err error) bool { return errors.Is(err, ErrLengthCode) },
			"share 2 of set 7f3a (of 3) is not a valid share: its secret length field is wrong"},
		{"length code 5", header(func(b []byte) { b[4] = 0x15 }),
			func(err error) bool { return errors.Is(err, ErrLengthCode) },
			"share 2 of set 7f3a (of 3) is not a valid share: its secret length field is wrong"},
		// CRC first: a truncated share is a damaged share.
		{"truncated QR", s.QRText()[:len(qrPrefix)+40],
			func(err error) bool { var e *ChecksumError; return errors.As(err, &e) && !e.Words },
			"share has a bad checksum: the QR text or bytes are damaged"},
		{"valid CRC, no share's length", append([]byte(qrPrefix), b32.EncodeToString(reseal(s.Bytes()[:25]))...),
			func(err error) bool { var e *LengthError; return errors.As(err, &e) && e.Len == 25 },
			"share is 25 bytes; airsign shares are 30, 34, 38, 42 or 46 bytes: the QR text is incomplete or not a share"},
		{"version before length", append([]byte(qrPrefix), b32.EncodeToString(reseal(append([]byte{2}, s.Bytes()[1:25]...)))...),
			func(err error) bool { var e *VersionError; return errors.As(err, &e) && e.Version == 2 },
			"share has format version 2; this airsign reads version 1: use the airsign release that made it"},
		{"too short for a CRC", append([]byte(qrPrefix), b32.EncodeToString([]byte{1, 0, 0, 0})...),
			func(err error) bool { var e *LengthError; return errors.As(err, &e) && e.Len == 4 },
			"share is 4 bytes; airsign shares are 30, 34, 38, 42 or 46 bytes: the QR text is incomplete or not a share"},
		{"QR not base32", []byte(qrPrefix + "0189"),
			func(err error) bool { return errors.Is(err, ErrQRText) },
			ErrQRText.Error()},
		{"bad checksum, QR", damagedQR,
			func(err error) bool { var e *ChecksumError; return errors.As(err, &e) && !e.Words },
			"share has a bad checksum: the QR text or bytes are damaged"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.input)
		if got != nil || err == nil || !tt.check(err) {
			t.Errorf("%s: Parse = %+v, %v (%T); want the %s error", tt.name, got, err, err, tt.name)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s: error\n got %q\nwant %q", tt.name, err, tt.want)
		}
		assertNoSecret(t, err, []*Share{s}, nil)
	}
}

func TestTwoWrongWords(t *testing.T) {
	s := fixedShare(16, 8)
	idx := indexesOf(s)
	idx[3] ^= 5
	idx[9] ^= 0x100
	got, err := Parse(wordsText(idx))
	var ce *ChecksumError
	if got != nil || !errors.As(err, &ce) || ce.Word != 0 {
		t.Fatalf("Parse(two wrong words) = %v, %v; want a checksum error naming no word", got, err)
	}
	if want := "share has a bad checksum: check every word and their order"; err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err, want)
	}
}

func TestWordList(t *testing.T) {
	// SHA-256 of english.txt in the BIP39 repository.
	sum := sha256.Sum256([]byte(strings.Join(wordlists.English, "\n") + "\n"))
	if got, want := fmt.Sprintf("%x", sum), "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"; got != want {
		t.Errorf("SHA-256 of the word list = %s, want %s", got, want)
	}
	if got, want := bip39.GetWordList(), wordlists.English; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("bip39.GetWordList() is not the English list")
	}
}

func BenchmarkParseWords(b *testing.B) {
	words := fixedShare(32, 1).Words()
	for b.Loop() {
		s, err := Parse(words)
		if err != nil {
			b.Fatal(err)
		}
		s.Wipe()
	}
}

// TestQRPadding: no '=' padding, or exactly RFC 4648's; nothing else.
func TestQRPadding(t *testing.T) {
	for _, l := range entropyLens {
		s := fixedShare(l, 9)
		qr := string(s.QRText())
		pad := (8 - (len(qr)-len(qrPrefix))%8) % 8
		for n := range 9 {
			got, err := Parse([]byte(qr + strings.Repeat("=", n)))
			if ok := n == 0 || n == pad; ok != (err == nil) || ok && !got.Equal(s) {
				t.Errorf("%d bytes, %d '=' (RFC 4648: %d): Parse = %v, %v", l, n, pad, got, err)
			} else if !ok && !errors.Is(err, ErrQRText) {
				t.Errorf("%d bytes, %d '=': error %v, want ErrQRText", l, n, err)
			}
		}
	}
}

// TestParseRules checks the reading rules of docs/share-format.md that
// refuse odd input rather than guess.
func TestParseRules(t *testing.T) {
	s := fixedShare(16, 1)
	words := strings.Fields(string(s.Words()))
	qr := string(s.QRText())
	body := qr[len(qrPrefix):]
	file := string(s.File("Alice", time.Time{}))
	numbered := func(f func(i int, w string) string) string {
		var b strings.Builder
		for i, w := range words {
			b.WriteString(f(i+1, w) + " ")
		}
		return b.String()
	}
	// A QR text whose last character has a non-zero leftover bit: 30 bytes
	// are 240 bits, 48 characters, no leftover; 34 bytes are 272 bits in
	// 55 characters, 3 leftover bits.
	s20 := fixedShare(20, 1)
	q20 := []byte(s20.QRText())
	q20[len(q20)-1] = b32Alphabet[strings.IndexByte(b32Alphabet, q20[len(q20)-1])|1]
	// A share with a word holding a "k", to write it with the Kelvin sign.
	var kShare *Share
	var kWords []string
	for seed := uint64(0); kShare == nil; seed++ {
		c := fixedShare(16, seed)
		for i, w := range strings.Fields(string(c.Words())) {
			if strings.Contains(w, "k") {
				kShare, kWords = c, strings.Fields(string(c.Words()))
				kWords[i] = strings.Replace(w, "k", "\u212a", 1)
				break
			}
		}
	}
	sub := func(old, new string) string { return strings.Replace(file, old, new, 1) }
	isType := func(target any) func(error) bool {
		return func(err error) bool { return errors.As(err, target) }
	}
	tests := []struct {
		name  string
		input string
		ok    bool             // accepted, giving s (kShare for the Kelvin case)
		check func(error) bool // for refusals
	}{
		// 2. Numbering.
		{"numbers on some words only", numbered(func(i int, w string) string {
			if i%3 == 0 {
				return fmt.Sprintf("%d.%s", i, w)
			}
			return w
		}), true, nil},
		{"leading zeros", numbered(func(i int, w string) string { return fmt.Sprintf("%02d. %s", i, w) }), true, nil},
		{"1) is not numbering", numbered(func(i int, w string) string { return fmt.Sprintf("%d) %s", i, w) }), false, isType(new(*WordCountError))},
		{"1 word is not numbering", numbered(func(i int, w string) string { return fmt.Sprintf("%d %s", i, w) }), false, isType(new(*WordCountError))},
		{"+1. is not numbering", "+1." + strings.Join(words, " "), false, func(err error) bool {
			var e *WordError
			return errors.As(err, &e) && e.Position == 1
		}},
		{"number after the last word", strings.Join(words, " ") + " 23.", false, func(err error) bool {
			var e *NumberingError
			return errors.As(err, &e) && e.NoWord && e.Number == 23
		}},
		{"two numbers in a row", "1. 2. " + strings.Join(words, " "), false, func(err error) bool {
			var e *NumberingError
			return errors.As(err, &e) && e.NoWord && e.Number == 1
		}},
		{"huge number", "1. " + words[0] + " 99999999999999999999999. " + strings.Join(words[1:], " "), false, func(err error) bool {
			var e *NumberingError
			return errors.As(err, &e) && e.Position == 2 && !e.NoWord
		}},
		// 9. ASCII whitespace only.
		{"no-break space between words", strings.Join(words, "\u00a0"), false, isType(new(*WordCountError))},
		{"vertical tab between words", strings.Join(words, "\v"), false, isType(new(*WordCountError))},
		{"ideographic space between words", strings.Join(words, "\u3000"), false, isType(new(*WordCountError))},
		{"Kelvin sign for k", strings.Join(kWords, " "), false, isType(new(*WordError))},
		{"not UTF-8", strings.Join(words, " ") + "\n\xff", false, func(err error) bool { return errors.Is(err, ErrNotUTF8) }},
		// 4. QR form.
		{"QR, lowercase prefix", strings.ToLower(qrPrefix) + body, true, nil},
		{"QR, space after the prefix", qrPrefix + " " + body, false, func(err error) bool { return errors.Is(err, ErrQRText) }},
		{"QR, inner space", qrPrefix + body[:20] + " " + body[20:], false, func(err error) bool { return errors.Is(err, ErrQRText) }},
		{"QR, inner CR", qrPrefix + body[:20] + "\r" + body[20:], false, func(err error) bool { return errors.Is(err, ErrQRText) }},
		{"QR, = inside", qrPrefix + body[:40] + "=" + body[40:], false, func(err error) bool { return errors.Is(err, ErrQRText) }},
		{"QR, long s for S", qrPrefix + strings.Replace(body, "S", "\u017f", 1), false, func(err error) bool { return errors.Is(err, ErrQRText) }},
		{"QR, non-zero leftover bits", string(q20), false, func(err error) bool { return errors.Is(err, ErrQRText) }},
		// 3. File form.
		{"file, magic in capitals", sub(fileMagic, "AIRSIGN SEED SHARE"), true, nil},
		{"file, only words", file[:strings.Index(file, qrPrefix)], true, nil},
		{"file, only the QR line", fileMagic + "\nset 7f3a share 2 of 3 (any 2 recombine)\n" + qr + "\n", true, nil},
		{"file, header respaced and in capitals", sub("set 7f3a  share 2 of 3  (any 2 recombine)", "SET 7F3A\tshare 02 of 3 (ANY 2 Recombine)"), true, nil},
		{"file, no header lines", fileMagic + "\n" + qr + "\n", true, nil},
		{"file, header names another share", sub("share 2 of 3", "share 1 of 3"), false, func(err error) bool {
			var e *HeaderError
			return errors.As(err, &e) && e.Field == "share number" && e.Line == 2
		}},
		{"file, header names another set", sub("set 7f3a", "set 7f3b"), false, func(err error) bool {
			var e *HeaderError
			return errors.As(err, &e) && e.Field == "set"
		}},
		{"file, header names another threshold", sub("any 2", "any 3"), false, func(err error) bool {
			var e *HeaderError
			return errors.As(err, &e) && e.Field == "threshold"
		}},
		{"file, header names another wallet", sub("fingerprint 73c5da0a", "fingerprint 73c5da0b"), false, func(err error) bool {
			var e *HeaderError
			return errors.As(err, &e) && e.Field == "wallet fingerprint" && e.Line == 3
		}},
		{"file, malformed set line", sub("(any 2 recombine)", ""), false, func(err error) bool {
			var e *HeaderError
			return errors.As(err, &e) && e.Field == "" && e.Line == 2
		}},
		{"file, indented QR line", sub(qrPrefix, "  "+qrPrefix), true, nil},
		{"file, QR line after a no-break space is not a QR line", file[:strings.Index(file, "\n\n")+1] + "\u00a0" + qr + "\n", false, func(err error) bool { return errors.Is(err, ErrNoShare) }},
		{"file, two QR lines", file + qr + "\n", true, nil},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.input))
		want := s
		if tt.name == "Kelvin sign for k" {
			want = kShare
		}
		switch {
		case tt.ok && (err != nil || !got.Equal(want)):
			t.Errorf("%s: Parse = %+v, %v; want the share", tt.name, got, err)
		case !tt.ok && (got != nil || err == nil || !tt.check(err)):
			t.Errorf("%s: Parse = %+v, %v (%T); want it refused", tt.name, got, err, err)
		case !tt.ok:
			assertNoSecret(t, err, []*Share{want}, nil)
		}
	}
}

const b32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

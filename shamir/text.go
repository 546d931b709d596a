package shamir

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// qrPrefix starts the QR text form. It and the base32 alphabet (A-Z, 2-7)
// are all in the QR alphanumeric character set, so the text fits the
// densest QR mode.
const qrPrefix = "AIRSIGN-SHARE:"

// fileMagic is the first line of the file form.
const fileMagic = "airsign seed share"

// wordsPerRow is the number of numbered words per row in the file form.
const wordsPerRow = 4

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrQRText means an AIRSIGN-SHARE: line does not hold base32 text.
var ErrQRText = errors.New("the " + qrPrefix + " text is not base32: it is damaged or not an airsign share")

// QRText returns the QR text form of s: "AIRSIGN-SHARE:" and the envelope in
// RFC 4648 base32, uppercase, without padding. It is secret: wipe it when
// done.
func (s *Share) QRText() []byte {
	b := s.Bytes()
	defer wipe(b)
	out := make([]byte, len(qrPrefix), len(qrPrefix)+b32.EncodedLen(len(b)))
	copy(out, qrPrefix)
	return b32.AppendEncode(out, b)
}

// File returns the file form of s, as printed for and given to a
// custodian: a few header lines for people, the words in numbered rows and
// the QR text line. A zero created time omits the "created" line. It is
// secret: wipe it when done.
func (s *Share) File(custodian string, created time.Time) []byte {
	b := s.Bytes()
	defer wipe(b)
	idx := toIndexes(b)
	defer clear(idx)
	words := englishTable().words

	out := make([]byte, 0, 1024)
	out = fmt.Appendf(out, "%s\n", fileMagic)
	out = fmt.Appendf(out, "set %s  share %d of %d  (any %d recombine)\n", s.SetName(), s.Index, s.Total, s.Threshold)
	out = fmt.Appendf(out, "wallet fingerprint %x\n", s.Fingerprint)
	if c := oneLine(custodian); c != "" {
		out = fmt.Appendf(out, "custodian: %s\n", c)
	}
	if !created.IsZero() {
		out = fmt.Appendf(out, "created: %s\n", created.UTC().Format(time.RFC3339))
	}
	out = fmt.Appendf(out, "KEEP SECRET: any %d shares of set %s control the wallet. Never photograph these words or type them into a connected device.\n", s.Threshold, s.SetName())
	out = append(out, '\n')
	for i, v := range idx {
		if i%wordsPerRow != 0 {
			out = append(out, "  "...)
		}
		out = fmt.Appendf(out, "%2d. ", i+1)
		out = append(out, words[v]...)
		if i%wordsPerRow == wordsPerRow-1 || i == len(idx)-1 {
			out = append(out, '\n')
		} else {
			for range 8 - len(words[v]) {
				out = append(out, ' ')
			}
		}
	}
	out = append(out, '\n')
	out = append(out, qrPrefix...)
	out = b32.AppendEncode(out, b)
	out = append(out, '\n')
	return out
}

// oneLine makes a custodian name safe for one header line: control and
// line-breaking characters become spaces, so a name cannot add lines that
// Parse would read as words or a QR line.
func oneLine(s string) string {
	r := []rune(s)
	for i, c := range r {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' || c == utf8.RuneError {
			r[i] = ' '
		}
	}
	return string(bytes.TrimSpace([]byte(string(r))))
}

// Parse reads one share in any of its forms, detected automatically, by the
// rules of docs/share-format.md ("Reading a share"):
//
//   - the file form made by File: its first non-empty line is
//     "airsign seed share";
//   - bare words: BIP39 words separated by ASCII whitespace, any ASCII
//     case, each optionally numbered "1." or "1.word"; a word may be
//     shortened to its first four letters or more;
//   - the QR text form, a line starting with "AIRSIGN-SHARE:".
//
// When the input holds both words and QR lines they must all be the same
// share; in the file form the "set" and "wallet fingerprint" header lines,
// when present, must agree with it. Parse verifies the checksum and header;
// it does not keep data.
func Parse(data []byte) (*Share, error) {
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte order mark from an editor
	lines := bytes.Split(data, []byte("\n"))
	fileForm := false
	for _, l := range lines {
		l = trimSpace(l)
		if len(l) == 0 {
			continue
		}
		fileForm = asciiEqualFold(l, []byte(fileMagic))
		break
	}

	var qr *Share
	tok := &tokenizer{}
	defer tok.wipe()
	var headers []int // file form: line numbers of set and fingerprint lines
	fail := func(err error) (*Share, error) {
		if qr != nil {
			qr.Wipe()
		}
		return nil, err
	}
	for n, l := range lines {
		l = trimSpace(l)
		if isQRLine(l) {
			s, err := parseQR(l[len(qrPrefix):])
			if err != nil {
				return fail(err)
			}
			if qr != nil {
				same := qr.Equal(s)
				s.Wipe()
				if !same {
					return fail(&DisagreeError{First: "first QR line", Second: "second QR line"})
				}
				continue
			}
			qr = s
			continue
		}
		if fileForm && !startsWithNumber(l) {
			if headerKind(l) != "" {
				headers = append(headers, n)
			}
			continue // a header line for people
		}
		if err := tok.line(l); err != nil {
			return fail(err)
		}
	}
	if err := tok.end(); err != nil {
		return fail(err)
	}

	s := qr
	if len(tok.idx) > 0 {
		var err error
		s, err = tok.share()
		if err != nil {
			return fail(err)
		}
		if qr != nil {
			same := qr.Equal(s)
			qr.Wipe()
			if !same {
				s.Wipe()
				return nil, &DisagreeError{First: "words", Second: "QR line"}
			}
		}
	}
	if s == nil {
		return nil, ErrNoShare
	}
	for _, n := range headers {
		if err := checkHeader(n+1, trimSpace(lines[n]), s); err != nil {
			s.Wipe()
			return nil, err
		}
	}
	return s, nil
}

// isSpace reports whether c is one of the four whitespace characters of
// the format: space, tab, CR and LF. Other characters, Unicode spaces
// included, are not separators.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

func fields(b []byte) [][]byte {
	return bytes.FieldsFunc(b, func(r rune) bool { return r < utf8.RuneSelf && isSpace(byte(r)) })
}

// asciiEqualFold is bytes.EqualFold for ASCII letters only: "ſ" is not "s"
// and the Kelvin sign is not "k".
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if toLowerASCII(a[i]) != toLowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func toLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isQRLine reports whether a trimmed line is a QR line: it starts with
// "AIRSIGN-SHARE:" in any ASCII case.
func isQRLine(l []byte) bool {
	return len(l) >= len(qrPrefix) && asciiEqualFold(l[:len(qrPrefix)], []byte(qrPrefix))
}

// parseQR decodes the text after the QR prefix of a trimmed line: RFC 4648
// base32 in either ASCII case, with no '=' padding or exactly the padding
// RFC 4648 gives that length, no whitespace, and zero leftover bits in the
// last character, so that each share has exactly one QR text (up to case
// and padding).
func parseQR(text []byte) (*Share, error) {
	body := bytes.TrimRight(text, "=")
	if pad := len(text) - len(body); pad != 0 && (len(text)%8 != 0 || pad != (8-len(body)%8)%8) {
		return nil, ErrQRText
	}
	up := bytes.Clone(body)
	defer wipe(up)
	for i, c := range up {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
			up[i] = c
		}
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return nil, ErrQRText
		}
	}
	b := make([]byte, b32.DecodedLen(len(up)))
	defer wipe(b)
	n, err := b32.Decode(b, up)
	if err != nil {
		return nil, ErrQRText
	}
	// Leftover bits: re-encoding must give the same text.
	back := b32.AppendEncode(nil, b[:n])
	same := bytes.Equal(back, up)
	wipe(back)
	if !same {
		return nil, ErrQRText
	}
	return ParseBytes(b[:n])
}

// numberToken splits a numbering token "N." or "N.word" into N's value and
// the rest. N is one or more ASCII digits; its value saturates at
// maxNumber, which no position reaches. ok is false when f is not numbered.
func numberToken(f []byte) (n int, rest []byte, ok bool) {
	i := 0
	for i < len(f) && '0' <= f[i] && f[i] <= '9' {
		n = min(10*n+int(f[i]-'0'), maxNumber)
		i++
	}
	if i == 0 || i == len(f) || f[i] != '.' {
		return 0, f, false
	}
	return n, f[i+1:], true
}

// maxNumber stands for any written number too large to be a position.
const maxNumber = 1 << 20

// startsWithNumber reports whether a trimmed line starts with "N." — a
// numbered word row.
func startsWithNumber(l []byte) bool {
	_, _, ok := numberToken(l)
	return ok
}

// tokenizer collects word indexes from lines of words, checking optional
// "N." numbering as it goes.
type tokenizer struct {
	idx     []int
	pending int    // number written before the next word, 0 if none
	unknown int    // position of the first word not in the list, 0 if none
	low     []byte // lowercase scratch, wiped
}

func (t *tokenizer) line(l []byte) error {
	for _, f := range fields(l) {
		if err := t.token(f); err != nil {
			return err
		}
	}
	return nil
}

func (t *tokenizer) token(f []byte) error {
	if n, rest, ok := numberToken(f); ok {
		if t.pending != 0 {
			return &NumberingError{Position: len(t.idx) + 1, Number: t.pending, NoWord: true}
		}
		if n != len(t.idx)+1 {
			return &NumberingError{Position: len(t.idx) + 1, Number: n}
		}
		t.pending = n
		if f = rest; len(f) == 0 {
			return nil
		}
	}
	t.pending = 0
	t.low = append(t.low[:0], f...)
	for i, c := range t.low {
		t.low[i] = toLowerASCII(c)
	}
	v, ok := englishTable().lookupBytes(t.low)
	if !ok && t.unknown == 0 {
		t.unknown = len(t.idx) + 1
	}
	t.idx = append(t.idx, v)
	return nil
}

// end reports a number left without its word at the end of the text.
func (t *tokenizer) end() error {
	if t.pending != 0 {
		return &NumberingError{Position: len(t.idx) + 1, Number: t.pending, NoWord: true}
	}
	return nil
}

func (t *tokenizer) share() (*Share, error) {
	if _, ok := byteCountForWords(len(t.idx)); !ok {
		return nil, &WordCountError{Count: len(t.idx)}
	}
	if t.unknown != 0 {
		return nil, &WordError{Position: t.unknown}
	}
	return parseIndexes(t.idx)
}

func (t *tokenizer) wipe() {
	clear(t.idx)
	wipe(t.low)
}

// lookupBytes returns the index of a lowercase word, without copying it
// into a string. Besides whole words it accepts any start of a word of at
// least four letters ("aban", "abando"): BIP39 words are unique in their
// first four letters and steel plates often carry only those.
func (t *wordTable) lookupBytes(w []byte) (int, bool) {
	if i, ok := t.index[string(w)]; ok {
		return i, true
	}
	if len(w) < 4 {
		return 0, false
	}
	i, ok := t.prefix[string(w[:4])]
	if !ok || len(w) > len(t.words[i]) || string(w) != t.words[i][:len(w)] {
		return 0, false
	}
	return i, true
}

// headerKind tells the checked header lines of the file form: "set" for
// "set 7f3a  share 2 of 3  (any 2 recombine)", "fingerprint" for
// "wallet fingerprint 73c5da0a", "" for any other line. A line is one of
// them by its first word(s), ASCII case ignored, and must then match
// exactly.
func headerKind(l []byte) string {
	f := fields(l)
	switch {
	case len(f) >= 1 && asciiEqualFold(f[0], []byte("set")):
		return "set"
	case len(f) >= 2 && asciiEqualFold(f[0], []byte("wallet")) && asciiEqualFold(f[1], []byte("fingerprint")):
		return "fingerprint"
	}
	return ""
}

// checkHeader checks a set or fingerprint header line (line number n)
// against the share the file holds.
func checkHeader(n int, l []byte, s *Share) error {
	f := fields(l)
	malformed := &HeaderError{Line: n}
	mismatch := func(field, got, want string) error {
		return &HeaderError{Line: n, Field: field, Got: got, Want: want}
	}
	word := func(i int, w string) bool { return asciiEqualFold(f[i], []byte(w)) }
	if headerKind(l) == "fingerprint" {
		fp, ok := hexValue(f[len(f)-1], 8)
		if len(f) != 3 || !ok {
			return malformed
		}
		if want := uint32(s.Fingerprint[0])<<24 | uint32(s.Fingerprint[1])<<16 | uint32(s.Fingerprint[2])<<8 | uint32(s.Fingerprint[3]); fp != want {
			return mismatch("wallet fingerprint", fmt.Sprintf("%08x", fp), fmt.Sprintf("%08x", want))
		}
		return nil
	}
	// set SSSS share I of N (any K recombine)
	if len(f) != 9 || !word(2, "share") || !word(4, "of") || !word(6, "(any") || !word(8, "recombine)") {
		return malformed
	}
	set, ok1 := hexValue(f[1], 4)
	index, ok2 := decimalValue(f[3])
	total, ok3 := decimalValue(f[5])
	threshold, ok4 := decimalValue(f[7])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return malformed
	}
	switch {
	case set != uint32(s.SetID):
		return mismatch("set", fmt.Sprintf("%04x", set), s.SetName())
	case index != s.Index:
		return mismatch("share number", fmt.Sprint(index), fmt.Sprint(s.Index))
	case total != s.Total:
		return mismatch("total", fmt.Sprint(total), fmt.Sprint(s.Total))
	case threshold != s.Threshold:
		return mismatch("threshold", fmt.Sprint(threshold), fmt.Sprint(s.Threshold))
	}
	return nil
}

// hexValue parses exactly digits hex digits, either ASCII case.
func hexValue(b []byte, digits int) (uint32, bool) {
	if len(b) != digits {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		c = toLowerASCII(c)
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// decimalValue parses one or more ASCII digits; the value saturates at
// maxNumber.
func decimalValue(b []byte) (int, bool) {
	n, rest, ok := numberToken(append(bytes.Clone(b), '.'))
	return n, ok && len(rest) == 0
}

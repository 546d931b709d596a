package shamir

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
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

// Parse reads one share in any of its forms, detected automatically:
//
//   - the file form made by File;
//   - bare words: any whitespace, any case, optionally numbered "1." …;
//     a word may be shortened to its first four letters or more;
//   - the QR text form, a line starting with "AIRSIGN-SHARE:".
//
// When the input holds both words and a QR line they must be the same
// share. Parse verifies the checksum and header; it does not keep data.
func Parse(data []byte) (*Share, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte order mark from an editor
	lines := bytes.Split(data, []byte("\n"))
	fileForm := false
	for _, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		fileForm = bytes.EqualFold(l, []byte(fileMagic))
		break
	}

	var qr *Share
	tok := &tokenizer{}
	defer tok.wipe()
	for _, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) >= len(qrPrefix) && bytes.EqualFold(l[:len(qrPrefix)], []byte(qrPrefix)) {
			s, err := parseQR(l[len(qrPrefix):])
			if err != nil {
				return nil, err
			}
			if qr != nil {
				same := qr.Equal(s)
				s.Wipe()
				if !same {
					qr.Wipe()
					return nil, &DisagreeError{First: "first QR line", Second: "second QR line"}
				}
				continue
			}
			qr = s
			continue
		}
		if fileForm && !startsWithNumber(l) {
			continue // a header line for people
		}
		if err := tok.line(l); err != nil {
			if qr != nil {
				qr.Wipe()
			}
			return nil, err
		}
	}

	if len(tok.idx) == 0 && tok.pending == 0 {
		if qr == nil {
			return nil, ErrNoShare
		}
		return qr, nil
	}
	s, err := tok.share()
	if err != nil {
		if qr != nil {
			qr.Wipe()
		}
		return nil, err
	}
	if qr != nil {
		same := qr.Equal(s)
		qr.Wipe()
		if !same {
			s.Wipe()
			return nil, &DisagreeError{First: "words", Second: "QR line"}
		}
	}
	return s, nil
}

// parseQR decodes the base32 after the QR prefix.
func parseQR(text []byte) (*Share, error) {
	text = bytes.TrimRight(bytes.TrimSpace(text), "=")
	up := bytes.ToUpper(text)
	defer wipe(up)
	b := make([]byte, b32.DecodedLen(len(up)))
	defer wipe(b)
	n, err := b32.Decode(b, up)
	if err != nil {
		return nil, ErrQRText
	}
	return ParseBytes(b[:n])
}

// startsWithNumber reports whether l starts with "N." — a numbered word row.
func startsWithNumber(l []byte) bool {
	i := 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		i++
	}
	return i > 0 && i < len(l) && l[i] == '.'
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
	for _, f := range bytes.Fields(l) {
		if err := t.token(f); err != nil {
			return err
		}
	}
	return nil
}

func (t *tokenizer) token(f []byte) error {
	if i := bytes.IndexByte(f, '.'); i > 0 {
		if n, err := strconv.Atoi(string(f[:i])); err == nil {
			if t.pending != 0 || n != len(t.idx)+1 {
				return &NumberingError{Position: len(t.idx) + 1, Number: n}
			}
			t.pending = n
			f = f[i+1:]
			if len(f) == 0 {
				return nil
			}
		}
	}
	t.pending = 0
	t.low = append(t.low[:0], f...)
	for i, c := range t.low {
		if 'A' <= c && c <= 'Z' {
			t.low[i] = c + 'a' - 'A'
		}
	}
	v, ok := englishTable().lookupBytes(t.low)
	if !ok && t.unknown == 0 {
		t.unknown = len(t.idx) + 1
	}
	t.idx = append(t.idx, v)
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

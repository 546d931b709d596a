package bbqr

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Decoder assembles one BBQr series from parts scanned in any order. It is
// the receiving half of the air gap: every part is hostile until proven
// otherwise, so each is checked against the format and against the parts
// already accepted before anything is stored, and a bad part never costs the
// progress made so far.
//
// The zero value is not ready; use NewDecoder. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	started bool
	enc     Encoding
	ft      FileType
	total   int

	bodies [][]byte // decoded bytes of each part, nil until seen
	texts  []string // each part's data characters, to recognise duplicates
	have   int

	partLen int // data characters of a non-final part, 0 until one is seen

	done   bool
	result []byte
	err    error // sticky: the complete series does not decode
}

// NewDecoder returns a Decoder waiting for the first part of a series.
func NewDecoder() *Decoder { return &Decoder{} }

// Add takes one scanned part. It reports done once every part of the series
// is in and the data decodes; then Result returns it.
//
// A part from another series (another encoding, file type or part count) is
// refused with ErrOtherSeries, and the series under way keeps its progress;
// to switch series, start a new Decoder. A part seen before is accepted again
// without effect. Surrounding white space, which scanners and copy-paste add,
// is ignored.
func (d *Decoder) Add(part string) (done bool, err error) {
	part = strings.TrimSpace(part)
	if len(part) > MaxPartLen {
		return d.done, fmt.Errorf("bbqr: part %q is %d characters: %w: no QR code holds more than %d; refusing it", clip(part, HeaderLen), len(part), ErrTooLarge, MaxPartLen)
	}
	h, err := parseHeader(part)
	if err != nil {
		return d.done, err
	}
	name := fmt.Sprintf("part %d of %d", h.index+1, h.total)
	if d.started && (h.enc != d.enc || h.ft != d.ft || h.total != d.total) {
		return d.done, fmt.Errorf("bbqr: %s (%s): %w: it is %v, %v, %d parts, but this series is %v, %v, %d parts; keep scanning the first code, or start over to switch",
			name, part[:HeaderLen], ErrOtherSeries, h.enc, h.ft, h.total, d.enc, d.ft, d.total)
	}
	text := part[HeaderLen:]
	if d.started && d.bodies[h.index] != nil {
		if d.texts[h.index] != text {
			return d.done, fmt.Errorf("bbqr: %s: %w: it differs from the %s already scanned; two different series share a header, scan one at a time", name, ErrInconsistent, name)
		}
		return d.done, d.err
	}
	final := h.index == h.total-1
	body, err := decodeText(h.enc, text, final)
	if err != nil {
		return d.done, fmt.Errorf("bbqr: %s: %w", name, err)
	}
	if h.total > 1 && len(text) == 0 {
		return d.done, fmt.Errorf("bbqr: %s: %w: it carries no data, and in a series of several parts only an empty file may have an empty part; the sender's series is broken", name, ErrMalformed)
	}

	// Length consistency with what is already here. Non-final parts all
	// have one length; the final part is no longer than them.
	if d.started {
		if !final {
			if d.partLen != 0 && len(text) != d.partLen {
				return d.done, fmt.Errorf("bbqr: %s has %d data characters: %w: the other parts have %d; all parts but the last are equal, so this part or the earlier ones are misread, rescan", name, len(text), ErrInconsistent, d.partLen)
			}
			if last := d.texts[d.total-1]; d.bodies[d.total-1] != nil && len(last) > len(text) {
				return d.done, fmt.Errorf("bbqr: %s has %d data characters: %w: the last part already has %d, and the last part is never longer than the others; rescan", name, len(text), ErrInconsistent, len(last))
			}
		} else if d.partLen != 0 && len(text) > d.partLen {
			return d.done, fmt.Errorf("bbqr: %s (the last) has %d data characters: %w: the others have %d, and the last part is never longer; rescan", name, len(text), ErrInconsistent, d.partLen)
		}
	}

	if !d.started {
		// Allocate per part slots only: the header bounds total to
		// 1295, and each slot fills only as a checked part arrives.
		d.started = true
		d.enc, d.ft, d.total = h.enc, h.ft, h.total
		d.bodies = make([][]byte, h.total)
		d.texts = make([]string, h.total)
	}
	if !final {
		d.partLen = len(text)
	}
	if body == nil {
		body = []byte{}
	}
	d.bodies[h.index] = body
	d.texts[h.index] = text
	d.have++
	if d.have < d.total {
		return false, nil
	}
	d.finish()
	return d.done, d.err
}

// finish joins the complete series and, for Z, inflates it.
func (d *Decoder) finish() {
	joined := bytes.Join(d.bodies, nil)
	if d.enc == Zlib {
		out, err := inflateCapped(joined, MaxInflatedSize)
		if err != nil {
			d.err = fmt.Errorf("bbqr: all %d parts are in but the data does not inflate: %w; the sender's series is broken or was misread, start over", d.total, err)
			d.done = true
			return
		}
		joined = out
	}
	d.result = joined
	d.done = true
}

// inflateCapped inflates a raw DEFLATE stream, refusing output beyond limit
// before it is allocated. compress/flate accepts any window up to 32 KiB,
// which is wider than BBQr's, so every well-formed series inflates.
func inflateCapped(z []byte, limit int) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(z))
	defer r.Close()
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("%w: it inflates past %d bytes (%d MiB), more than any PSBT", ErrTooLarge, limit, limit>>20)
	}
	return out.Bytes(), nil
}

// decodeText decodes one part's data characters. A non-final part must be a
// whole number of bytes' worth of characters without any slack; base32 in
// the final part may end in a partial group, as unpadded base32 does.
func decodeText(enc Encoding, text string, final bool) ([]byte, error) {
	if enc == Hex {
		for i := 0; i < len(text); i++ {
			if c := text[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
				return nil, fmt.Errorf("%w: character %q at data offset %d is not an upper-case hex digit", ErrMalformed, rune(c), i)
			}
		}
		if len(text)%2 != 0 {
			return nil, fmt.Errorf("%w: %d hex digits do not make whole bytes", ErrMalformed, len(text))
		}
		return hex.DecodeString(text)
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return nil, fmt.Errorf("%w: character %q at data offset %d is not base32 (A-Z, 2-7, no padding)", ErrMalformed, rune(c), i)
		}
	}
	if !final && len(text)%8 != 0 {
		return nil, fmt.Errorf("%w: %d base32 characters in a part that is not the last; such parts come in groups of 8 so each decodes to whole bytes", ErrMalformed, len(text))
	}
	switch len(text) % 8 {
	case 1, 3, 6:
		return nil, fmt.Errorf("%w: %d base32 characters cannot end on a whole byte", ErrMalformed, len(text))
	}
	out, err := b32.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: base32: %v", ErrMalformed, err)
	}
	if b32.EncodeToString(out) != text {
		// Unpadded base32 leaves a few unused bits in its last
		// character; the encoder sets them to zero. Other values mean
		// the text was altered.
		return nil, fmt.Errorf("%w: the last base32 character carries bits beyond the last byte", ErrMalformed)
	}
	return out, nil
}

// Progress returns the share of the series' parts received, from 0 to 1.
func (d *Decoder) Progress() float64 {
	if !d.started {
		return 0
	}
	return float64(d.have) / float64(d.total)
}

// Series describes the series under way: its encoding, file type and part
// count, and which part indexes are still missing. ok is false before the
// first part.
func (d *Decoder) Series() (enc Encoding, ft FileType, total int, missing []int, ok bool) {
	if !d.started {
		return 0, 0, 0, nil, false
	}
	for i, b := range d.bodies {
		if b == nil {
			missing = append(missing, i)
		}
	}
	return d.enc, d.ft, d.total, missing, true
}

// Result returns the file type and the decoded data of a complete series.
// Before then it returns ErrIncomplete, naming the missing parts; if the
// complete series does not decode, the error Add reported.
func (d *Decoder) Result() (FileType, []byte, error) {
	if !d.started {
		return 0, nil, fmt.Errorf("bbqr: %w: no part scanned yet", ErrIncomplete)
	}
	if !d.done {
		_, _, _, missing, _ := d.Series()
		var names []string
		for i, m := range missing {
			if i == 8 {
				names = append(names, fmt.Sprintf("and %d more", len(missing)-8))
				break
			}
			names = append(names, fmt.Sprint(m+1))
		}
		return d.ft, nil, fmt.Errorf("bbqr: %w: have %d of %d parts, missing part %s; keep scanning", ErrIncomplete, d.have, d.total, strings.Join(names, ", "))
	}
	if d.err != nil {
		return d.ft, nil, d.err
	}
	return d.ft, d.result, nil
}

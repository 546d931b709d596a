package ur

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The small part of CBOR (RFC 8949) that URs need: definite-length unsigned
// and negative integers, byte and text strings, arrays, maps, tags and the
// simple values false, true and null. Writers produce deterministic
// (shortest-form) encodings; readers accept any definite-length encoding and
// refuse indefinite lengths, floats and nesting deeper than maxCBORDepth.

const (
	majorUint   = 0
	majorNint   = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorTag    = 6
	majorSimple = 7
)

const maxCBORDepth = 32

// cborWriter appends CBOR items to a byte slice.
type cborWriter struct {
	b []byte
	// v2 writes the registry's own types (hdkey, keypath, coininfo, eckey)
	// with their version 2 tags (40000 + the version 1 tag), as version 3
	// output descriptors require; script tags have one version only.
	v2 bool
}

func (w *cborWriter) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		w.b = append(w.b, m|byte(n))
	case n <= math.MaxUint8:
		w.b = append(w.b, m|24, byte(n))
	case n <= math.MaxUint16:
		w.b = append(w.b, m|25)
		w.b = binary.BigEndian.AppendUint16(w.b, uint16(n))
	case n <= math.MaxUint32:
		w.b = append(w.b, m|26)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
	default:
		w.b = append(w.b, m|27)
		w.b = binary.BigEndian.AppendUint64(w.b, n)
	}
}

func (w *cborWriter) uint(n uint64) { w.head(majorUint, n) }
func (w *cborWriter) array(n int)   { w.head(majorArray, uint64(n)) }
func (w *cborWriter) mapHead(n int) { w.head(majorMap, uint64(n)) }
func (w *cborWriter) tag(t uint64)  { w.head(majorTag, t) }
func (w *cborWriter) regTag(t uint64) {
	if w.v2 {
		t += tagV2
	}
	w.tag(t)
}
func (w *cborWriter) bytes(b []byte) { w.head(majorBytes, uint64(len(b))); w.b = append(w.b, b...) }
func (w *cborWriter) text(s string)  { w.head(majorText, uint64(len(s))); w.b = append(w.b, s...) }
func (w *cborWriter) int(n int64) {
	if n >= 0 {
		w.head(majorUint, uint64(n))
	} else {
		w.head(majorNint, uint64(-(n + 1)))
	}
}
func (w *cborWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 0xf5)
	} else {
		w.b = append(w.b, 0xf4)
	}
}

// cborBytes returns data as a CBOR byte string.
func cborBytes(data []byte) []byte {
	var w cborWriter
	w.b = make([]byte, 0, len(data)+9)
	w.bytes(data)
	return w.b
}

var errCBOREnd = errors.New("cbor: unexpected end of data")

// cborReader reads CBOR items from a byte slice.
type cborReader struct {
	b   []byte
	off int
}

// head reads an item head: its major type, its argument (for strings, arrays
// and maps the length; for tags the tag; for simple values the value) and
// whether it is one of the simple values.
func (r *cborReader) head() (major byte, arg uint64, err error) {
	if r.off >= len(r.b) {
		return 0, 0, errCBOREnd
	}
	ib := r.b[r.off]
	r.off++
	major, info := ib>>5, ib&0x1f
	switch {
	case info < 24:
		arg = uint64(info)
	case info <= 27:
		n := 1 << (info - 24)
		if len(r.b)-r.off < n {
			return 0, 0, errCBOREnd
		}
		for _, c := range r.b[r.off : r.off+n] {
			arg = arg<<8 | uint64(c)
		}
		r.off += n
	case info == 31:
		return 0, 0, fmt.Errorf("cbor: indefinite-length item at offset %d; URs use definite lengths", r.off-1)
	default:
		return 0, 0, fmt.Errorf("cbor: reserved additional information %d at offset %d", info, r.off-1)
	}
	if major == majorSimple && info >= 25 && info <= 27 {
		return 0, 0, fmt.Errorf("cbor: floating-point value at offset %d is not expected here", r.off-1-(1<<(info-24)))
	}
	return major, arg, nil
}

// peekMajor reports the major type of the next item without consuming it.
func (r *cborReader) peekMajor() (byte, bool) {
	if r.off >= len(r.b) {
		return 0, false
	}
	return r.b[r.off] >> 5, true
}

func (r *cborReader) expect(want byte, what string) (uint64, error) {
	major, arg, err := r.head()
	if err != nil {
		return 0, err
	}
	if major != want {
		return 0, fmt.Errorf("cbor: expected %s, found %s", what, majorName(major, arg))
	}
	return arg, nil
}

func (r *cborReader) uint() (uint64, error) { return r.expect(majorUint, "an unsigned integer") }

func (r *cborReader) uint32() (uint32, error) {
	n, err := r.uint()
	if err != nil {
		return 0, err
	}
	if n > math.MaxUint32 {
		return 0, fmt.Errorf("cbor: %d does not fit in 32 bits", n)
	}
	return uint32(n), nil
}

func (r *cborReader) int() (int64, error) {
	major, arg, err := r.head()
	if err != nil {
		return 0, err
	}
	switch {
	case major == majorUint && arg <= math.MaxInt64:
		return int64(arg), nil
	case major == majorNint && arg <= math.MaxInt64:
		return -1 - int64(arg), nil
	}
	return 0, fmt.Errorf("cbor: expected an integer, found %s", majorName(major, arg))
}

func (r *cborReader) bytesOrText(major byte, what string) ([]byte, error) {
	n, err := r.expect(major, what)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, errCBOREnd
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v, nil
}

// bytes returns a byte string; the slice aliases the input.
func (r *cborReader) bytes() ([]byte, error) { return r.bytesOrText(majorBytes, "a byte string") }

func (r *cborReader) text() (string, error) {
	b, err := r.bytesOrText(majorText, "a text string")
	return string(b), err
}

func (r *cborReader) bool() (bool, error) {
	major, arg, err := r.head()
	if err != nil {
		return false, err
	}
	if major == majorSimple && (arg == 20 || arg == 21) {
		return arg == 21, nil
	}
	return false, fmt.Errorf("cbor: expected true or false, found %s", majorName(major, arg))
}

// container reads an array or map head and checks its length against what
// the rest of the input could possibly hold, so a hostile length never
// drives an allocation.
func (r *cborReader) container(major byte, what string) (int, error) {
	n, err := r.expect(major, what)
	if err != nil {
		return 0, err
	}
	per := uint64(1)
	if major == majorMap {
		per = 2
	}
	if n > uint64(len(r.b)-r.off)/per {
		return 0, fmt.Errorf("cbor: %s of %d items cannot fit in the %d bytes left", what, n, len(r.b)-r.off)
	}
	return int(n), nil
}

func (r *cborReader) array() (int, error)   { return r.container(majorArray, "an array") }
func (r *cborReader) mapHead() (int, error) { return r.container(majorMap, "a map") }

// optionalTag consumes a tag if the next item is one of the wanted tags and
// returns it; otherwise it consumes nothing and returns 0, and whatever reads
// the item next reports the unexpected tag.
func (r *cborReader) optionalTag(want ...uint64) (uint64, error) {
	if m, ok := r.peekMajor(); !ok || m != majorTag {
		return 0, nil
	}
	save := r.off
	_, t, err := r.head()
	if err != nil {
		return 0, err
	}
	for _, w := range want {
		if t == w {
			return t, nil
		}
	}
	r.off = save
	return 0, nil
}

// skip consumes one complete item of any kind.
func (r *cborReader) skip(depth int) error {
	if depth > maxCBORDepth {
		return fmt.Errorf("cbor: nesting deeper than %d levels", maxCBORDepth)
	}
	major, arg, err := r.head()
	if err != nil {
		return err
	}
	switch major {
	case majorBytes, majorText:
		if arg > uint64(len(r.b)-r.off) {
			return errCBOREnd
		}
		r.off += int(arg)
	case majorArray, majorMap:
		per := uint64(1)
		if major == majorMap {
			per = 2
		}
		if arg > uint64(len(r.b)-r.off)/per {
			return errCBOREnd
		}
		for i := uint64(0); i < arg*per; i++ {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		}
	case majorTag:
		return r.skip(depth + 1)
	case majorSimple:
		if arg == 31 { // "break" outside an indefinite item
			return fmt.Errorf("cbor: stray break at offset %d", r.off-1)
		}
	}
	return nil
}

func (r *cborReader) done() error {
	if r.off != len(r.b) {
		return fmt.Errorf("cbor: %d bytes of trailing data after the item", len(r.b)-r.off)
	}
	return nil
}

// checkCBOR reports whether data is exactly one well-formed CBOR item.
func checkCBOR(data []byte) error {
	r := cborReader{b: data}
	if err := r.skip(0); err != nil {
		return err
	}
	return r.done()
}

func majorName(major byte, arg uint64) string {
	switch major {
	case majorUint:
		return "an unsigned integer"
	case majorNint:
		return "a negative integer"
	case majorBytes:
		return "a byte string"
	case majorText:
		return "a text string"
	case majorArray:
		return "an array"
	case majorMap:
		return "a map"
	case majorTag:
		return fmt.Sprintf("tag %d", arg)
	}
	switch arg {
	case 20, 21:
		return "a boolean"
	case 22:
		return "null"
	}
	return fmt.Sprintf("simple value %d", arg)
}

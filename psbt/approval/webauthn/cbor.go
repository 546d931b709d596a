package webauthn

// A minimal, strict CBOR (RFC 8949) decoder for the few structures WebAuthn
// puts in CBOR (attestation objects, COSE keys, authenticator extension
// outputs), and the encoder that Key.COSE needs.
//
// Accepted: definite-length unsigned and negative integers (major types 0
// and 1), byte strings (2), UTF-8 text strings (3), arrays (4), maps (5)
// whose keys are integers or strings and are all distinct, and the simple
// values false, true and null (7). Integer and length arguments need not be
// in preferred (shortest) form: authenticators differ, and the value, not
// its encoding, is what counts. Every other thing is refused: indefinite
// lengths, tags (major type 6; nothing WebAuthn signs or carries in the
// structures read here uses them), floats, undefined, other simple values,
// reserved additional-information values, more than cborMaxDepth levels of
// nesting and more than cborMaxItems items in one decoded value. A length
// or count is checked against the bytes that are left before anything is
// allocated for it.

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"
)

const (
	cborMaxDepth = 16
	cborMaxItems = 4096
)

type cborType uint8

const (
	cborUint cborType = iota + 1
	cborNeg
	cborBytes
	cborText
	cborArray
	cborMap
	cborBool
	cborNull
)

func (t cborType) String() string {
	switch t {
	case cborUint:
		return "an unsigned integer"
	case cborNeg:
		return "a negative integer"
	case cborBytes:
		return "a byte string"
	case cborText:
		return "a text string"
	case cborArray:
		return "an array"
	case cborMap:
		return "a map"
	case cborBool:
		return "a boolean"
	case cborNull:
		return "null"
	}
	return "nothing"
}

// cborValue is one decoded data item.
type cborValue struct {
	typ cborType
	// arg is the value of an unsigned integer, n for the negative integer
	// -1-n, and 1 for true.
	arg uint64
	// data is the content of a byte or text string; it aliases the input.
	data []byte
	// items are an array's elements, or a map's keys and values
	// alternating, in the order of the input.
	items []cborValue
}

// int64 returns an integer item's value, if it fits an int64.
func (v cborValue) int64() (int64, bool) {
	switch {
	case v.typ == cborUint && v.arg <= math.MaxInt64:
		return int64(v.arg), true
	case v.typ == cborNeg && v.arg <= math.MaxInt64:
		return -1 - int64(v.arg), true
	}
	return 0, false
}

// text returns a text string item's content.
func (v cborValue) text() (string, bool) {
	if v.typ != cborText {
		return "", false
	}
	return string(v.data), true
}

type cborDecoder struct {
	b     []byte
	off   int
	items int
}

// cborDecodeFirst decodes the data item at the start of b and returns it
// with the number of bytes it takes; bytes after it are left alone.
func cborDecodeFirst(b []byte) (cborValue, int, error) {
	d := cborDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return cborValue{}, 0, err
	}
	return v, d.off, nil
}

// cborDecodeAll decodes b, which must be exactly one data item.
func cborDecodeAll(b []byte) (cborValue, error) {
	v, n, err := cborDecodeFirst(b)
	if err != nil {
		return cborValue{}, err
	}
	if n != len(b) {
		return cborValue{}, errorf(ErrMalformed, "CBOR: %d unexpected bytes after the data item, which ends at byte %d", len(b)-n, n)
	}
	return v, nil
}

func (d *cborDecoder) fail(at int, format string, args ...any) error {
	return errorf(ErrMalformed, "CBOR at byte %d: "+format, append([]any{at}, args...)...)
}

func (d *cborDecoder) value(depth int) (cborValue, error) {
	start := d.off
	if depth >= cborMaxDepth {
		return cborValue{}, d.fail(start, "nested more than %d levels deep", cborMaxDepth)
	}
	if d.items++; d.items > cborMaxItems {
		return cborValue{}, d.fail(start, "more than %d data items", cborMaxItems)
	}
	if d.off >= len(d.b) {
		return cborValue{}, d.fail(start, "the data ends where a data item should start")
	}
	ib := d.b[d.off]
	d.off++
	major, ai := ib>>5, ib&0x1f

	switch major {
	case 6:
		return cborValue{}, d.fail(start, "tags (major type 6) are not accepted")
	case 7:
		switch ai {
		case 20:
			return cborValue{typ: cborBool}, nil
		case 21:
			return cborValue{typ: cborBool, arg: 1}, nil
		case 22:
			return cborValue{typ: cborNull}, nil
		case 23:
			return cborValue{}, d.fail(start, "the simple value undefined is not accepted")
		case 25, 26, 27:
			return cborValue{}, d.fail(start, "floating-point numbers are not accepted")
		case 31:
			return cborValue{}, d.fail(start, "a break code (0xff) outside an indefinite-length item")
		case 28, 29, 30:
			return cborValue{}, d.fail(start, "reserved additional information %d", ai)
		}
		return cborValue{}, d.fail(start, "simple values other than false, true and null are not accepted")
	}

	arg, err := d.argument(start, ai)
	if err != nil {
		return cborValue{}, err
	}
	left := uint64(len(d.b) - d.off)
	switch major {
	case 0:
		return cborValue{typ: cborUint, arg: arg}, nil
	case 1:
		return cborValue{typ: cborNeg, arg: arg}, nil
	case 2, 3:
		if arg > left {
			return cborValue{}, d.fail(start, "a string of %d bytes where only %d bytes are left", arg, left)
		}
		data := d.b[d.off : d.off+int(arg) : d.off+int(arg)]
		d.off += int(arg)
		if major == 2 {
			return cborValue{typ: cborBytes, data: data}, nil
		}
		if !utf8.Valid(data) {
			return cborValue{}, d.fail(start, "a text string that is not valid UTF-8")
		}
		return cborValue{typ: cborText, data: data}, nil
	case 4:
		// Every element takes at least one byte.
		if arg > left {
			return cborValue{}, d.fail(start, "an array of %d elements where only %d bytes are left", arg, left)
		}
		if arg > uint64(cborMaxItems-d.items) {
			return cborValue{}, d.fail(start, "an array of %d elements: more than %d data items", arg, cborMaxItems)
		}
		items := make([]cborValue, int(arg))
		for i := range items {
			if items[i], err = d.value(depth + 1); err != nil {
				return cborValue{}, err
			}
		}
		return cborValue{typ: cborArray, arg: arg, items: items}, nil
	default: // 5
		// Every key and every value takes at least one byte.
		if arg > left/2 {
			return cborValue{}, d.fail(start, "a map of %d pairs where only %d bytes are left", arg, left)
		}
		if arg > uint64(cborMaxItems-d.items)/2 {
			return cborValue{}, d.fail(start, "a map of %d pairs: more than %d data items", arg, cborMaxItems)
		}
		items := make([]cborValue, 2*int(arg))
		for i := 0; i < len(items); i += 2 {
			keyAt := d.off
			if items[i], err = d.value(depth + 1); err != nil {
				return cborValue{}, err
			}
			switch items[i].typ {
			case cborUint, cborNeg, cborBytes, cborText:
			default:
				return cborValue{}, d.fail(keyAt, "a map key that is %s; keys must be integers or strings", items[i].typ)
			}
			for j := 0; j < i; j += 2 {
				if cborSameKey(items[j], items[i]) {
					return cborValue{}, d.fail(keyAt, "a map with the key %s twice", cborKeyString(items[i]))
				}
			}
			if items[i+1], err = d.value(depth + 1); err != nil {
				return cborValue{}, err
			}
		}
		return cborValue{typ: cborMap, arg: arg, items: items}, nil
	}
}

// argument reads the argument that additional information ai announces.
func (d *cborDecoder) argument(start int, ai byte) (uint64, error) {
	var n int
	switch {
	case ai < 24:
		return uint64(ai), nil
	case ai == 24:
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	case ai == 31:
		return 0, d.fail(start, "indefinite-length items are not accepted")
	default:
		return 0, d.fail(start, "reserved additional information %d", ai)
	}
	if len(d.b)-d.off < n {
		return 0, d.fail(start, "the data ends inside a data item's head")
	}
	var arg uint64
	for _, c := range d.b[d.off : d.off+n] {
		arg = arg<<8 | uint64(c)
	}
	d.off += n
	return arg, nil
}

// cborSameKey reports whether two map keys have the same value (whatever
// the width of their encoding).
func cborSameKey(a, b cborValue) bool {
	if a.typ != b.typ || a.arg != b.arg {
		return false
	}
	return string(a.data) == string(b.data)
}

func cborKeyString(k cborValue) string {
	if i, ok := k.int64(); ok {
		return strconv.FormatInt(i, 10)
	}
	switch k.typ {
	case cborText:
		return strconv.Quote(string(k.data))
	case cborBytes:
		return "h'" + hex.EncodeToString(k.data) + "'"
	}
	return "(a very large integer)"
}

// The encoder: preferred serialization (RFC 8949 §4.2.1 core deterministic
// encoding, where the caller writes map keys in the deterministic order).

func cborAppendHead(dst []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(dst, m|byte(arg))
	case arg <= math.MaxUint8:
		return append(dst, m|24, byte(arg))
	case arg <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(arg))
	case arg <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(arg))
	}
	return binary.BigEndian.AppendUint64(append(dst, m|27), arg)
}

func cborAppendInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return cborAppendHead(dst, 0, uint64(v))
	}
	return cborAppendHead(dst, 1, uint64(-1-v))
}

func cborAppendBytes(dst, b []byte) []byte {
	return append(cborAppendHead(dst, 2, uint64(len(b))), b...)
}

func cborAppendText(dst []byte, s string) []byte {
	return append(cborAppendHead(dst, 3, uint64(len(s))), s...)
}

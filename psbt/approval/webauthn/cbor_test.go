package webauthn

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// cborEncode re-encodes a decoded value in preferred serialization,
// keeping map keys in their decoded order.
func cborEncode(dst []byte, v cborValue) []byte {
	switch v.typ {
	case cborUint:
		return cborAppendHead(dst, 0, v.arg)
	case cborNeg:
		return cborAppendHead(dst, 1, v.arg)
	case cborBytes:
		return cborAppendBytes(dst, v.data)
	case cborText:
		return cborAppendText(dst, string(v.data))
	case cborArray:
		dst = cborAppendHead(dst, 4, uint64(len(v.items)))
	case cborMap:
		dst = cborAppendHead(dst, 5, uint64(len(v.items)/2))
	case cborBool:
		return append(dst, 0xf4|byte(v.arg))
	case cborNull:
		return append(dst, 0xf6)
	}
	for _, it := range v.items {
		dst = cborEncode(dst, it)
	}
	return dst
}

// TestCBORAppendixA decodes the examples of RFC 8949 Appendix A that are
// in the accepted subset, and encodes them back to the same bytes (they are
// all in preferred serialization).
func TestCBORAppendixA(t *testing.T) {
	for _, h := range []string{
		"00", "01", "0a", "17", "1818", "1819", "1864", "1903e8", "1a000f4240",
		"1b000000e8d4a51000", "1bffffffffffffffff", "3bffffffffffffffff",
		"20", "29", "3863", "3903e7", "f4", "f5", "f6",
		"40", "4401020304", "60", "6161", "6449455446", "62225c", "62c3bc",
		"63e6b0b4", "64f0908591", "80", "83010203", "8301820203820405",
		"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
		"a0", "a201020304", "a26161016162820203", "826161a161626163",
		"a56161614161626142616361436164614461656145",
	} {
		b := mustHex(t, h)
		v, err := cborDecodeAll(b)
		if err != nil {
			t.Errorf("decoding %s: got error %v, want success", h, err)
			continue
		}
		if got := cborEncode(nil, v); !bytes.Equal(got, b) {
			t.Errorf("re-encoding %s: got %x", h, got)
		}
	}
}

func TestCBORValues(t *testing.T) {
	tests := []struct {
		hex  string
		want int64
	}{
		{"00", 0}, {"17", 23}, {"1818", 24}, {"1903e8", 1000}, {"20", -1},
		{"3863", -100}, {"3903e7", -1000},
		{"1b7fffffffffffffff", 1<<63 - 1}, {"3b7fffffffffffffff", -1 << 63},
		// Arguments that are not in their shortest form are accepted.
		{"1800", 0}, {"190017", 23}, {"1a00000001", 1}, {"1b0000000000000002", 2}, {"3800", -1}, {"3b0000000000000006", -7},
	}
	for _, tt := range tests {
		v, err := cborDecodeAll(mustHex(t, tt.hex))
		if err != nil {
			t.Errorf("%s: got error %v", tt.hex, err)
			continue
		}
		if got, ok := v.int64(); !ok || got != tt.want {
			t.Errorf("%s: got %d (%v), want %d", tt.hex, got, ok, tt.want)
		}
	}
	for _, h := range []string{"1bffffffffffffffff", "3b8000000000000000"} {
		v, err := cborDecodeAll(mustHex(t, h))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := v.int64(); ok {
			t.Errorf("%s: got an int64, want none (out of range)", h)
		}
	}
	v, err := cborDecodeAll(mustHex(t, "5803010203"))
	if err != nil || !bytes.Equal(v.data, []byte{1, 2, 3}) {
		t.Errorf("a non-shortest byte string length: got %x, %v; want 010203", v.data, err)
	}
}

func TestCBORRefused(t *testing.T) {
	deep := strings.Repeat("81", cborMaxDepth) + "00"
	okDeep := strings.Repeat("81", cborMaxDepth-1) + "00"
	if _, err := cborDecodeAll(mustHex(t, okDeep)); err != nil {
		t.Errorf("%d levels of nesting: got %v, want success", cborMaxDepth, err)
	}
	tooMany := "9a" + hex.EncodeToString([]byte{0, 0, 0x10, 0x00}) + strings.Repeat("00", cborMaxItems)
	tests := []struct {
		name, hex, wantIn string
	}{
		{"empty", "", "ends"},
		{"half16", "f93c00", "floating"},
		{"float32", "fa47c35000", "floating"},
		{"float64", "fb3ff199999999999a", "floating"},
		{"undefined", "f7", "undefined"},
		{"simple16", "f0", "simple"},
		{"simple255", "f8ff", "simple"},
		{"tag0", "c074323031332d30332d32315432303a30343a30305a", "tags"},
		{"tag1", "c11a514b67b0", "tags"},
		{"bignum", "c249010000000000000000", "tags"},
		{"indefinite bytes", "5f42010243030405ff", "indefinite"},
		{"indefinite text", "7f657374726561646d696e67ff", "indefinite"},
		{"indefinite array", "9fff", "indefinite"},
		{"indefinite map", "bf61610161629f0203ffff", "indefinite"},
		{"break", "ff", "break"},
		{"reserved 28", "1c", "reserved"},
		{"reserved 30 in major 7", "fe", "reserved"},
		{"truncated head", "19 01", "head"},
		{"truncated uint64", "1b00000000000000", "head"},
		{"string longer than input", "5a ffffffff 00", "bytes are left"},
		{"huge string", "5b ffffffffffffffff", "bytes are left"},
		{"text longer than input", "63 6161", "bytes are left"},
		{"array longer than input", "9b ffffffffffffffff", "bytes are left"},
		{"array count beyond input", "83 0102", "bytes are left"},
		{"array ends early", "82 8100", "ends"},
		{"map longer than input", "bb 7fffffffffffffff", "bytes are left"},
		{"too many items", tooMany, "data items"},
		{"invalid utf-8", "62c328", "UTF-8"},
		{"surrogate in utf-8", "63eda080", "UTF-8"},
		{"duplicate key", "a2 01 02 01 03", "twice"},
		{"duplicate key, longer encoding", "a2 01 02 1801 03", "twice"},
		{"duplicate text key", "a2 6161 01 6161 02", "twice"},
		{"array key", "a1 80 01", "keys must be"},
		{"bool key", "a1 f5 01", "keys must be"},
		{"too deep", deep, "nested"},
		{"trailing byte", "0000", "unexpected bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cborDecodeAll(mustHex(t, tt.hex))
			checkErr(t, err, ErrMalformed, tt.wantIn)
		})
	}
}

func TestCBORDistinctKeys(t *testing.T) {
	// 1 and -2 share an argument, h'01' and "\x01" share content: all
	// different keys.
	v, err := cborDecodeAll(mustHex(t, "a4 01 00 21 00 4101 00 6101 00"))
	if err != nil {
		t.Fatalf("got %v, want four distinct keys", err)
	}
	if len(v.items) != 8 {
		t.Errorf("got %d items, want 8", len(v.items))
	}
}

func TestCBORDecodeFirst(t *testing.T) {
	b := mustHex(t, "a1616101 ff00")
	v, n, err := cborDecodeFirst(b)
	if err != nil || n != 4 || v.typ != cborMap {
		t.Errorf("got %v, %d bytes, %v; want a map of 4 bytes", v.typ, n, err)
	}
}

func TestCBORAppendHead(t *testing.T) {
	tests := []struct {
		v    int64
		want string
	}{
		{0, "00"}, {23, "17"}, {24, "1818"}, {255, "18ff"}, {256, "190100"},
		{65535, "19ffff"}, {65536, "1a00010000"}, {1<<32 - 1, "1affffffff"},
		{1 << 32, "1b0000000100000000"}, {-1, "20"}, {-7, "26"}, {-8, "27"},
		{-24, "37"}, {-25, "3818"}, {-257, "390100"}, {-1 << 63, "3b7fffffffffffffff"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(cborAppendInt(nil, tt.v)); got != tt.want {
			t.Errorf("cborAppendInt(%d): got %s, want %s", tt.v, got, tt.want)
		}
	}
	if got := hex.EncodeToString(cborAppendText(nil, "fmt")); got != "63666d74" {
		t.Errorf("text: got %s", got)
	}
	if got := hex.EncodeToString(cborAppendBytes(nil, make([]byte, 32)))[:6]; got != "582000" {
		t.Errorf("32 bytes: got %s…", got)
	}
}

func TestCBORErrorsAreMalformed(t *testing.T) {
	_, err := cborDecodeAll([]byte{0xc0})
	if !errors.Is(err, ErrMalformed) || !wrapsOneSentinel(err) {
		t.Errorf("got %v, want only ErrMalformed", err)
	}
}

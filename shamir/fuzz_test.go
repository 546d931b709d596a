package shamir

import (
	"bytes"
	"testing"
	"time"
)

// FuzzParse feeds Parse what could arrive from a camera or keyboard. Whatever
// parses must encode back to the same share in every form, and the bytes
// form must be canonical: ParseBytes accepts exactly what Bytes makes.
func FuzzParse(f *testing.F) {
	for i, l := range entropyLens {
		s := fixedShare(l, uint64(i))
		f.Add(s.Words())
		f.Add(s.QRText())
		f.Add(s.File("Alice", time.Date(2025, 11, 25, 14, 3, 0, 0, time.UTC)))
		f.Add(s.Bytes())
	}
	f.Add([]byte("1. abandon 2. abandon"))
	f.Add([]byte(qrPrefix))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseBytes(data); err == nil {
			if got := s.Bytes(); !bytes.Equal(got, data) {
				t.Fatalf("ParseBytes(%x).Bytes() = %x", data, got)
			}
		} else if s != nil {
			t.Fatalf("ParseBytes returned a share and an error: %v", err)
		}

		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse returned a share and an error: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		b := s.Bytes()
		back, err := ParseBytes(b)
		if err != nil || !back.Equal(s) {
			t.Fatalf("ParseBytes(Bytes()) = %+v, %v; want %+v", back, err, s)
		}
		if !bytes.Equal(back.Bytes(), b) {
			t.Fatalf("Bytes() not stable")
		}
		for name, text := range map[string][]byte{
			"words": s.Words(),
			"qr":    s.QRText(),
			"file":  s.File("Bob", time.Time{}),
		} {
			got, err := Parse(text)
			if err != nil || !got.Equal(s) {
				t.Fatalf("Parse(%s form) = %+v, %v; want %+v", name, got, err, s)
			}
		}
	})
}

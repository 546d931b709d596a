package psbt

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// FuzzDecode feeds Decode arbitrary bytes. It must never panic, and what it
// accepts must survive Encode → Decode → Encode byte for byte.
func FuzzDecode(f *testing.F) {
	for _, name := range vectorFiles {
		v := loadVectors(f, name)
		for _, vec := range append(v.Valid, v.Invalid...) {
			if raw, err := base64.StdEncoding.DecodeString(vec.Base64); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Add(p2wpkhPSBT(f, 3, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error %T is not a *DecodeError: %v", err, err)
			}
			return
		}
		b1, err := Encode(p)
		if err != nil {
			t.Fatalf("Encode of a decoded PSBT: %v", err)
		}
		q, err := Decode(b1)
		if err != nil {
			t.Fatalf("Decode of Encode's output: %v", err)
		}
		b2, err := Encode(q)
		if err != nil {
			t.Fatalf("second Encode: %v", err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("Decode→Encode is not stable:\n first %x\nsecond %x", b1, b2)
		}
	})
}

package psbt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// vectorFile is the layout of testdata/bip17x-*.json and bip370/371.
type vectorFile struct {
	Source  string   `json:"source"`
	Invalid []vector `json:"invalid"`
	Valid   []vector `json:"valid"`
}

type vector struct {
	Description string `json:"description"`
	Base64      string `json:"base64"`
	// Why the vector is invalid, and a substring Decode's error must hold.
	Why      string `json:"why"`
	Contains string `json:"contains"`
	// LockTime, when set, is the lock time a version 2 PSBT must get.
	LockTime *uint32 `json:"locktime"`
}

func loadVectors(t testing.TB, name string) vectorFile {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if f.Source == "" || len(f.Invalid)+len(f.Valid) == 0 {
		t.Fatalf("%s: no source or no vectors", name)
	}
	return f
}

var vectorFiles = []string{"bip174-vectors.json", "bip370-vectors.json", "bip371-vectors.json"}

func TestVectors(t *testing.T) {
	for _, name := range vectorFiles {
		f := loadVectors(t, name)
		for _, v := range f.Invalid {
			t.Run(name+"/invalid/"+v.Description, func(t *testing.T) {
				if v.Why == "" || v.Contains == "" {
					t.Fatal("an invalid vector must say why and what the error contains")
				}
				p, err := Decode([]byte(v.Base64))
				if err == nil {
					t.Fatalf("Decode accepted an invalid PSBT (%s) with %d inputs", v.Why, len(p.Inputs))
				}
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Errorf("error %T is not a *DecodeError", err)
				}
				if !strings.Contains(err.Error(), v.Contains) {
					t.Errorf("Decode error = %q, want it to contain %q (%s)", err, v.Contains, v.Why)
				}
			})
		}
		for _, v := range f.Valid {
			t.Run(name+"/valid/"+v.Description, func(t *testing.T) {
				p, err := Decode([]byte(v.Base64))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if v.LockTime != nil && p.UnsignedTx.LockTime != *v.LockTime {
					t.Errorf("lock time = %d, want %d", p.UnsignedTx.LockTime, *v.LockTime)
				}
				roundTrip(t, []byte(v.Base64))
				raw, _ := base64.StdEncoding.DecodeString(v.Base64)
				if !strings.HasPrefix(name, "bip370") {
					// Version 0 PSBTs in btcd's order come back byte
					// for byte; check the binary and hex forms decode
					// to the same packet as base64.
					for _, form := range [][]byte{raw, []byte(" " + hexString(raw) + "\n")} {
						q, err := Decode(form)
						if err != nil {
							t.Fatalf("Decode of another form: %v", err)
						}
						a, _ := Encode(p)
						b, _ := Encode(q)
						if !bytes.Equal(a, b) {
							t.Error("binary, hex and base64 forms decode differently")
						}
					}
				}
			})
		}
	}
}

// roundTrip checks that Decode → Encode → Decode → Encode is stable.
func roundTrip(t testing.TB, data []byte) {
	t.Helper()
	p, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	b1, err := Encode(p)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	q, err := Decode(b1)
	if err != nil {
		t.Fatalf("Decode of Encode's output: %v\n%x", err, b1)
	}
	b2, err := Encode(q)
	if err != nil {
		t.Fatalf("second Encode: %v", err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("Decode→Encode is not stable:\n first %x\nsecond %x", b1, b2)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

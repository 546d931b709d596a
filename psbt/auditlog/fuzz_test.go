package auditlog

import (
	"strings"
	"testing"
)

// A log handed to an auditor is input from outside: Verify must never panic,
// and what it accepts must be a chain it would accept again.
func FuzzVerify(f *testing.F) {
	_, path := newLogAt(f, f.TempDir(), 3, 0)
	f.Add(read(f, path))
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":0,"time":"2026-01-01T00:00:00Z","kind":"x","prev":"` + genesis + `"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Verify(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for i, e := range entries {
			if e.Seq != uint64(i) {
				t.Fatalf("accepted entry %d with seq %d", i, e.Seq)
			}
		}
		if len(entries) > 0 && entries[0].Prev != genesis {
			t.Fatalf("accepted a first entry whose prev is %q", entries[0].Prev)
		}
	})
}

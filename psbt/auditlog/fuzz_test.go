package auditlog

import (
	"bytes"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
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

// FuzzCarried feeds CarriedCheckpoints a hostile field. Whatever it
// returns verifies: its note opens under its own verifier key, whose name
// is the field's.
func FuzzCarried(f *testing.F) {
	l, _ := newLogAt(f, f.TempDir(), 2, 0)
	cp, err := l.Checkpoint()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(KeyName(devKey.PublicKey())), append([]byte(vkey(f)+"\n"), cp.Note...))
	f.Add([]byte("airsign-00"), []byte("x\ny"))
	f.Fuzz(func(t *testing.T, name, value []byte) {
		p := emptyPacket(t)
		p.Unknowns = append(p.Unknowns, &btcpsbt.Unknown{Key: append(bytes.Clone(carryPrefix), name...), Value: value})
		got, errs := CarriedCheckpoints(p)
		if len(got)+len(errs) != 1 {
			t.Fatalf("%d checkpoints and %d errors for one field", len(got), len(errs))
		}
		for _, c := range got {
			n, v, err := parseVerifierKey(c.VerifierKey)
			if err != nil || n != string(name) {
				t.Fatalf("returned a checkpoint under key %q for field %q (%v)", n, name, err)
			}
			if _, err := OpenCheckpoint(c.Note, v); err != nil {
				t.Fatalf("returned a checkpoint that does not open: %v", err)
			}
		}
	})
}

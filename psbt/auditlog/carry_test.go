package auditlog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

func emptyPacket(t testing.TB) *btcpsbt.Packet {
	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// roundTrip serializes p and reads it back, as the PSBT crosses the gap.
func roundTrip(t *testing.T, p *btcpsbt.Packet) *btcpsbt.Packet {
	t.Helper()
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	q, err := btcpsbt.NewFromRawBytes(&b, false)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// A checkpoint carried in a PSBT crosses the gap, is found again, and
// certifies itself: only a note that verifies under the key its field
// names is returned.
func TestCarryRoundTrip(t *testing.T) {
	l, _ := newLogAt(t, t.TempDir(), 3, 0)
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	p := emptyPacket(t)
	if err := Carry(p, vkey(t), cp); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 2, 0)
	cp5, _ := l.Checkpoint()
	if err := Carry(p, vkey(t), cp5); err != nil { // the newer one replaces it
		t.Fatal(err)
	}
	got, errs := CarriedCheckpoints(roundTrip(t, p))
	if len(errs) != 0 || len(got) != 1 || got[0].Size != 5 || got[0].VerifierKey != vkey(t) || got[0].Root != cp5.Root {
		t.Fatalf("carried: %+v, %v; want the size-5 checkpoint alone", got, errs)
	}

	other, _ := VerifierKey(otherKey.PublicKey())
	key := append(bytes.Clone(carryPrefix), KeyName(devKey.PublicKey())...)
	for _, tc := range []struct {
		name  string
		key   []byte
		value []byte
		want  string
	}{
		{"signature changed", key, append([]byte(vkey(t)+"\n"), bytes.Replace(cp5.Note, []byte("\n5\n"), []byte("\n6\n"), 1)...), "does not verify"},
		{"another key under this key's name", key, append([]byte(other+"\n"), cp5.Note...), "comes with the key of"},
		{"no key line", key, cp5.Note[:10], "no verifier key line"},
		{"too large", key, bytes.Repeat([]byte("a"), MaxCarriedBytes+1), "over 1024"},
		{"a key that is not its name's", key, append([]byte(strings.Replace(vkey(t), "airsign-", "airsign-0", 1)+"\n"), cp5.Note...), "verifier key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := emptyPacket(t)
			q.Unknowns = append(q.Unknowns, &btcpsbt.Unknown{Key: tc.key, Value: tc.value})
			got, errs := CarriedCheckpoints(q)
			if len(got) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %+v, %v; want one error containing %q", got, errs, tc.want)
			}
		})
	}
}

// The attack CheckSigned stops: the log and its checkpoints are cut back
// to an earlier copy (which needs no key: every prefix verifies), or
// replaced by another history, on a disk whose kiosk already handed out a
// checkpoint of the longer log.
func TestCheckSignedCatchesRollback(t *testing.T) {
	live := t.TempDir()
	l, path := newLogAt(t, live, 3, 0)
	snapshot := t.TempDir()
	for _, f := range []string{path, CheckpointsPath(path)} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snapshot, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	appendN(t, l, 2, 0)
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	carried := Carried{VerifierKey: vkey(t), Checkpoint: cp}
	if err := l.CheckSigned(carried); err != nil {
		t.Fatalf("the live log: %v", err)
	}
	appendN(t, l, 1, 0)
	if err := l.CheckSigned(carried); err != nil {
		t.Fatalf("the live log, grown: %v", err)
	}

	old, err := Open(filepath.Join(snapshot, "audit.log"), origin, devKey)
	if err != nil {
		t.Fatalf("the cut-back copy opens and verifies on its own: %v", err)
	}
	if err := old.CheckSigned(carried); !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "covers 5 entries; the log now has 3") {
		t.Fatalf("cut back: %v, want ErrRolledBack", err)
	}
	appendN(t, old, 3, 100) // another history, longer than the checkpoint
	if err := old.CheckSigned(carried); !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "fork: the first 5 entries") {
		t.Fatalf("rewritten: %v, want ErrRolledBack (fork)", err)
	}
	otherCarried := Carried{VerifierKey: func() string { k, _ := VerifierKey(otherKey.PublicKey()); return k }(), Checkpoint: cp}
	if err := l.CheckSigned(otherCarried); err == nil || errors.Is(err, ErrRolledBack) {
		t.Fatalf("another key's checkpoint: %v, want a refusal that is not a rollback", err)
	}
}

// A verifier key's base64 part may hold a "+", the separator of its
// fields: every key reads back (the first version split on every "+").
func TestParseVerifierKeyWithPlus(t *testing.T) {
	plus := 0
	for seed := byte(1); seed < 60; seed++ {
		k := keyFromSeed(seed)
		vk, err := VerifierKey(k.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(vk, "+") > 2 {
			plus++
		}
		if name, _, err := parseVerifierKey(vk); err != nil || name != KeyName(k.PublicKey()) {
			t.Fatalf("key %d (%s): %q, %v", seed, vk, name, err)
		}
	}
	if plus == 0 {
		t.Fatal("no test key has a + in its base64; try more seeds")
	}
}

// carryPrefix starts a carried checkpoint's key as the format documents
// it: PSBT_GLOBAL_PROPRIETARY, "airsign", subtype 0x02.
var carryPrefix = append(append([]byte{0xfc, 7}, "airsign"...), 0x02)

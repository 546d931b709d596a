package auditlog

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

func TestCheckProgress(t *testing.T) {
	seen := []CheckpointRecord{
		{Key: "airsign-a", Size: 5, Root: "r5"},
		{Key: "airsign-a", Size: 9, Root: "r9"},
		{Key: "airsign-b", Size: 40, Root: "b40"},
	}
	for _, tc := range []struct {
		name string
		got  CheckpointRecord
		want error
	}{
		{"first of a key", CheckpointRecord{Key: "airsign-c", Size: 1, Root: "c1"}, nil},
		{"larger", CheckpointRecord{Key: "airsign-a", Size: 10, Root: "r10"}, nil},
		{"the same again", CheckpointRecord{Key: "airsign-a", Size: 9, Root: "r9"}, nil},
		{"smaller", CheckpointRecord{Key: "airsign-a", Size: 8, Root: "r8"}, ErrLogBehind},
		{"smaller, a size seen", CheckpointRecord{Key: "airsign-a", Size: 5, Root: "r5"}, ErrLogBehind},
		{"other root at a size seen", CheckpointRecord{Key: "airsign-a", Size: 9, Root: "x9"}, ErrLogForked},
		{"another key's sizes do not count", CheckpointRecord{Key: "airsign-a", Size: 12, Root: "r12"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckProgress(seen, tc.got)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckProgress = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestTxOutputs(t *testing.T) {
	tx := wire.NewMsgTx(2)
	p2wpkh := append([]byte{0x00, 0x14}, make([]byte, 20)...)
	tx.AddTxOut(wire.NewTxOut(1500, p2wpkh))
	tx.AddTxOut(wire.NewTxOut(0, []byte{0x6a, 0x01, 0x2a}))
	got := TxOutputs(tx, &chaincfg.RegressionNetParams)
	want := []Output{
		{Script: "00140000000000000000000000000000000000000000", Address: "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202", AmountSat: 1500},
		{Script: "6a012a", AmountSat: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("TxOutputs = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("output %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestRootAt rebuilds every checkpoint a log signed from its exports, in
// full and from since: what the auditor compares the other side's records
// with.
func TestRootAt(t *testing.T) {
	l, _ := newLogAt(t, t.TempDir(), 0, 0)
	var cps []Checkpoint
	for range 9 {
		appendN(t, l, 1, 0)
		cp, err := l.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	for _, since := range []int64{0, 3, 8} {
		data, err := l.Export(since)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyExport(data, l.VerifierKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, cp := range cps {
			got, err := rep.RootAt(cp.Size)
			if cp.Size < since {
				if err == nil {
					t.Errorf("since %d: RootAt(%d) = %x, want an error", since, cp.Size, got)
				}
				continue
			}
			if err != nil || got != cp.Root {
				t.Errorf("since %d: RootAt(%d) = %x, %v; want %x", since, cp.Size, got, err, cp.Root)
			}
		}
	}
}

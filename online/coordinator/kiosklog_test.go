package coordinator

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"airsign/offline/hd"
	"airsign/psbt"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

// kioskLog is a kiosk's audit log of n entries, the same for the same
// seed and n: a log started again with the same key and the same first
// entries is one put back to an earlier copy; another kind is a fork.
func kioskLog(t *testing.T, seed byte, n int, kind string) *auditlog.Log {
	t.Helper()
	l, err := auditlog.Create(filepath.Join(t.TempDir(), "audit.log"), "airsign kiosk test",
		testSigner{ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		k := "inspect"
		if i == n-1 {
			k = kind
		}
		if err := l.Append(k, map[string]any{"n": i}, time.Date(2026, 12, 7, 9, 0, i, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// kioskSigned is the kiosk's answer to wd: signed with the seed and
// carrying its log's checkpoint, as airsign-kiosk adds it.
func kioskSigned(t *testing.T, wd *Withdrawal, d *descriptor.Descriptor, m *hd.Master, kiosk *auditlog.Log) []byte {
	t.Helper()
	p, err := psbt.Decode(wd.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	q, err := psbt.Decode(sign(t, p, d, m))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := kiosk.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := auditlog.Carry(q, kiosk.VerifierKey(), cp); err != nil {
		t.Fatal(err)
	}
	out, err := psbt.Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lastKioskCheckpoints is the kiosk checkpoints the coordinator's last
// finalize entry recorded, as sizes.
func lastKioskCheckpoints(t *testing.T, l *auditlog.Log) []int64 {
	t.Helper()
	entries, err := l.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Kind != "finalize" {
			continue
		}
		var d struct {
			Kiosk []auditlog.CheckpointRecord `json:"kiosk_checkpoints"`
		}
		if err := json.Unmarshal(entries[i].Data, &d); err != nil {
			t.Fatal(err)
		}
		var sizes []int64
		for _, k := range d.Kiosk {
			sizes = append(sizes, k.Size)
		}
		return sizes
	}
	return nil
}

// The coordinator's checkpoint rides in every request's PSBT, and a
// signed PSBT whose kiosk checkpoint goes back on the one kept (forked
// at the same size, or behind it on a request made after it arrived) is
// refused with ErrKioskLog; behind it on a request made before, it is an
// out-of-order return, finalized and recorded.
func TestKioskCheckpointsAtFinalize(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	own, err := auditlog.Create(filepath.Join(t.TempDir(), "audit.log"), auditlog.CoordinatorOrigin+"test",
		testSigner{ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		t.Fatal(err)
	}
	f.c.cfg.Audit = own
	// A clock that moves a second a call, so "made before the checkpoint
	// arrived" never ties.
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	f.c.cfg.Now = func() time.Time { now = now.Add(time.Second); return now }
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 8)
	for _, sats := range []int64{400_000, 300_000, 200_000, 100_000} {
		f.deposit(t, "treasury", sats)
	}
	request := func(n byte) *Withdrawal {
		wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, n), Amount: 50_000, FeeRate: 2, Requester: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		return wd
	}
	early, first := request(20), request(21)

	// carryOwn: the PSBT carries the coordinator's checkpoint as it
	// stood when the request was made.
	p, err := psbt.Decode(first.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	carried, errs := auditlog.CarriedCheckpoints(p)
	if len(errs) != 0 || len(carried) != 1 || carried[0].VerifierKey != own.VerifierKey() || carried[0].Size < 1 || uint64(carried[0].Size) > own.Len() {
		t.Fatalf("the request's PSBT carries %+v (%v), want the coordinator's checkpoint of at most %d entries", carried, errs, own.Len())
	}

	if _, err := f.c.Finalize(ctx, first.ID, false, kioskSigned(t, first, d, m, kioskLog(t, 1, 3, "sign"))); err != nil {
		t.Fatalf("the first signing: %v", err)
	}
	if got := lastKioskCheckpoints(t, own); fmt.Sprint(got) != "[3]" {
		t.Fatalf("the finalize entry records kiosk checkpoints %v, want [3]", got)
	}
	later := request(22)
	for _, tc := range []struct {
		name  string
		wd    *Withdrawal
		kiosk *auditlog.Log
		want  error  // nil: finalized
		sizes string // recorded in the finalize entry when finalized
	}{
		{"forked at the kept size", later, kioskLog(t, 1, 3, "fork"), ErrKioskLog, ""},
		{"behind, on a request made after the kept one arrived", later, kioskLog(t, 1, 2, "inspect"), ErrKioskLog, ""},
		{"behind, on a request made before: an out-of-order return", early, kioskLog(t, 1, 2, "inspect"), nil, "[2]"},
		{"ahead of the kept one", later, kioskLog(t, 1, 4, "sign"), nil, "[4]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.Finalize(ctx, tc.wd.ID, false, kioskSigned(t, tc.wd, d, m, tc.kiosk))
			if !errors.Is(err, tc.want) || (tc.want != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Finalize: %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				if got := fmt.Sprint(lastKioskCheckpoints(t, own)); got != tc.sizes {
					t.Errorf("the finalize entry records kiosk checkpoints %s, want %s", got, tc.sizes)
				}
			}
		})
	}
}

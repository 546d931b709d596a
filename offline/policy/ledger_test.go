package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/psbt/auditlog"
)

// The ledger's signed checkpoints catch what the chain alone could not: an
// edit of the last line, and a truncated ledger. Either stops the limit.
func TestLedgerSignedCheckpoints(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		tamper func(log []byte) []byte
		want   string
	}{
		{"last line edited", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"spent_sat":400`), []byte(`"spent_sat":4`), 1)
		}, "line 3 was changed"},
		{"last line removed", func(b []byte) []byte {
			lines := strings.SplitAfter(string(b), "\n")
			return []byte(strings.Join(lines[:2], ""))
		}, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, dir := newStore(t)
			for i, amt := range []btcutil.Amount{100, 200, 400} {
				if err := st.Record("vault", "tx", amt, t0.Add(time.Duration(i)*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := st.Since("vault", t0.Add(-time.Hour)); err != nil || got != 700 {
				t.Fatalf("Since = %d, %v", got, err)
			}
			path := filepath.Join(dir, "policy", "ledger", "vault.log")
			if _, err := os.Stat(filepath.Join(dir, "policy", "ledger", "vault.checkpoints")); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			os.WriteFile(path, tc.tamper(data), 0o600)
			if _, err := st.Since("vault", t0.Add(-time.Hour)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Since on a tampered ledger: %v, want %q", err, tc.want)
			}
			if err := st.Record("vault", "tx", 1, t0); err == nil {
				t.Fatal("Record appended to a tampered ledger")
			}
		})
	}
}

// The ledger never takes a negative amount, and one that an older kiosk
// recorded (its "our inputs minus change" could be made negative with a
// made-up foreign input) counts as nothing, never as a credit.
func TestLedgerNeverCredits(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	st, _ := newStore(t)
	if err := st.Record("vault", "tx0", 100, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.Record("vault", "tx1", -9_949_990_000, t0); err == nil || !strings.Contains(err.Error(), "never negative") {
		t.Fatalf("Record of a negative amount: %v, want a refusal", err)
	}
	// As an older kiosk wrote it: a negative entry, properly signed.
	l, err := auditlog.Open(st.ledgerPath("vault"), st.ledgerOrigin("vault"), st.signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append("signed", ledgerEntry{TxID: "old", Spent: -9_949_990_000}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.Record("vault", "tx2", 50, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Since("vault", t0.Add(-time.Hour)); err != nil || got != 150 {
		t.Fatalf("Since = %d, %v; want 150 (the negative entry counts as 0)", got, err)
	}
}

package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/psbt/auditlog"
)

// The ledger is what this kiosk signed, per wallet: an auditlog Merkle log
// with checkpoints signed by the device key (origin "airsign ledger WALLET
// KEYID"), one "signed" entry per signature, which the 24-hour limit sums.
// It holds no secret.

type ledgerEntry struct {
	TxID  string `json:"txid"`
	Spent int64  `json:"spent_sat"`
}

func (st *Store) ledgerOrigin(wallet string) string {
	return "airsign ledger " + wallet + " " + strings.TrimPrefix(auditlog.KeyName(st.signer.PublicKey()), "airsign-")
}

func (st *Store) ledgerPath(wallet string) string {
	return filepath.Join(st.dir, "ledger", wallet+".log")
}

// Record adds a signed transaction to the wallet's ledger. spent is what
// the transaction takes from the wallet (psbt.Summary.Spent), never
// negative: a negative amount would credit the 24-hour limit.
func (st *Store) Record(wallet, txid string, spent btcutil.Amount, now time.Time) error {
	if spent < 0 {
		return fmt.Errorf("ledger of %q: transaction %s would be recorded as taking %d satoshis; an amount taken is never negative", wallet, txid, spent)
	}
	path := st.ledgerPath(wallet)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	l, err := auditlog.Open(path, st.ledgerOrigin(wallet), st.signer)
	if errors.Is(err, fs.ErrNotExist) {
		l, err = auditlog.Create(path, st.ledgerOrigin(wallet), st.signer)
	}
	if err != nil {
		return fmt.Errorf("ledger of %q: %w", wallet, err)
	}
	return l.Append("signed", ledgerEntry{TxID: txid, Spent: int64(spent)}, now)
}

// Since sums what the kiosk signed for the wallet after since (exclusive).
// A ledger that fails verification is an error: the limit cannot be
// trusted, so nothing is signed.
func (st *Store) Since(wallet string, since time.Time) (btcutil.Amount, error) {
	l, err := auditlog.Open(st.ledgerPath(wallet), st.ledgerOrigin(wallet), st.signer)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	var entries []auditlog.Entry
	if err == nil {
		entries, err = l.Entries()
	}
	if err != nil {
		return 0, fmt.Errorf("ledger of %q does not verify, so the 24-hour limit cannot be checked: %w", wallet, err)
	}
	var sum btcutil.Amount
	for _, e := range entries {
		if e.Kind != "signed" || !e.Time.After(since) {
			continue
		}
		var le ledgerEntry
		if err := json.Unmarshal(e.Data, &le); err != nil {
			return 0, fmt.Errorf("ledger of %q, entry %d: %w", wallet, e.Seq, err)
		}
		// Kiosks before this rule recorded "our inputs minus change",
		// which a made-up foreign input could make negative: such an
		// entry counts as nothing, never as a credit.
		sum += max(0, btcutil.Amount(le.Spent))
	}
	return sum, nil
}

// Window is the span of the velocity limit.
const Window = 24 * time.Hour

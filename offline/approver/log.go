package approver

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"airsign/psbt/approval"
)

// Record is one line of the station's approvals log: what was approved,
// when, and the approval itself, which an auditor can check against the
// station's key (approval.ParseTransfer) and compare with the kiosk's
// audit log.
type Record struct {
	Time       time.Time      `json:"time"`
	Approver   string         `json:"approver"`
	Key        string         `json:"key"`
	Wallet     string         `json:"wallet"`
	WalletID   string         `json:"wallet_id"`
	Request    string         `json:"request"`
	TxID       string         `json:"txid"`
	PSBTSHA256 string         `json:"psbt_sha256"`
	Outputs    []RecordOutput `json:"outputs"`
	Fee        int64          `json:"fee_sat"`
	Expires    time.Time      `json:"expires"`
	// Approval is the approval's text form (approval.MarshalTransfer).
	Approval string `json:"approval"`
}

// RecordOutput is one output as the station showed it.
type RecordOutput struct {
	Index   int    `json:"index"`
	Kind    string `json:"kind"` // payment, change or op_return
	Address string `json:"address,omitempty"`
	Script  string `json:"script"`
	Amount  int64  `json:"amount_sat"`
}

// record appends r's approval a to the log, synced.
func (s *Station) record(r *Review, a approval.Approval, now time.Time) error {
	rec := Record{
		Time: now.UTC().Truncate(time.Second), Approver: s.name, Key: s.key.String(),
		Wallet: r.Wallet.Name, WalletID: r.WalletID, Request: a.Message.Request, TxID: r.TxID.String(),
		PSBTSHA256: hex.EncodeToString(r.PSBTHash[:]), Fee: int64(r.Fee), Expires: a.Message.Expires,
		Approval: approval.MarshalTransfer(a), Outputs: []RecordOutput{},
	}
	for _, o := range r.Summary.Outputs {
		rec.Outputs = append(rec.Outputs, RecordOutput{Index: o.Index, Kind: o.Kind.String(), Address: o.Address,
			Script: hex.EncodeToString(o.Script), Amount: int64(o.Amount)})
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, approvalsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Approvals reads the station's log of approvals, oldest first.
func (s *Station) Approvals() ([]Record, error) {
	path := filepath.Join(s.dir, approvalsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4*approval.MaxTransferLen)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

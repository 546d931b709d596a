package auditlog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Each side of the air gap witnesses the other's log: the checkpoint the
// other side carried in a PSBT (Carry) is written into this side's log as
// a CheckpointRecord, and a later one must not go back on it. Without a
// consistency proof only two things can be told from checkpoints alone: a
// smaller log than one seen before (ErrLogBehind) and another tree at a
// size seen before (ErrLogForked). The auditor, holding both logs, checks
// every record against the other log's export in full (airsign-audit
// reconcile).

// CoordinatorOrigin begins the origin line of a coordinator's log (its key
// id follows), by which a kiosk tells the coordinator's carried checkpoint
// from its cosigner kiosks'.
const CoordinatorOrigin = "airsign coordinator "

// ErrLogBehind means a checkpoint covers fewer entries than one the same
// key signed and this side saw earlier.
var ErrLogBehind = errors.New("the other side's audit log went backwards")

// ErrLogForked means a checkpoint has another root than one the same key
// signed, and this side saw, at the same size.
var ErrLogForked = errors.New("the other side's audit log forked")

// CheckpointRecord is a carried checkpoint as the receiving side logs it:
// whose (the key name), of which log, its size and root. The note itself is
// not kept: the record is what the auditor compares with the other log.
type CheckpointRecord struct {
	Key    string `json:"key"`
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"` // hex
}

// Record is c as the receiving side logs it.
func (c Carried) Record() CheckpointRecord {
	name, _, _ := strings.Cut(c.VerifierKey, "+")
	return CheckpointRecord{Key: name, Origin: c.Origin, Size: c.Size, Root: Hex(c.Root)}
}

// CheckProgress says whether got may follow the checkpoints seen before
// from the same key: not smaller than the largest (ErrLogBehind), and not
// another root at a size seen (ErrLogForked). Records of other keys are
// ignored.
func CheckProgress(seen []CheckpointRecord, got CheckpointRecord) error {
	var largest *CheckpointRecord
	for i, s := range seen {
		if s.Key != got.Key {
			continue
		}
		if s.Size == got.Size && s.Root != got.Root {
			return fmt.Errorf("%w: %s signed two different logs of %d entries (root %.16s… seen before, %.16s… now)", ErrLogForked, got.Key, got.Size, s.Root, got.Root)
		}
		if largest == nil || s.Size > largest.Size {
			largest = &seen[i]
		}
	}
	if largest != nil && got.Size < largest.Size {
		return fmt.Errorf("%w: %s's checkpoint covers %d entries, and one of %d entries was seen before", ErrLogBehind, got.Key, got.Size, largest.Size)
	}
	return nil
}

// Output is one transaction output as both sides' entries record it, so
// that the auditor can match a kiosk's signature, a coordinator's
// broadcast and the chain output by output: the script in hex (what is
// compared) and, for people, its address when it has one.
type Output struct {
	Script    string `json:"script"`
	Address   string `json:"address,omitempty"`
	AmountSat int64  `json:"amount_sat"`
}

// TxOutputs lists tx's outputs as entries record them, addresses encoded
// for params (none when params is nil).
func TxOutputs(tx *wire.MsgTx, params *chaincfg.Params) []Output {
	out := make([]Output, 0, len(tx.TxOut))
	for _, o := range tx.TxOut {
		rec := Output{Script: hex.EncodeToString(o.PkScript), AmountSat: o.Value}
		if params == nil {
			out = append(out, rec)
			continue
		}
		if _, addrs, n, err := txscript.ExtractPkScriptAddrs(o.PkScript, params); err == nil && n == 1 && len(addrs) == 1 {
			rec.Address = addrs[0].EncodeAddress()
		}
		out = append(out, rec)
	}
	return out
}

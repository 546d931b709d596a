package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

// The coordinator's side of a cross-check comes in one of three files:
//
//   - `airsign-coordinator audit export --out FILE` (format
//     coordinatorExportFormat): the coordinator's audit log and its
//     registered wallets, in one file the auditor carries away;
//   - `airsign-coordinator --json wallets`: a JSON list of wallets, as
//     before the export carried them;
//   - an audit log export alone (auditlog.ExportFormat, the export of older
//     coordinators and of the web page), which verify-log reads but which
//     holds no wallet list.
//
// The wallet list is written by the coordinator, not signed: with the
// coordinator's log key, cross-check checks it against the wallet-add and
// wallet-remove entries of the signed log.

// coordinatorExportFormat is the format of `airsign-coordinator audit
// export` (cmd/airsign-coordinator/auditexport.go).
const coordinatorExportFormat = "airsign-coordinator-export/2"

// coordinatorExport is that file. Unknown fields are refused, as in the
// log's own export, so that nothing an auditor is shown goes unread.
type coordinatorExport struct {
	Format  string              `json:"format"`
	Network string              `json:"network"`
	Wallets []coordinatorWallet `json:"wallets"`
	Log     json.RawMessage     `json:"log"`
}

// coordinatorFile is a coordinator export as read: its wallets, and its
// log when it has one.
type coordinatorFile struct {
	wallets []coordinatorWallet
	log     []byte // the auditlog export, or nil for a wallet list alone
}

// unwrapLogExport returns the audit log export inside a coordinator
// export, or data itself when it is not one.
func unwrapLogExport(data []byte) ([]byte, error) {
	if !hasFormat(data, coordinatorExportFormat) {
		return data, nil
	}
	f, err := decodeCoordinatorExport(data)
	if err != nil {
		return nil, err
	}
	return f.Log, nil
}

// hasFormat reports whether data is a JSON object whose format is format.
func hasFormat(data []byte, format string) bool {
	var head struct {
		Format string `json:"format"`
	}
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) && json.Unmarshal(data, &head) == nil && head.Format == format
}

func decodeCoordinatorExport(data []byte) (*coordinatorExport, error) {
	var f coordinatorExport
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a coordinator export (%s): %v", coordinatorExportFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a coordinator export (%s): data after the export", coordinatorExportFormat)
	}
	if len(f.Log) == 0 {
		return nil, fmt.Errorf("coordinator export without its audit log")
	}
	return &f, nil
}

func readCoordinatorExport(path string) (*coordinatorFile, error) {
	data, err := qrfiles.ReadFileLimited(path, maxExportBytes+maxLogExportBytes, "coordinator export")
	if err != nil {
		return nil, err
	}
	var cf coordinatorFile
	switch {
	case hasFormat(data, coordinatorExportFormat):
		f, err := decodeCoordinatorExport(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		cf.wallets, cf.log = f.Wallets, f.Log
	case hasFormat(data, auditlog.ExportFormat):
		return nil, fmt.Errorf("%s is an audit log export alone (a kiosk's, an older coordinator's or the coordinator's web page's), with no wallet list: export again with 'airsign-coordinator audit export --out FILE', or give the output of 'airsign-coordinator --json wallets'", path)
	default:
		if err := json.Unmarshal(data, &cf.wallets); err != nil {
			return nil, fmt.Errorf("%s is not the output of 'airsign-coordinator audit export' or 'airsign-coordinator --json wallets' (a JSON list of wallets): %v", path, err)
		}
	}
	for i, w := range cf.wallets {
		if w.Name == "" || w.Descriptor == "" || w.Network == "" {
			return nil, fmt.Errorf("%s: wallet %d has no name, network or descriptor: is it the output of 'airsign-coordinator --json wallets'?", path, i+1)
		}
	}
	return &cf, nil
}

// crossLog is what cross-check learned from the coordinator's signed log.
type crossLog struct {
	Checked bool   `json:"checked"`
	Origin  string `json:"origin,omitempty"`
	Size    int64  `json:"size,omitempty"`
	Note    string `json:"note,omitempty"`
	// Problems are differences between the wallet list and the log.
	Problems []crossLogProblem `json:"problems"`
}

type crossLogProblem struct {
	Wallet  string `json:"wallet"`
	Problem string `json:"problem"`
}

// checkWalletsAgainstLog verifies the export's log with the coordinator's
// verifier key and replays its wallet registrations and removals: the
// wallets the log says are registered must be the export's list, each
// with the descriptor the log recorded.
func checkWalletsAgainstLog(cf *coordinatorFile, keyArg string) (crossLog, error) {
	out := crossLog{Problems: []crossLogProblem{}}
	if cf.log == nil {
		if keyArg != "" {
			return out, usageError("--log-key: the coordinator export is a wallet list alone, with no log to check it against; use the file 'airsign-coordinator audit export --out FILE' writes")
		}
		out.Note = "a wallet list alone: nothing shows it is the coordinator's"
		return out, nil
	}
	if keyArg == "" {
		out.Note = "the wallet list was not checked against the coordinator's signed log: give its key with --log-key"
		return out, nil
	}
	key, err := readKey(keyArg, "coordinator's verifier key (--log-key, printed by airsign-coordinator audit key)")
	if err != nil {
		return out, err
	}
	rep, err := auditlog.VerifyExport(cf.log, key, nil)
	if err != nil {
		return out, fmt.Errorf("the coordinator export's log does not verify: %w", err)
	}
	out.Origin, out.Size = rep.Origin, rep.Size
	if rep.Since != 0 {
		out.Note = fmt.Sprintf("the log starts at entry %d, so the wallets registered before it cannot be checked: export with --since 0", rep.Since)
		return out, nil
	}
	out.Checked = true
	type logged struct {
		desc string
		seq  uint64
	}
	reg := map[string]logged{}
	for _, e := range rep.Entries {
		if e.Kind != "wallet-add" && e.Kind != "wallet-remove" {
			continue
		}
		var d struct {
			Wallet     string `json:"wallet"`
			Descriptor string `json:"descriptor"`
			Result     string `json:"result"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Result != "done" {
			continue
		}
		if e.Kind == "wallet-add" {
			reg[d.Wallet] = logged{d.Descriptor, e.Seq}
		} else {
			delete(reg, d.Wallet)
		}
	}
	listed := map[string]bool{}
	for _, w := range cf.wallets {
		listed[w.Name] = true
		l, ok := reg[w.Name]
		if !ok {
			out.Problems = append(out.Problems, crossLogProblem{w.Name, "listed in the export, but the signed log records no registration of it that stands"})
			continue
		}
		if problem := sameWallet(w, l.desc); problem != "" {
			out.Problems = append(out.Problems, crossLogProblem{w.Name, fmt.Sprintf("%s (log entry %d)", problem, l.seq)})
		}
	}
	for name, l := range reg {
		if !listed[name] {
			out.Problems = append(out.Problems, crossLogProblem{name, fmt.Sprintf("registered by log entry %d and never removed, but not in the export's wallet list", l.seq)})
		}
	}
	sortLogProblems(out.Problems)
	return out, nil
}

// sameWallet says how a listed wallet differs from the descriptor the log
// registered, or "" when they pay to the same addresses and the listed
// identity is the descriptor's.
func sameWallet(w coordinatorWallet, loggedDesc string) string {
	net, err := descriptor.ParseNetwork(w.Network)
	if err != nil {
		return "its network: " + err.Error()
	}
	d, err := descriptor.ParseForNetwork(w.Descriptor, net)
	if err != nil {
		return "its descriptor does not parse: " + err.Error()
	}
	ld, err := descriptor.ParseForNetwork(loggedDesc, net)
	if err != nil {
		return "the descriptor the log registered does not parse for " + w.Network + ": " + err.Error()
	}
	if walletID(d) != walletID(ld) {
		return "its descriptor is not the one the log registered, " + loggedDesc
	}
	if w.Identity != "" {
		id, err := d.Identity()
		if err != nil {
			return "its identity: " + err.Error()
		}
		sum := sha256.Sum256([]byte(id))
		if hex.EncodeToString(sum[:]) != w.Identity {
			return "its identity " + w.Identity + " is not its descriptor's"
		}
	}
	return ""
}

func sortLogProblems(ps []crossLogProblem) {
	slices.SortFunc(ps, func(a, b crossLogProblem) int { return strings.Compare(a.Wallet, b.Wallet) })
}

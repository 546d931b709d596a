package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/ceremony"
	"airsign/psbt/descriptor"
)

// coordinatorWallet is one row of `airsign-coordinator --json wallets`,
// or of the wallets of its audit export (see coordexport.go).
type coordinatorWallet struct {
	Name        string `json:"name"`
	Network     string `json:"network"`
	Birthday    int32  `json:"birthday"`
	Descriptor  string `json:"descriptor"`
	Identity    string `json:"identity,omitempty"`
	Created     string `json:"created,omitempty"`
	SuspendedTo string `json:"suspended_to,omitempty"`
}

// ceremonyWallet is a verified transcript and the wallet it created.
type ceremonyWallet struct {
	file     string
	t        *ceremony.Transcript
	id       string // canonical wallet identity, see walletID
	cosigner string // canonical BIP48 cosigner key, see keyID
	used     []string
}

type crossMatch struct {
	Wallet     string   `json:"wallet"`
	Network    string   `json:"network"`
	Script     string   `json:"script"`
	Ceremonies []string `json:"ceremonies"`
	Files      []string `json:"transcripts"`
	As         string   `json:"as"` // "single-sig" or "multisig of ceremony cosigner keys"
}

type crossMissing struct {
	CeremonyID string `json:"ceremony_id"`
	Wallet     string `json:"wallet_name"`
	Network    string `json:"network"`
	Script     string `json:"script"`
	File       string `json:"transcript"`
	Descriptor string `json:"descriptor"`
}

type crossExtra struct {
	Wallet     string `json:"wallet"`
	Network    string `json:"network"`
	Descriptor string `json:"descriptor"`
	Reason     string `json:"reason"`
}

type crossInvalid struct {
	File    string `json:"file"`
	Problem string `json:"problem"`
}

type crossReport struct {
	OK          bool           `json:"ok"`
	Transcripts int            `json:"transcripts"`
	Wallets     int            `json:"coordinator_wallets"`
	Matches     []crossMatch   `json:"matches"`
	Missing     []crossMissing `json:"missing"`
	Extra       []crossExtra   `json:"extra"`
	Invalid     []crossInvalid `json:"invalid_transcripts"`
	// Log is what the coordinator's signed log says of its wallet list.
	Log crossLog `json:"coordinator_log"`
}

func (c *cli) crossCheck(args []string) error {
	fs := newFlags("cross-check")
	dir := fs.String("transcripts", "", "")
	export := fs.String("coordinator-export", "", "")
	keyArg := fs.String("device-key", "", "")
	logKey := fs.String("log-key", "", "")
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *dir == "" || *export == "" {
		return usageError("cross-check takes --transcripts DIR and --coordinator-export FILE")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	key, err := parseDeviceKey(*keyArg)
	if err != nil {
		return err
	}
	cf, err := readCoordinatorExport(*export)
	if err != nil {
		return err
	}
	logged, err := checkWalletsAgainstLog(cf, *logKey)
	if err != nil {
		return err
	}
	ceremonies, invalid, err := readTranscripts(*dir, key)
	if err != nil {
		return err
	}
	r := crossCheck(ceremonies, cf.wallets)
	r.Invalid = invalid
	r.Log = logged
	r.OK = len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Invalid) == 0 && len(r.Log.Problems) == 0
	if err := c.report(o, r, func() { printCrossReport(c, r, *dir, *export) }, crossSummary(r, *dir, *export)); err != nil {
		return err
	}
	if !r.OK {
		return errProblem
	}
	return nil
}

// maxExportBytes bounds the coordinator export: a wallet row is well under
// 1 kB even for a 15-key multisig's descriptor.
const maxExportBytes = 16 << 20

// readTranscripts finds every *.json file below dir that is a signed
// transcript envelope and verifies it. JSON files of another shape are
// skipped; a transcript that fails verification is reported, never
// skipped, since an edited transcript is what the audit looks for.
func readTranscripts(dir string, key *deviceKey) ([]*ceremonyWallet, []crossInvalid, error) {
	var out []*ceremonyWallet
	var invalid []crossInvalid
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			return nil
		}
		data, err := qrfiles.ReadFileLimited(path, ceremony.MaxTranscriptBytes, "ceremony transcript")
		if err != nil {
			invalid = append(invalid, crossInvalid{path, err.Error()})
			return nil
		}
		if !looksLikeTranscript(data) {
			return nil
		}
		r := verifyTranscript(path, data, key)
		if !r.OK {
			invalid = append(invalid, crossInvalid{path, strings.Join(r.problems(), "; ")})
			return nil
		}
		cw := &ceremonyWallet{file: path, t: r.Transcript, id: walletID(r.descriptor)}
		net, _ := descriptor.ParseNetwork(r.Transcript.Network)
		if k, err := cosignerKey(r.Transcript.Cosigner, net); err == nil {
			cw.cosigner = keyID(k)
		}
		out = append(out, cw)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("--transcripts: %w", err)
	}
	if len(out) == 0 && len(invalid) == 0 {
		return nil, nil, fmt.Errorf("no ceremony transcript found in %s", dir)
	}
	return out, invalid, nil
}

// looksLikeTranscript reports whether data is a JSON object with the two
// fields of a signed transcript.
func looksLikeTranscript(data []byte) bool {
	var env map[string]json.RawMessage
	if json.Unmarshal(data, &env) != nil {
		return false
	}
	_, t := env["transcript"]
	_, s := env["signature"]
	return t && s
}

// walletID names a wallet by what decides its addresses: network, script
// and the canonical descriptor text (which normalizes h/' and SLIP-132
// keys). For sortedmulti the key order does not change the addresses, so
// the keys are sorted.
func walletID(d *descriptor.Descriptor) string {
	if !d.Script.Multisig() {
		body, _ := descriptor.StripChecksum(d.String())
		return d.Network.String() + " " + body
	}
	keys := make([]string, len(d.Keys))
	for i, k := range d.Keys {
		keys[i] = keyID(k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("%s %s %d %s", d.Network, d.Script, d.Threshold, strings.Join(keys, ","))
}

func keyID(k descriptor.Key) string {
	return "[" + k.Origin.String() + "]" + k.Key.String()
}

func crossCheck(ceremonies []*ceremonyWallet, wallets []coordinatorWallet) *crossReport {
	r := &crossReport{Transcripts: len(ceremonies), Wallets: len(wallets), Matches: []crossMatch{}, Missing: []crossMissing{}, Extra: []crossExtra{}, Invalid: []crossInvalid{}}
	byID := map[string][]*ceremonyWallet{}
	byCosigner := map[string]*ceremonyWallet{}
	for _, cw := range ceremonies {
		byID[cw.id] = append(byID[cw.id], cw)
		if cw.cosigner != "" {
			byCosigner[cw.cosigner] = cw
		}
	}
	for _, w := range wallets {
		net, err := descriptor.ParseNetwork(w.Network)
		if err != nil {
			r.Extra = append(r.Extra, crossExtra{w.Name, w.Network, w.Descriptor, err.Error()})
			continue
		}
		d, err := descriptor.ParseForNetwork(w.Descriptor, net)
		if err != nil {
			r.Extra = append(r.Extra, crossExtra{w.Name, w.Network, w.Descriptor, "its descriptor does not parse: " + err.Error()})
			continue
		}
		m := crossMatch{Wallet: w.Name, Network: w.Network, Script: d.Script.String()}
		if d.Script.Multisig() {
			var foreign []string
			var from []*ceremonyWallet
			for i, k := range d.Keys {
				cw := byCosigner[keyID(k)]
				if cw == nil {
					foreign = append(foreign, fmt.Sprintf("key %d [%s]", i+1, k.Origin))
					continue
				}
				from = append(from, cw)
			}
			if len(foreign) > 0 {
				r.Extra = append(r.Extra, crossExtra{w.Name, w.Network, w.Descriptor,
					fmt.Sprintf("%s of this %d-of-%d multisig is no ceremony's BIP48 cosigner key", strings.Join(foreign, ", "), d.Threshold, len(d.Keys))})
				continue
			}
			m.As = "multisig of ceremony cosigner keys"
			slices.SortFunc(from, func(a, b *ceremonyWallet) int { return strings.Compare(a.file, b.file) })
			for _, cw := range from {
				m.Ceremonies, m.Files = append(m.Ceremonies, cw.t.CeremonyID), append(m.Files, cw.file)
				cw.used = append(cw.used, w.Name)
			}
			r.Matches = append(r.Matches, m)
			continue
		}
		cws := byID[walletID(d)]
		if len(cws) == 0 {
			r.Extra = append(r.Extra, crossExtra{w.Name, w.Network, w.Descriptor, "no ceremony created this wallet"})
			continue
		}
		m.As = "single-sig"
		for _, cw := range cws {
			m.Ceremonies, m.Files = append(m.Ceremonies, cw.t.CeremonyID), append(m.Files, cw.file)
			cw.used = append(cw.used, w.Name)
		}
		r.Matches = append(r.Matches, m)
	}
	for _, cw := range ceremonies {
		if len(cw.used) == 0 {
			r.Missing = append(r.Missing, crossMissing{cw.t.CeremonyID, cw.t.WalletName, cw.t.Network, cw.t.Script, cw.file, cw.t.Descriptor})
		}
	}
	slices.SortFunc(r.Missing, func(a, b crossMissing) int { return strings.Compare(a.File, b.File) })
	return r
}

func (r *crossReport) header(dir, export string) string {
	return fmt.Sprintf("cross-check: %d ceremony transcript(s) in %s, %d wallet(s) in %s", r.Transcripts, dir, r.Wallets, export)
}

// logLine says what the coordinator's log showed of the wallet list, or "".
func (r *crossReport) logLine() string {
	switch {
	case r.Log.Checked:
		return fmt.Sprintf("the wallet list checked against the coordinator's signed log %q (%d entries)", r.Log.Origin, r.Log.Size)
	case r.Log.Note != "":
		return "note: " + r.Log.Note
	}
	return ""
}

// findings are the report's lines: status, wallet, network, script,
// ceremonies, transcripts, detail.
func (r *crossReport) findings() [][]string {
	var rows [][]string
	for _, m := range r.Matches {
		rows = append(rows, []string{"match", m.Wallet, m.Network, m.Script, strings.Join(m.Ceremonies, " "), strings.Join(m.Files, " "), m.As})
	}
	for _, m := range r.Missing {
		rows = append(rows, []string{"MISSING", m.Wallet, m.Network, m.Script, m.CeremonyID, m.File, "the coordinator does not watch this ceremony's wallet"})
	}
	for _, e := range r.Extra {
		rows = append(rows, []string{"EXTRA", e.Wallet, e.Network, "", "", "", e.Reason})
	}
	for _, i := range r.Invalid {
		rows = append(rows, []string{"INVALID", "", "", "", "", i.File, i.Problem})
	}
	for _, p := range r.Log.Problems {
		rows = append(rows, []string{"UNLOGGED", p.Wallet, "", "", "", "", p.Problem})
	}
	return rows
}

func (r *crossReport) verdict() string {
	if r.OK {
		return "OK: the coordinator watches exactly the wallets the ceremonies created"
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{len(r.Missing), "missing"}, {len(r.Extra), "extra"}, {len(r.Invalid), "invalid transcript(s)"}, {len(r.Log.Problems), "wallet(s) the coordinator's log disagrees on"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return "PROBLEM: " + strings.Join(parts, ", ")
}

func crossSummary(r *crossReport, dir, export string) summary {
	s := summary{Check: "cross-check", Subject: r.header(dir, export), OK: r.OK, Verdict: r.verdict(),
		Columns: []string{"status", "wallet", "network", "script", "ceremonies", "transcripts", "detail"}, Rows: r.findings()}
	if l := r.logLine(); l != "" {
		s.Facts = append(s.Facts, fact{"coordinator's log", l})
	}
	return s
}

func printCrossReport(c *cli, r *crossReport, dir, export string) {
	fmt.Fprintln(c.stdout, r.header(dir, export))
	if l := r.logLine(); l != "" {
		fmt.Fprintln(c.stdout, l)
	}
	for _, m := range r.Matches {
		var from []string
		for i := range m.Ceremonies {
			from = append(from, m.Ceremonies[i]+" ("+m.Files[i]+")")
		}
		label := "ceremony"
		if len(from) > 1 {
			label = "ceremonies"
		}
		fmt.Fprintf(c.stdout, "  match    wallet %q, %s %s: %s %s\n", m.Wallet, m.Network, m.Script, label, strings.Join(from, ", "))
	}
	for _, m := range r.Missing {
		fmt.Fprintf(c.stdout, "  MISSING  ceremony %s (%s) created wallet %q, %s %s, which the coordinator does not watch\n", m.CeremonyID, m.File, m.Wallet, m.Network, m.Script)
	}
	for _, e := range r.Extra {
		fmt.Fprintf(c.stdout, "  EXTRA    wallet %q, %s: %s\n", e.Wallet, e.Network, e.Reason)
	}
	for _, i := range r.Invalid {
		fmt.Fprintf(c.stdout, "  INVALID  %s: %s\n", i.File, i.Problem)
	}
	for _, p := range r.Log.Problems {
		fmt.Fprintf(c.stdout, "  UNLOGGED wallet %q: %s\n", p.Wallet, p.Problem)
	}
	fmt.Fprintln(c.stdout, r.verdict())
}

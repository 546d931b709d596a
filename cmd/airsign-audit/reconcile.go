package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"airsign/cmd/internal/chainproof"
	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

// reconcile ties the two logs and the chain together: every withdrawal
// is listed with its request, approvals, kiosk signature, broadcast and
// confirmation, and what does not match is flagged, each in a sentence
// naming the item. The logs are verified with their keys first; the
// checkpoints each side recorded of the other's log (carried across the
// air gap in every PSBT) are checked against the other's export.

// walletLookahead is how many addresses of each branch reconcile derives
// to tell the wallets' coins on the chain.
const walletLookahead = 1000

// chainView is the confirmed transactions reconcile matches: proven by a
// chain file's merkle branches (problems are the proofs that failed), or
// read from the auditor's own node.
type chainView struct {
	params   *chaincfg.Params
	txs      []chainproof.Confirmed
	problems []string
	source   string
}

// withdrawal is one row: what each record says of one transaction.
type withdrawal struct {
	TxID      string   `json:"txid"`
	Request   string   `json:"request,omitempty"`
	Wallet    string   `json:"wallet,omitempty"`
	Approvals []string `json:"approvals"`
	Required  int      `json:"approvals_required"`
	// Approved is who the coordinator's log says approved the request.
	Approved []string          `json:"coordinator_approvals"`
	KioskSeq *uint64           `json:"kiosk_entry,omitempty"`
	BySeq    *uint64           `json:"coordinator_entry,omitempty"`
	By       string            `json:"broadcast_by,omitempty"`
	Height   int32             `json:"confirmed_height,omitempty"`
	Block    string            `json:"block,omitempty"`
	Outputs  []auditlog.Output `json:"outputs"`
}

type reconcileReport struct {
	OK          bool         `json:"ok"`
	Withdrawals []withdrawal `json:"withdrawals"`
	Problems    []string     `json:"problems"`
}

func (c *cli) reconcile(args []string) error {
	fs := newFlags("reconcile")
	kioskPath := fs.String("kiosk-export", "", "")
	kioskKey := fs.String("kiosk-key", "", "")
	coordPath := fs.String("coordinator-export", "", "")
	coordKey := fs.String("coordinator-key", "", "")
	chainPath := fs.String("chain", "", "")
	rpc := addRPCFlags(fs)
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *kioskPath == "" || *coordPath == "" {
		return usageError("reconcile takes --kiosk-export FILE --kiosk-key KEY --coordinator-export FILE --coordinator-key KEY [--chain FILE | --rpc-url URL --rpc-user USER --rpc-pass PASS]")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	kiosk, err := verifyLogFile(*kioskPath, *kioskKey, "")
	if err != nil {
		return err
	}
	cf, err := readCoordinatorExport(*coordPath)
	if err != nil {
		return err
	}
	if cf.log == nil {
		return fmt.Errorf("%s holds no audit log: export it with 'airsign-coordinator audit export --out FILE'", *coordPath)
	}
	key, err := readKey(*coordKey, "coordinator's verifier key (--coordinator-key, printed by airsign-coordinator audit key)")
	if err != nil {
		return err
	}
	coord, err := auditlog.VerifyExport(cf.log, key, nil)
	if err != nil {
		return fmt.Errorf("%s: the coordinator's log does not verify: %w", *coordPath, err)
	}
	var chain *chainView
	switch {
	case *chainPath != "" && *rpc.url != "":
		return usageError("reconcile: give the chain as --chain FILE or --rpc-url URL, not both")
	case *chainPath != "":
		if chain, err = readChainFile(*chainPath); err != nil {
			return err
		}
	case *rpc.url != "":
		if chain, err = rpc.scan(cf.wallets); err != nil {
			return err
		}
	}
	rep, err := reconcileRecords(kiosk, coord, cf.wallets, chain)
	if err != nil {
		return err
	}
	verdict := fmt.Sprintf("OK: %d withdrawals reconcile", len(rep.Withdrawals))
	if !rep.OK {
		verdict = fmt.Sprintf("PROBLEM: %d things do not reconcile", len(rep.Problems))
	}
	subject := *kioskPath + ", " + *coordPath
	if chain != nil {
		subject += ", " + chain.source
	}
	s := summary{Check: "reconcile", Subject: subject, OK: rep.OK, Verdict: verdict,
		Columns: []string{"txid", "request", "wallet", "approvals", "required", "coordinator approvals", "kiosk entry", "coordinator entry", "by", "height", "block"}}
	for _, w := range rep.Withdrawals {
		s.Rows = append(s.Rows, []string{w.TxID, w.Request, w.Wallet, strings.Join(w.Approvals, " "), strconv.Itoa(w.Required), strings.Join(w.Approved, " "),
			seqText(w.KioskSeq), seqText(w.BySeq), w.By, strconv.Itoa(int(w.Height)), w.Block})
	}
	for _, p := range rep.Problems {
		s.Rows = append(s.Rows, []string{"PROBLEM", p})
	}
	err = c.report(o, rep, func() {
		for _, w := range rep.Withdrawals {
			fmt.Fprintf(c.stdout, "%s request %s wallet %s: approvals %d of %d (%s; the coordinator's: %s), kiosk entry %s, broadcast entry %s by %q, %s\n",
				w.TxID, orNone(w.Request), orNone(w.Wallet), len(w.Approvals), w.Required, strings.Join(w.Approvals, ", "), orNone(strings.Join(w.Approved, ", ")),
				seqText(w.KioskSeq), seqText(w.BySeq), w.By, confirmedText(w))
		}
		for _, p := range rep.Problems {
			fmt.Fprintln(c.stdout, "PROBLEM:", p)
		}
		fmt.Fprintln(c.stdout, verdict)
	}, s)
	if err == nil && !rep.OK {
		err = errProblem
	}
	return err
}

func seqText(s *uint64) string {
	if s == nil {
		return "none"
	}
	return strconv.FormatUint(*s, 10)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func confirmedText(w withdrawal) string {
	if w.Height == 0 {
		return "not confirmed"
	}
	return fmt.Sprintf("confirmed at %d in block %s", w.Height, w.Block)
}

// readChainFile reads and verifies a chain file: the proofs that fail are
// problems of the report, not errors, since a changed file is what the
// audit looks for.
func readChainFile(path string) (*chainView, error) {
	data, err := qrfiles.ReadFileLimited(path, chainproof.MaxFileBytes, "chain file")
	if err != nil {
		return nil, err
	}
	f, err := chainproof.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: write it with 'airsign-coordinator audit export --out FILE --chain FILE'", path, err)
	}
	net, err := descriptor.ParseNetwork(f.Network)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	txs, problems, err := chainproof.Verify(f, net.Params())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &chainView{params: net.Params(), txs: txs, problems: problems, source: path}, nil
}

// kioskSign is what reconcile reads of a kiosk sign entry.
type kioskSign struct {
	TxID      string            `json:"txid"`
	Wallet    string            `json:"wallet"`
	Request   string            `json:"request"`
	Result    string            `json:"result"`
	Outputs   []auditlog.Output `json:"outputs"`
	Approvals []struct {
		Name string `json:"name"`
	} `json:"approvals"`
	Required int                        `json:"approvals_required"`
	Coord    *auditlog.CheckpointRecord `json:"coordinator_checkpoint"`
}

// coordEntry is what reconcile reads of a coordinator entry.
type coordEntry struct {
	Request  string                      `json:"request"`
	Wallet   string                      `json:"wallet"`
	Result   string                      `json:"result"`
	TxID     string                      `json:"txid"`
	Unsigned string                      `json:"unsigned_txid"`
	By       string                      `json:"by"`
	User     string                      `json:"user"`
	Outputs  []auditlog.Output           `json:"outputs"`
	Kiosk    []auditlog.CheckpointRecord `json:"kiosk_checkpoints"`
	Need     int                         `json:"need"`
}

// reconcileRecords matches the verified logs, the wallets and the chain.
func reconcileRecords(kiosk, coord auditlog.Report, wallets []coordinatorWallet, chain *chainView) (*reconcileReport, error) {
	rep := &reconcileReport{Withdrawals: []withdrawal{}, Problems: []string{}}
	flag := func(format string, a ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...)) }
	byTx := map[string]*withdrawal{}
	row := func(txid string) *withdrawal {
		if w, ok := byTx[txid]; ok {
			return w
		}
		w := &withdrawal{TxID: txid, Approvals: []string{}, Approved: []string{}}
		byTx[txid] = w
		return w
	}
	// The coordinator's requests and broadcasts.
	requests := map[string]coordEntry{}
	sentOutputs := map[string][]auditlog.Output{}
	quorum := map[string]int{}        // wallet -> approvals its recorded quorum needs
	needed := map[string]int{}        // request -> the quorum in force when it was made
	approved := map[string][]string{} // request -> who approved it, per the coordinator
	for _, e := range coord.Entries {
		var d coordEntry
		if json.Unmarshal(e.Data, &d) != nil || d.Result != "done" {
			continue
		}
		switch e.Kind {
		case "request":
			requests[d.Request] = d
			needed[d.Request] = quorum[d.Wallet]
		case "wallet-quorum":
			quorum[d.Wallet] = d.Need
		case "approve":
			if !slices.Contains(approved[d.Request], d.User) {
				approved[d.Request] = append(approved[d.Request], d.User)
			}
		case "broadcast":
			w := row(d.TxID)
			seq := e.Seq
			w.BySeq, w.By, w.Request = &seq, d.By, d.Request
			sentOutputs[d.TxID] = d.Outputs
		}
		for _, k := range d.Kiosk {
			checkRecorded(k, kiosk, fmt.Sprintf("the coordinator's entry %d (%s, request %s)", e.Seq, e.Kind, d.Request), "kiosk", flag)
		}
	}
	// The kiosk's signatures.
	signed := map[string]bool{}
	for _, e := range kiosk.Entries {
		if e.Kind != "sign" {
			continue
		}
		var d kioskSign
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		if d.Coord != nil {
			checkRecorded(*d.Coord, coord, fmt.Sprintf("the kiosk's entry %d", e.Seq), "coordinator", flag)
		}
		if d.Result != "signed" {
			continue
		}
		signed[d.TxID] = true
		w := row(d.TxID)
		seq := e.Seq
		w.KioskSeq, w.Wallet, w.Required, w.Outputs = &seq, d.Wallet, d.Required, d.Outputs
		for _, a := range d.Approvals {
			w.Approvals = append(w.Approvals, a.Name)
		}
		// The kiosk records approvals in the order it read them from
		// the PSBT; a report lists them by name, as it does the
		// coordinator's, so that two runs of one story read the same.
		slices.Sort(w.Approvals)
		switch _, known := requests[d.Request]; {
		case d.Request == "":
			flag("the kiosk's entry %d signed transaction %s with no request id: no request of the coordinator's asked for it", e.Seq, d.TxID)
		case !known:
			flag("the kiosk's entry %d signed transaction %s for request %s, which the coordinator's log does not record", e.Seq, d.TxID, d.Request)
		case requests[d.Request].Unsigned != "" && requests[d.Request].Unsigned != d.TxID:
			flag("the kiosk's entry %d signed transaction %s for request %s, whose transaction in the coordinator's log is %s", e.Seq, d.TxID, d.Request, requests[d.Request].Unsigned)
		default:
			w.Request = d.Request
		}
		if w.Request != "" {
			checkApprovals(e.Seq, d, w, approved[w.Request], needed[w.Request], flag)
		}
		if len(w.Approvals) < d.Required {
			flag("the kiosk's entry %d signed transaction %s (request %s) with %d approvals of the %d its policy requires", e.Seq, d.TxID, orNone(d.Request), len(w.Approvals), d.Required)
		}
		if sent, ok := sentOutputs[d.TxID]; ok {
			if diff := outputsDiffer(d.Outputs, sent); diff != "" {
				flag("transaction %s (request %s): the coordinator's broadcast entry %d records other outputs than the kiosk's entry %d signed: %s", d.TxID, orNone(d.Request), *w.BySeq, e.Seq, diff)
			}
		}
	}
	for txid, w := range byTx {
		if w.BySeq != nil && !signed[txid] {
			flag("the coordinator's entry %d broadcast transaction %s (request %s) that the kiosk's log never signed", *w.BySeq, txid, orNone(w.Request))
		}
	}
	if chain != nil {
		if err := reconcileChain(chain, wallets, byTx, signed, flag); err != nil {
			return nil, err
		}
	}
	for _, w := range byTx {
		rep.Withdrawals = append(rep.Withdrawals, *w)
	}
	slices.SortFunc(rep.Withdrawals, func(a, b withdrawal) int {
		return strings.Compare(seqText(a.KioskSeq)+a.TxID, seqText(b.KioskSeq)+b.TxID)
	})
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// checkApprovals matches the approvals the kiosk counted for a signature
// (entry seq) with those the coordinator's log recorded for its request,
// and with the quorum the coordinator recorded for the wallet. The kiosk
// names approvers as its policy enrolled them and the coordinator as its
// users: the same people under the same names where both were set up as
// the operator guide says, so a name on one side only is flagged.
func checkApprovals(seq uint64, d kioskSign, w *withdrawal, approved []string, need int, flag func(string, ...any)) {
	w.Approved = append(w.Approved, approved...)
	for _, name := range w.Approvals {
		if !slices.Contains(approved, name) {
			flag("the kiosk's entry %d counted an approval by %s for request %s (transaction %s), which the coordinator's log does not record", seq, name, w.Request, d.TxID)
		}
	}
	if need > 0 && len(approved) < need {
		flag("request %s (transaction %s) was approved by %d in the coordinator's log, below the quorum of %d it recorded for wallet %s", w.Request, d.TxID, len(approved), need, orNone(d.Wallet))
	}
	if need > 0 && d.Required > 0 && need != d.Required {
		flag("request %s (transaction %s): the kiosk's policy required %d approvals, the coordinator's record of the quorum %d", w.Request, d.TxID, d.Required, need)
	}
}

// checkRecorded checks a checkpoint one side recorded of the other's log
// against that log's verified export.
func checkRecorded(k auditlog.CheckpointRecord, other auditlog.Report, where, whose string, flag func(string, ...any)) {
	if k.Key != other.Key {
		flag("%s recorded a checkpoint of %s log %s, not of the %s log given (%s)", where, whose, k.Key, whose, other.Key)
		return
	}
	root, err := other.RootAt(k.Size)
	switch {
	case k.Size > other.Size:
		flag("%s recorded the %s's checkpoint of %d entries, but the %s's export has only %d: its log was rolled back", where, whose, k.Size, whose, other.Size)
	case err != nil:
		flag("%s recorded the %s's checkpoint of %d entries, which cannot be checked: %v", where, whose, k.Size, err)
	case auditlog.Hex(root) != k.Root:
		flag("%s recorded the %s's checkpoint of %d entries with root %.16s…, but the %s's export has root %.16s… there: its log was rewritten", where, whose, k.Size, k.Root, whose, auditlog.Hex(root))
	}
}

// outputsDiffer says how two output lists differ, or "".
func outputsDiffer(a, b []auditlog.Output) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d outputs, and %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Script != b[i].Script || a[i].AmountSat != b[i].AmountSat {
			return fmt.Sprintf("output %d pays %d sat to %s, and %d sat to %s", i, a[i].AmountSat, orNone(a[i].Address), b[i].AmountSat, orNone(b[i].Address))
		}
	}
	return ""
}

// walletScripts derives the wallets' output scripts (hex) to the
// lookahead, each naming its wallet, checking they are on network.
func walletScripts(wallets []coordinatorWallet, params *chaincfg.Params) (map[string]string, error) {
	scripts := map[string]string{}
	for _, cw := range wallets {
		net, err := descriptor.ParseNetwork(cw.Network)
		if err != nil {
			return nil, fmt.Errorf("wallet %s: %v", cw.Name, err)
		}
		if net.Params() != params {
			return nil, fmt.Errorf("wallet %s is on %s, the chain on %s", cw.Name, cw.Network, params.Name)
		}
		d, err := descriptor.ParseForNetwork(cw.Descriptor, net)
		if err != nil {
			return nil, fmt.Errorf("wallet %s: %v", cw.Name, err)
		}
		for branch := uint32(0); branch < 2; branch++ {
			dv, err := d.Deriver(branch)
			if err != nil {
				return nil, fmt.Errorf("wallet %s: %v", cw.Name, err)
			}
			for i := uint32(0); i < walletLookahead; i++ {
				s, err := dv.PkScript(i)
				if err != nil {
					return nil, fmt.Errorf("wallet %s: %v", cw.Name, err)
				}
				scripts[hex.EncodeToString(s)] = cw.Name
			}
		}
	}
	return scripts, nil
}

// reconcileChain marks confirmations and flags confirmed spends of the
// wallets' coins that no signature explains, chain outputs that differ
// from the kiosk's, and the chain file's proofs that failed.
func reconcileChain(chain *chainView, wallets []coordinatorWallet, byTx map[string]*withdrawal, signed map[string]bool, flag func(string, ...any)) error {
	scripts, err := walletScripts(wallets, chain.params)
	if err != nil {
		return err
	}
	for _, p := range chain.problems {
		flag("the chain file: %s", p)
	}
	coins := map[wire.OutPoint]string{}
	for _, c := range chain.txs {
		for vout, o := range c.Tx.TxOut {
			if w, ok := scripts[hex.EncodeToString(o.PkScript)]; ok {
				coins[wire.OutPoint{Hash: c.Tx.TxHash(), Index: uint32(vout)}] = w
			}
		}
	}
	for _, c := range chain.txs {
		txid := c.Tx.TxHash().String()
		if w, ok := byTx[txid]; ok {
			w.Height, w.Block = c.Height, c.Block.String()
			if signed[txid] {
				if diff := outputsDiffer(w.Outputs, auditlog.TxOutputs(c.Tx, chain.params)); diff != "" {
					flag("transaction %s confirmed at height %d has other outputs than the kiosk signed: %s", txid, w.Height, diff)
				}
			}
		}
		for _, in := range c.Tx.TxIn {
			wallet, ours := coins[in.PreviousOutPoint]
			if ours && !signed[txid] {
				flag("transaction %s confirmed at height %d spends wallet %s's coin %s, and neither log explains it: the kiosk never signed it (a key used outside airsign)", txid, c.Height, wallet, in.PreviousOutPoint)
				break
			}
		}
	}
	return nil
}

package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/cmd/internal/qrfiles"
	"airsign/online/coinselect"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/amount"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// parseAmount reads an amount in BTC ("0.015") or satoshis ("1500000sat").
func parseAmount(s string) (btcutil.Amount, error) { return amount.Parse(s) }

// btc formats an amount as people read it: 0.01500000 BTC.
func btc(a btcutil.Amount) string { return amount.Format(a, amount.Plain) }

func (c *cli) walletAdd(args []string) error {
	fs := newFlags("wallet add")
	name := fs.String("name", "", "")
	desc := fs.String("descriptor", "", "")
	qrIn := fs.String("qr", "", "")
	birthday := fs.Int("birthday", -1, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || (*desc == "") == (*qrIn == "") || (fs.NArg() != 0 && *qrIn == "") {
		return usageError("wallet add needs --name NAME and exactly one of --descriptor D or --qr IMAGE...")
	}
	source := "descriptor"
	if *qrIn != "" {
		text, err := qrfiles.DescriptorFromQR(append([]string{*qrIn}, fs.Args()...), c.network)
		if err != nil {
			return err
		}
		*desc, source = text, *qrIn
	}
	if *birthday < 0 {
		if c.network != descriptor.Regtest {
			return usageError("wallet add on " + c.network.String() + " needs --birthday HEIGHT: a block at or before the wallet's first deposit (0 scans the whole chain, which takes long)")
		}
		*birthday = 0
	}
	w, err := c.coord.AddWallet(c.ctx, *name, *desc, int32(*birthday))
	if err != nil {
		return err
	}
	rep, err := c.coord.Sync(c.ctx)
	if err != nil {
		return err
	}
	d := w.Descriptor
	bal, err := c.coord.Balance(c.ctx, w.Name)
	if err != nil {
		return err
	}
	return c.emit(map[string]any{"name": w.Name, "descriptor": w.Wallet.Descriptor, "birthday": w.Birthday,
		"script": d.Script.String(), "network": w.Network, "tip": rep.Height, "confirmed_sat": int64(bal.Confirmed)}, func() {
		fmt.Fprintf(c.stdout, "wallet %q registered from %s\n", w.Name, source)
		fmt.Fprintf(c.stdout, "  %s on %s, master fingerprint %x\n", d.Script, w.Network, d.MasterFingerprint())
		fmt.Fprintf(c.stdout, "  scanned from block %d to %d: %s confirmed\n", max(w.Birthday, 1), rep.Height, btc(bal.Confirmed))
	})
}

func (c *cli) wallets(args []string) error {
	if len(args) != 0 {
		return usageError("wallets takes no arguments")
	}
	ws, err := c.coord.Wallets(c.ctx)
	if err != nil {
		return err
	}
	type row struct {
		Name       string `json:"name"`
		Network    string `json:"network"`
		Birthday   int32  `json:"birthday"`
		Descriptor string `json:"descriptor"`
		Suspended  string `json:"suspended_to,omitempty"`
		// A wallet with spending paths: its BIP-388 template and the
		// lock after which each coin's recovery path opens.
		Policy        string `json:"policy,omitempty"`
		RecoveryAfter uint32 `json:"recovery_after_blocks,omitempty"`
	}
	rows := []row{}
	for _, w := range ws {
		r := row{Name: w.Name, Network: w.Network, Birthday: w.Birthday, Descriptor: w.Descriptor, Suspended: w.Recovery}
		if w.Policy != "" {
			sw, err := c.coord.Wallet(c.ctx, w.Name)
			if err != nil {
				return err
			}
			if r.RecoveryAfter, err = sw.RecoveryLock(); err != nil {
				return err
			}
			r.Policy = sw.Script.Template()
		}
		rows = append(rows, r)
	}
	return c.emit(rows, func() {
		if len(rows) == 0 {
			fmt.Fprintln(c.stdout, "no wallets registered; add one with: wallet add --name NAME --descriptor D")
			return
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tNETWORK\tBIRTHDAY\tDESCRIPTOR")
		for _, r := range rows {
			name := r.Name
			if r.Suspended != "" {
				name += " (SUSPENDED: sweep to " + r.Suspended + " only)"
			}
			if r.RecoveryAfter != 0 {
				name += fmt.Sprintf(" (recovery path: %d blocks, %s, after each coin confirms; see coins)", r.RecoveryAfter, descriptor.ApproxDuration(r.RecoveryAfter))
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", name, r.Network, r.Birthday, r.Descriptor)
		}
		tw.Flush()
	})
}

func (c *cli) sync(args []string) error {
	if len(args) != 0 {
		return usageError("sync takes no arguments")
	}
	r, err := c.coord.Sync(c.ctx)
	if err != nil {
		return err
	}
	return c.emit(map[string]any{"height": r.Height, "hash": r.Hash.String(), "applied": r.Applied,
		"disconnected": r.Disconnected, "deposits": len(r.Deposits), "mempool": r.Mempool, "dropped": r.Dropped}, func() {
		fmt.Fprintf(c.stdout, "at block %d %s: %d block(s) applied, %d undone by reorg, %d deposit(s), %d mempool transaction(s) of ours\n",
			r.Height, r.Hash, r.Applied, r.Disconnected, len(r.Deposits), r.Mempool)
	})
}

// walletFlag is the --wallet NAME of a command that takes no other flag,
// checked to be registered.
func (c *cli) walletFlag(name string, args []string, required bool) (string, error) {
	fs := newFlags(name)
	wallet := fs.String("wallet", "", "")
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 0 || (required && *wallet == "") {
		return "", usageError(name + " needs --wallet NAME")
	}
	if *wallet != "" {
		if err := c.checkWallet(*wallet); err != nil {
			return "", err
		}
	}
	return *wallet, nil
}

func (c *cli) receive(args []string) error {
	wallet, err := c.walletFlag("receive", args, true)
	if err != nil {
		return err
	}
	a, err := c.coord.Receive(c.ctx, wallet)
	if err != nil {
		return err
	}
	return c.emit(a, func() {
		fmt.Fprintf(c.stdout, "%s\n", a.Address)
		fmt.Fprintf(c.stdout, "  wallet %s, receive address %d, derived at %s\n", a.Wallet, a.Index, strings.Join(a.Path, ", "))
	})
}

func (c *cli) balance(args []string) error {
	wallet, err := c.walletFlag("balance", args, false)
	if err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	names := []string{wallet}
	if wallet == "" {
		ws, err := c.coord.Wallets(c.ctx)
		if err != nil {
			return err
		}
		names = names[:0]
		for _, w := range ws {
			names = append(names, w.Name)
		}
	}
	type row struct {
		Wallet      string `json:"wallet"`
		Confirmed   int64  `json:"confirmed_sat"`
		Unconfirmed int64  `json:"unconfirmed_sat"`
		Reserved    int64  `json:"reserved_sat"`
		Tip         int32  `json:"tip"`
	}
	rows := []row{}
	for _, n := range names {
		b, err := c.coord.Balance(c.ctx, n)
		if err != nil {
			return err
		}
		rows = append(rows, row{n, int64(b.Confirmed), int64(b.Unconfirmed), int64(b.Reserved), b.Tip})
	}
	return c.emit(rows, func() {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "WALLET\tCONFIRMED\tUNCONFIRMED\tRESERVED\t")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.Wallet, btc(btcutil.Amount(r.Confirmed)),
				btc(btcutil.Amount(r.Unconfirmed)), btc(btcutil.Amount(r.Reserved)))
		}
		tw.Flush()
		if len(rows) > 0 {
			fmt.Fprintf(c.stdout, "as of block %d; reserved coins are held by pending or broadcast withdrawals\n", rows[0].Tip)
		}
	})
}

func (c *cli) utxos(args []string) error {
	wallet, err := c.walletFlag("utxos", args, true)
	if err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	us, err := c.coord.UTXOs(c.ctx, wallet)
	if err != nil {
		return err
	}
	tip, err := c.coord.Tip(c.ctx)
	if err != nil {
		return err
	}
	type row struct {
		Outpoint      string `json:"outpoint"`
		Value         int64  `json:"value_sat"`
		Height        int32  `json:"height"`
		Confirmations int32  `json:"confirmations"`
		Path          string `json:"path"`
		Coinbase      bool   `json:"coinbase,omitempty"`
	}
	rows := []row{}
	for _, u := range us {
		r := row{Outpoint: u.OutPoint.String(), Value: int64(u.Value), Height: u.Height, Path: fmt.Sprintf("%d/%d", u.Branch, u.Index), Coinbase: u.Coinbase}
		if u.Height > 0 {
			r.Confirmations = tip - u.Height + 1
		}
		rows = append(rows, r)
	}
	return c.emit(rows, func() {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OUTPOINT\tVALUE\tCONFIRMATIONS\tBRANCH/INDEX")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Outpoint, btc(btcutil.Amount(r.Value)), r.Confirmations, r.Path)
		}
		tw.Flush()
	})
}

func (c *cli) history(args []string) error {
	wallet, err := c.walletFlag("history", args, true)
	if err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	ms, err := c.coord.History(c.ctx, wallet)
	if err != nil {
		return err
	}
	tip, err := c.coord.Tip(c.ctx)
	if err != nil {
		return err
	}
	type row struct {
		TxID          string `json:"txid"`
		Height        int32  `json:"height"`
		Confirmations int32  `json:"confirmations"`
		Net           int64  `json:"net_sat"`
	}
	rows := []row{}
	for _, m := range ms {
		r := row{TxID: m.TxID.String(), Height: m.Height, Net: int64(m.Net())}
		if m.Height > 0 {
			r.Confirmations = tip - m.Height + 1
		}
		rows = append(rows, r)
	}
	return c.emit(rows, func() {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TXID\tCONFIRMATIONS\tAMOUNT")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", r.TxID, r.Confirmations, btc(btcutil.Amount(r.Net)))
		}
		tw.Flush()
	})
}

// psbtOutput are the flags that say where an unsigned PSBT goes.
type psbtOutput struct {
	out, qrOut, qrFormat, urType, version *string
	maxFragment, fps                      *int
}

func addPSBTOutputFlags(fs interface {
	String(string, string, string) *string
	Int(string, int, string) *int
}) psbtOutput {
	return psbtOutput{
		out:         fs.String("out", "", ""),
		qrOut:       fs.String("qr-out", "", ""),
		qrFormat:    fs.String("qr-format", "ur", ""),
		urType:      fs.String("ur-type", "", ""),
		maxFragment: fs.Int("max-fragment", 0, ""),
		fps:         fs.Int("fps", 4, ""),
		version:     fs.String("psbt-version", "", ""),
	}
}

// unwrittenError is a request's PSBT that could not be written where the
// flags said, after the request was made.
type unwrittenError struct{ err error }

func (e *unwrittenError) Error() string { return e.err.Error() }

func (e *unwrittenError) Unwrap() error { return e.err }

// check says, before a request is made, whether write can succeed: the
// files and folder it would create must be new, in folders that can be
// written, and the QR format known.
func (o psbtOutput) check() error {
	for _, f := range []struct{ flag, path string }{{"--out", *o.out}, {"--qr-out", *o.qrOut}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Lstat(f.path); err == nil {
			return fmt.Errorf("%s %s: it exists, and airsign never replaces a file: give a new name (nothing was created)", f.flag, f.path)
		}
		probe, err := os.CreateTemp(filepath.Dir(f.path), ".airsign-write-check-*")
		if err != nil {
			return fmt.Errorf("%s %s: its folder cannot be written (%v): give another (nothing was created)", f.flag, f.path, err)
		}
		probe.Close()
		os.Remove(probe.Name())
	}
	if *o.qrOut != "" {
		if _, err := qr.ParseFormat(*o.qrFormat); err != nil {
			return usageError("--qr-format: " + err.Error())
		}
	}
	if _, err := coordinator.ParsePSBTVersion(*o.version); err != nil {
		return usageError("--psbt-version: " + err.Error())
	}
	return nil
}

// inVersion is the stored PSBT raw in the version --psbt-version asks for.
func (o psbtOutput) inVersion(raw []byte) ([]byte, error) {
	v, err := coordinator.ParsePSBTVersion(*o.version)
	if err != nil {
		return nil, usageError("--psbt-version: " + err.Error())
	}
	return coordinator.PSBTInVersion(raw, v)
}

// write saves the PSBT where the flags say and returns what it wrote.
func (o psbtOutput) write(raw []byte) ([]string, error) {
	var wrote []string
	if *o.out != "" {
		data := raw
		if filepath.Ext(*o.out) != ".psbt" {
			data = []byte(base64.StdEncoding.EncodeToString(raw) + "\n")
		}
		if err := qrfiles.WriteExclusive(*o.out, data); err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
		wrote = append(wrote, *o.out)
	}
	if *o.qrOut != "" {
		n, err := qrfiles.WritePSBT(*o.qrOut, raw, qrfiles.QROptions{Format: *o.qrFormat, URType: *o.urType,
			MaxFragment: *o.maxFragment, FPS: *o.fps})
		if err != nil {
			return nil, fmt.Errorf("--qr-out: %w", err)
		}
		wrote = append(wrote, fmt.Sprintf("%s (%d QR frame(s) and animated.gif)", *o.qrOut, n))
	}
	return wrote, nil
}

func parseFeeRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "sat/vB"), 64)
	if err != nil || f <= 0 {
		return 0, usageError(fmt.Sprintf("--feerate %q: give sat/vB, for example 5 or 2.5", s))
	}
	return f, nil
}

func (c *cli) withdraw(args []string) error {
	fs := newFlags("withdraw")
	wallet := fs.String("wallet", "", "")
	to := fs.String("to", "", "")
	amount := fs.String("amount", "", "")
	sweep := fs.Bool("sweep", false, "")
	feerate := fs.String("feerate", "", "")
	preset := fs.String("fee-preset", "", "")
	memo := fs.String("memo", "", "")
	payee := fs.String("payee", "", "")
	path := fs.String("path", "", "")
	early := fs.Bool("early", false, "")
	refresh := fs.Bool("refresh", false, "")
	within := fs.Uint("within", 0, "")
	out := addPSBTOutputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *refresh && (*wallet == "" || *to != "" || *payee != "" || *amount != "" || *sweep || fs.NArg() != 0):
		return usageError("withdraw --refresh needs --wallet NAME and no destination or amount: it pays the wallet's coins back to itself")
	case *refresh && *within > descriptor.MaxTemplateLock:
		return usageError(fmt.Sprintf("--within %d: a recovery lock is at most %d blocks", *within, descriptor.MaxTemplateLock))
	case !*refresh && *within != 0:
		return usageError("--within is for withdraw --refresh")
	case !*refresh && (*wallet == "" || (*to == "") == (*payee == "") || (*amount == "") == !*sweep || fs.NArg() != 0):
		return usageError("withdraw needs --wallet NAME, --to ADDRESS or --payee NAME, and --amount AMOUNT or --sweep")
	}
	var amt btcutil.Amount
	if !*sweep && !*refresh {
		var err error
		if amt, err = parseAmount(*amount); err != nil {
			return usageError(err.Error())
		}
	}
	rate, err := parseFeeRate(*feerate)
	if err != nil {
		return err
	}
	if err := c.checkWallet(*wallet); err != nil {
		return err
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	if *payee != "" {
		p, err := c.coord.Payee(c.ctx, *payee)
		if err != nil {
			return err
		}
		*to = p.Address
	}
	wd, err := c.coord.Withdraw(c.ctx, coordinator.WithdrawRequest{Wallet: *wallet, To: *to, Amount: amt, Sweep: *sweep, FeeRate: rate,
		FeePreset: *preset, Memo: *memo, Requester: c.who, Path: *path, Early: *early,
		Refresh: *refresh, Within: uint32(*within)})
	if err != nil {
		return err
	}
	err = c.reportPSBT(wd, out, "withdrawal request")
	var unwritten *unwrittenError
	if errors.As(err, &unwritten) {
		// A request whose PSBT went nowhere would hold its coins for
		// nothing: it is taken back.
		if cerr := c.coord.Cancel(c.ctx, wd.ID); cerr != nil {
			return fmt.Errorf("%w; cancelling request %s failed too (%v): cancel it, or write its PSBT with show %s --out FILE", err, wd.ID, cerr, wd.ID)
		}
		return fmt.Errorf("%w; request %s was cancelled, its coins are free again: run withdraw again with an output that can be written", err, wd.ID)
	}
	return err
}

// reportPSBT writes the request's PSBT where the flags say and reports
// it. A PSBT that could not be written is an *unwrittenError.
func (c *cli) reportPSBT(stored *coordinator.Withdrawal, out psbtOutput, what string) error {
	raw, err := out.inVersion(stored.PSBT)
	if err != nil {
		return &unwrittenError{err}
	}
	wd := *stored
	wd.PSBT = raw
	wrote, err := out.write(wd.PSBT)
	if err != nil {
		return &unwrittenError{err}
	}
	return c.emit(requestJSON(&wd, true), func() {
		fmt.Fprintf(c.stdout, "%s %s: pay %s to %s from wallet %s\n", what, wd.ID, btc(wd.Amount), wd.Destination, wd.Wallet)
		if wd.Memo != "" {
			fmt.Fprintf(c.stdout, "  memo %q\n", wd.Memo)
		}
		fmt.Fprintf(c.stdout, "  fee %s at %s", btc(wd.Fee), coinselect.FeeRate(wd.FeeRate))
		if wd.FeeRateSource != "" {
			fmt.Fprintf(c.stdout, " (%s)", wd.FeeRateSource)
		}
		if wd.FeePreset != "" {
			fmt.Fprintf(c.stdout, ", %s", wd.FeePreset)
		}
		fmt.Fprintln(c.stdout)
		fmt.Fprintf(c.stdout, "  %d input(s) reserved", len(wd.Inputs))
		if wd.Selection.Algorithm != "" {
			fmt.Fprintf(c.stdout, ", chosen by %s, waste %d sat", wd.Selection.Algorithm, wd.Selection.Waste)
		}
		if wd.HasChange {
			change := wd.Selection.Change
			if wd.Selection.Algorithm == "" && wd.Packet != nil {
				// A stored request: its change is what its outputs pay
				// beyond the payment.
				change = -wd.Amount
				for _, out := range wd.Packet.UnsignedTx.TxOut {
					change += btcutil.Amount(out.Value)
				}
			}
			fmt.Fprintf(c.stdout, "; change %s to change address %d", btc(change), wd.ChangeIndex)
		}
		fmt.Fprintln(c.stdout)
		fmt.Fprintf(c.stdout, "  unsigned transaction %s\n", wd.UnsignedTxID)
		for _, w := range wrote {
			fmt.Fprintf(c.stdout, "  wrote %s\n", w)
		}
		if len(wrote) == 0 {
			fmt.Fprintf(c.stdout, "  no --out or --qr-out given; the PSBT (base64):\n%s\n", base64.StdEncoding.EncodeToString(wd.PSBT))
		}
		fmt.Fprintln(c.stdout, "  take it to the kiosk: airsign-kiosk inspect, then sign")
	})
}

func requestJSON(wd *coordinator.Withdrawal, withPSBT bool) map[string]any {
	m := map[string]any{
		"id": wd.ID, "wallet": wd.Wallet, "state": wd.State, "requester": wd.Requester,
		"created": wd.Created, "destination": wd.Destination, "amount_sat": int64(wd.Amount),
		"fee_sat": int64(wd.Fee), "feerate_sat_vb": float64(wd.FeeRate) / 1000,
		"unsigned_txid": wd.UnsignedTxID.String(), "confirmations": wd.Confirmations,
	}
	if wd.TxID != nil {
		m["txid"] = wd.TxID.String()
	}
	if wd.Replaces != "" {
		m["replaces"] = wd.Replaces
	}
	if wd.ReplacedBy != "" {
		m["replaced_by"] = wd.ReplacedBy
	}
	if wd.Revokes {
		m["revokes"] = true
	}
	if wd.Memo != "" {
		m["memo"] = wd.Memo
	}
	if wd.FeePreset != "" {
		m["fee_preset"] = wd.FeePreset
	}
	if wd.Selection.Algorithm != "" {
		m["selection"] = map[string]any{"algorithm": wd.Selection.Algorithm, "waste_sat": wd.Selection.Waste,
			"inputs": len(wd.Selection.Coins), "change_sat": int64(wd.Selection.Change)}
	}
	if wd.FeeRateSource != "" {
		m["feerate_source"] = wd.FeeRateSource
	}
	if withPSBT {
		m["psbt"] = base64.StdEncoding.EncodeToString(wd.PSBT)
	}
	return m
}

func (c *cli) requests(args []string) error {
	wallet, err := c.walletFlag("requests", args, false)
	if err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	ws, err := c.coord.Withdrawals(c.ctx, wallet)
	if err != nil {
		return err
	}
	rows := []map[string]any{}
	approvedBy := map[string]string{}
	for _, w := range ws {
		rows = append(rows, requestJSON(w, false))
		if approvedBy[w.ID], err = c.approvers(w.ID); err != nil {
			return err
		}
		rows[len(rows)-1]["approved_by"] = approvedBy[w.ID]
	}
	return c.emit(rows, func() {
		if len(ws) == 0 {
			fmt.Fprintln(c.stdout, "no withdrawal requests")
			return
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tWALLET\tSTATE\tAMOUNT\tFEE\tTO\tBY\tAPPROVED BY")
		for _, w := range ws {
			state := w.State
			if w.State == "confirmed" {
				state = fmt.Sprintf("confirmed (%d)", w.Confirmations)
			}
			if w.ReplacedBy != "" {
				state += " by " + w.ReplacedBy
			}
			to := w.Destination
			if w.Revokes {
				to = "revocation of " + w.Replaces
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.ID, w.Wallet, state, btc(w.Amount), btc(w.Fee), to, w.Requester, approvedBy[w.ID])
		}
		tw.Flush()
	})
}

func (c *cli) show(args []string) error {
	fs := newFlags("show")
	out := addPSBTOutputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id := argument(fs)
	if id == "" {
		return usageError("show needs a request id: show REQUEST [--out FILE] [--qr-out DIR]")
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	wd, err := c.coord.Get(c.ctx, id)
	if err != nil {
		return err
	}
	aps, err := c.coord.Approvals(c.ctx, id)
	if err != nil {
		return err
	}
	if *out.out != "" || *out.qrOut != "" {
		return c.reportPSBT(wd, out, "request")
	}
	m := requestJSON(wd, true)
	m["approvals"] = approvalsJSON(aps)
	return c.emit(m, func() {
		fmt.Fprintf(c.stdout, "request %s: %s\n", wd.ID, wd.State)
		fmt.Fprintf(c.stdout, "  pay %s to %s from wallet %s, fee %s, asked by %s on %s\n", btc(wd.Amount), wd.Destination,
			wd.Wallet, btc(wd.Fee), wd.Requester, wd.Created.Format("2006-01-02 15:04 MST"))
		fmt.Fprintf(c.stdout, "  unsigned transaction %s\n", wd.UnsignedTxID)
		if wd.TxID != nil {
			fmt.Fprintf(c.stdout, "  broadcast as %s, %d confirmation(s)\n", wd.TxID, wd.Confirmations)
		}
		switch {
		case wd.Revokes:
			fmt.Fprintf(c.stdout, "  revokes %s: pays its coins back to the wallet's change address\n", wd.Replaces)
		case wd.Replaces != "":
			fmt.Fprintf(c.stdout, "  replaces %s\n", wd.Replaces)
		}
		if wd.ReplacedBy != "" {
			fmt.Fprintf(c.stdout, "  replaced by %s\n", wd.ReplacedBy)
		}
		printApprovals(c.stdout, aps)
	})
}

func (c *cli) cancel(args []string) error {
	fs := newFlags("cancel")
	revoke := fs.Bool("revoke", false, "")
	feerate := fs.String("feerate", "", "")
	out := addPSBTOutputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id := argument(fs)
	if id == "" {
		return usageError("cancel REQUEST [--revoke [--feerate R] (--out FILE | --qr-out DIR)]")
	}
	if *revoke {
		// The PSBT has left (shown, downloaded, signed): spend its coins
		// back to the wallet, so no signed copy can pay.
		return c.replacement(*feerate, out, "revocation request (every coin of "+id+" back to the wallet; the kiosk signs it)",
			func(rate float64) (*coordinator.Withdrawal, error) { return c.coord.Revoke(c.ctx, id, rate, c.who) })
	}
	if err := c.coord.Cancel(c.ctx, id); err != nil {
		return err
	}
	return c.emit(map[string]any{"id": id, "state": "cancelled"}, func() {
		fmt.Fprintf(c.stdout, "request %s cancelled; its coins are free again\n", id)
	})
}

func (c *cli) finalize(args []string) error {
	fs := newFlags("finalize")
	broadcast := fs.Bool("broadcast", false, "")
	in := fs.String("in", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	paths := fs.Args()
	if *in != "" {
		paths = append([]string{*in}, paths...)
	}
	if len(paths) == 0 {
		return usageError("finalize needs the signed PSBTs or the signed raw transaction: files, or QR frames or GIFs")
	}
	signed, err := readSigned(paths)
	if err != nil {
		return err
	}
	// Who hands it back is recorded: the token's user, or else whoever is
	// at this machine's shell, its administrator (as --as-admin).
	if tok, _ := c.token(); tok == "" && c.user == "" {
		c.asAdmin = true
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if isProof(signed) { // a BIP-322 signature or proof: never broadcast
		return c.finishProof(signed)
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	res, err := c.coord.FinalizeAs(c.ctx, "", c.who, *broadcast, signed...)
	if err != nil {
		return err
	}
	var raw strings.Builder
	res.Tx.Serialize(hexWriter{&raw})
	return c.emit(map[string]any{"id": res.Withdrawal.ID, "txid": res.TxID.String(), "signatures": res.Signatures,
		"broadcast": res.Broadcast, "state": res.Withdrawal.State, "tx": raw.String()}, func() {
		fmt.Fprintf(c.stdout, "request %s: %d signature(s) verified, transaction %s final\n", res.Withdrawal.ID, res.Signatures, res.TxID)
		switch {
		case res.Broadcast && res.AlreadySent:
			fmt.Fprintln(c.stdout, "  the node already had it; state: "+res.Withdrawal.State)
		case res.Broadcast:
			fmt.Fprintln(c.stdout, "  broadcast; it confirms when a block includes it (see: show "+res.Withdrawal.ID+")")
		default:
			fmt.Fprintf(c.stdout, "  not broadcast (add --broadcast); raw transaction:\n%s\n", raw.String())
		}
	})
}

// readSigned reads the signed PSBTs (or a signed raw transaction): each
// file, each animated GIF and each folder written by the kiosk's --qr-out
// is one; consecutive PNG or JPEG frames together are one.
func readSigned(paths []string) ([][]byte, error) {
	var out [][]byte
	var frames []string
	flush := func() error {
		if len(frames) == 0 {
			return nil
		}
		p, _, err := qrfiles.ReadPayload(frames, nil)
		if err != nil {
			return err
		}
		// Text is a raw transaction's hex or Electrum's QR text; the
		// coordinator says so if it is not.
		if p.Kind != qr.KindPSBT && p.Kind != qr.KindText {
			return fmt.Errorf("the QR codes carry %s, neither a signed PSBT nor a signed transaction", p.Kind)
		}
		out = append(out, p.Data)
		frames = nil
		return nil
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			// A folder written by the kiosk's --qr-out: read its GIF.
			if err := flush(); err != nil {
				return nil, err
			}
			frames = []string{filepath.Join(p, "animated.gif")}
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		head, err := qrfiles.ReadFileLimited(p, qr.MaxImageBytes, "PSBT or QR image")
		if err != nil {
			return nil, err
		}
		if qrfiles.IsImage(head) {
			if !bytes.HasPrefix(head, []byte("GIF8")) {
				frames = append(frames, p) // PNG/JPEG frames of one transfer
				continue
			}
			// An animated GIF is one whole transfer.
			if err := flush(); err != nil {
				return nil, err
			}
			frames = []string{p}
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if len(head) > psbt.MaxPSBTBytes {
			return nil, fmt.Errorf("%s is %d bytes, more than the %d a PSBT may have", p, len(head), psbt.MaxPSBTBytes)
		}
		out = append(out, head)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

type hexWriter struct{ b *strings.Builder }

func (w hexWriter) Write(p []byte) (int, error) {
	fmt.Fprintf(w.b, "%x", p)
	return len(p), nil
}

func (c *cli) bumpFee(args []string) error {
	fs := newFlags("bump-fee")
	feerate := fs.String("feerate", "", "")
	out := addPSBTOutputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id := argument(fs)
	if id == "" {
		return usageError("bump-fee needs a request id: bump-fee REQUEST [--feerate R]")
	}
	return c.replacement(*feerate, out, "replacement request",
		func(rate float64) (*coordinator.Withdrawal, error) { return c.coord.BumpFee(c.ctx, id, rate, c.who) })
}

// replacement is bump-fee's and cancel --revoke's common path: the fee
// rate, who acts, a sync, then the replacement, written out for the kiosk.
func (c *cli) replacement(feerate string, out psbtOutput, what string, replace func(rate float64) (*coordinator.Withdrawal, error)) error {
	rate, err := parseFeeRate(feerate)
	if err != nil {
		return err
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	wd, err := replace(rate)
	if err != nil {
		return err
	}
	err = c.reportPSBT(wd, out, what)
	var unwritten *unwrittenError
	if errors.As(err, &unwritten) {
		// The request it replaces is already superseded: cancelling the
		// replacement would not bring it back. Its PSBT can be written
		// again.
		return fmt.Errorf("%w; %s %s was created: write its PSBT with show %s --out FILE (or --qr-out DIR)", err, what, wd.ID, wd.ID)
	}
	return err
}

// walletRemove is `wallet remove NAME`: an admin's, recorded.
func (c *cli) walletRemove(args []string) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return usageError("wallet remove NAME")
	}
	if err := c.checkWallet(args[0]); err != nil {
		return err
	}
	if err := c.act(store.RoleAdmin); err != nil {
		return err
	}
	if err := c.coord.RemoveWallet(c.ctx, args[0], c.who); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wallet %q removed; the next sync scans again from its birthday\n", args[0])
	return nil
}

func (c *cli) walletSuspend(cmd string, args []string) error {
	fs := newFlags("wallet " + cmd)
	recovery := fs.String("recovery", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name := argument(fs)
	if name == "" || (cmd == "suspend") == (*recovery == "") {
		return usageError("wallet suspend NAME --recovery ADDRESS, or wallet unsuspend NAME")
	}
	if err := c.checkWallet(name); err != nil {
		return err
	}
	if err := c.coord.Suspend(c.ctx, name, *recovery); err != nil {
		return err
	}
	if cmd == "suspend" {
		fmt.Fprintf(c.stdout, "wallet %q suspended: only a sweep to %s is requested from now on (withdraw --sweep); suspend it on its kiosks too\n", name, *recovery)
	} else {
		fmt.Fprintf(c.stdout, "wallet %q no longer suspended here; lift it on its kiosks too\n", name)
	}
	return nil
}

package main

import (
	"airsign/offline/kiosk"
	"airsign/psbt/amount"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt"
)

// writeReview prints the human review of an analyzed PSBT.
func writeReview(w io.Writer, wallet *home.Wallet, s *psbt.Summary, psbtHash [32]byte, pv policy.Verdict) {
	fmt.Fprintf(w, "PSBT sha256 %x\n", psbtHash)
	fmt.Fprintf(w, "transaction %s on %s, checked against wallet %q (%s, fingerprint %s)\n\n", s.TxID, s.Network, wallet.Name, wallet.Script, wallet.Fingerprint)
	if s.Recovery {
		fmt.Fprintf(w, "!!! RECOVERY PATH: this spend uses the wallet's timelocked recovery path, not its primary signers: %s\n\n", s.Path)
	} else if s.Path != "" {
		fmt.Fprintf(w, "Spending path: %s\n\n", s.Path)
	}
	writeTransaction(w, s, "not this wallet's: will not be signed here")
	writePolicyVerdict(w, pv)
	path := ""
	if s.Path != "" {
		// A wallet with spending paths: the verdict says which one the
		// signature serves.
		path = " on path " + s.Path
	}
	if s.Signable() && pv.OK() {
		fmt.Fprintln(w, "\nVerdict: signable"+path)
	} else {
		fmt.Fprintln(w, "\nVerdict: REFUSED, this PSBT will not be signed"+path)
	}
}

// jsonSummary is inspect --json's output: stable field names for scripts.
type jsonSummary struct {
	PSBTSHA256 string        `json:"psbt_sha256"`
	Source     string        `json:"source"`
	TxID       string        `json:"txid"`
	Network    string        `json:"network"`
	Wallet     string        `json:"wallet"`
	Signable   bool          `json:"signable"`
	Policy     []policy.Rule `json:"policy"`
	Inputs     []jsonInput   `json:"inputs"`
	Outputs    []jsonOutput  `json:"outputs"`
	TotalIn    int64         `json:"total_in_sat"`
	TotalOut   int64         `json:"total_out_sat"`
	Fee        *int64        `json:"fee_sat"`
	FeeRate    float64       `json:"fee_rate_sat_vb"`
	VSize      int64         `json:"vsize"`
	Spent      int64         `json:"spent_sat"`
	Version    int32         `json:"version"`
	LockTime   uint32        `json:"lock_time"`
	LockActive bool          `json:"lock_time_active"`
	Warnings   []jsonFinding `json:"warnings"`
	Refusals   []jsonFinding `json:"refusals"`
	// SpendingPath and Recovery: a wallet with spending paths (psbt.Summary.Path).
	SpendingPath string `json:"spending_path,omitempty"`
	Recovery     bool   `json:"recovery,omitempty"`
}

type jsonInput struct {
	Index    int    `json:"index"`
	Sequence uint32 `json:"sequence"`
	Amount   int64  `json:"amount_sat"`
	Ours     bool   `json:"ours"`
	// OtherPath: the wallet's coin, spent by a path this kiosk does not
	// sign now (psbt.Input.OtherPath).
	OtherPath bool   `json:"other_path,omitempty"`
	Path      string `json:"path,omitempty"`
	Address   string `json:"address"`
}

type jsonOutput struct {
	Index   int    `json:"index"`
	Amount  int64  `json:"amount_sat"`
	Kind    string `json:"kind"`
	Address string `json:"address,omitempty"`
	Script  string `json:"script"`
	Path    string `json:"path,omitempty"`
}

type jsonFinding struct {
	Code    string `json:"code"`
	Input   *int   `json:"input,omitempty"`
	Output  *int   `json:"output,omitempty"`
	Message string `json:"message"`
}

func toJSON(wallet *home.Wallet, s *psbt.Summary, psbtHash [32]byte, source string, pv policy.Verdict) ([]byte, error) {
	j := jsonSummary{
		PSBTSHA256: hex.EncodeToString(psbtHash[:]), Source: source, TxID: s.TxID.String(), Network: s.Network.String(),
		Wallet: wallet.Name, Signable: s.Signable() && pv.OK(), Policy: append([]policy.Rule{}, pv.Rules...), TotalIn: int64(s.TotalIn), TotalOut: int64(s.TotalOut),
		FeeRate: s.FeeRate, VSize: s.VSize, Spent: int64(s.Spent), Version: s.Version, LockTime: s.LockTime, LockActive: s.LockTimeActive,
		Inputs: []jsonInput{}, Outputs: []jsonOutput{}, Warnings: findings(s.Warnings), Refusals: findings(s.Refusals),
		SpendingPath: s.Path, Recovery: s.Recovery,
	}
	if s.FeeKnown {
		fee := int64(s.Fee)
		j.Fee = &fee
	}
	for _, in := range s.Inputs {
		ji := jsonInput{Index: in.Index, Sequence: in.Sequence, Amount: int64(in.Amount), Ours: in.Ours, OtherPath: in.OtherPath, Address: in.Address}
		if in.Ours || in.OtherPath {
			ji.Path = fmt.Sprintf("%d/%d", in.Branch, in.AddrIndex)
		}
		j.Inputs = append(j.Inputs, ji)
	}
	for _, out := range s.Outputs {
		jo := jsonOutput{Index: out.Index, Amount: int64(out.Amount), Kind: out.Kind.String(), Address: out.Address, Script: hex.EncodeToString(out.Script)}
		if out.Kind == psbt.Change {
			jo.Path = fmt.Sprintf("%d/%d", out.Branch, out.AddrIndex)
		}
		j.Outputs = append(j.Outputs, jo)
	}
	return json.MarshalIndent(j, "", "  ")
}

func findings(fs []psbt.Finding) []jsonFinding {
	out := []jsonFinding{}
	for _, f := range fs {
		jf := jsonFinding{Code: string(f.Code), Message: f.Message}
		if f.Input >= 0 {
			i := f.Input
			jf.Input = &i
		}
		if f.Output >= 0 {
			o := f.Output
			jf.Output = &o
		}
		out = append(out, jf)
	}
	return out
}

// writeTransaction prints what a PSBT spends and pays as the review and the
// approver station show it: inputs (notOurs names an input of another
// wallet), outputs, fee, timing, warnings and refusals.
func writeTransaction(w io.Writer, s *psbt.Summary, notOurs string) {
	fmt.Fprintf(w, "Inputs (%d):\n", len(s.Inputs))
	for _, in := range s.Inputs {
		who := notOurs
		switch {
		case in.Ours:
			who = fmt.Sprintf("this wallet's, address %d/%d", in.Branch, in.AddrIndex)
		case in.OtherPath:
			who = fmt.Sprintf("this wallet's, address %d/%d, by a path this kiosk does not sign now: will not be signed here", in.Branch, in.AddrIndex)
		}
		fmt.Fprintf(w, "  #%d %s  %s\n      %s\n", in.Index, amount.Format(in.Amount, amount.WithSats), who, kiosk.GroupAddress(in.Address))
	}
	fmt.Fprintf(w, "\nOutputs (%d):\n", len(s.Outputs))
	for _, out := range s.Outputs {
		switch out.Kind {
		case psbt.Change:
			fmt.Fprintf(w, "  #%d %s  CHANGE back to this wallet (address %d/%d, re-derived and matched)\n      %s\n", out.Index, amount.Format(out.Amount, amount.WithSats), out.Branch, out.AddrIndex, kiosk.GroupAddress(out.Address))
		case psbt.OpReturn:
			fmt.Fprintf(w, "  #%d %s  OP_RETURN data %x\n", out.Index, amount.Format(out.Amount, amount.WithSats), out.Data)
		default:
			addr := kiosk.GroupAddress(out.Address)
			if out.Address == "" {
				addr = fmt.Sprintf("script %x", out.Script)
			}
			fmt.Fprintf(w, "  #%d %s  PAYMENT to\n      %s\n", out.Index, amount.Format(out.Amount, amount.WithSats), addr)
		}
	}
	fmt.Fprintln(w)
	if s.FeeKnown {
		fmt.Fprintf(w, "Leaves the wallet: %s\n", amount.Format(s.Spent, amount.WithSats))
		fmt.Fprintf(w, "Fee: %s, %.1f sat/vB for about %d vB\n", amount.Format(s.Fee, amount.WithSats), s.FeeRate, s.VSize)
	} else {
		fmt.Fprintln(w, "Fee: cannot be proven (see the refusals)")
	}
	fmt.Fprintln(w, kiosk.TimingLine(s))
	if d := kiosk.DerivationsLine(s); d != "" {
		fmt.Fprintln(w, d)
	}
	for _, f := range s.Warnings {
		fmt.Fprintf(w, "WARNING [%s] %s\n", f.Code, f.Message)
	}
	for _, f := range s.Refusals {
		fmt.Fprintf(w, "REFUSED [%s] %s\n", f.Code, f.Message)
	}
}

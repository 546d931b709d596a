package psbt

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

// Allocation bound for one Analyze call, in bytes:
//
//	64 KiB + perIO × (inputs + outputs) + 4 × (size of the PSBT)
//
// with perIO 20 KiB for a single-sig wallet and 64 KiB for a multisig one.
// Honest PSBTs measured at 1, 10 and 100 inputs, every input and output
// the wallet's (the costliest case: each derives keys), allocate at most
// about 5 KiB per input or output for single-sig (P2SH-P2WPKH, the worst)
// and 16 KiB for a 2-of-3 multisig (P2SH-P2WSH, which derives three keys
// per input or output), over a fixed cost of about 15 KiB: perIO and the
// base are about 4 times those. The term in the PSBT's size covers what
// grows with the data rather than with the count, such as a refusal that
// quotes an unknown output script in hex (2 bytes per script byte).
// TestAnalyzeAllocBound checks the honest PSBTs against the bound and
// reports the ratio; FuzzAnalyze checks every input.
const (
	allocBase        = 64 << 10
	allocPerIOSingle = 20 << 10
	allocPerIOMulti  = 64 << 10
	allocPerByte     = 4
)

func allocBound(w *descriptor.Descriptor, p *btcpsbt.Packet, size int) uint64 {
	perIO := uint64(allocPerIOSingle)
	if w.Script.Multisig() {
		perIO = allocPerIOMulti
	}
	return allocBase + perIO*uint64(len(p.UnsignedTx.TxIn)+len(p.UnsignedTx.TxOut)) + allocPerByte*uint64(size)
}

// analyzeAllocated runs Analyze and returns the bytes it allocated.
func analyzeAllocated(p *btcpsbt.Packet, w fuzzWallet) (*Summary, error, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := Analyze(p, w.d, w.pol)
	runtime.ReadMemStats(&after)
	return s, err, after.TotalAlloc - before.TotalAlloc
}

type fuzzWallet struct {
	d       *descriptor.Descriptor
	pol     Policy
	signers []*hd.Master
}

// fuzzWallets are the test mnemonic's single-sig wallets of every script
// type and the 2-of-3 multisig wallets of both kinds, seen by cosigner 0.
func fuzzWallets(t testing.TB) []fuzzWallet {
	var ws []fuzzWallet
	for _, st := range allScripts {
		m, d := testWallet(t, st, descriptor.Regtest)
		ws = append(ws, fuzzWallet{d, DefaultPolicy, []*hd.Master{m}})
	}
	for _, st := range multisigScripts {
		ms, d := multisigWallet(t, st, 2)
		ws = append(ws, fuzzWallet{d, cosigner(DefaultPolicy, ms[0]), ms[:2]})
	}
	// and one whose policy allows foreign inputs
	m, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	allow := DefaultPolicy
	allow.AllowForeignInputs = true
	ws = append(ws, fuzzWallet{d, allow, []*hd.Master{m}})
	return ws
}

// honestPSBT has n coins of the wallet and pays n outputs to its change
// branch plus one payment.
func honestPSBT(t testing.TB, d *descriptor.Descriptor, n int) *btcpsbt.Packet {
	var ins []spend
	var outs []pay
	for i := 0; i < n; i++ {
		ins = append(ins, spend{branch: uint32(i % 2), index: uint32(i), amount: 100_000})
		outs = append(outs, pay{amount: 90_000, branch: 1, index: uint32(1000 + i)})
	}
	outs = append(outs, pay{amount: 5_000, script: foreignScript(t, 9)})
	return buildPSBT(t, d, ins, outs)
}

// checkSummary states what every Summary must satisfy, whatever the PSBT.
func checkSummary(t *testing.T, p *btcpsbt.Packet, s *Summary, pol Policy) {
	t.Helper()
	if len(s.Inputs) != len(p.UnsignedTx.TxIn) || len(s.Outputs) != len(p.UnsignedTx.TxOut) {
		t.Fatalf("summary of %d inputs and %d outputs for a transaction of %d and %d", len(s.Inputs), len(s.Outputs), len(p.UnsignedTx.TxIn), len(p.UnsignedTx.TxOut))
	}
	inRange := func(a btcutil.Amount) bool { return a >= 0 && a <= maxSatoshi }
	if !inRange(s.TotalIn) || !inRange(s.TotalOut) || !inRange(s.Fee) {
		t.Fatalf("amounts out of range: in %d, out %d, fee %d", s.TotalIn, s.TotalOut, s.Fee)
	}
	var ours int
	var in, out, oursIn, change btcutil.Amount
	for _, i := range s.Inputs {
		if !inRange(i.Amount) {
			t.Fatalf("input %d: amount %d", i.Index, i.Amount)
		}
		in += i.Amount
		if i.Ours {
			ours++
			oursIn += i.Amount
		}
	}
	for _, o := range s.Outputs {
		if !inRange(o.Amount) {
			t.Fatalf("output %d: amount %d", o.Index, o.Amount)
		}
		out += o.Amount
		if o.Kind == Change {
			change += o.Amount
		}
	}
	if s.Spent < 0 {
		t.Fatalf("spent %d: the policy amount is never negative", s.Spent)
	}
	if s.Signable() {
		for _, i := range s.Inputs {
			if !i.Ours && !pol.AllowForeignInputs {
				t.Fatalf("signable with input %d not the wallet's, and foreign inputs not allowed", i.Index)
			}
		}
		if !s.FeeKnown {
			t.Fatal("signable, but the fee is not known")
		}
		if len(s.Refusals) != 0 || ours == 0 {
			t.Fatalf("signable with %d refusals and %d inputs of ours", len(s.Refusals), ours)
		}
	}
	if s.FeeKnown {
		if s.Fee != s.TotalIn-s.TotalOut {
			t.Fatalf("fee %d, but inputs %d minus outputs %d is %d", s.Fee, s.TotalIn, s.TotalOut, s.TotalIn-s.TotalOut)
		}
		if in != s.TotalIn || out != s.TotalOut {
			t.Fatalf("totals %d in and %d out, but the inputs add up to %d and the outputs to %d", s.TotalIn, s.TotalOut, in, out)
		}
		// The policy amount is never negative, never below what the
		// outputs pay to others plus the fee, and never below what our
		// own inputs lose (our inputs minus change), whatever foreign
		// inputs claim.
		var payments btcutil.Amount
		for _, o := range s.Outputs {
			if o.Kind != Change {
				payments += o.Amount
			}
		}
		if s.Spent < 0 || s.Spent < payments+s.Fee || s.Spent < oursIn-change {
			t.Fatalf("spent %d, but payments %d plus fee %d is %d and our inputs %d minus change %d is %d",
				s.Spent, payments, s.Fee, payments+s.Fee, oursIn, change, oursIn-change)
		}
		if s.Spent != s.Payments+s.Fee || s.Payments != payments {
			t.Fatalf("spent %d, payments %d; want payments %d plus fee %d", s.Spent, s.Payments, payments, s.Fee)
		}
		if s.VSize <= 0 || s.FeeRate < 0 || s.FeeRate != float64(s.Fee)/float64(s.VSize) {
			t.Fatalf("vsize %d, fee rate %v for fee %d", s.VSize, s.FeeRate, s.Fee)
		}
	}
}

// FuzzAnalyze feeds Analyze whatever Decode accepts, against single-sig
// and multisig wallets. Analyze must not panic or fail on a decoded PSBT,
// its Summary must be consistent (checkSummary), and it must allocate no
// more than allocBound.
func FuzzAnalyze(f *testing.F) {
	wallets := fuzzWallets(f)
	for _, w := range wallets {
		p := honestPSBT(f, w.d, 2)
		b, err := Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// and signed, so that partial and taproot signatures mutate too
		combined, err := Combine(signedCopies(f, p, w.d, w.signers...)...)
		if err != nil {
			f.Fatal(err)
		}
		if b, err = Encode(combined); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// Warm up: the first Analyze initializes btcd's lazily built
		// tables, which no later call pays for.
		if _, err := Analyze(p, w.d, w.pol); err != nil {
			f.Fatal(err)
		}
	}
	for _, v := range loadVectors(f, "bip174-vectors.json").Valid {
		raw, err := base64.StdEncoding.DecodeString(v.Base64)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	var wf bip174Workflow
	loadJSON(f, "bip174-workflow.json", &wf)
	for _, s := range []string{wf.Updater.Expected, wf.Combiner.Expected, wf.Finalizer.Expected} {
		f.Add(unhex(f, s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			return
		}
		for _, w := range wallets {
			s, err := Analyze(p, w.d, w.pol)
			if err != nil {
				t.Fatalf("%s: Analyze of a decoded PSBT: %v", w.d.Script, err)
			}
			checkSummary(t, p, s, w.pol)
			// Measured on a second run: a first run may pay for a
			// lazily built table once per process.
			_, _, n := analyzeAllocated(p, w)
			if bound := allocBound(w.d, p, len(data)); n > bound {
				t.Fatalf("%s: Analyze allocated %d bytes for %d inputs, %d outputs and %d bytes of PSBT; the bound is %d", w.d.Script, n, len(p.UnsignedTx.TxIn), len(p.UnsignedTx.TxOut), len(data), bound)
			}
		}
	})
}

// TestAnalyzeAllocBound checks honest PSBTs of 1, 10 and 100 inputs
// against allocBound and logs how far below it they stay.
func TestAnalyzeAllocBound(t *testing.T) {
	for _, w := range fuzzWallets(t) {
		for _, n := range []int{1, 10, 100} {
			t.Run(fmt.Sprintf("%s/%d", w.d.Script, n), func(t *testing.T) {
				data, err := Encode(honestPSBT(t, w.d, n))
				if err != nil {
					t.Fatal(err)
				}
				p, err := Decode(data)
				if err != nil {
					t.Fatal(err)
				}
				s, err := Analyze(p, w.d, w.pol)
				if err != nil {
					t.Fatal(err)
				}
				checkSummary(t, p, s, w.pol)
				_, _, allocated := analyzeAllocated(p, w)
				bound := allocBound(w.d, p, len(data))
				t.Logf("%d bytes allocated for %d inputs and outputs, bound %d (%.1f×)", allocated, len(p.UnsignedTx.TxIn)+len(p.UnsignedTx.TxOut), bound, float64(bound)/float64(allocated))
				if allocated > bound {
					t.Errorf("an honest PSBT allocates %d bytes, above the bound of %d", allocated, bound)
				}
			})
		}
	}
}

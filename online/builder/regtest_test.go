package builder_test

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/online/builder"
	"airsign/online/regtest"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// TestBuildRegtest proves on a real btcd node that what Build makes is what
// the kiosk accepts and the network too, for every wallet type: coins are
// paid to receive and change addresses of the wallet, a withdrawal of three
// payments and change is built at 3 sat/vB from the size estimates, the
// kiosk decodes and analyzes it (no refusal, no warning, the change proven),
// signs it (two cosigners of a 2-of-3 on their own copies, combined), and
// the finalized transaction is accepted by the node's mempool and mined.
// Its weight must be the estimate or at most 2 bytes per ECDSA signature
// less (4 weight units per byte in a scriptSig, 1 in a witness); taproot's
// must be exact.
func TestBuildRegtest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)

	for n, w := range allWallets(t) {
		t.Run(w.name, func(t *testing.T) {
			d := w.d
			var ins []builder.Input
			var total btcutil.Amount
			for i, c := range []struct {
				branch, index uint32
				value         btcutil.Amount
			}{{0, 0, 150_000}, {0, 7, 80_000}, {1, 0, 60_000}, {1, 3, 45_000}} {
				script, err := d.PkScript(c.branch, c.index)
				if err != nil {
					t.Fatal(err)
				}
				op, prev := node.Fund(t, script, c.value)
				in := builder.Input{OutPoint: op, Value: c.value, PkScript: script, Branch: c.branch, Index: c.index, PrevTx: prev}
				if d.Script == descriptor.P2TR && i%2 == 1 {
					in.PrevTx = nil // optional for taproot
				}
				ins = append(ins, in)
				total += c.value
			}
			payments := []builder.Payment{
				{PkScript: foreignP2WPKH(9), Value: 120_000},
				{PkScript: foreignP2TR(9), Value: 50_000},
				{PkScript: foreignP2PKH(9), Value: 30_000},
			}
			var scripts [][]byte
			var paid btcutil.Amount
			for _, p := range payments {
				scripts = append(scripts, p.PkScript)
				paid += p.Value
			}
			inWeight, err := builder.InputWeight(d)
			if err != nil {
				t.Fatal(err)
			}
			estimate := builder.BaseWeight(d, scripts) + len(ins)*inWeight + builder.ChangeWeight(d)
			if exact, err := builder.Weight(d, len(ins), scripts, true); err != nil || exact != estimate {
				t.Errorf("Weight = %d, %v; want %d, the sum of the parts", exact, err, estimate)
			}
			const feeRate = 3 // sat/vB
			fee := btcutil.Amount((estimate+3)/4) * feeRate
			change := &builder.Change{Index: 5, Value: total - paid - fee}
			req := builder.Request{Wallet: d, Inputs: ins, Payments: payments, Change: change, LockTime: uint32(node.Height(t))}
			if n%2 == 1 {
				req.ShuffleSeed = []byte(w.name)
			}
			p, err := builder.Build(req)
			if err != nil {
				t.Fatal(err)
			}

			// the kiosk's side of the air gap
			kiosk, raw := roundTrip(t, p)
			t.Logf("PSBT of %d bytes", len(raw))
			s, err := psbt.Analyze(kiosk, d, policy(w.signers[0]))
			if err != nil {
				t.Fatal(err)
			}
			if !s.Signable() || len(s.Warnings) != 0 {
				t.Fatalf("Analyze: refusals %v, warnings %v", s.Refusals, s.Warnings)
			}
			if s.Fee != fee || s.Spent != paid+fee {
				t.Errorf("Analyze: fee %v, spent %v; want %v, %v", s.Fee, s.Spent, fee, paid+fee)
			}
			if want := int64((estimate + 3) / 4); s.VSize != want {
				t.Errorf("Analyze estimates %d vbytes, the builder %d", s.VSize, want)
			}
			changes := 0
			for _, out := range s.Outputs {
				if out.Kind == psbt.Change {
					changes++
					if out.Branch != 1 || out.AddrIndex != 5 || out.Amount != change.Value {
						t.Errorf("change output %d: branch %d, index %d, %v; want 1, 5, %v", out.Index, out.Branch, out.AddrIndex, out.Amount, change.Value)
					}
				}
			}
			if changes != 1 {
				t.Errorf("Analyze proves %d change outputs, want 1: %+v", changes, s.Outputs)
			}
			for _, in := range s.Inputs {
				if !in.Ours {
					t.Errorf("Analyze does not prove input %d to be the wallet's", in.Index)
				}
			}

			var signed []*btcpsbt.Packet
			for _, m := range w.signers {
				q, err := psbt.Decode(raw)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := psbt.Sign(q, d, policy(m), m); err != nil {
					t.Fatal(err)
				}
				signed = append(signed, q)
			}
			combined, err := psbt.Combine(signed...)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := psbt.Finalize(combined)
			if err != nil {
				t.Fatal(err)
			}
			if tx.LockTime != req.LockTime || tx.TxIn[0].Sequence != builder.DefaultSequence {
				t.Errorf("lock time %d, sequence %#x; want %d, %#x", tx.LockTime, tx.TxIn[0].Sequence, req.LockTime, builder.DefaultSequence)
			}
			if ok, reason := node.TestMempoolAccept(t, tx); !ok {
				t.Fatalf("the node refuses the signed transaction: %s", reason)
			}

			actual := txWeight(tx)
			sigs, perByte := len(w.signers), 1 // ECDSA signatures per input, weight of one of their bytes
			switch d.Script {
			case descriptor.P2TR:
				sigs = 0 // Schnorr: exact
			case descriptor.P2PKH:
				perByte = 4
			}
			slack := len(ins) * sigs * 2 * perByte
			if actual > estimate || estimate-actual > slack {
				t.Errorf("signed weight %d, estimate %d: want the estimate at most %d above", actual, estimate, slack)
			}
			t.Logf("signed weight %d, estimated %d (+%.2f%%)", actual, estimate, 100*float64(estimate-actual)/float64(actual))

			hash := node.Send(t, tx)
			node.Generate(t, 1)
			res, err := node.Client().GetRawTransactionVerbose(hash)
			if err != nil {
				t.Fatal(err)
			}
			if res.Confirmations != 1 {
				t.Errorf("the withdrawal has %d confirmations, want 1", res.Confirmations)
			}
		})
	}
}

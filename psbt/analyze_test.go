package psbt

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

var allScripts = []descriptor.ScriptType{descriptor.P2PKH, descriptor.P2SHP2WPKH, descriptor.P2WPKH, descriptor.P2TR}

func TestAnalyzeHonestWithdrawal(t *testing.T) {
	for _, st := range allScripts {
		t.Run(st.String(), func(t *testing.T) {
			_, d := testWallet(t, st, descriptor.Regtest)
			payee := foreignScript(t, 9)
			p := buildPSBT(t, d, []spend{{branch: 0, index: 3, amount: 60_000}, {branch: 1, index: 0, amount: 50_000}}, []pay{{amount: 70_000, script: payee}, {amount: 38_000, branch: 1, index: 1}})
			s, err := Analyze(p, d, DefaultPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Signable() {
				t.Fatalf("refused: %v", s.Refusals)
			}
			if len(s.Warnings) != 0 {
				t.Errorf("warnings: %v", s.Warnings)
			}
			checks := []struct {
				name      string
				got, want any
			}{
				{"total in", s.TotalIn, btcutil.Amount(110_000)},
				{"total out", s.TotalOut, btcutil.Amount(108_000)},
				{"fee", s.Fee, btcutil.Amount(2_000)},
				{"spent", s.Spent, btcutil.Amount(72_000)},
				{"input 0 ours", s.Inputs[0].Ours, true},
				{"input 0 index", s.Inputs[0].AddrIndex, uint32(3)},
				{"input 1 branch", s.Inputs[1].Branch, uint32(1)},
				{"output 0 kind", s.Outputs[0].Kind, Payment},
				{"output 1 kind", s.Outputs[1].Kind, Change},
				{"output 1 index", s.Outputs[1].AddrIndex, uint32(1)},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if want := "bcrt1q"; !strings.HasPrefix(s.Outputs[0].Address, want) {
				t.Errorf("payment address %q, want a %s… address", s.Outputs[0].Address, want)
			}
			addr, _ := d.Address(1, 1)
			if got := s.Outputs[1].Address; got != addr.EncodeAddress() {
				t.Errorf("change address %s, want %s", got, addr)
			}
		})
	}
}

// The vsize estimate must match what signing really produces; the signer's
// tests compare against signed transactions. Here: known sizes of simple
// transactions.
func TestEstimateWeight(t *testing.T) {
	for _, tt := range []struct {
		script descriptor.ScriptType
		want   int64 // vbytes of a 1-input, 2-output (P2WPKH outputs) transaction
	}{
		{descriptor.P2WPKH, 141},     // 10.5 + 68 + 2*31 = 140.5
		{descriptor.P2TR, 130},       // 10.5 + 57.5 + 62
		{descriptor.P2SHP2WPKH, 164}, // 10.5 + 91 + 62 = 163.5
		{descriptor.P2PKH, 220},      // 10 + 148 + 62
	} {
		_, d := testWallet(t, tt.script, descriptor.Regtest)
		p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 100_000}}, []pay{{amount: 10_000, script: foreignScript(t, 1)}, {amount: 80_000, script: foreignScript(t, 2)}})
		s, err := Analyze(p, d, Policy{})
		if err != nil {
			t.Fatal(err)
		}
		if s.VSize != tt.want {
			t.Errorf("%s: vsize %d, want %d", tt.script, s.VSize, tt.want)
		}
	}
}

// Every refusal, each from one PSBT that an attacker or a broken
// coordinator could send.
func TestAnalyzeRefusals(t *testing.T) {
	_, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	_, other := testWallet(t, descriptor.P2TR, descriptor.Regtest) // same seed, another account type
	honest := func() *btcpsbt.Packet {
		return buildPSBT(t, d, []spend{{branch: 0, index: 3, amount: 60_000}, {branch: 1, index: 0, amount: 50_000}}, []pay{{amount: 70_000, script: foreignScript(t, 9)}, {amount: 38_000, branch: 1, index: 1}})
	}
	fpOf := func(p *btcpsbt.Packet) uint32 { return p.Inputs[0].Bip32Derivation[0].MasterKeyFingerprint }
	tests := []struct {
		name   string
		mutate func(p *btcpsbt.Packet)
		pol    Policy
		want   Code
	}{
		{"sighash single", func(p *btcpsbt.Packet) { p.Inputs[0].SighashType = txscript.SigHashSingle }, DefaultPolicy, CodeSighash},
		{"sighash anyonecanpay", func(p *btcpsbt.Packet) { p.Inputs[1].SighashType = txscript.SigHashAll | txscript.SigHashAnyOneCanPay }, DefaultPolicy, CodeSighash},
		{"sighash forkid", func(p *btcpsbt.Packet) { p.Inputs[0].SighashType = txscript.SigHashAll | 0x40 }, DefaultPolicy, CodeSighashForkID},
		{"negative output", func(p *btcpsbt.Packet) { p.UnsignedTx.TxOut[0].Value = -1 }, DefaultPolicy, CodeAmountRange},
		{"output over 21M", func(p *btcpsbt.Packet) { p.UnsignedTx.TxOut[0].Value = btcutil.MaxSatoshi + 1 }, DefaultPolicy, CodeAmountRange},
		{"outputs overflow together", func(p *btcpsbt.Packet) {
			p.UnsignedTx.TxOut[0].Value = btcutil.MaxSatoshi
			p.UnsignedTx.TxOut[1].Value = btcutil.MaxSatoshi
		}, DefaultPolicy, CodeAmountRange},
		{"input over 21M", func(p *btcpsbt.Packet) {
			setPrevValue(p, 0, btcutil.MaxSatoshi+1)
		}, DefaultPolicy, CodeAmountRange},
		{"duplicate input", func(p *btcpsbt.Packet) {
			p.UnsignedTx.TxIn[1].PreviousOutPoint = p.UnsignedTx.TxIn[0].PreviousOutPoint
			p.Inputs[1] = p.Inputs[0]
		}, DefaultPolicy, CodeDuplicateInput},
		{"segwit v0 without previous tx", func(p *btcpsbt.Packet) { p.Inputs[0].NonWitnessUtxo = nil }, DefaultPolicy, CodeMissingPrevTx},
		{"no utxo at all", func(p *btcpsbt.Packet) { p.Inputs[1].NonWitnessUtxo, p.Inputs[1].WitnessUtxo = nil, nil }, DefaultPolicy, CodeMissingUTXO},
		{"witness utxo lies about amount (2020 fee attack)", func(p *btcpsbt.Packet) {
			p.Inputs[0].WitnessUtxo = wire.NewTxOut(10_000, p.Inputs[0].WitnessUtxo.PkScript)
		}, DefaultPolicy, CodeWitnessUTXOMismatch},
		{"previous tx is another tx", func(p *btcpsbt.Packet) { p.Inputs[0].NonWitnessUtxo = p.Inputs[1].NonWitnessUtxo }, DefaultPolicy, CodePrevTxMismatch},
		{"prevout index beyond previous tx", func(p *btcpsbt.Packet) { p.UnsignedTx.TxIn[0].PreviousOutPoint.Index = 5 }, DefaultPolicy, CodePrevTxMismatch},
		{"nothing of ours", func(p *btcpsbt.Packet) {
			for i := range p.Inputs {
				p.Inputs[i].Bip32Derivation = nil
			}
		}, DefaultPolicy, CodeNothingOurs},
		{"wrong purpose", func(p *btcpsbt.Packet) { p.Inputs[0].Bip32Derivation[0].Bip32Path[0] = 44 + descriptor.Hardened }, DefaultPolicy, CodePathOutsideWallet},
		{"mainnet coin type", func(p *btcpsbt.Packet) { p.Inputs[0].Bip32Derivation[0].Bip32Path[1] = descriptor.Hardened }, DefaultPolicy, CodePathOutsideWallet},
		{"other account", func(p *btcpsbt.Packet) { p.Inputs[0].Bip32Derivation[0].Bip32Path[2] = 1 + descriptor.Hardened }, DefaultPolicy, CodePathOutsideWallet},
		{"hardened index", func(p *btcpsbt.Packet) { p.Inputs[0].Bip32Derivation[0].Bip32Path[4] |= descriptor.Hardened }, DefaultPolicy, CodePathOutsideWallet},
		{"branch 2", func(p *btcpsbt.Packet) { p.Inputs[0].Bip32Derivation[0].Bip32Path[3] = 2 }, DefaultPolicy, CodePathOutsideWallet},
		{"index far beyond the gap", func(p *btcpsbt.Packet) { p.Outputs[1].Bip32Derivation[0].Bip32Path[4] = 5_000_000 }, DefaultPolicy, CodePathOutsideWallet},
		{"path too long", func(p *btcpsbt.Packet) {
			p.Inputs[0].Bip32Derivation[0].Bip32Path = append(p.Inputs[0].Bip32Derivation[0].Bip32Path, 0)
		}, DefaultPolicy, CodePathOutsideWallet},
		{"input claims our path for a foreign script", func(p *btcpsbt.Packet) {
			p.Inputs[0].Bip32Derivation[0].Bip32Path[4] = 4
		}, DefaultPolicy, CodeInputNotOurs},
		{"change claims our path but pays elsewhere", func(p *btcpsbt.Packet) {
			p.UnsignedTx.TxOut[1].PkScript = foreignScript(t, 66)
		}, DefaultPolicy, CodeChangeMismatch},
		{"change claims another account's key", func(p *btcpsbt.Packet) {
			script, _ := other.PkScript(1, 1)
			p.UnsignedTx.TxOut[1].PkScript = script
			p.Outputs[1].Bip32Derivation[0].Bip32Path[0] = 86 + descriptor.Hardened
			_ = fpOf
		}, DefaultPolicy, CodePathOutsideWallet},
		{"op_return with value", func(p *btcpsbt.Packet) {
			p.UnsignedTx.TxOut[0].PkScript = []byte{txscript.OP_RETURN, 4, 'a', 'b', 'c', 'd'}
		}, DefaultPolicy, CodeOpReturnValue},
		{"outputs exceed inputs", func(p *btcpsbt.Packet) { p.UnsignedTx.TxOut[0].Value = 80_000 }, DefaultPolicy, CodeOutputsExceed},
		{"fee above cap", func(p *btcpsbt.Packet) { p.UnsignedTx.TxOut[0].Value = 20_000 }, Policy{MaxFee: 40_000}, CodeFeeAboveCap},
		{"fee rate above cap", func(p *btcpsbt.Packet) {}, Policy{MaxFeeRate: 5}, CodeFeeRateAboveCap},
		{"unknown output script", func(p *btcpsbt.Packet) { p.UnsignedTx.TxOut[0].PkScript = []byte{txscript.OP_TRUE} }, DefaultPolicy, CodeUnknownScript},
		{"dust payment", func(p *btcpsbt.Packet) {
			p.UnsignedTx.TxOut[0].Value = 293
			p.UnsignedTx.TxOut[1].Value += 70_000 - 293
		}, DefaultPolicy, CodeDust},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := honest()
			tt.mutate(p)
			s, err := Analyze(p, d, tt.pol)
			if err != nil {
				t.Fatal(err)
			}
			if s.Signable() {
				t.Fatalf("signable, want refusal %s", tt.want)
			}
			found := false
			for _, f := range s.Refusals {
				if f.Code == tt.want {
					found = true
				}
				if f.Message == "" || strings.HasSuffix(f.Message, ".") {
					t.Errorf("finding %s has message %q: want a sentence without a final period", f.Code, f.Message)
				}
			}
			if !found {
				t.Errorf("refusals %v, want one with code %s", s.Refusals, tt.want)
			}
		})
	}
	// and the honest one passes with the same policy
	s, err := Analyze(honest(), d, DefaultPolicy)
	if err != nil || !s.Signable() {
		t.Fatalf("honest PSBT: %v %v", err, s.Refusals)
	}
}

// setPrevValue changes the amount of the coin input i spends, consistently
// in the previous transaction, the witness UTXO and the outpoint.
func setPrevValue(p *btcpsbt.Packet, i int, value int64) {
	prev := p.Inputs[i].NonWitnessUtxo
	prev.TxOut[1].Value = value
	p.Inputs[i].WitnessUtxo = prev.TxOut[1]
	p.UnsignedTx.TxIn[i].PreviousOutPoint.Hash = prev.TxHash()
}

// Every sighash value but ALL and DEFAULT is refused.
func TestAnalyzeEverySighash(t *testing.T) {
	_, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	for v := 0; v < 256; v++ {
		p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
		p.Inputs[0].SighashType = txscript.SigHashType(v)
		s, err := Analyze(p, d, DefaultPolicy)
		if err != nil {
			t.Fatal(err)
		}
		want := v == 0 || v == 1
		if got := s.Signable(); got != want {
			t.Errorf("sighash %#x: signable %v, want %v (%v)", v, got, want, s.Refusals)
		}
	}
}

// An all-taproot transaction may rely on witness UTXOs: BIP341 signatures
// commit to every spent amount and script.
func TestAnalyzeTaprootWitnessUTXO(t *testing.T) {
	_, d := testWallet(t, descriptor.P2TR, descriptor.Regtest)
	p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}, {branch: 0, index: 1, amount: 40_000}}, []pay{{amount: 90_000, script: foreignScript(t, 9)}})
	for i := range p.Inputs {
		p.Inputs[i].NonWitnessUtxo = nil
	}
	s, err := Analyze(p, d, DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Signable() || s.Fee != 10_000 {
		t.Errorf("signable %v fee %v, want true 10000 (%v)", s.Signable(), s.Fee, s.Refusals)
	}
	// one non-taproot foreign input breaks the all-taproot guarantee
	p.UnsignedTx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 9}, nil, nil))
	p.Inputs = append(p.Inputs, btcpsbt.PInput{WitnessUtxo: wire.NewTxOut(5_000, foreignScript(t, 3))})
	s, _ = Analyze(p, d, DefaultPolicy)
	if s.Signable() {
		t.Error("a mixed transaction with only witness UTXOs was signable")
	}
}

// The amount a PSBT takes from the wallet, the one its spending policy
// counts, cannot be gamed: a made-up foreign input and a large "change"
// once made "our inputs minus change" negative, which credited the 24-hour
// limit. Spent is every payment plus the fee; foreign inputs are refused
// unless the policy allows them, and then the whole payment counts.
func TestAnalyzeAdversarialAmounts(t *testing.T) {
	const btc = 100_000_000
	_, wpkh := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	_, tr := testWallet(t, descriptor.P2TR, descriptor.Regtest)
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x42}, 32))
	foreignTaproot, err := txscript.PayToTaprootScript(txscript.ComputeTaprootKeyNoScript(priv.PubKey()))
	if err != nil {
		t.Fatal(err)
	}
	witnessOnly := func(p *btcpsbt.Packet) {
		for i := range p.Inputs {
			p.Inputs[i].NonWitnessUtxo = nil
		}
	}
	tests := []struct {
		name      string
		d         *descriptor.Descriptor
		ins       []spend
		outs      []pay
		edit      func(*btcpsbt.Packet)
		allow     bool // the policy allows foreign inputs
		signable  bool
		spent     btcutil.Amount
		wantFound Code // a refusal (or, when signable, a warning) expected
	}{
		{"made-up foreign input, large change", wpkh,
			[]spend{{branch: 0, index: 0, amount: btc}, {foreign: foreignScript(t, 5), amount: 100 * btc}},
			[]pay{{amount: 90_000_000, script: foreignScript(t, 9)}, {amount: 100*btc + 9_990_000, branch: 1, index: 0}},
			nil, false, false, 90_000_000 + 10_000, CodeForeignInput},
		{"the same, foreign inputs allowed: counts the whole payment", wpkh,
			[]spend{{branch: 0, index: 0, amount: btc}, {foreign: foreignScript(t, 5), amount: 100 * btc}},
			[]pay{{amount: 90_000_000, script: foreignScript(t, 9)}, {amount: 100*btc + 9_990_000, branch: 1, index: 0}},
			nil, true, true, 90_000_000 + 10_000, CodeForeignInput},
		{"taproot, witness UTXOs only, made-up foreign input", tr,
			[]spend{{branch: 0, index: 0, amount: btc}, {foreign: foreignTaproot, amount: 100 * btc}},
			[]pay{{amount: 90_000_000, script: foreignScript(t, 9)}, {amount: 100*btc + 9_990_000, branch: 1, index: 0}},
			witnessOnly, false, false, 90_000_000 + 10_000, CodeForeignInput},
		{"taproot, witness UTXOs only, allowed", tr,
			[]spend{{branch: 0, index: 0, amount: btc}, {foreign: foreignTaproot, amount: 100 * btc}},
			[]pay{{amount: 90_000_000, script: foreignScript(t, 9)}, {amount: 100*btc + 9_990_000, branch: 1, index: 0}},
			witnessOnly, true, true, 90_000_000 + 10_000, CodeForeignInput},
		{"a payjoin-like batch, refused by default", wpkh,
			[]spend{{branch: 0, index: 0, amount: 60_000}, {foreign: foreignScript(t, 5), amount: 30_000}},
			[]pay{{amount: 85_000, script: foreignScript(t, 9)}},
			nil, false, false, 90_000, CodeForeignInput},
		{"change above our inputs, no foreign input", wpkh,
			[]spend{{branch: 0, index: 0, amount: 60_000}},
			[]pay{{amount: 10_000, script: foreignScript(t, 9)}, {amount: 70_000, branch: 1, index: 0}},
			nil, false, false, 10_000, CodeOutputsExceed}, // refused; the fee is unknown, so only the payment counts
		{"honest: payment, change and fee", wpkh,
			[]spend{{branch: 0, index: 0, amount: 60_000}, {branch: 1, index: 3, amount: 40_000}},
			[]pay{{amount: 70_000, script: foreignScript(t, 9)}, {amount: 25_000, branch: 1, index: 4}},
			nil, false, true, 75_000, ""},
		{"honest: everything back to change but the fee", wpkh,
			[]spend{{branch: 0, index: 0, amount: 60_000}},
			[]pay{{amount: 59_000, branch: 1, index: 0}},
			nil, false, true, 1_000, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := buildPSBT(t, tc.d, tc.ins, tc.outs)
			if tc.edit != nil {
				tc.edit(p)
			}
			pol := DefaultPolicy
			pol.MaxFee, pol.AllowForeignInputs = 0, tc.allow
			s, err := Analyze(p, tc.d, pol)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Signable(); got != tc.signable {
				t.Errorf("signable %v, want %v (refusals %v)", got, tc.signable, s.Refusals)
			}
			if s.Spent != tc.spent || s.Spent < 0 {
				t.Errorf("spent %d, want %d", s.Spent, tc.spent)
			}
			if tc.wantFound != "" {
				found := s.Refusals
				if tc.signable {
					found = s.Warnings
				}
				if !slices.ContainsFunc(found, func(f Finding) bool { return f.Code == tc.wantFound }) {
					t.Errorf("findings %v, want one of code %s", found, tc.wantFound)
				}
			}
		})
	}
}

// What a transaction asks of time is checked and shown: a version nodes
// relay, no relative lock, no absolute lock far past the kiosk's clock.
// A transaction locked until 2096, a relative lock of 65535 blocks and
// version -1 were all signable.
func TestAnalyzeTiming(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	_, regtest := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	_, mainnet := testWallet(t, descriptor.P2WPKH, descriptor.Mainnet)
	tests := []struct {
		name   string
		d      *descriptor.Descriptor
		edit   func(tx *wire.MsgTx)
		active bool
		refuse Code // "" for signable
	}{
		{"version 2, final", regtest, func(tx *wire.MsgTx) {}, false, ""},
		{"version 1", regtest, func(tx *wire.MsgTx) { tx.Version = 1 }, false, ""},
		{"version 3 (TRUC)", regtest, func(tx *wire.MsgTx) { tx.Version = 3 }, false, ""},
		{"version -1", regtest, func(tx *wire.MsgTx) { tx.Version = -1 }, false, CodeVersion},
		{"version 0", regtest, func(tx *wire.MsgTx) { tx.Version = 0 }, false, CodeVersion},
		{"version 4", regtest, func(tx *wire.MsgTx) { tx.Version = 4 }, false, CodeVersion},
		{"anti-fee-sniping: the tip, RBF", regtest, func(tx *wire.MsgTx) { tx.LockTime = 812; tx.TxIn[0].Sequence = 0xfffffffd }, true, ""},
		{"relative lock of 65535 blocks", regtest, func(tx *wire.MsgTx) { tx.TxIn[0].Sequence = 0x0000ffff }, false, CodeRelativeLock},
		{"relative lock of 512 s units", regtest, func(tx *wire.MsgTx) { tx.TxIn[0].Sequence = wire.SequenceLockTimeIsSeconds | 10 }, false, CodeRelativeLock},
		{"sequence 0: no relative lock", regtest, func(tx *wire.MsgTx) { tx.TxIn[0].Sequence = 0 }, false, ""},
		{"version 1 ignores BIP68", regtest, func(tx *wire.MsgTx) { tx.Version = 1; tx.TxIn[0].Sequence = 0x0000ffff }, false, ""},
		{"locked until 2096", regtest, func(tx *wire.MsgTx) {
			tx.LockTime = uint32(time.Date(2096, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
			tx.TxIn[0].Sequence = 0xfffffffe
		}, true, CodeLockTimeFuture},
		{"locked until 2096, but every sequence final", regtest, func(tx *wire.MsgTx) {
			tx.LockTime = uint32(time.Date(2096, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
			tx.TxIn[0].Sequence = wire.MaxTxInSequenceNum
		}, false, ""},
		{"locked until an hour ago", regtest, func(tx *wire.MsgTx) {
			tx.LockTime = uint32(now.Add(-time.Hour).Unix())
			tx.TxIn[0].Sequence = 0xfffffffe
		}, true, ""},
		{"mainnet, block 4,600,000 (about 2096)", mainnet, func(tx *wire.MsgTx) { tx.LockTime = 4_600_000; tx.TxIn[0].Sequence = 0xfffffffd }, true, CodeLockTimeFuture},
		{"mainnet, block 930,000", mainnet, func(tx *wire.MsgTx) { tx.LockTime = 930_000; tx.TxIn[0].Sequence = 0xfffffffd }, true, ""},
		{"regtest heights have no bound", regtest, func(tx *wire.MsgTx) { tx.LockTime = 4_600_000; tx.TxIn[0].Sequence = 0xfffffffd }, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := buildPSBT(t, tc.d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
			tc.edit(p.UnsignedTx)
			pol := DefaultPolicy
			pol.Now = now
			s, err := Analyze(p, tc.d, pol)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != p.UnsignedTx.Version || s.LockTime != p.UnsignedTx.LockTime || s.LockTimeActive != tc.active {
				t.Errorf("version %d, lock time %d active %v; want %d, %d, %v", s.Version, s.LockTime, s.LockTimeActive, p.UnsignedTx.Version, p.UnsignedTx.LockTime, tc.active)
			}
			if s.Inputs[0].Sequence != p.UnsignedTx.TxIn[0].Sequence {
				t.Errorf("sequence %#x, want %#x", s.Inputs[0].Sequence, p.UnsignedTx.TxIn[0].Sequence)
			}
			if tc.refuse == "" {
				if !s.Signable() {
					t.Fatalf("refused: %v", s.Refusals)
				}
				return
			}
			if s.Signable() || !slices.ContainsFunc(s.Refusals, func(f Finding) bool { return f.Code == tc.refuse }) {
				t.Fatalf("signable %v, refusals %v; want a refusal %s", s.Signable(), s.Refusals, tc.refuse)
			}
		})
	}
}

// Outputs that are scripts without an address are never shown as one: a
// pay-to-pubkey or bare 1-of-1 multisig output used to show as the P2PKH
// address of its key.
func TestAnalyzeScriptsWithoutAddress(t *testing.T) {
	_, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x42}, 32))
	key := priv.PubKey().SerializeCompressed()
	p2pk, _ := txscript.NewScriptBuilder().AddData(key).AddOp(txscript.OP_CHECKSIG).Script()
	bare, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_1).AddData(key).AddOp(txscript.OP_1).AddOp(txscript.OP_CHECKMULTISIG).Script()
	for name, script := range map[string][]byte{"pay-to-pubkey": p2pk, "bare 1-of-1 multisig": bare} {
		t.Run(name, func(t *testing.T) {
			p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: script}})
			s, err := Analyze(p, d, DefaultPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if s.Outputs[0].Address != "" {
				t.Errorf("shown as address %s", s.Outputs[0].Address)
			}
			if s.Signable() || !slices.ContainsFunc(s.Refusals, func(f Finding) bool { return f.Code == CodeUnknownScript }) {
				t.Errorf("signable %v, refusals %v; want unknown-output-script", s.Signable(), s.Refusals)
			}
		})
	}
}

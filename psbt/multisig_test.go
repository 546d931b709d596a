package psbt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

var multisigScripts = []descriptor.ScriptType{descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti}

// honestMultisig is a withdrawal from a multisig wallet: coins at receive
// 3 and change 0, a payment and change at 1/1.
func honestMultisig(t testing.TB, d *descriptor.Descriptor) *btcpsbt.Packet {
	return buildPSBT(t, d, []spend{{branch: 0, index: 3, amount: 60_000}, {branch: 1, index: 0, amount: 50_000}}, []pay{{amount: 70_000, script: foreignScript(t, 9)}, {amount: 38_000, branch: 1, index: 1}})
}

// sortedMulti is a k-of-n CHECKMULTISIG script of keys in BIP67 order.
func sortedMulti(t testing.TB, k int, keys ...[]byte) []byte {
	t.Helper()
	keys = slices.Clone(keys)
	slices.SortFunc(keys, bytes.Compare)
	b := txscript.NewScriptBuilder().AddInt64(int64(k))
	for _, key := range keys {
		b.AddData(key)
	}
	s, err := b.AddInt64(int64(len(keys))).AddOp(txscript.OP_CHECKMULTISIG).Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// payTo is the output script of a multisig witness script in the wallet's
// script type, with the redeem script when it is wrapped in P2SH.
func payTo(t testing.TB, d *descriptor.Descriptor, ws []byte) (pkScript, redeem []byte) {
	h := sha256.Sum256(ws)
	program := append([]byte{txscript.OP_0, 32}, h[:]...)
	if d.Script == descriptor.P2WSHMulti {
		return program, nil
	}
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).AddData(btcutil.Hash160(program)).AddOp(txscript.OP_EQUAL).Script()
	if err != nil {
		t.Fatal(err)
	}
	return s, program
}

// keysAt are the wallet's cosigner keys at branch/index, compressed, in
// the order of Keys.
func keysAt(t testing.TB, d *descriptor.Descriptor, branch, index uint32) [][]byte {
	pubs, err := d.PublicKeys(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for _, p := range pubs {
		keys = append(keys, p.SerializeCompressed())
	}
	return keys
}

func foreignKey(seed byte) []byte { return append([]byte{0x03}, bytes.Repeat([]byte{seed}, 32)...) }

// setPrevScript changes the script of the coin input i spends,
// consistently in the previous transaction, the witness UTXO and the
// outpoint.
func setPrevScript(p *btcpsbt.Packet, i int, script []byte) {
	prev := p.Inputs[i].NonWitnessUtxo
	prev.TxOut[1].PkScript = script
	p.Inputs[i].WitnessUtxo = prev.TxOut[1]
	p.UnsignedTx.TxIn[i].PreviousOutPoint.Hash = prev.TxHash()
}

func TestAnalyzeMultisigHonest(t *testing.T) {
	for _, st := range multisigScripts {
		t.Run(st.String(), func(t *testing.T) {
			masters, d := multisigWallet(t, st, 2)
			for c, m := range masters {
				s, err := Analyze(honestMultisig(t, d), d, cosigner(DefaultPolicy, m))
				if err != nil {
					t.Fatal(err)
				}
				if !s.Signable() || len(s.Warnings) != 0 {
					t.Fatalf("cosigner %d: refusals %v warnings %v", c, s.Refusals, s.Warnings)
				}
				if s.Fee != 2_000 || s.Spent != 72_000 || s.Outputs[1].Kind != Change || !s.Inputs[0].Ours || !s.Inputs[1].Ours {
					t.Errorf("cosigner %d: fee %v spent %v change %v ours %v %v", c, s.Fee, s.Spent, s.Outputs[1].Kind, s.Inputs[0].Ours, s.Inputs[1].Ours)
				}
				if want := d.Keys[c].Path(0, 3); !slices.Equal(s.Inputs[0].path, want) {
					t.Errorf("cosigner %d signs input 0 at %s, want %s", c, descriptor.FormatPath(s.Inputs[0].path), descriptor.FormatPath(want))
				}
			}
		})
	}
}

// A multisig wallet needs to know which cosigner the kiosk is, and the
// kiosk must be one of them.
func TestAnalyzeMultisigNeedsCosigner(t *testing.T) {
	_, d := multisigWallet(t, descriptor.P2WSHMulti, 2)
	if _, err := Analyze(honestMultisig(t, d), d, DefaultPolicy); err == nil || !strings.Contains(err.Error(), "Cosigner") {
		t.Errorf("without Cosigner: got %v, want an error that names Policy.Cosigner", err)
	}
	pol := DefaultPolicy
	pol.Cosigner = [4]byte{1, 2, 3, 4}
	if _, err := Analyze(honestMultisig(t, d), d, pol); err == nil {
		t.Error("a kiosk that is no cosigner analyzed the multisig's PSBT")
	}
	// single-sig: a Cosigner that is not the wallet's key is an error
	_, single := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	p := buildPSBT(t, single, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
	if _, err := Analyze(p, single, pol); err == nil {
		t.Error("single-sig wallet analyzed for another seed's Cosigner")
	}
	pol.Cosigner = single.Origin.Fingerprint
	if s, err := Analyze(p, single, pol); err != nil || !s.Signable() {
		t.Errorf("single-sig with its own Cosigner: %v %v", err, s)
	}
}

// Every multisig refusal, each from one PSBT that a malicious coordinator
// could send to one cosigner.
func TestAnalyzeMultisigRefusals(t *testing.T) {
	for _, st := range multisigScripts {
		t.Run(st.String(), func(t *testing.T) {
			masters, d := multisigWallet(t, st, 2)
			pol := cosigner(DefaultPolicy, masters[0])
			change := keysAt(t, d, 1, 1)
			// changeTo makes output 1 pay to ws while claiming our change path.
			changeTo := func(p *btcpsbt.Packet, ws []byte) {
				pk, redeem := payTo(t, d, ws)
				p.UnsignedTx.TxOut[1].PkScript = pk
				p.Outputs[1].WitnessScript, p.Outputs[1].RedeemScript = ws, redeem
			}
			tests := []struct {
				name   string
				mutate func(p *btcpsbt.Packet)
				want   Code
			}{
				{"change with a foreign cosigner", func(p *btcpsbt.Packet) {
					changeTo(p, sortedMulti(t, 2, change[0], change[1], foreignKey(7)))
				}, CodeChangeMultisigMismatch},
				{"change to our key with two foreign cosigners", func(p *btcpsbt.Packet) {
					changeTo(p, sortedMulti(t, 2, change[0], foreignKey(7), foreignKey(8)))
				}, CodeChangeMultisigMismatch},
				{"change with another threshold", func(p *btcpsbt.Packet) {
					changeTo(p, sortedMulti(t, 1, change...))
				}, CodeChangeMultisigMismatch},
				{"change with a fourth key", func(p *btcpsbt.Packet) {
					changeTo(p, sortedMulti(t, 2, append(change, foreignKey(7))...))
				}, CodeChangeMultisigMismatch},
				{"change with another threshold, no witness script", func(p *btcpsbt.Packet) {
					changeTo(p, sortedMulti(t, 1, change...))
					p.Outputs[1].WitnessScript, p.Outputs[1].RedeemScript = nil, nil
				}, CodeChangeMismatch},
				{"change whose witness script is not ours but whose address is", func(p *btcpsbt.Packet) {
					p.Outputs[1].WitnessScript = sortedMulti(t, 1, change...)
				}, CodeChangeMultisigMismatch},
				{"input whose witness script is not ours", func(p *btcpsbt.Packet) {
					p.Inputs[0].WitnessScript = sortedMulti(t, 1, keysAt(t, d, 0, 3)...)
				}, CodeWitnessScriptMismatch},
				{"input spending a foreign multisig at our path", func(p *btcpsbt.Packet) {
					ours := keysAt(t, d, 0, 3)
					ws := sortedMulti(t, 2, ours[0], ours[1], foreignKey(7))
					pk, redeem := payTo(t, d, ws)
					setPrevScript(p, 0, pk)
					p.Inputs[0].WitnessScript, p.Inputs[0].RedeemScript = ws, redeem
				}, CodeInputNotOurs},
				{"our fingerprint at a path of another cosigner's template", func(p *btcpsbt.Packet) {
					p.Inputs[0].Bip32Derivation[0].Bip32Path = d.Keys[1].Path(0, 3)
				}, CodePathOutsideWallet},
				{"change with our fingerprint at another cosigner's path", func(p *btcpsbt.Packet) {
					p.Outputs[1].Bip32Derivation[0].Bip32Path = d.Keys[2].Path(1, 1)
				}, CodePathOutsideWallet},
			}
			if st == descriptor.P2SHP2WSHMulti {
				tests = append(tests, struct {
					name   string
					mutate func(p *btcpsbt.Packet)
					want   Code
				}{"input whose redeem script is not ours", func(p *btcpsbt.Packet) {
					p.Inputs[1].RedeemScript = p.Inputs[0].RedeemScript
				}, CodeRedeemScriptMismatch})
			} else {
				tests = append(tests, struct {
					name   string
					mutate func(p *btcpsbt.Packet)
					want   Code
				}{"native input with a redeem script", func(p *btcpsbt.Packet) {
					p.Inputs[1].RedeemScript = []byte{txscript.OP_0, 1, 2}
				}, CodeRedeemScriptMismatch})
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					p := honestMultisig(t, d)
					tt.mutate(p)
					s, err := Analyze(p, d, pol)
					if err != nil {
						t.Fatal(err)
					}
					if s.Signable() {
						t.Fatalf("signable, want refusal %s", tt.want)
					}
					found := false
					for _, f := range s.Refusals {
						found = found || f.Code == tt.want
						if f.Message == "" || strings.HasSuffix(f.Message, ".") {
							t.Errorf("finding %s has message %q: want a sentence without a final period", f.Code, f.Message)
						}
					}
					if !found {
						t.Errorf("refusals %v, want one with code %s", s.Refusals, tt.want)
					}
					t.Log(s.Refusals)
					if _, err := Sign(p, d, pol, masters[0]); !errors.Is(err, ErrNotSignable) {
						t.Errorf("Sign: got %v, want ErrNotSignable", err)
					}
				})
			}
		})
	}
}

// signedCopies has each of the given cosigners sign its own copy of p.
func signedCopies(t testing.TB, p *btcpsbt.Packet, d *descriptor.Descriptor, signers ...*hd.Master) []*btcpsbt.Packet {
	t.Helper()
	var out []*btcpsbt.Packet
	for _, m := range signers {
		q := clonePacket(t, p).Packet
		if _, err := Sign(q, d, cosigner(DefaultPolicy, m), m); err != nil {
			t.Fatal(err)
		}
		out = append(out, q)
	}
	return out
}

func serialize(t testing.TB, p *btcpsbt.Packet) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSignCombineFinalizeMultisig(t *testing.T) {
	for _, st := range multisigScripts {
		t.Run(st.String(), func(t *testing.T) {
			masters, d := multisigWallet(t, st, 2)
			p := honestMultisig(t, d)
			s, err := Analyze(p, d, cosigner(DefaultPolicy, masters[0]))
			if err != nil {
				t.Fatal(err)
			}
			// without the scripts, as some coordinators send it: Sign adds them
			for i := range p.Inputs {
				p.Inputs[i].WitnessScript, p.Inputs[i].RedeemScript = nil, nil
			}
			signed := signedCopies(t, p, d, masters[0], masters[2])
			for _, q := range signed {
				if len(q.Inputs[0].PartialSigs) != 1 || q.Inputs[0].WitnessScript == nil || (st == descriptor.P2SHP2WSHMulti) != (q.Inputs[0].RedeemScript != nil) {
					t.Fatalf("a signed copy has %d signatures, witness script %x, redeem script %x", len(q.Inputs[0].PartialSigs), q.Inputs[0].WitnessScript, q.Inputs[0].RedeemScript)
				}
			}
			// one signature is not enough, and Finalize says so
			if _, err := Finalize(clonePacket(t, signed[0]).Packet); err == nil || !strings.Contains(err.Error(), "1 of the 2 signatures") {
				t.Errorf("finalizing one signature: got %v, want a count of the missing signatures", err)
			}
			ab, err := Combine(signed[0], signed[1])
			if err != nil {
				t.Fatal(err)
			}
			ba, err := Combine(signed[1], signed[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(serialize(t, ab), serialize(t, ba)) {
				t.Error("Combine(a, b) and Combine(b, a) differ")
			}
			tx, err := Finalize(ab)
			if err != nil {
				t.Fatal(err)
			}
			weight := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
			vsize := (weight + 3) / 4
			if vsize > s.VSize || s.VSize-vsize > 2 {
				t.Errorf("signed vsize %d, estimated %d: want the estimate at most 2 vbytes above", vsize, s.VSize)
			}
			// all three signed: btcd's finalizer refuses more signatures
			// than the threshold, ours uses the first two
			all := signedCopies(t, p, d, masters...)
			abc, err := Combine(all...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Finalize(abc); err != nil {
				t.Errorf("finalizing 3 signatures of a 2-of-3: %v", err)
			}
		})
	}
}

// A signature made with a key ring of another seed than the cosigner's is
// never added.
func TestSignMultisigWrongSeed(t *testing.T) {
	masters, d := multisigWallet(t, descriptor.P2WSHMulti, 2)
	p := honestMultisig(t, d)
	other, err := hd.MasterFromEntropy(bytes.Repeat([]byte{9}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(p, d, cosigner(DefaultPolicy, masters[1]), other); err == nil {
		t.Error("signed with a seed that is not the cosigner's")
	}
	for i, in := range p.Inputs {
		if len(in.PartialSigs) != 0 {
			t.Errorf("input %d got a signature", i)
		}
	}
}

func TestEstimateWeightMultisig(t *testing.T) {
	for _, tt := range []struct {
		script descriptor.ScriptType
		want   int64 // vbytes of a 1-input 2-of-3, 2-output (P2WPKH) transaction
	}{
		// 10 + 41 + 62, and (2 + 1+1+2*73+1+105)/4 = 64 for marker,
		// flag and witness
		{descriptor.P2WSHMulti, 177},
		// and the 35-byte scriptSig
		{descriptor.P2SHP2WSHMulti, 212},
	} {
		masters, d := multisigWallet(t, tt.script, 2)
		p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 100_000}}, []pay{{amount: 10_000, script: foreignScript(t, 1)}, {amount: 80_000, script: foreignScript(t, 2)}})
		s, err := Analyze(p, d, cosigner(Policy{}, masters[0]))
		if err != nil {
			t.Fatal(err)
		}
		if s.VSize != tt.want || len(s.Warnings) != 0 {
			t.Errorf("%s: vsize %d, want %d (warnings %v)", tt.script, s.VSize, tt.want, s.Warnings)
		}
	}
}

// A foreign multisig input is estimated from the PSBT's witness script
// when it is given and hashes to the spent script, and flagged as an
// estimate when not.
func TestEstimateWeightForeignMultisig(t *testing.T) {
	masters, d := multisigWallet(t, descriptor.P2WSHMulti, 2)
	ws := sortedMulti(t, 3, foreignKey(1), foreignKey(2), foreignKey(3), foreignKey(4))
	pk, _ := payTo(t, d, ws)
	p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 100_000}, {foreign: pk, amount: 50_000}}, []pay{{amount: 90_000, script: foreignScript(t, 1)}})
	pol := cosigner(Policy{}, masters[0])
	estimated := func(p *btcpsbt.Packet) (int64, bool) {
		s, err := Analyze(p, d, pol)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range s.Warnings {
			if w.Code == CodeFeeRateEstimated {
				return s.VSize, true
			}
		}
		return s.VSize, false
	}
	if _, est := estimated(p); !est {
		t.Error("a foreign P2WSH input without its witness script was not flagged as an estimate")
	}
	p.Inputs[1].WitnessScript = ws
	without, _ := estimated(buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 100_000}}, []pay{{amount: 90_000, script: foreignScript(t, 1)}}))
	with, est := estimated(p)
	if est {
		t.Error("a foreign 3-of-4 with its witness script was flagged as an estimate")
	}
	// input 41 vbytes, witness (1+1+3*73+1+139)/4 = 90.25
	if got, want := with-without, int64(131); got < want-1 || got > want+1 {
		t.Errorf("the foreign 3-of-4 input adds %d vbytes, want about %d", got, want)
	}
	// a witness script that does not hash to the spent script is ignored
	p.Inputs[1].WitnessScript = sortedMulti(t, 1, foreignKey(1))
	if _, est := estimated(p); !est {
		t.Error("a witness script of another output was used for the estimate")
	}
}

func TestCombine(t *testing.T) {
	masters, d := multisigWallet(t, descriptor.P2WSHMulti, 2)
	p := honestMultisig(t, d)
	signed := signedCopies(t, p, d, masters[0], masters[1])

	t.Run("different transactions", func(t *testing.T) {
		other := clonePacket(t, signed[1]).Packet
		other.UnsignedTx.TxOut[0].Value--
		_, err := Combine(signed[0], other)
		if !errors.Is(err, ErrCombine) || !strings.Contains(err.Error(), "PSBT 2 is for transaction "+other.UnsignedTx.TxHash().String()) {
			t.Errorf("got %v, want ErrCombine naming PSBT 2 and its transaction", err)
		}
	})
	t.Run("conflicting signature for one key", func(t *testing.T) {
		forged := clonePacket(t, signed[0]).Packet
		sig := forged.Inputs[1].PartialSigs[0].Signature
		sig[len(sig)-2] ^= 1
		_, err := Combine(signed[0], signed[1], forged)
		if !errors.Is(err, ErrCombine) || !strings.Contains(err.Error(), "input 1: PSBT 3 has another signature (partial_sig) for key") {
			t.Errorf("got %v, want ErrCombine naming input 1, PSBT 3 and the key", err)
		}
	})
	t.Run("conflicting UTXO", func(t *testing.T) {
		lying := clonePacket(t, signed[1]).Packet
		lying.Inputs[0].WitnessUtxo.Value++
		_, err := Combine(signed[0], lying)
		if !errors.Is(err, ErrCombine) || !strings.Contains(err.Error(), "input 0") || !strings.Contains(err.Error(), "witness_utxo") {
			t.Errorf("got %v, want ErrCombine naming input 0 and witness_utxo", err)
		}
	})
	t.Run("conflicting proprietary field", func(t *testing.T) {
		a, b := clonePacket(t, signed[0]).Packet, clonePacket(t, signed[1]).Packet
		key := append([]byte{0xfc, 7}, "airsign\x01"...)
		a.Outputs[0].Unknowns = []*btcpsbt.Unknown{{Key: key, Value: []byte("a")}}
		b.Outputs[0].Unknowns = []*btcpsbt.Unknown{{Key: key, Value: []byte("b")}}
		if _, err := Combine(a, b); !errors.Is(err, ErrCombine) || !strings.Contains(err.Error(), "output 0") {
			t.Errorf("got %v, want ErrCombine naming output 0", err)
		}
	})
	t.Run("fields of each are kept, inputs unchanged", func(t *testing.T) {
		a, b := clonePacket(t, signed[0]).Packet, clonePacket(t, signed[1]).Packet
		before := serialize(t, a)
		a.Unknowns = []*btcpsbt.Unknown{{Key: []byte{0xfc, 0x01, 'x'}, Value: []byte("approval 1")}}
		b.Unknowns = []*btcpsbt.Unknown{{Key: []byte{0xfc, 0x01, 'y'}, Value: []byte("approval 2")}}
		b.Inputs[0].NonWitnessUtxo = nil // one copy lost it: the other has it
		c, err := Combine(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Unknowns) != 2 || c.Inputs[0].NonWitnessUtxo == nil || len(c.Inputs[0].PartialSigs) != 2 {
			t.Errorf("combined: %d unknowns, previous tx %v, %d signatures; want 2, kept, 2", len(c.Unknowns), c.Inputs[0].NonWitnessUtxo != nil, len(c.Inputs[0].PartialSigs))
		}
		a.Unknowns = nil
		if !bytes.Equal(serialize(t, a), before) {
			t.Error("Combine changed its first argument")
		}
		c2, err := Combine(b, a)
		if err != nil {
			t.Fatal(err)
		}
		c3, err := Combine(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(serialize(t, c2), serialize(t, c3)) {
			t.Error("the result depends on the order of the PSBTs")
		}
	})
	t.Run("one packet is a copy", func(t *testing.T) {
		c, err := Combine(signed[0])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(serialize(t, c), serialize(t, signed[0])) {
			t.Error("combining one PSBT changed it")
		}
	})
	if _, err := Combine(); !errors.Is(err, ErrCombine) {
		t.Errorf("Combine(): got %v, want ErrCombine", err)
	}
}

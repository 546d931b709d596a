package miniscript

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"golang.org/x/crypto/ripemd160"
)

// testKeys are private keys for key names. Bitcoin Core's vectors use the
// keys 1..255 (31 zero bytes then i), so their hex public keys resolve to
// known private keys; other names get a key derived from the name.
type testKeys struct {
	ctx  Context
	priv map[string]*btcec.PrivateKey
}

func newTestKeys(ctx Context) *testKeys {
	tk := &testKeys{ctx: ctx, priv: map[string]*btcec.PrivateKey{}}
	for i := 1; i <= 255; i++ {
		var b [32]byte
		b[31] = byte(i)
		priv, pub := btcec.PrivKeyFromBytes(b[:])
		tk.priv[hex.EncodeToString(pub.SerializeCompressed())] = priv
	}
	return tk
}

func (tk *testKeys) key(name string) *btcec.PrivateKey {
	if p, ok := tk.priv[name]; ok {
		return p
	}
	seed := sha256.Sum256([]byte("airsign miniscript test key " + name))
	p, _ := btcec.PrivKeyFromBytes(seed[:])
	tk.priv[name] = p
	return p
}

func (tk *testKeys) pub(name string) ([]byte, error) {
	pub := tk.key(name).PubKey()
	if tk.ctx == Tapscript {
		return schnorr.SerializePubKey(pub), nil
	}
	return pub.SerializeCompressed(), nil
}

// testPreimage returns the preimage Bitcoin Core's vectors hash: 31 zero
// bytes then i, for the i whose hash is h.
func testPreimage(frag Fragment, h []byte) ([]byte, bool) {
	for i := 1; i <= 255; i++ {
		pre := make([]byte, 32)
		pre[31] = byte(i)
		var d []byte
		switch frag {
		case Sha256:
			s := sha256.Sum256(pre)
			d = s[:]
		case Hash256:
			d = chainhash.DoubleHashB(pre)
		case Ripemd160:
			r := ripemd160.New()
			r.Write(pre)
			d = r.Sum(nil)
		case Hash160:
			d = btcutil.Hash160(pre)
		}
		if hex.EncodeToString(d) == hex.EncodeToString(h) {
			return pre, true
		}
	}
	return nil, false
}

// spendCase is one transaction spending a coin locked to an expression.
type spendCase struct {
	signers  []string // keys that sign
	lockTime uint32
	sequence uint32
	// claimSequence, when set, is the nSequence told to the satisfier
	// instead of the transaction's own: a witness built for a lock the
	// transaction does not meet, which the engine must refuse.
	claimSequence *uint32
	preimages     bool
}

const testAmount = 100000

// spendInEngine builds a spend of a P2WSH (or taproot script-path) coin
// locked to n, satisfies it and runs btcd's script engine with the
// standard verification flags. It returns the satisfaction, or the error
// from Satisfy, and the engine's verdict.
func spendInEngine(t *testing.T, n *Node, tk *testKeys, sc spendCase) (*Satisfaction, error, error) {
	t.Helper()
	script, err := n.Script(tk.pub)
	if err != nil {
		t.Fatal(err)
	}
	var pkScript, controlBlock []byte
	var leaf txscript.TapLeaf
	if n.Context() == Tapscript {
		leaf = txscript.NewBaseTapLeaf(script)
		tree := txscript.AssembleTaprootScriptTree(leaf)
		internal := numsKey(t)
		root := tree.RootNode.TapHash()
		out := txscript.ComputeTaprootOutputKey(internal, root[:])
		pkScript = append([]byte{txscript.OP_1, 32}, schnorr.SerializePubKey(out)...)
		cb := tree.LeafMerkleProofs[0].ToControlBlock(internal)
		if controlBlock, err = cb.ToBytes(); err != nil {
			t.Fatal(err)
		}
	} else {
		h := sha256.Sum256(script)
		pkScript = append([]byte{txscript.OP_0, 32}, h[:]...)
	}
	tx := wire.NewMsgTx(2)
	tx.LockTime = sc.lockTime
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: 0}, Sequence: sc.sequence})
	tx.AddTxOut(&wire.TxOut{Value: testAmount - 1000, PkScript: []byte{txscript.OP_TRUE}})
	fetcher := txscript.NewCannedPrevOutputFetcher(pkScript, testAmount)
	hashes := txscript.NewTxSigHashes(tx, fetcher)

	sigs := map[string][]byte{}
	for _, name := range sc.signers {
		var sig []byte
		if n.Context() == Tapscript {
			sig, err = txscript.RawTxInTapscriptSignature(tx, hashes, 0, testAmount, pkScript, leaf, txscript.SigHashDefault, tk.key(name))
		} else {
			sig, err = txscript.RawTxInWitnessSignature(tx, hashes, 0, testAmount, script, txscript.SigHashAll, tk.key(name))
		}
		if err != nil {
			t.Fatal(err)
		}
		sigs[name] = sig
	}
	sp := Spend{
		Signature: func(k string) ([]byte, bool) { s, ok := sigs[k]; return s, ok },
		TxVersion: tx.Version, LockTime: tx.LockTime, Sequence: sc.sequence,
	}
	if sc.claimSequence != nil {
		sp.Sequence = *sc.claimSequence
	}
	if sc.preimages {
		sp.Preimage = testPreimage
	}
	sat, err := n.Satisfy(tk.pub, sp)
	if err != nil {
		return nil, err, nil
	}
	wit := append(wire.TxWitness{}, sat.Witness...)
	wit = append(wit, script)
	if controlBlock != nil {
		wit = append(wit, controlBlock)
	}
	tx.TxIn[0].Witness = wit
	vm, err := txscript.NewEngine(pkScript, tx, 0, txscript.StandardVerifyFlags, nil, hashes, testAmount, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	return sat, nil, vm.Execute()
}

// numsKey is BIP-341's unspendable internal key H (no one knows its
// private key), used for leaves that must be the only way to spend.
func numsKey(t testing.TB) *btcec.PublicKey {
	b, _ := hex.DecodeString("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")
	k, err := schnorr.ParsePubKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func u32(v uint32) *uint32 { return &v }

func TestSatisfyInEngine(t *testing.T) {
	const noLock = 0xfffffffd // final enough for lock time, no relative lock
	tests := []struct {
		name, ms string
		ctx      Context
		sc       spendCase
		// wantErr: Satisfy must refuse; otherwise the engine must accept
		// unless engineFails.
		wantErr     bool
		wantErrText string
		engineFails bool
		wantKeys    string
		wantOlder   uint32
		wantAfter   uint32
	}{
		{name: "recovery wallet, primary path", ms: "or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))",
			sc: spendCase{signers: []string{"C", "A"}, sequence: noLock}, wantKeys: "[A C]"},
		{name: "recovery wallet, all four sign, no lock: primary", ms: "or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))",
			sc: spendCase{signers: []string{"A", "B", "C", "D"}, sequence: noLock}, wantKeys: "[A C]"}, // the two shortest signatures
		{name: "recovery wallet, recovery key before maturity", ms: "or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))",
			sc: spendCase{signers: []string{"D"}, sequence: 52559}, wantErr: true,
			wantErrText: "path [D, 52560 blocks (about 365 days) after the coin confirms] lacks a relative lock of 52560 blocks"},
		{name: "recovery wallet, recovery key at maturity", ms: "or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))",
			sc: spendCase{signers: []string{"D"}, sequence: 52560}, wantKeys: "[D]", wantOlder: 52560},
		{name: "recovery wallet, witness claims a lock the transaction does not have", ms: "or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))",
			sc: spendCase{signers: []string{"D"}, sequence: 52559, claimSequence: u32(52560)}, engineFails: true, wantKeys: "[D]", wantOlder: 52560},
		{name: "recovery wallet, one primary key is not enough", ms: "or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))",
			sc: spendCase{signers: []string{"B"}, sequence: 60000}, wantErr: true},
		{name: "decaying multisig, 3 of 3", ms: "thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))",
			sc: spendCase{signers: []string{"A", "B", "C"}, sequence: noLock}, wantKeys: "[A B C]"},
		{name: "decaying multisig, 2 of 3 after the lock", ms: "thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))",
			sc: spendCase{signers: []string{"A", "C"}, sequence: 4032}, wantKeys: "[A C]", wantOlder: 4032},
		{name: "decaying multisig, 2 of 3 before the lock", ms: "thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))",
			sc: spendCase{signers: []string{"A", "C"}, sequence: 4031}, wantErr: true},
		{name: "absolute lock met", ms: "or_d(pk(A),and_v(v:pk(B),after(1000)))",
			sc: spendCase{signers: []string{"B"}, lockTime: 1000, sequence: 0xfffffffe}, wantKeys: "[B]", wantAfter: 1000},
		{name: "absolute lock, final sequence disables it", ms: "or_d(pk(A),and_v(v:pk(B),after(1000)))",
			sc: spendCase{signers: []string{"B"}, lockTime: 1000, sequence: 0xffffffff}, wantErr: true},
		{name: "absolute lock not met", ms: "or_d(pk(A),and_v(v:pk(B),after(1000)))",
			sc: spendCase{signers: []string{"B"}, lockTime: 999, sequence: 0xfffffffe}, wantErr: true},
		{name: "hash lock with preimage", ms: "and_v(v:pk(A),sha256(ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5))",
			sc: spendCase{signers: []string{"A"}, sequence: noLock, preimages: true}, wantKeys: "[A]"},
		{name: "needs no signature: refused", ms: "or_d(pk(A),older(10))",
			sc: spendCase{sequence: 10}, wantErr: true},
		{name: "taproot 2 of 3", ms: "multi_a(2,A,B,C)", ctx: Tapscript,
			sc: spendCase{signers: []string{"B", "C"}, sequence: noLock}, wantKeys: "[B C]"},
		{name: "taproot sorted 2 of 3", ms: "sortedmulti_a(2,A,B,C)", ctx: Tapscript,
			sc: spendCase{signers: []string{"A", "C"}, sequence: noLock}, wantKeys: "[A C]"},
		{name: "taproot recovery leaf at maturity", ms: "and_v(v:pk(D),older(144))", ctx: Tapscript,
			sc: spendCase{signers: []string{"D"}, sequence: 144}, wantKeys: "[D]", wantOlder: 144},
		{name: "taproot recovery leaf before maturity", ms: "and_v(v:pk(D),older(144))", ctx: Tapscript,
			sc: spendCase{signers: []string{"D"}, sequence: 143}, wantErr: true},
		{name: "taproot decaying", ms: "thresh(2,pk(A),s:pk(B),sdv:older(100))", ctx: Tapscript,
			sc: spendCase{signers: []string{"B"}, sequence: 100}, wantKeys: "[B]", wantOlder: 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse(tc.ms, tc.ctx)
			if err != nil {
				t.Fatal(err)
			}
			sat, satErr, engineErr := spendInEngine(t, n, newTestKeys(tc.ctx), tc.sc)
			if tc.wantErr {
				if satErr == nil {
					t.Fatalf("Satisfy = %v (keys %v), want an error", sat.Witness, sat.Keys)
				}
				if !strings.Contains(satErr.Error(), tc.wantErrText) {
					t.Errorf("Satisfy error %q, want it to contain %q", satErr, tc.wantErrText)
				}
				return
			}
			if satErr != nil {
				t.Fatalf("Satisfy: %v", satErr)
			}
			if tc.engineFails != (engineErr != nil) {
				t.Errorf("engine error = %v, want failure %v", engineErr, tc.engineFails)
			}
			if got := fmt.Sprint(sat.Keys); got != tc.wantKeys {
				t.Errorf("keys = %s, want %s", got, tc.wantKeys)
			}
			if sat.Older != tc.wantOlder || sat.After != tc.wantAfter {
				t.Errorf("older, after = %d, %d; want %d, %d", sat.Older, sat.After, tc.wantOlder, tc.wantAfter)
			}
		})
	}
}

// TestSatisfyCoreVectorsInEngine spends every valid vector of Bitcoin
// Core's table under many conditions (all keys or all but one, with and
// without preimages, each of its locks met): whatever Satisfy builds must
// pass btcd's script engine, and a sane expression must be satisfiable
// under some of them.
func TestSatisfyCoreVectorsInEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("signs and verifies thousands of spends")
	}
	for _, v := range loadCoreVectors(t).Vectors {
		for _, c := range []struct {
			ctx   Context
			valid bool
		}{{Wsh, v.Wsh.Valid}, {Tapscript, v.Tapscript.Valid}} {
			if !c.valid {
				continue
			}
			t.Run(c.ctx.String()+"/"+v.Miniscript, func(t *testing.T) {
				n, err := Parse(v.Miniscript, c.ctx)
				if err != nil {
					t.Fatal(err)
				}
				tk := newTestKeys(c.ctx)
				satisfied := 0
				for _, sc := range spendCasesFor(n) {
					sat, satErr, engineErr := spendInEngine(t, n, tk, sc)
					if satErr != nil {
						continue
					}
					satisfied++
					if st, _ := n.StackSize(); len(sat.Witness) > st {
						t.Errorf("spend %+v: %d witness elements, StackSize says at most %d", sc, len(sat.Witness), st)
					}
					size := 0
					for _, e := range sat.Witness {
						size += 1 + len(e)
					}
					if ws, _ := n.MaxWitnessSize(); size > ws {
						t.Errorf("spend %+v: witness of %d bytes, MaxWitnessSize says at most %d", sc, size, ws)
					}
					if engineErr != nil {
						t.Errorf("spend %+v: witness %x fails in the engine: %v", sc, sat.Witness, engineErr)
					}
				}
				paths, err := n.Paths()
				if err != nil {
					t.Fatal(err)
				}
				if n.Sane() == nil && satisfied == 0 && len(paths) > 0 {
					t.Errorf("sane with %d spending paths, but no spend satisfied it", len(paths))
				}
			})
		}
	}
}

// spendCasesFor lists spends of n: every signer set of all keys or all but
// one, with and without preimages, under no lock and under each of n's
// locks (and each relative and absolute pair).
func spendCasesFor(n *Node) []spendCase {
	keys := n.Keys()
	signerSets := [][]string{keys}
	for i := range keys {
		if i >= 4 {
			break
		}
		signerSets = append(signerSets, append(append([]string(nil), keys[:i]...), keys[i+1:]...))
	}
	type lock struct{ lockTime, sequence uint32 }
	locks := []lock{{0, 0xfffffffd}}
	var olders, afters []uint32
	n.walk(func(m *Node) {
		switch m.frag {
		case Older:
			olders = append(olders, m.k)
		case After:
			afters = append(afters, m.k)
		}
	})
	for _, o := range olders {
		locks = append(locks, lock{0, o})
		for _, a := range afters {
			locks = append(locks, lock{a, o})
		}
	}
	for _, a := range afters {
		locks = append(locks, lock{a, 0xfffffffe})
	}
	var out []spendCase
	for _, s := range signerSets {
		for _, l := range locks {
			for _, pre := range []bool{false, true} {
				out = append(out, spendCase{signers: s, lockTime: l.lockTime, sequence: l.sequence, preimages: pre})
			}
		}
	}
	return out
}

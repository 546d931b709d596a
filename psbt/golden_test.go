package psbt

// Golden signatures. Deterministic nonces (RFC 6979 for ECDSA, BIP340's
// nonce with fixed auxiliary randomness for Schnorr) make every signature a
// function of key and message alone, so a fixed key and a fixed transaction
// must give byte-identical signatures:
//
//   - TestBIP143Vectors: the BIP143 examples, signed with the sighash and
//     ECDSA path Sign uses, reproduce the published digests, signatures and
//     signed transactions;
//   - TestBIP341KeyPathVectors and TestBIP341ScriptPubKeyVectors: the BIP341
//     wallet vectors, through Sign's taproot digest and its BIP340 signing
//     primitive;
//   - TestGoldenSignedPSBTs: airsign's own fixture PSBTs for every script
//     type, signed by Sign, are byte-identical to testdata/golden/*.psbt.
//     Run `go test ./psbt/ -run TestGoldenSignedPSBTs -update` to rewrite
//     them after a change that is meant to alter them.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

var update = flag.Bool("update", false, "rewrite the golden files under psbt/testdata/golden")

// loadJSON reads ../testdata/name into v and insists on a "source" field:
// every vector file says where its vectors come from.
func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var src struct{ Source string }
	if err := json.Unmarshal(b, &src); err != nil || src.Source == "" {
		t.Fatalf("%s: no source", name)
	}
}

// unhex decodes hex, and "" (a field the vector leaves out) to nil.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	if s == "" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func parseTx(t testing.TB, s string) *wire.MsgTx {
	t.Helper()
	tx := wire.NewMsgTx(0)
	if err := tx.Deserialize(bytes.NewReader(unhex(t, s))); err != nil {
		t.Fatalf("transaction %s…: %v", s[:16], err)
	}
	return tx
}

func txHex(t testing.TB, tx *wire.MsgTx) string {
	t.Helper()
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(buf.Bytes())
}

type bip143Vectors struct {
	Vectors []struct {
		Description                             string
		UnsignedTx, SignedTx                    string
		HashPrevouts, HashSequence, HashOutputs string
		Inputs                                  []struct {
			Index                       int
			Type                        string
			ScriptPubKey                string
			Amount                      int64
			RedeemScript, WitnessScript string
			PrivateKey, PublicKey       string
			SigHash                     string
			Signature                   string
			SignatureHasHashType        bool
		}
	}
}

// bip143Types maps the vectors' input types to the wallet script type whose
// digest sigHash computes for them. A P2PK input gets the legacy digest
// with its output script as script code, which is the P2PKH case.
var bip143Types = map[string]descriptor.ScriptType{
	"p2pk":        descriptor.P2PKH,
	"p2wpkh":      descriptor.P2WPKH,
	"p2sh-p2wpkh": descriptor.P2SHP2WPKH,
	"p2sh-p2wsh":  descriptor.P2SHP2WSHMulti,
}

// TestBIP143Vectors signs the BIP143 examples' SIGHASH_ALL inputs the way
// signInput does (sigHash, then RFC 6979 ecdsa.Sign, DER and the sighash
// byte) and compares the midstate, the digest and the signature with the
// published bytes. Where the BIP publishes the signed transaction, the
// signatures go into a PSBT that Finalize completes, and the transaction
// must equal the published one byte for byte.
func TestBIP143Vectors(t *testing.T) {
	var f bip143Vectors
	loadJSON(t, "bip143-vectors.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range f.Vectors {
		t.Run(v.Description, func(t *testing.T) {
			tx := parseTx(t, v.UnsignedTx)
			fetcher := txscript.NewMultiPrevOutFetcher(nil)
			for _, in := range v.Inputs {
				fetcher.AddPrevOut(tx.TxIn[in.Index].PreviousOutPoint, wire.NewTxOut(in.Amount, unhex(t, in.ScriptPubKey)))
			}
			hashes := txscript.NewTxSigHashes(tx, fetcher)
			for _, c := range []struct {
				name      string
				got, want string
			}{
				{"hashPrevouts", hex.EncodeToString(hashes.HashPrevOutsV0[:]), v.HashPrevouts},
				{"hashSequence", hex.EncodeToString(hashes.HashSequenceV0[:]), v.HashSequence},
				{"hashOutputs", hex.EncodeToString(hashes.HashOutputsV0[:]), v.HashOutputs},
			} {
				if c.got != c.want {
					t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
				}
			}

			p, err := btcpsbt.NewFromUnsignedTx(tx.Copy())
			if err != nil {
				t.Fatal(err)
			}
			for _, vin := range v.Inputs {
				st, ok := bip143Types[vin.Type]
				if !ok {
					t.Fatalf("input %d: unknown type %q", vin.Index, vin.Type)
				}
				in := Input{Index: vin.Index, Amount: btcutil.Amount(vin.Amount), pkScript: unhex(t, vin.ScriptPubKey),
					redeemScript: unhex(t, vin.RedeemScript), witness: unhex(t, vin.WitnessScript)}
				hash, err := sigHash(st, tx, hashes, fetcher, in)
				if err != nil {
					t.Fatalf("input %d: %v", vin.Index, err)
				}
				if vin.SigHash != "" && hex.EncodeToString(hash) != vin.SigHash {
					t.Errorf("input %d: sighash %x, want %s", vin.Index, hash, vin.SigHash)
				}
				key, pub := btcec.PrivKeyFromBytes(unhex(t, vin.PrivateKey))
				if vin.PublicKey != "" && hex.EncodeToString(pub.SerializeCompressed()) != vin.PublicKey {
					t.Fatalf("input %d: the private key's public key is %x, want %s", vin.Index, pub.SerializeCompressed(), vin.PublicKey)
				}
				sig := ecdsa.Sign(key, hash)
				if !sig.Verify(hash, pub) {
					t.Fatalf("input %d: the signature does not verify", vin.Index)
				}
				withType := append(sig.Serialize(), byte(txscript.SigHashAll))
				got := withType
				if !vin.SignatureHasHashType {
					got = withType[:len(withType)-1]
				}
				if hex.EncodeToString(got) != vin.Signature {
					t.Errorf("input %d: signature\n%x\nwant (BIP143)\n%s", vin.Index, got, vin.Signature)
				}

				pin := &p.Inputs[vin.Index]
				pin.WitnessUtxo = fetcher.FetchPrevOutput(tx.TxIn[vin.Index].PreviousOutPoint)
				if st == descriptor.P2PKH {
					// A P2PK spend is no script type btcd's finalizer
					// knows: its scriptSig is the signature alone.
					pin.FinalScriptSig, err = txscript.NewScriptBuilder().AddData(withType).Script()
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				pin.RedeemScript, pin.WitnessScript = in.redeemScript, in.witness
				pin.PartialSigs = []*btcpsbt.PartialSig{{PubKey: pub.SerializeCompressed(), Signature: withType}}
			}
			if v.SignedTx == "" {
				return
			}
			signed, err := Finalize(p)
			if err != nil {
				t.Fatalf("Finalize: %v", err)
			}
			if got := txHex(t, signed); got != v.SignedTx {
				t.Errorf("signed transaction\n%s\nwant (BIP143)\n%s", got, v.SignedTx)
			}
		})
	}
}

type bip341Vectors struct {
	ScriptPubKey []struct {
		Given struct {
			InternalPubkey string
			ScriptTree     json.RawMessage
		}
		Intermediary struct {
			MerkleRoot    *string
			Tweak         string
			TweakedPubkey string
		}
		Expected struct {
			ScriptPubKey  string
			Bip350Address string
		}
	}
	KeyPathSpending []struct {
		Given struct {
			RawUnsignedTx string
			UtxosSpent    []struct {
				ScriptPubKey string
				AmountSats   int64
			}
		}
		Intermediary struct {
			HashAmounts, HashOutputs, HashPrevouts, HashScriptPubkeys, HashSequences string
		}
		InputSpending []struct {
			Given struct {
				TxinIndex       int
				InternalPrivkey string
				MerkleRoot      *string
				HashType        int
			}
			Intermediary struct {
				InternalPubkey, Tweak, TweakedPrivkey, SigHash string
			}
			Expected struct {
				Witness []string
			}
		}
	}
}

// TestBIP341KeyPathVectors checks the BIP341 key-path spending vectors. For
// every input: the midstate, the internal and tweaked keys, the digest, and
// the witness signature made by signTaproot with the vectors' all-zero
// auxiliary randomness (the same aux Sign uses). The inputs of hash type
// DEFAULT (0x00) and ALL (0x01), the only ones airsign signs, take Sign's
// own digest function; for the others the digest comes from btcd with the
// vector's hash type and only the tweak and BIP340 signing are airsign's.
func TestBIP341KeyPathVectors(t *testing.T) {
	var f bip341Vectors
	loadJSON(t, "bip341-vectors.json", &f)
	if len(f.KeyPathSpending) == 0 {
		t.Fatal("no keyPathSpending vectors")
	}
	signedByAirsign := 0
	for _, v := range f.KeyPathSpending {
		tx := parseTx(t, v.Given.RawUnsignedTx)
		if len(v.Given.UtxosSpent) != len(tx.TxIn) {
			t.Fatalf("%d spent outputs for %d inputs", len(v.Given.UtxosSpent), len(tx.TxIn))
		}
		fetcher := txscript.NewMultiPrevOutFetcher(nil)
		for i, u := range v.Given.UtxosSpent {
			fetcher.AddPrevOut(tx.TxIn[i].PreviousOutPoint, wire.NewTxOut(u.AmountSats, unhex(t, u.ScriptPubKey)))
		}
		hashes := txscript.NewTxSigHashes(tx, fetcher)
		for _, c := range []struct {
			name      string
			got, want string
		}{
			{"hashAmounts", hex.EncodeToString(hashes.HashInputAmountsV1[:]), v.Intermediary.HashAmounts},
			{"hashOutputs", hex.EncodeToString(hashes.HashOutputsV1[:]), v.Intermediary.HashOutputs},
			{"hashPrevouts", hex.EncodeToString(hashes.HashPrevOutsV1[:]), v.Intermediary.HashPrevouts},
			{"hashScriptPubkeys", hex.EncodeToString(hashes.HashInputScriptsV1[:]), v.Intermediary.HashScriptPubkeys},
			{"hashSequences", hex.EncodeToString(hashes.HashSequenceV1[:]), v.Intermediary.HashSequences},
		} {
			if c.got != c.want {
				t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
			}
		}
		for _, in := range v.InputSpending {
			g := in.Given
			name := fmt.Sprintf("input %d", g.TxinIndex)
			var root []byte
			if g.MerkleRoot != nil {
				root = unhex(t, *g.MerkleRoot)
			}
			key, pub := btcec.PrivKeyFromBytes(unhex(t, g.InternalPrivkey))
			if got := hex.EncodeToString(schnorr.SerializePubKey(pub)); got != in.Intermediary.InternalPubkey {
				t.Errorf("%s: internal key %s, want %s", name, got, in.Intermediary.InternalPubkey)
			}
			tweak := chainhash.TaggedHash(chainhash.TagTapTweak, schnorr.SerializePubKey(pub), root)
			if got := hex.EncodeToString(tweak[:]); got != in.Intermediary.Tweak {
				t.Errorf("%s: tweak %s, want %s", name, got, in.Intermediary.Tweak)
			}
			tweaked := txscript.TweakTaprootPrivKey(*key, root)
			if got := hex.EncodeToString(tweaked.Serialize()); got != in.Intermediary.TweakedPrivkey {
				t.Errorf("%s: tweaked private key %s, want %s", name, got, in.Intermediary.TweakedPrivkey)
			}
			spent := fetcher.FetchPrevOutput(tx.TxIn[g.TxinIndex].PreviousOutPoint).PkScript
			outputKey := txscript.ComputeTaprootOutputKey(pub, root)
			if !bytes.Equal(spent[2:], schnorr.SerializePubKey(outputKey)) {
				t.Errorf("%s: output key %x, but the input spends %x", name, schnorr.SerializePubKey(outputKey), spent)
			}

			hashType := txscript.SigHashType(g.HashType)
			var hash []byte
			var err error
			switch hashType {
			case txscript.SigHashDefault:
				// exactly Sign's digest
				hash, err = sigHash(descriptor.P2TR, tx, hashes, fetcher, Input{Index: g.TxinIndex})
				signedByAirsign++
			case txscript.SigHashAll:
				// exactly Sign's digest for a taproot input that asks
				// for ALL
				hash, err = sigHash(descriptor.P2TR, tx, hashes, fetcher, Input{Index: g.TxinIndex, sighash: hashType})
				signedByAirsign++
			default:
				hash, err = txscript.CalcTaprootSignatureHash(hashes, hashType, tx, g.TxinIndex, fetcher)
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := hex.EncodeToString(hash); got != in.Intermediary.SigHash {
				t.Errorf("%s (hash type %#x): sighash %s, want %s", name, g.HashType, got, in.Intermediary.SigHash)
			}
			sig, err := signTaproot(key, nil, root, hash, [32]byte{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			witness := sig.Serialize()
			if hashType != txscript.SigHashDefault {
				witness = append(witness, byte(hashType))
			}
			if len(in.Expected.Witness) != 1 || hex.EncodeToString(witness) != in.Expected.Witness[0] {
				t.Errorf("%s (hash type %#x): witness signature\n%x\nwant (BIP341)\n%v", name, g.HashType, witness, in.Expected.Witness)
			}
		}
	}
	if signedByAirsign != 2 {
		t.Errorf("%d inputs of hash type DEFAULT or ALL, want the vectors' 2", signedByAirsign)
	}
}

// TestBIP341ScriptPubKeyVectors: for the vectors of a key-path-only output
// (no script tree, the BIP86 outputs airsign's wallets use), the output key
// is the internal key tweaked as the descriptor package tweaks it
// (txscript.ComputeTaprootKeyNoScript), and script and address follow.
func TestBIP341ScriptPubKeyVectors(t *testing.T) {
	var f bip341Vectors
	loadJSON(t, "bip341-vectors.json", &f)
	n := 0
	for _, v := range f.ScriptPubKey {
		if string(v.Given.ScriptTree) != "null" {
			continue
		}
		n++
		if v.Intermediary.MerkleRoot != nil {
			t.Fatalf("internal key %s: no script tree but a merkle root", v.Given.InternalPubkey)
		}
		internal := unhex(t, v.Given.InternalPubkey)
		pub, err := schnorr.ParsePubKey(internal)
		if err != nil {
			t.Fatal(err)
		}
		tweak := chainhash.TaggedHash(chainhash.TagTapTweak, internal)
		if got := hex.EncodeToString(tweak[:]); got != v.Intermediary.Tweak {
			t.Errorf("tweak %s, want %s", got, v.Intermediary.Tweak)
		}
		out := schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pub))
		if got := hex.EncodeToString(out); got != v.Intermediary.TweakedPubkey {
			t.Errorf("tweaked key %s, want %s", got, v.Intermediary.TweakedPubkey)
		}
		addr, err := btcutil.NewAddressTaproot(out, &chaincfg.MainNetParams)
		if err != nil {
			t.Fatal(err)
		}
		script, err := txscript.PayToAddrScript(addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(script); got != v.Expected.ScriptPubKey {
			t.Errorf("scriptPubKey %s, want %s", got, v.Expected.ScriptPubKey)
		}
		if got := addr.EncodeAddress(); got != v.Expected.Bip350Address {
			t.Errorf("address %s, want %s", got, v.Expected.Bip350Address)
		}
	}
	if n == 0 {
		t.Fatal("no key-path-only scriptPubKey vector")
	}
}

// goldenCase is a fixed PSBT of one wallet, signed by Sign.
type goldenCase struct {
	name string
	sign func(t *testing.T) *btcpsbt.Packet
}

func goldenCases() []goldenCase {
	// Two coins of the wallet (receive 0 and change 1), a payment and
	// change: fixed amounts, fabricated but fixed previous transactions.
	ins := []spend{{branch: 0, index: 0, amount: 100_000}, {branch: 1, index: 1, amount: 50_000}}
	outs := func(t testing.TB) []pay {
		return []pay{{amount: 120_000, script: foreignScript(t, 9)}, {amount: 28_000, branch: 1, index: 2}}
	}
	var cases []goldenCase
	for _, c := range []struct {
		name   string
		script descriptor.ScriptType
	}{
		{"p2pkh", descriptor.P2PKH},
		{"p2sh-p2wpkh", descriptor.P2SHP2WPKH},
		{"p2wpkh", descriptor.P2WPKH},
		{"p2tr", descriptor.P2TR},
	} {
		cases = append(cases, goldenCase{c.name, func(t *testing.T) *btcpsbt.Packet {
			// Mainnet: the accounts are BIP44/49/84/86's published
			// ones for the test mnemonic.
			m, d := testWallet(t, c.script, descriptor.Mainnet)
			defer m.Wipe()
			p := buildPSBT(t, d, ins, outs(t))
			if _, err := Sign(p, d, DefaultPolicy, m); err != nil {
				t.Fatal(err)
			}
			return p
		}})
	}
	cases = append(cases, goldenCase{"p2wsh-2of3", func(t *testing.T) *btcpsbt.Packet {
		masters, d := multisigWallet(t, descriptor.P2WSHMulti, 2)
		p := buildPSBT(t, d, ins, outs(t))
		combined, err := Combine(signedCopies(t, p, d, masters[0], masters[1])...)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range masters {
			m.Wipe()
		}
		return combined
	}})
	return cases
}

// TestGoldenSignedPSBTs signs a fixed PSBT of every script type (the
// multisig by two of its cosigners, combined) and compares the encoded
// result with testdata/golden/<name>.psbt byte for byte: a change that
// alters any signature, or anything else Sign writes, fails here. The
// golden files must also finalize, so they hold valid signatures.
func TestGoldenSignedPSBTs(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			got, err := Encode(c.sign(t))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", c.name+".psbt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("signed PSBT differs from %s:\n got %x\nwant %x", path, got, want)
			}
			p, err := Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Finalize(p); err != nil {
				t.Errorf("the golden PSBT does not finalize: %v", err)
			}
		})
	}
}

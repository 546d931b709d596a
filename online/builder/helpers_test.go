package builder_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/builder"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

var singleScripts = []descriptor.ScriptType{descriptor.P2PKH, descriptor.P2SHP2WPKH, descriptor.P2WPKH, descriptor.P2TR}
var multisigScripts = []descriptor.ScriptType{descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti}

// testMnemonic is BIP84's test mnemonic, so keys and addresses can be
// compared with published vectors.
var testMnemonic = []byte("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")

// wallet is a wallet of test seeds and the masters that sign for it: the
// one key of a single-sig wallet, two of three cosigners of a multisig.
type wallet struct {
	name    string
	d       *descriptor.Descriptor
	signers []*hd.Master
}

func singleWallet(t testing.TB, st descriptor.ScriptType) wallet {
	t.Helper()
	entropy, err := hd.MnemonicToEntropy(testMnemonic)
	if err != nil {
		t.Fatal(err)
	}
	m, err := hd.MasterFromEntropy(entropy, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Wipe)
	d, err := m.Account(st, 0)
	if err != nil {
		t.Fatal(err)
	}
	return wallet{st.String(), d, []*hd.Master{m}}
}

// multisigWallet is a 2-of-3 sorted multisig of three seeds that exist only
// in tests (entropy 0x01…, 0x02…, 0x03…), cosigner i on BIP48 account i;
// cosigners 0 and 2 sign.
func multisigWallet(t testing.TB, st descriptor.ScriptType) wallet {
	t.Helper()
	d := &descriptor.Descriptor{Script: st, Network: descriptor.Regtest, Threshold: 2}
	var masters []*hd.Master
	for i := range 3 {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(i + 1)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Wipe)
		origin, key, err := m.CosignerKey(uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
		d.Keys = append(d.Keys, descriptor.Key{Origin: origin, Key: key})
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return wallet{st.String() + " 2-of-3", d, []*hd.Master{masters[0], masters[2]}}
}

func allWallets(t testing.TB) []wallet {
	var ws []wallet
	for _, st := range singleScripts {
		ws = append(ws, singleWallet(t, st))
	}
	for _, st := range multisigScripts {
		ws = append(ws, multisigWallet(t, st))
	}
	return ws
}

// policy is the kiosk policy of the seed m: for a multisig, Cosigner names
// it.
func policy(m *hd.Master) psbt.Policy {
	pol := psbt.DefaultPolicy
	pol.Cosigner = m.Fingerprint()
	return pol
}

// Foreign output scripts nobody in the tests holds a key for.
func foreignP2WPKH(seed byte) []byte {
	return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(append([]byte{0x02}, bytes.Repeat([]byte{seed}, 32)...))...)
}

func foreignP2TR(seed byte) []byte {
	h := sha256.Sum256([]byte{seed})
	return append([]byte{txscript.OP_1, txscript.OP_DATA_32}, h[:]...)
}

func foreignP2PKH(seed byte) []byte {
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).
		AddData(bytes.Repeat([]byte{seed}, 20)).AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	if err != nil {
		panic(err)
	}
	return s
}

// fakeCoin is a coin of wallet d at branch/index in a fabricated funding
// transaction (output 1; output 0 pays elsewhere), for tests that need no
// node. n makes each funding transaction distinct.
func fakeCoin(t testing.TB, d *descriptor.Descriptor, branch, index uint32, value btcutil.Amount, n int) builder.Input {
	t.Helper()
	script, err := d.PkScript(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(n), byte(n >> 8)}, Index: uint32(n)}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(1000, foreignP2WPKH(1)))
	prev.AddTxOut(wire.NewTxOut(int64(value), script))
	return builder.Input{OutPoint: wire.OutPoint{Hash: prev.TxHash(), Index: 1}, Value: value, PkScript: script, Branch: branch, Index: index, PrevTx: prev}
}

// txWeight is a signed transaction's weight (BIP141).
func txWeight(tx *wire.MsgTx) int {
	return tx.SerializeSizeStripped()*3 + tx.SerializeSize()
}

// roundTrip encodes p and decodes it as the kiosk does.
func roundTrip(t testing.TB, p *btcpsbt.Packet) (*btcpsbt.Packet, []byte) {
	t.Helper()
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := psbt.Decode(raw)
	if err != nil {
		t.Fatalf("the kiosk's Decode refuses the built PSBT: %v", err)
	}
	return q, raw
}

package psbt

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

// The fixtures use BIP84's test mnemonic, so their keys and addresses can be
// compared with the published vectors.
var testMnemonic = []byte("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")

func testWallet(t testing.TB, script descriptor.ScriptType, net descriptor.Network) (*hd.Master, *descriptor.Descriptor) {
	t.Helper()
	entropy, err := hd.MnemonicToEntropy(testMnemonic)
	if err != nil {
		t.Fatal(err)
	}
	m, err := hd.MasterFromEntropy(entropy, net)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Account(script, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, d
}

// spend describes one input of a fixture: a coin of the wallet at branch/
// index, or a foreign coin when foreign is set. The previous transaction is
// fabricated, unless prev gives a real one (from a node), whose output vout
// is spent; amount and foreign are then ignored.
type spend struct {
	branch, index uint32
	amount        int64
	foreign       []byte // pkScript of a coin that is not the wallet's
	prev          *wire.MsgTx
	vout          uint32
}

// pay describes one output: to a foreign script, or change at branch/index.
type pay struct {
	amount        int64
	script        []byte // foreign payment when set
	branch, index uint32 // change otherwise
}

// multisigWallet is a threshold-of-3 sorted multisig of three seeds that
// exist only in tests (entropy 0x01…, 0x02…, 0x03…). Cosigner i uses BIP48
// account i, so that every cosigner's path template differs.
func multisigWallet(t testing.TB, script descriptor.ScriptType, threshold int) ([]*hd.Master, *descriptor.Descriptor) {
	t.Helper()
	d := &descriptor.Descriptor{Script: script, Network: descriptor.Regtest, Threshold: threshold}
	var masters []*hd.Master
	for i := range 3 {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(i + 1)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
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
	return masters, d
}

// cosigner is the Policy of the kiosk that holds m's seed.
func cosigner(pol Policy, m *hd.Master) Policy {
	pol.Cosigner = m.Fingerprint()
	return pol
}

// buildPSBT makes an unsigned PSBT as a careful coordinator would: full
// previous transactions, witness UTXOs, and BIP32 derivations for every
// input and change output of the wallet.
func buildPSBT(t testing.TB, d *descriptor.Descriptor, ins []spend, outs []pay) *btcpsbt.Packet {
	t.Helper()
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	var vouts []uint32
	for i, in := range ins {
		prev, vout := in.prev, in.vout
		if prev == nil {
			script := in.foreign
			if script == nil {
				var err error
				if script, err = d.PkScript(in.branch, in.index); err != nil {
					t.Fatal(err)
				}
			}
			prev = wire.NewMsgTx(2)
			prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}, Index: 7}, nil, nil))
			prev.AddTxOut(wire.NewTxOut(1000, []byte{txscript.OP_TRUE}))
			prev.AddTxOut(wire.NewTxOut(in.amount, script))
			vout = 1
		}
		prevs, vouts = append(prevs, prev), append(vouts, vout)
		txIn := wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash(), Index: vout}, nil, nil)
		txIn.Sequence = wire.MaxTxInSequenceNum - 2 // RBF
		tx.AddTxIn(txIn)
	}
	for _, out := range outs {
		script := out.script
		if script == nil {
			var err error
			if script, err = d.PkScript(out.branch, out.index); err != nil {
				t.Fatal(err)
			}
		}
		tx.AddTxOut(wire.NewTxOut(out.amount, script))
	}
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	fp := fingerprintUint32(d.Origin.Fingerprint)
	for i, in := range ins {
		spent := prevs[i].TxOut[vouts[i]]
		p.Inputs[i].NonWitnessUtxo = prevs[i]
		if !txscript.IsPayToPubKeyHash(spent.PkScript) { // BIP174: witness UTXOs are for segwit inputs
			p.Inputs[i].WitnessUtxo = spent
		}
		if in.foreign != nil {
			continue
		}
		derivation(t, d, fp, in.branch, in.index, &p.Inputs[i].Bip32Derivation, &p.Inputs[i].TaprootBip32Derivation, &p.Inputs[i].TaprootInternalKey)
		p.Inputs[i].RedeemScript, p.Inputs[i].WitnessScript = scriptsAt(t, d, in.branch, in.index)
	}
	for o, out := range outs {
		if out.script != nil {
			continue
		}
		derivation(t, d, fp, out.branch, out.index, &p.Outputs[o].Bip32Derivation, &p.Outputs[o].TaprootBip32Derivation, &p.Outputs[o].TaprootInternalKey)
		p.Outputs[o].RedeemScript, p.Outputs[o].WitnessScript = scriptsAt(t, d, out.branch, out.index)
	}
	return p
}

// scriptsAt is the redeem and witness script a coordinator puts on inputs
// and change outputs of the wallet at branch/index.
func scriptsAt(t testing.TB, d *descriptor.Descriptor, branch, index uint32) (redeem, witness []byte) {
	var err error
	if d.Script.Multisig() {
		if witness, err = d.WitnessScript(branch, index); err != nil {
			t.Fatal(err)
		}
	}
	if d.Script == descriptor.P2SHP2WPKH || d.Script == descriptor.P2SHP2WSHMulti {
		if redeem, err = d.RedeemScript(branch, index); err != nil {
			t.Fatal(err)
		}
	}
	return redeem, witness
}

func derivation(t testing.TB, d *descriptor.Descriptor, fp uint32, branch, index uint32, ds *[]*btcpsbt.Bip32Derivation, tds *[]*btcpsbt.TaprootBip32Derivation, internal *[]byte) {
	if d.Script.Multisig() {
		for _, k := range d.Keys {
			pub, err := k.PublicKey(branch, index)
			if err != nil {
				t.Fatal(err)
			}
			*ds = append(*ds, &btcpsbt.Bip32Derivation{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: fingerprintUint32(k.Origin.Fingerprint), Bip32Path: k.Path(branch, index)})
		}
		return
	}
	pub, err := d.PublicKey(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	path := d.Path(branch, index)
	if d.Script == descriptor.P2TR {
		x := schnorr.SerializePubKey(pub)
		*tds = append(*tds, &btcpsbt.TaprootBip32Derivation{XOnlyPubKey: x, MasterKeyFingerprint: fp, Bip32Path: path})
		*internal = x
		return
	}
	*ds = append(*ds, &btcpsbt.Bip32Derivation{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: fp, Bip32Path: path})
}

func p2wpkhScript(t testing.TB, pub []byte) []byte {
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(pub)).Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// foreignScript is a P2WPKH output nobody in the tests holds a key for.
func foreignScript(t testing.TB, seed byte) []byte {
	return p2wpkhScript(t, append([]byte{0x02}, bytes.Repeat([]byte{seed}, 32)...))
}

type wrappedPacket struct{ Packet *btcpsbt.Packet }

// clonePacket copies a PSBT through its serialization.
func clonePacket(t testing.TB, p *btcpsbt.Packet) *wrappedPacket {
	var buf bytes.Buffer
	if err := p.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := btcpsbt.NewFromRawBytes(&buf, false)
	if err != nil {
		t.Fatal(err)
	}
	return &wrappedPacket{q}
}

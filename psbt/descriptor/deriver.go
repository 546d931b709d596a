package descriptor

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"
)

// Deriver derives the keys and scripts of one branch of a descriptor. It
// validates the descriptor and derives each cosigner's branch key once, so
// that every index then costs one public derivation per key: what a PSBT
// with many inputs, or a watcher scanning many addresses, needs. The
// Descriptor's own methods go through a Deriver too, so both give the same
// keys.
type Deriver struct {
	d      *Descriptor
	branch uint32
	keys   []branchKey // in the order of Keys (or the single Key)
}

// branchKey is what BIP32's public child derivation needs from a branch
// key, computed once.
type branchKey struct {
	pub       *btcec.PublicKey
	point     btcec.JacobianPoint
	serP      []byte // compressed public key
	chainCode []byte
}

// Deriver returns a Deriver for branch (0 receive, 1 change).
func (d *Descriptor) Deriver(branch uint32) (*Deriver, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkBranch(branch); err != nil {
		return nil, err
	}
	accounts := []*hdkeychain.ExtendedKey{d.Key}
	if d.Script.Multisig() {
		accounts = accounts[:0]
		for _, k := range d.Keys {
			accounts = append(accounts, k.Key)
		}
	}
	b := &Deriver{d: d, branch: branch}
	for i, a := range accounts {
		k, err := a.Derive(branch)
		if err != nil {
			if len(accounts) > 1 {
				return nil, fmt.Errorf("key %d of %d: deriving branch %d: %w", i+1, len(accounts), branch, err)
			}
			return nil, fmt.Errorf("deriving branch %d: %w", branch, err)
		}
		pub, err := k.ECPubKey()
		if err != nil {
			return nil, err
		}
		bk := branchKey{pub: pub, serP: pub.SerializeCompressed(), chainCode: k.ChainCode()}
		pub.AsJacobian(&bk.point)
		b.keys = append(b.keys, bk)
	}
	return b, nil
}

// derive is BIP32's public child derivation CKDpub at index:
// I = HMAC-SHA512(chain code, serP(K) || ser32(index)), child = I_L·G + K.
// It works on Jacobian points, which saves hdkeychain's affine big-number
// arithmetic: a Deriver serves PSBTs of a thousand inputs. Tests compare it
// with hdkeychain on the BIP32 vectors.
func (k *branchKey) derive(branch, index uint32) (*btcec.PublicKey, error) {
	if index >= Hardened {
		return nil, fmt.Errorf("address index %d is a hardened index, which an xpub cannot derive: use an index below %d", index, uint32(Hardened))
	}
	mac := hmac.New(sha512.New, k.chainCode)
	mac.Write(k.serP)
	var idx [4]byte
	binary.BigEndian.PutUint32(idx[:], index)
	mac.Write(idx[:])
	sum := mac.Sum(nil)
	var il btcec.ModNScalar
	var child btcec.JacobianPoint
	if overflow := il.SetByteSlice(sum[:32]); !overflow {
		var ilG btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&il, &ilG)
		btcec.AddNonConst(&ilG, &k.point, &child)
	}
	if il.IsZero() || (child.X.IsZero() && child.Y.IsZero()) || child.Z.IsZero() {
		// BIP32's invalid child (probability below 2^-127): wallets skip
		// the index.
		return nil, fmt.Errorf("deriving index %d of branch %d: %w: skip this index", index, branch, hdkeychain.ErrInvalidChild)
	}
	child.ToAffine()
	return btcec.NewPublicKey(&child.X, &child.Y), nil
}

// PublicKey is the single-sig key at index.
func (b *Deriver) PublicKey(index uint32) (*btcec.PublicKey, error) {
	if b.d.Script.Multisig() {
		return nil, errors.New("a multisig descriptor has one public key per cosigner: use PublicKeys")
	}
	return b.keys[0].derive(b.branch, index)
}

// PublicKeys are the cosigners' keys at index, in the order of Keys (not
// the sorted order of the script).
func (b *Deriver) PublicKeys(index uint32) ([]*btcec.PublicKey, error) {
	if !b.d.Script.Multisig() {
		return nil, fmt.Errorf("a %v descriptor has one public key: use PublicKey", b.d.Script)
	}
	pubs := make([]*btcec.PublicKey, len(b.keys))
	for i, k := range b.keys {
		pub, err := k.derive(b.branch, index)
		if err != nil {
			return nil, fmt.Errorf("key %d of %d: %w", i+1, len(b.keys), err)
		}
		pubs[i] = pub
	}
	return pubs, nil
}

// WitnessScript is the multisig script at index (see
// Descriptor.WitnessScript).
func (b *Deriver) WitnessScript(index uint32) ([]byte, error) {
	pubs, err := b.PublicKeys(index)
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(pubs))
	for i, p := range pubs {
		keys[i] = p.SerializeCompressed()
	}
	return multisigScript(b.d.Threshold, sortKeys(keys))
}

// RedeemScript is the P2SH redeem script at index (see
// Descriptor.RedeemScript).
func (b *Deriver) RedeemScript(index uint32) ([]byte, error) {
	switch b.d.Script {
	case P2SHP2WSHMulti:
		ws, err := b.WitnessScript(index)
		if err != nil {
			return nil, err
		}
		return p2wshProgram(ws), nil
	case P2SHP2WPKH:
		pub, err := b.PublicKey(index)
		if err != nil {
			return nil, err
		}
		return append([]byte{txscript.OP_0, 20}, btcutil.Hash160(pub.SerializeCompressed())...), nil
	}
	return nil, fmt.Errorf("a %v output has no redeem script: only p2sh-p2wpkh and p2sh-p2wsh-sortedmulti are wrapped in P2SH", b.d.Script)
}

// Address is the address at index (see Descriptor.Address).
func (b *Deriver) Address(index uint32) (btcutil.Address, error) {
	params := b.d.Network.Params()
	if b.d.Script.Multisig() {
		ws, err := b.WitnessScript(index)
		if err != nil {
			return nil, err
		}
		if b.d.Script == P2SHP2WSHMulti {
			return btcutil.NewAddressScriptHash(p2wshProgram(ws), params)
		}
		hash := sha256.Sum256(ws)
		return btcutil.NewAddressWitnessScriptHash(hash[:], params)
	}
	pub, err := b.PublicKey(index)
	if err != nil {
		return nil, err
	}
	return b.address(pub)
}

// address is the single-sig address paying to pub.
func (b *Deriver) address(pub *btcec.PublicKey) (btcutil.Address, error) {
	params := b.d.Network.Params()
	switch b.d.Script {
	case P2PKH:
		return btcutil.NewAddressPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), params)
	case P2SHP2WPKH:
		w, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), params)
		if err != nil {
			return nil, err
		}
		redeem, err := txscript.PayToAddrScript(w)
		if err != nil {
			return nil, err
		}
		return btcutil.NewAddressScriptHash(redeem, params)
	case P2WPKH:
		return btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), params)
	case P2TR:
		out := txscript.ComputeTaprootKeyNoScript(pub)
		return btcutil.NewAddressTaproot(schnorr.SerializePubKey(out), params)
	}
	return nil, fmt.Errorf("%v is not a script type", b.d.Script)
}

// PkScript is the output script at index.
func (b *Deriver) PkScript(index uint32) ([]byte, error) {
	addr, err := b.Address(index)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(addr)
}

// KeyScript is the single-sig key at index and the output script paying to
// it, from one derivation: what a signer checks an input against and then
// verifies its signature with.
func (b *Deriver) KeyScript(index uint32) (*btcec.PublicKey, []byte, error) {
	pub, err := b.PublicKey(index)
	if err != nil {
		return nil, nil, err
	}
	addr, err := b.address(pub)
	if err != nil {
		return nil, nil, err
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return nil, nil, err
	}
	return pub, script, nil
}

// TaprootKeyScript is, for a P2TR descriptor, the internal key at index,
// the BIP86 output key it commits to, and the output script: a signer
// verifies its signature with the output key and would otherwise have to
// lift it from the script again.
func (b *Deriver) TaprootKeyScript(index uint32) (internal, output *btcec.PublicKey, script []byte, err error) {
	if b.d.Script != P2TR {
		return nil, nil, nil, fmt.Errorf("a %v descriptor has no taproot output key", b.d.Script)
	}
	if internal, err = b.PublicKey(index); err != nil {
		return nil, nil, nil, err
	}
	output = txscript.ComputeTaprootKeyNoScript(internal)
	script, err = txscript.PayToTaprootScript(output)
	if err != nil {
		return nil, nil, nil, err
	}
	return internal, output, script, nil
}

// MultisigScripts is, for a multisig descriptor, everything at index from
// one derivation per cosigner: the keys in the order of Keys, the witness
// script, the redeem script (P2SH-P2WSH only, else nil) and the output
// script. A signer checking an input needs all four; deriving each through
// its own method would derive every key four times.
func (b *Deriver) MultisigScripts(index uint32) (keys []*btcec.PublicKey, witness, redeem, pkScript []byte, err error) {
	if keys, err = b.PublicKeys(index); err != nil {
		return nil, nil, nil, nil, err
	}
	ser := make([][]byte, len(keys))
	for i, k := range keys {
		ser[i] = k.SerializeCompressed()
	}
	if witness, err = multisigScript(b.d.Threshold, sortKeys(ser)); err != nil {
		return nil, nil, nil, nil, err
	}
	pkScript = p2wshProgram(witness)
	if b.d.Script == P2SHP2WSHMulti {
		redeem = pkScript
		hash := btcutil.Hash160(redeem)
		pkScript = append(append([]byte{txscript.OP_HASH160, 20}, hash...), txscript.OP_EQUAL)
	}
	return keys, witness, redeem, pkScript, nil
}

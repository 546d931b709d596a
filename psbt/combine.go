package psbt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

// ErrCombine is wrapped by every error Combine returns for packets that
// cannot be merged, for errors.Is.
var ErrCombine = errors.New("the PSBTs cannot be combined")

// Combine merges PSBTs of the same unsigned transaction into one (BIP174
// Combiner): typically the copies each cosigner of a multisig signed, so
// that the result carries every partial signature. Fields one packet has
// and the others lack are taken over; a field present in several must have
// the same value in all. Packets of different transactions, and conflicting
// values for the same field (two UTXOs, two signatures for one key, two
// witness scripts), are refused with the input or output and field named:
// a combiner that picked one would let whichever copy came first decide.
//
// The packets are not changed. The result does not depend on their order.
// Combine checks no signature: Finalize runs every input's script.
func Combine(packets ...*btcpsbt.Packet) (*btcpsbt.Packet, error) {
	if len(packets) == 0 {
		return nil, fmt.Errorf("%w: no PSBT given", ErrCombine)
	}
	var want []byte
	for n, p := range packets {
		if p == nil || p.UnsignedTx == nil {
			return nil, fmt.Errorf("%w: PSBT %d is empty", ErrCombine, n+1)
		}
		if len(p.Inputs) != len(p.UnsignedTx.TxIn) || len(p.Outputs) != len(p.UnsignedTx.TxOut) {
			return nil, fmt.Errorf("%w: PSBT %d has %d input and %d output maps for a transaction of %d inputs and %d outputs", ErrCombine, n+1, len(p.Inputs), len(p.Outputs), len(p.UnsignedTx.TxIn), len(p.UnsignedTx.TxOut))
		}
		var buf bytes.Buffer
		if err := p.UnsignedTx.SerializeNoWitness(&buf); err != nil {
			return nil, fmt.Errorf("%w: PSBT %d: %v", ErrCombine, n+1, err)
		}
		if n == 0 {
			want = buf.Bytes()
		} else if !bytes.Equal(buf.Bytes(), want) {
			return nil, fmt.Errorf("%w: PSBT %d is for transaction %s, PSBT 1 for %s: only copies of one transaction combine", ErrCombine, n+1, p.UnsignedTx.TxHash(), packets[0].UnsignedTx.TxHash())
		}
	}

	first := packets[0]
	out := &btcpsbt.Packet{
		UnsignedTx: first.UnsignedTx.Copy(),
		Inputs:     make([]btcpsbt.PInput, len(first.Inputs)),
		Outputs:    make([]btcpsbt.POutput, len(first.Outputs)),
	}
	for n, p := range packets {
		c := combiner{packet: n + 1}
		c.where = "global map"
		out.Unknowns = c.unknowns(out.Unknowns, p.Unknowns)
		for i := range p.Inputs {
			c.where = fmt.Sprintf("input %d", i)
			c.input(&out.Inputs[i], &p.Inputs[i])
		}
		for o := range p.Outputs {
			c.where = fmt.Sprintf("output %d", o)
			c.output(&out.Outputs[o], &p.Outputs[o])
		}
		if c.err != nil {
			return nil, c.err
		}
	}
	return out, nil
}

// combiner merges one packet's maps into the result, keeping the first
// conflict it finds.
type combiner struct {
	packet int
	where  string
	err    error
}

func (c *combiner) conflict(field string) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %s: PSBT %d has another %s than the PSBTs before it", ErrCombine, c.where, c.packet, field)
	}
}

// bytesField merges a byte-string field.
func (c *combiner) bytesField(dst *[]byte, src []byte, field string) {
	switch {
	case src == nil:
	case *dst == nil:
		*dst = slices.Clone(src)
	case !bytes.Equal(*dst, src):
		c.conflict(field)
	}
}

func (c *combiner) input(dst, src *btcpsbt.PInput) {
	if src.NonWitnessUtxo != nil {
		if dst.NonWitnessUtxo == nil {
			dst.NonWitnessUtxo = src.NonWitnessUtxo.Copy()
		} else if !sameTx(dst.NonWitnessUtxo, src.NonWitnessUtxo) {
			c.conflict("previous transaction (non_witness_utxo)")
		}
	}
	if src.WitnessUtxo != nil {
		if dst.WitnessUtxo == nil {
			dst.WitnessUtxo = wire.NewTxOut(src.WitnessUtxo.Value, slices.Clone(src.WitnessUtxo.PkScript))
		} else if dst.WitnessUtxo.Value != src.WitnessUtxo.Value || !bytes.Equal(dst.WitnessUtxo.PkScript, src.WitnessUtxo.PkScript) {
			c.conflict("spent output (witness_utxo)")
		}
	}
	for _, ps := range src.PartialSigs {
		i := slices.IndexFunc(dst.PartialSigs, func(d *btcpsbt.PartialSig) bool { return bytes.Equal(d.PubKey, ps.PubKey) })
		switch {
		case i < 0:
			dst.PartialSigs = append(dst.PartialSigs, &btcpsbt.PartialSig{PubKey: slices.Clone(ps.PubKey), Signature: slices.Clone(ps.Signature)})
		case !bytes.Equal(dst.PartialSigs[i].Signature, ps.Signature):
			c.conflict(fmt.Sprintf("signature (partial_sig) for key %x", ps.PubKey))
		}
	}
	slices.SortFunc(dst.PartialSigs, func(a, b *btcpsbt.PartialSig) int { return bytes.Compare(a.PubKey, b.PubKey) })
	if src.SighashType != 0 {
		if dst.SighashType == 0 {
			dst.SighashType = src.SighashType
		} else if dst.SighashType != src.SighashType {
			c.conflict("sighash type")
		}
	}
	c.bytesField(&dst.RedeemScript, src.RedeemScript, "redeem script")
	c.bytesField(&dst.WitnessScript, src.WitnessScript, "witness script")
	dst.Bip32Derivation = c.derivations(dst.Bip32Derivation, src.Bip32Derivation)
	c.bytesField(&dst.FinalScriptSig, src.FinalScriptSig, "final scriptSig")
	c.bytesField(&dst.FinalScriptWitness, src.FinalScriptWitness, "final witness")
	c.bytesField(&dst.TaprootKeySpendSig, src.TaprootKeySpendSig, "taproot key-path signature")
	for _, s := range src.TaprootScriptSpendSig {
		i := slices.IndexFunc(dst.TaprootScriptSpendSig, func(d *btcpsbt.TaprootScriptSpendSig) bool {
			return bytes.Equal(d.XOnlyPubKey, s.XOnlyPubKey) && bytes.Equal(d.LeafHash, s.LeafHash)
		})
		switch {
		case i < 0:
			dst.TaprootScriptSpendSig = append(dst.TaprootScriptSpendSig, &btcpsbt.TaprootScriptSpendSig{
				XOnlyPubKey: slices.Clone(s.XOnlyPubKey), LeafHash: slices.Clone(s.LeafHash), Signature: slices.Clone(s.Signature), SigHash: s.SigHash,
			})
		case !bytes.Equal(dst.TaprootScriptSpendSig[i].Signature, s.Signature) || dst.TaprootScriptSpendSig[i].SigHash != s.SigHash:
			c.conflict(fmt.Sprintf("taproot script-path signature for key %x", s.XOnlyPubKey))
		}
	}
	slices.SortFunc(dst.TaprootScriptSpendSig, func(a, b *btcpsbt.TaprootScriptSpendSig) int {
		if r := bytes.Compare(a.XOnlyPubKey, b.XOnlyPubKey); r != 0 {
			return r
		}
		return bytes.Compare(a.LeafHash, b.LeafHash)
	})
	for _, l := range src.TaprootLeafScript {
		i := slices.IndexFunc(dst.TaprootLeafScript, func(d *btcpsbt.TaprootTapLeafScript) bool { return bytes.Equal(d.ControlBlock, l.ControlBlock) })
		switch {
		case i < 0:
			dst.TaprootLeafScript = append(dst.TaprootLeafScript, &btcpsbt.TaprootTapLeafScript{
				ControlBlock: slices.Clone(l.ControlBlock), Script: slices.Clone(l.Script), LeafVersion: l.LeafVersion,
			})
		case !bytes.Equal(dst.TaprootLeafScript[i].Script, l.Script) || dst.TaprootLeafScript[i].LeafVersion != l.LeafVersion:
			c.conflict("taproot leaf script")
		}
	}
	slices.SortFunc(dst.TaprootLeafScript, func(a, b *btcpsbt.TaprootTapLeafScript) int { return bytes.Compare(a.ControlBlock, b.ControlBlock) })
	dst.TaprootBip32Derivation = c.taprootDerivations(dst.TaprootBip32Derivation, src.TaprootBip32Derivation)
	c.bytesField(&dst.TaprootInternalKey, src.TaprootInternalKey, "taproot internal key")
	c.bytesField(&dst.TaprootMerkleRoot, src.TaprootMerkleRoot, "taproot merkle root")
	dst.Unknowns = c.unknowns(dst.Unknowns, src.Unknowns)
}

func (c *combiner) output(dst, src *btcpsbt.POutput) {
	c.bytesField(&dst.RedeemScript, src.RedeemScript, "redeem script")
	c.bytesField(&dst.WitnessScript, src.WitnessScript, "witness script")
	dst.Bip32Derivation = c.derivations(dst.Bip32Derivation, src.Bip32Derivation)
	c.bytesField(&dst.TaprootInternalKey, src.TaprootInternalKey, "taproot internal key")
	c.bytesField(&dst.TaprootTapTree, src.TaprootTapTree, "taproot tree")
	dst.TaprootBip32Derivation = c.taprootDerivations(dst.TaprootBip32Derivation, src.TaprootBip32Derivation)
	dst.Unknowns = c.unknowns(dst.Unknowns, src.Unknowns)
}

func (c *combiner) derivations(dst, src []*btcpsbt.Bip32Derivation) []*btcpsbt.Bip32Derivation {
	for _, d := range src {
		i := slices.IndexFunc(dst, func(x *btcpsbt.Bip32Derivation) bool { return bytes.Equal(x.PubKey, d.PubKey) })
		switch {
		case i < 0:
			dst = append(dst, &btcpsbt.Bip32Derivation{PubKey: slices.Clone(d.PubKey), MasterKeyFingerprint: d.MasterKeyFingerprint, Bip32Path: slices.Clone(d.Bip32Path)})
		case dst[i].MasterKeyFingerprint != d.MasterKeyFingerprint || !slices.Equal(dst[i].Bip32Path, d.Bip32Path):
			c.conflict(fmt.Sprintf("BIP32 derivation for key %x", d.PubKey))
		}
	}
	slices.SortFunc(dst, func(a, b *btcpsbt.Bip32Derivation) int { return bytes.Compare(a.PubKey, b.PubKey) })
	return dst
}

func (c *combiner) taprootDerivations(dst, src []*btcpsbt.TaprootBip32Derivation) []*btcpsbt.TaprootBip32Derivation {
	for _, d := range src {
		i := slices.IndexFunc(dst, func(x *btcpsbt.TaprootBip32Derivation) bool { return bytes.Equal(x.XOnlyPubKey, d.XOnlyPubKey) })
		switch {
		case i < 0:
			leaves := make([][]byte, len(d.LeafHashes))
			for j, h := range d.LeafHashes {
				leaves[j] = slices.Clone(h)
			}
			dst = append(dst, &btcpsbt.TaprootBip32Derivation{XOnlyPubKey: slices.Clone(d.XOnlyPubKey), LeafHashes: leaves, MasterKeyFingerprint: d.MasterKeyFingerprint, Bip32Path: slices.Clone(d.Bip32Path)})
		case dst[i].MasterKeyFingerprint != d.MasterKeyFingerprint || !slices.Equal(dst[i].Bip32Path, d.Bip32Path) ||
			!slices.EqualFunc(dst[i].LeafHashes, d.LeafHashes, bytes.Equal):
			c.conflict(fmt.Sprintf("taproot BIP32 derivation for key %x", d.XOnlyPubKey))
		}
	}
	slices.SortFunc(dst, func(a, b *btcpsbt.TaprootBip32Derivation) int { return bytes.Compare(a.XOnlyPubKey, b.XOnlyPubKey) })
	return dst
}

// unknowns merges unknown and proprietary fields (airsign's approvals ride
// there) by key. They are kept sorted by key, so the result does not depend
// on the order of the packets.
func (c *combiner) unknowns(dst, src []*btcpsbt.Unknown) []*btcpsbt.Unknown {
	for _, u := range src {
		i := slices.IndexFunc(dst, func(x *btcpsbt.Unknown) bool { return bytes.Equal(x.Key, u.Key) })
		switch {
		case i < 0:
			dst = append(dst, &btcpsbt.Unknown{Key: slices.Clone(u.Key), Value: slices.Clone(u.Value)})
		case !bytes.Equal(dst[i].Value, u.Value):
			c.conflict(fmt.Sprintf("value for field %x", u.Key))
		}
	}
	slices.SortFunc(dst, func(a, b *btcpsbt.Unknown) int { return bytes.Compare(a.Key, b.Key) })
	return dst
}

// sameTx compares two transactions with their witnesses: the same txid
// with other witnesses is other data for the same key.
func sameTx(a, b *wire.MsgTx) bool {
	var x, y bytes.Buffer
	if a.Serialize(&x) != nil || b.Serialize(&y) != nil {
		return false
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}

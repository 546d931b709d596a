package coordinator

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/builder"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/bip322"
	"airsign/psbt/reserves"
)

// BIP-322 PSBTs: a message signed by one of a wallet's addresses, and a
// proof of reserves over its confirmed coins bound to an auditor's
// challenge. The coordinator builds them for the kiosk, which signs them
// under its quorum; finalize turns the signed PSBTs into the signature or
// proof. They are never broadcast: their first input spends to_spend, a
// transaction that cannot exist on chain.

// SignMessage builds the PSBT in which the wallet's address signs message
// (BIP-322), carrying the message for the kiosk to show.
func (c *Coordinator) SignMessage(ctx context.Context, wallet, address string, message []byte) (*btcpsbt.Packet, error) {
	var p *btcpsbt.Packet
	err := c.logged("sign-message", map[string]any{"wallet": wallet, "address": address, "message_sha256": messageHash(message)}, func() error {
		w, owner, err := c.proofOwner(ctx, wallet, address)
		if err != nil {
			return err
		}
		ins := []builder.Input{owner}
		derived, err := derive(w, message, ins)
		if err != nil {
			return err
		}
		toSign, err := bip322.ToSignPSBT(message, scriptOf(derived, ins[0]))
		if err != nil {
			return err
		}
		p, err = carry(toSign, derived, message)
		return err
	})
	return p, err
}

// ProveReserves builds the proof-of-reserves PSBT over every confirmed
// unspent coin of the wallet, bound to challenge by the wallet's first
// receive address, and the UTXO snapshot of those coins at the store's tip
// for the auditor.
func (c *Coordinator) ProveReserves(ctx context.Context, wallet string, challenge []byte) (*btcpsbt.Packet, reserves.Snapshot, error) {
	var p *btcpsbt.Packet
	var snap reserves.Snapshot
	data := map[string]any{"wallet": wallet, "challenge_sha256": messageHash(challenge)}
	err := c.logged("prove-reserves", data, func() error {
		w, err := c.Wallet(ctx, wallet)
		if err != nil {
			return err
		}
		if err := notScript(w, "prove-reserves"); err != nil {
			return err
		}
		height, hash, ok, err := c.st.Tip(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("the coordinator has not synced a block yet; run sync first")
		}
		utxos, err := c.st.UTXOs(ctx, wallet)
		if err != nil {
			return err
		}
		// Confirmed coins only: the auditor's snapshot is the UTXO set at
		// a block, which a mempool coin is not in.
		utxos = slices.DeleteFunc(utxos, func(u store.UTXO) bool { return u.Height <= 0 })
		if len(utxos) == 0 {
			return fmt.Errorf("wallet %q has no confirmed coins to prove", wallet)
		}
		if len(utxos) > bip322.MaxCoins {
			return fmt.Errorf("wallet %q has %d confirmed coins, more than the %d one proof covers", wallet, len(utxos), bip322.MaxCoins)
		}
		owner := builder.Input{Branch: 0, Index: 0}
		if owner.PkScript, err = w.Descriptor.PkScript(0, 0); err != nil {
			return err
		}
		ins := []builder.Input{owner}
		snapCoins := map[wire.OutPoint]*wire.TxOut{}
		for _, u := range utxos {
			prev, err := c.st.Tx(ctx, u.OutPoint.Hash)
			if err != nil {
				return fmt.Errorf("the funding transaction of %v is not stored; rescan the wallet: %w", u.OutPoint, err)
			}
			ins = append(ins, builder.Input{OutPoint: u.OutPoint, Value: u.Value, PkScript: u.Script, Branch: u.Branch, Index: u.Index, PrevTx: prev})
			snapCoins[u.OutPoint] = wire.NewTxOut(int64(u.Value), u.Script)
		}
		derived, err := derive(w, challenge, ins)
		if err != nil {
			return err
		}
		var coins []bip322.Coin
		for _, in := range ins[1:] {
			coins = append(coins, bip322.Coin{OutPoint: in.OutPoint, Value: in.Value, Script: scriptOf(derived, in), PrevTx: in.PrevTx})
		}
		toSign, err := bip322.ReservesPSBT(challenge, scriptOf(derived, ins[0]), coins)
		if err != nil {
			return err
		}
		if p, err = carry(toSign, derived, challenge); err != nil {
			return err
		}
		snap = reserves.New(w.Network, wallet, height, hash, snapCoins)
		data["coins"], data["height"] = len(coins), height
		return nil
	})
	return p, snap, err
}

// proofOwner finds address among the wallet's addresses.
func (c *Coordinator) proofOwner(ctx context.Context, wallet, address string) (Wallet, builder.Input, error) {
	w, err := c.Wallet(ctx, wallet)
	if err != nil {
		return w, builder.Input{}, err
	}
	if err := notScript(w, "sign-message"); err != nil {
		return w, builder.Input{}, err
	}
	addr, err := btcutil.DecodeAddress(address, w.Descriptor.Network.Params())
	if err != nil || !addr.IsForNet(w.Descriptor.Network.Params()) {
		return w, builder.Input{}, fmt.Errorf("%q is not a %s address", address, w.Network)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return w, builder.Input{}, err
	}
	all, err := c.st.Addresses(ctx, wallet)
	if err != nil {
		return w, builder.Input{}, err
	}
	for _, a := range all {
		if bytes.Equal(a.Script, script) {
			return w, builder.Input{Branch: a.Branch, Index: a.Index, PkScript: a.Script}, nil
		}
	}
	return w, builder.Input{}, fmt.Errorf("%s is not an address of wallet %q that the coordinator watches; sign with one it handed out", address, wallet)
}

// derive runs the builder over ins, the wallet's coins a BIP-322 PSBT
// spends (the first is to_spend's output, paid to the signing address for
// message), and returns each input's PSBT fields by outpoint: the builder
// checks each coin's script against the wallet's descriptor and derives
// its key origins and scripts, as for a withdrawal's inputs. The
// transaction it builds around them is only a carrier.
func derive(w Wallet, message []byte, ins []builder.Input) (map[wire.OutPoint]btcpsbt.PInput, error) {
	// The builder takes no coin of 0 sat, which to_spend's output is: it
	// derives a placeholder coin of 1 sat paid to the same address, whose
	// fields are to_spend's.
	placeholder := wire.NewMsgTx(2)
	placeholder.AddTxIn(wire.NewTxIn(&wire.OutPoint{}, nil, nil))
	placeholder.AddTxOut(wire.NewTxOut(1, ins[0].PkScript))
	ins[0].OutPoint, ins[0].Value, ins[0].PrevTx = wire.OutPoint{Hash: placeholder.TxHash()}, 1, placeholder
	carrier, err := builder.Build(builder.Request{Wallet: w.Descriptor, Inputs: ins,
		Payments: []builder.Payment{{PkScript: []byte{txscript.OP_RETURN}}}})
	if err != nil {
		return nil, fmt.Errorf("the coins of the proof: %w", err)
	}
	byOutPoint := map[wire.OutPoint]btcpsbt.PInput{}
	for i, in := range carrier.UnsignedTx.TxIn {
		byOutPoint[in.PreviousOutPoint] = carrier.Inputs[i]
	}
	toSpend := wire.OutPoint{Hash: bip322.ToSpend(message, ins[0].PkScript).TxHash()}
	byOutPoint[toSpend] = byOutPoint[ins[0].OutPoint]
	ins[0].OutPoint = toSpend
	return byOutPoint, nil
}

// scriptOf is in's script with the redeem and witness scripts the builder
// derived for it.
func scriptOf(derived map[wire.OutPoint]btcpsbt.PInput, in builder.Input) bip322.Script {
	d := derived[in.OutPoint]
	return bip322.Script{PkScript: in.PkScript, RedeemScript: d.RedeemScript, WitnessScript: d.WitnessScript}
}

// carry gives toSign's inputs their key origins and carries the message
// for the kiosk to show.
func carry(toSign *btcpsbt.Packet, derived map[wire.OutPoint]btcpsbt.PInput, message []byte) (*btcpsbt.Packet, error) {
	for i, in := range toSign.UnsignedTx.TxIn {
		d, ok := derived[in.PreviousOutPoint]
		if !ok {
			return nil, fmt.Errorf("input %d (%v) was not derived", i, in.PreviousOutPoint)
		}
		pin := &toSign.Inputs[i]
		pin.Bip32Derivation, pin.TaprootBip32Derivation, pin.TaprootInternalKey = d.Bip32Derivation, d.TaprootBip32Derivation, d.TaprootInternalKey
	}
	approval.SetField(toSign, approval.SubtypeMessage, nil, message)
	return toSign, nil
}

// FinishProof combines the signed BIP-322 PSBTs (one per cosigner; one for
// a single-sig wallet) and makes the signature or proof: for a message its
// simple or full encoding, for a proof of reserves the finalized PSBT. It
// returns the message or challenge the PSBTs carry. Nothing is broadcast.
func FinishProof(signed ...[]byte) (bip322.Signed, []byte, error) {
	var packets []*btcpsbt.Packet
	for i, raw := range signed {
		p, err := psbt.Decode(raw)
		if err != nil {
			return bip322.Signed{}, nil, fmt.Errorf("signed PSBT %d: %w", i+1, err)
		}
		packets = append(packets, p)
	}
	if len(packets) == 0 {
		return bip322.Signed{}, nil, errors.New("no signed PSBT given")
	}
	p := packets[0]
	if len(packets) > 1 {
		var err error
		if p, err = psbt.Combine(packets...); err != nil {
			return bip322.Signed{}, nil, err
		}
	}
	message, ok := ProofMessage(p)
	if !ok {
		return bip322.Signed{}, nil, errors.New("the PSBT carries no BIP-322 message: it is not a message signature or proof of reserves")
	}
	if _, err := bip322.Describe(p, message); err != nil {
		return bip322.Signed{}, nil, err
	}
	s, err := bip322.Finish(p)
	return s, message, err
}

// ProofMessage is the BIP-322 message or challenge p carries, if any: a
// PSBT with one is finished by FinishProof, never broadcast.
func ProofMessage(p *btcpsbt.Packet) ([]byte, bool) {
	f := approval.Fields(p, approval.SubtypeMessage)
	if len(f) != 1 {
		return nil, false
	}
	return f[0].Value, true
}

func messageHash(m []byte) string {
	h := bip322.MessageHash(m)
	return hex.EncodeToString(h[:])
}

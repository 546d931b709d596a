package bip322

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

// Request is what signing a to_sign PSBT proves, for the signer's review.
type Request struct {
	Message []byte
	// Commitment is the script whose owner signs the message (to_spend's
	// output).
	Commitment []byte
	// Coins are a proof of reserves' coins and Amount their sum, as the
	// PSBT states them (a verifier takes amounts from its UTXO snapshot).
	Coins  []wire.OutPoint
	Amount btcutil.Amount
}

// Describe checks that p is a BIP-322 to_sign PSBT for message, and says
// what signing it proves. A signer shows the message it was given, never
// only a hash: Describe refuses a message that is not the one to_spend
// commits to.
func Describe(p *btcpsbt.Packet, message []byte) (Request, error) {
	toSpend, err := packetToSpend(p)
	if err != nil {
		return Request{}, err
	}
	if got, want := MessageHash(message), mustMessageHash(toSpend); got != want {
		return Request{}, fmt.Errorf("bip322: the PSBT signs the message of hash %v, and the message given hashes to %v: ask for the exact message (every byte, line endings included)", want, got)
	}
	r := Request{Message: bytes.Clone(message), Commitment: toSpend.TxOut[0].PkScript}
	for i := 1; i < len(p.Inputs); i++ {
		out, err := psbtSpent(p, i)
		if err != nil {
			return Request{}, err
		}
		var ok bool
		if r.Amount, ok = addAmount(r.Amount, out.Value); !ok {
			return Request{}, fmt.Errorf("bip322: input %d's amount %d sat is out of range", i, out.Value)
		}
		r.Coins = append(r.Coins, p.UnsignedTx.TxIn[i].PreviousOutPoint)
	}
	return r, nil
}

// addAmount adds a coin's value to a total, and says whether both stay
// within the 21 million bitcoin there can be.
func addAmount(total btcutil.Amount, value int64) (btcutil.Amount, bool) {
	if value < 0 || value > btcutil.MaxSatoshi || total+btcutil.Amount(value) > btcutil.MaxSatoshi {
		return total, false
	}
	return total + btcutil.Amount(value), true
}

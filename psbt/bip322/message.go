package bip322

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// messageTag is the BIP340 tag of BIP-322's message hash.
const messageTag = "BIP0322-signed-message"

// MessageHash is BIP-322's tagged hash of message, taken as it is, without
// a length prefix or a terminator.
func MessageHash(message []byte) chainhash.Hash {
	return *chainhash.TaggedHash([]byte(messageTag), message)
}

// ToSpend is BIP-322's to_spend transaction for message and the script
// being proven (message_challenge): version 0, one input spending the null
// outpoint with scriptSig OP_0 PUSH32[message hash], one output of value 0
// paying pkScript.
func ToSpend(message, pkScript []byte) *wire.MsgTx {
	h := MessageHash(message)
	return toSpendOfHash(h, pkScript)
}

func toSpendOfHash(h chainhash.Hash, pkScript []byte) *wire.MsgTx {
	sigScript := make([]byte, 0, 2+chainhash.HashSize)
	sigScript = append(sigScript, txscript.OP_0, txscript.OP_DATA_32)
	sigScript = append(sigScript, h[:]...)
	tx := wire.NewMsgTx(0)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  sigScript,
		Sequence:         0,
	})
	tx.AddTxOut(wire.NewTxOut(0, pkScript))
	return tx
}

// opReturn is to_sign's only output script: a bare OP_RETURN, so that not
// even a to_sign that somehow became valid could pay anyone.
var opReturn = []byte{txscript.OP_RETURN}

// ToSign is BIP-322's unsigned to_sign transaction for toSpend with every
// field at its default: version 0, lock time 0, one input spending
// toSpend's output with sequence 0, one OP_RETURN output of value 0.
func ToSign(toSpend *wire.MsgTx) *wire.MsgTx {
	tx := wire.NewMsgTx(0)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: toSpend.TxHash(), Index: 0}, Sequence: 0})
	tx.AddTxOut(wire.NewTxOut(0, opReturn))
	return tx
}

// toSpendMessageHash returns the message hash a transaction commits to if
// it has to_spend's shape, and false if it has not.
func toSpendMessageHash(tx *wire.MsgTx) (chainhash.Hash, bool) {
	if tx == nil || tx.Version != 0 || tx.LockTime != 0 || len(tx.TxIn) != 1 || len(tx.TxOut) != 1 {
		return chainhash.Hash{}, false
	}
	in, out := tx.TxIn[0], tx.TxOut[0]
	if in.PreviousOutPoint != (wire.OutPoint{Index: wire.MaxPrevOutIndex}) || in.Sequence != 0 || len(in.Witness) != 0 || out.Value != 0 {
		return chainhash.Hash{}, false
	}
	s := in.SignatureScript
	if len(s) != 2+chainhash.HashSize || s[0] != txscript.OP_0 || s[1] != txscript.OP_DATA_32 {
		return chainhash.Hash{}, false
	}
	var h chainhash.Hash
	copy(h[:], s[2:])
	return h, true
}

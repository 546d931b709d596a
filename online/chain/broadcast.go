package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Broadcast outcomes other than success. A *BroadcastError matches exactly
// one of ErrAlreadyInMempool, ErrAlreadyConfirmed, ErrConflict and
// ErrRejected with errors.Is; the first two also match ErrDoubleBroadcast.
var (
	// ErrDoubleBroadcast matches a transaction the node already has,
	// in its mempool or in a block: the broadcast has nothing to do.
	ErrDoubleBroadcast = errors.New("double broadcast")
	// ErrAlreadyInMempool matches a transaction already in the mempool.
	ErrAlreadyInMempool = errors.New("transaction already in mempool")
	// ErrAlreadyConfirmed matches a transaction already in the chain.
	ErrAlreadyConfirmed = errors.New("transaction already confirmed")
	// ErrConflict matches a transaction that spends an output a different
	// mempool transaction already spends (and may not replace it).
	ErrConflict = errors.New("conflicting transaction in mempool")
	// ErrRejected matches any other refusal: invalid, non-standard,
	// fee too low, inputs missing or spent. BroadcastError.Reason says why.
	ErrRejected = errors.New("transaction rejected")
)

// BroadcastError is the node's refusal of a transaction, classified.
type BroadcastError struct {
	Txid   chainhash.Hash
	Kind   error  // ErrAlreadyInMempool, ErrAlreadyConfirmed, ErrConflict or ErrRejected
	Code   int    // the node's JSON-RPC error code
	Reason string // the node's message, verbatim
}

// Error says which transaction, what kind of refusal, and the node's words.
func (e *BroadcastError) Error() string {
	return fmt.Sprintf("broadcast %v: %v: %s", e.Txid, e.Kind, e.Reason)
}

// Unwrap returns the kind and, for a transaction the node already has,
// ErrDoubleBroadcast.
func (e *BroadcastError) Unwrap() []error {
	if e.Kind == ErrAlreadyInMempool || e.Kind == ErrAlreadyConfirmed {
		return []error{e.Kind, ErrDoubleBroadcast}
	}
	return []error{e.Kind}
}

// Broadcast sends tx to the node (sendrawtransaction) and returns its txid.
// A refusal is a *BroadcastError (see ErrDoubleBroadcast, ErrConflict,
// ErrRejected); it is never retried. A node that cannot be reached is
// retried only while the request provably did not arrive, so a transaction
// is never sent twice because of this client. Bitcoin Core returns the txid
// without error for a transaction already in its mempool.
func (c *Client) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	txid := tx.TxHash()
	h, err := txHex(tx)
	if err != nil {
		return chainhash.Hash{}, err
	}
	var s string
	if err := c.call(ctx, "sendrawtransaction", []any{h}, &s, false); err != nil {
		if code, msg, ok := rpcCode(err); ok {
			return chainhash.Hash{}, &BroadcastError{Txid: txid, Kind: classify(code, msg), Code: int(code), Reason: msg}
		}
		return chainhash.Hash{}, err
	}
	got, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("sendrawtransaction: txid %q: %w", s, err)
	}
	if *got != txid {
		return chainhash.Hash{}, fmt.Errorf("sendrawtransaction: node accepted %v, but we sent %v", got, txid)
	}
	return txid, nil
}

// RefusalKind classifies a refusal by the node's words alone, as a P2P
// reject message gives them (btcd's reasons there are its RPC messages):
// ErrAlreadyInMempool, ErrAlreadyConfirmed, ErrConflict or ErrRejected.
func RefusalKind(reason string) error { return classify(0, reason) }

// classify maps a sendrawtransaction error to a kind. The texts are btcd's
// mempool messages and Bitcoin Core's reject reasons; codes alone do not
// separate the cases (both use -26 for most refusals).
func classify(code btcjson.RPCErrorCode, msg string) error {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "already have transaction"), // btcd
		strings.Contains(m, "txn-already-in-mempool"), // Core < 0.21
		strings.Contains(m, "txn-already-known"):      // Core
		return ErrAlreadyInMempool
	case code == btcjson.ErrRPCTxAlreadyInChain, // -27, both
		strings.Contains(m, "already exists in blockchain"), // btcd
		strings.Contains(m, "already in block chain"),       // Core
		strings.Contains(m, "already in utxo set"):          // Core
		return ErrAlreadyConfirmed
	case strings.Contains(m, "already spent in mempool"), // btcd
		strings.Contains(m, "txn-mempool-conflict"), // Core
		strings.Contains(m, "insufficient fee, rejecting replacement"),
		strings.Contains(m, "replacement transaction"): // btcd RBF rules
		return ErrConflict
	}
	return ErrRejected
}

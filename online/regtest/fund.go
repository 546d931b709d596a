package regtest

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// TestMempoolAccept is Daemon.TestMempoolAccept; an RPC failure is fatal.
func (n *Node) TestMempoolAccept(t testing.TB, tx *wire.MsgTx) (allowed bool, reason string) {
	t.Helper()
	allowed, reason, err := n.d.TestMempoolAccept(tx)
	if err != nil {
		t.Fatal(err)
	}
	return allowed, reason
}

// TrySend is Daemon.Send.
func (n *Node) TrySend(tx *wire.MsgTx) (*chainhash.Hash, error) {
	return n.d.Send(tx)
}

// Send broadcasts tx and fails the test if the node refuses it.
func (n *Node) Send(t testing.TB, tx *wire.MsgTx) *chainhash.Hash {
	t.Helper()
	h, err := n.d.Send(tx)
	if err != nil {
		t.Fatalf("regtest: sendrawtransaction %v: %v", tx.TxHash(), err)
	}
	return h
}

// Fund is Daemon.Fund and fails the test on error.
func (n *Node) Fund(t testing.TB, pkScript []byte, amount btcutil.Amount) (wire.OutPoint, *wire.MsgTx) {
	t.Helper()
	op, tx, err := n.d.Fund(pkScript, amount)
	if err != nil {
		t.Fatalf("regtest: Fund %v: %v", amount, err)
	}
	return op, tx
}

package regtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// CoinbaseMaturity is the number of confirmations a coinbase needs before it
// can be spent (the spending transaction must be in a block at least this
// many blocks above the coinbase).
const CoinbaseMaturity = 100

// fundFeeRate is the fee rate, in sat/vB, of the transactions Fund makes.
const fundFeeRate = 5

// TestMempoolAccept asks the node, with the testmempoolaccept RPC (present
// in btcd since v0.24.1), whether it would accept tx into its mempool
// without adding it. It returns the node's reject reason when not allowed
// (for example "missing-inputs", "max-fee-exceeded", or the script or
// policy error text btcd's mempool produces). An RPC failure is fatal.
func (n *Node) TestMempoolAccept(t testing.TB, tx *wire.MsgTx) (allowed bool, reason string) {
	t.Helper()
	res, err := n.client.TestMempoolAccept([]*wire.MsgTx{tx}, 0)
	if err != nil {
		t.Fatalf("regtest: testmempoolaccept: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("regtest: testmempoolaccept returned %d results for 1 tx", len(res))
	}
	return res[0].Allowed, res[0].RejectReason
}

// TrySend broadcasts tx with sendrawtransaction and returns the node's error
// (an *btcjson.RPCError whose Message is btcd's reason) if it refuses it.
func (n *Node) TrySend(tx *wire.MsgTx) (*chainhash.Hash, error) {
	return n.client.SendRawTransaction(tx, true)
}

// Send broadcasts tx and fails the test if the node refuses it.
func (n *Node) Send(t testing.TB, tx *wire.MsgTx) *chainhash.Hash {
	t.Helper()
	h, err := n.TrySend(tx)
	if err != nil {
		t.Fatalf("regtest: sendrawtransaction %v: %v", tx.TxHash(), err)
	}
	return h
}

// Fund pays amount to pkScript from matured coinbases mined to harness keys,
// mines one block to confirm the payment, and returns the paid output and
// the funding transaction (for non_witness_utxo). The payment is output 0;
// change, if any, goes back to a harness key. When no coinbase is mature
// yet, Fund first mines enough blocks (the first call on a fresh node mines
// about 100). The funding transaction spends P2PKH inputs only, so it works
// before segwit activation; paying a witness script before activation is
// fine, spending it is not (see ActivateSegwitTaproot).
func (n *Node) Fund(t testing.TB, pkScript []byte, amount btcutil.Amount) (wire.OutPoint, *wire.MsgTx) {
	t.Helper()
	op, tx, err := n.fund(pkScript, amount)
	if err != nil {
		t.Fatalf("regtest: Fund %v: %v", amount, err)
	}
	return op, tx
}

type coin struct {
	op       wire.OutPoint
	value    btcutil.Amount
	pkScript []byte
	key      *btcec.PrivateKey
}

func (n *Node) fund(pkScript []byte, amount btcutil.Amount) (wire.OutPoint, *wire.MsgTx, error) {
	if amount <= 0 {
		return wire.OutPoint{}, nil, fmt.Errorf("amount must be positive")
	}
	n.mu.Lock()
	defer n.mu.Unlock()

	var coins []coin
	var sum btcutil.Amount
	fee := func() btcutil.Amount {
		// version+locktime+counts 10, P2PKH input 148, outputs 9+len.
		vsize := 10 + 148*len(coins) + 9 + len(pkScript) + 34
		return btcutil.Amount(vsize * fundFeeRate)
	}
	for sum < amount+fee() {
		c, err := n.nextCoinbase()
		if err != nil {
			return wire.OutPoint{}, nil, err
		}
		coins = append(coins, c)
		sum += c.value
		if len(coins) > 500 {
			return wire.OutPoint{}, nil, fmt.Errorf("would need more than 500 coinbases")
		}
	}

	tx := wire.NewMsgTx(2)
	for _, c := range coins {
		tx.AddTxIn(wire.NewTxIn(&c.op, nil, nil))
	}
	tx.AddTxOut(wire.NewTxOut(int64(amount), pkScript))
	if change := sum - amount - fee(); change >= 1000 {
		tx.AddTxOut(wire.NewTxOut(int64(change), coins[0].pkScript))
	}
	for i, c := range coins {
		sig, err := txscript.SignatureScript(tx, i, c.pkScript, txscript.SigHashAll, c.key, true)
		if err != nil {
			return wire.OutPoint{}, nil, err
		}
		tx.TxIn[i].SignatureScript = sig
	}
	txid, err := n.client.SendRawTransaction(tx, true)
	if err != nil {
		return wire.OutPoint{}, nil, fmt.Errorf("sendrawtransaction: %w", err)
	}
	blocks, err := n.generate(1)
	if err != nil {
		return wire.OutPoint{}, nil, err
	}
	blk, err := n.client.GetBlock(blocks[0])
	if err != nil {
		return wire.OutPoint{}, nil, err
	}
	found := false
	for _, btx := range blk.Transactions {
		if btx.TxHash() == *txid {
			found = true
		}
	}
	if !found {
		return wire.OutPoint{}, nil, fmt.Errorf("funding tx %v not mined in block %v", txid, blocks[0])
	}
	return wire.OutPoint{Hash: *txid, Index: 0}, tx, nil
}

// nextCoinbase returns the next unspent, mature coinbase output paying this
// node's mining key (or, for a node with a foreign mining address, any
// harness key), mining blocks when none is mature. Heights are tried in
// order from n.nextCB; gettxout decides whether an output is still unspent,
// so coinbases spent in a block or reorged away are skipped. (A coinbase
// spent only by a mempool transaction still looks unspent to gettxout; that
// can only happen if a test spends harness coinbases itself.)
func (n *Node) nextCoinbase() (coin, error) {
	for tries := 0; tries < 10000; tries++ {
		tip, err := n.client.GetBlockCount()
		if err != nil {
			return coin{}, err
		}
		if n.nextCB < 1 {
			n.nextCB = 1
		}
		h := n.nextCB
		// A transaction in block tip+1 may spend a coinbase of height
		// <= tip+1-CoinbaseMaturity.
		if int64(h) > tip+1-CoinbaseMaturity {
			if n.miningKey == nil {
				return coin{}, errors.New("no mature harness coinbase and this node mines to a foreign Options.MiningAddr")
			}
			need := int64(h) - (tip + 1 - CoinbaseMaturity)
			if _, err := n.generate(uint32(need)); err != nil {
				return coin{}, err
			}
			continue
		}
		n.nextCB++
		bh, err := n.client.GetBlockHash(int64(h))
		if err != nil {
			return coin{}, err
		}
		blk, err := n.client.GetBlock(bh)
		if err != nil {
			return coin{}, err
		}
		cb := blk.Transactions[0]
		for idx, out := range cb.TxOut {
			k := keyForScript(out.PkScript)
			if k == nil || out.Value == 0 {
				continue
			}
			if n.miningKey != nil && k != n.miningKey {
				// Mined by another node on the same chain: leave it
				// to that node's Fund, so two nodes never pick the
				// same coinbase.
				continue
			}
			op := wire.OutPoint{Hash: cb.TxHash(), Index: uint32(idx)}
			utxo, err := n.client.GetTxOut(&op.Hash, op.Index, true)
			if err != nil {
				return coin{}, err
			}
			if utxo == nil {
				continue // spent
			}
			return coin{op: op, value: btcutil.Amount(out.Value), pkScript: out.PkScript, key: k}, nil
		}
	}
	return coin{}, errors.New("no spendable coinbase found")
}

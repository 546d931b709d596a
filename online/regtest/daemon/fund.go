package daemon

import (
	"errors"
	"fmt"

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
// policy error text btcd's mempool produces).
func (d *Daemon) TestMempoolAccept(tx *wire.MsgTx) (allowed bool, reason string, err error) {
	res, err := d.client.TestMempoolAccept([]*wire.MsgTx{tx}, 0)
	if err != nil {
		return false, "", fmt.Errorf("regtest: testmempoolaccept: %w", err)
	}
	if len(res) != 1 {
		return false, "", fmt.Errorf("regtest: testmempoolaccept returned %d results for 1 tx", len(res))
	}
	return res[0].Allowed, res[0].RejectReason, nil
}

// Send broadcasts tx with sendrawtransaction and returns the node's error
// (an *btcjson.RPCError whose Message is btcd's reason) if it refuses it.
func (d *Daemon) Send(tx *wire.MsgTx) (*chainhash.Hash, error) {
	return d.client.SendRawTransaction(tx, true)
}

type coin struct {
	op       wire.OutPoint
	value    btcutil.Amount
	pkScript []byte
	key      *btcec.PrivateKey
}

// Fund pays amount to pkScript from matured coinbases mined to harness keys,
// mines one block to confirm the payment, and returns the paid output and
// the funding transaction (for non_witness_utxo). The payment is output 0;
// change, if any, goes back to a harness key. When no coinbase is mature
// yet, Fund first mines enough blocks (the first call on a fresh chain mines
// 100, then one more to confirm). The funding transaction spends P2PKH
// inputs only, so it works before segwit activation; paying a witness script
// before activation is fine, spending it is not (see ActivateSegwitTaproot).
//
// Fund keeps no state that matters across restarts: it scans the chain's
// coinbases from the lowest height not yet known to be spent (height 1
// after a Launch) and asks the node whether each output is unspent, in the
// chain (gettxout) and in the mempool (gettxspendingprevout), so it never
// double-spends a coinbase, whether the node was restarted or a test spent
// harness coinbases itself.
func (d *Daemon) Fund(pkScript []byte, amount btcutil.Amount) (wire.OutPoint, *wire.MsgTx, error) {
	if amount <= 0 {
		return wire.OutPoint{}, nil, fmt.Errorf("regtest: Fund: amount must be positive")
	}
	d.fundMu.Lock()
	defer d.fundMu.Unlock()

	var coins []coin
	var sum btcutil.Amount
	fee := func() btcutil.Amount {
		// version+locktime+counts 10, P2PKH input 148, outputs 9+len.
		vsize := 10 + 148*len(coins) + 9 + len(pkScript) + 34
		return btcutil.Amount(vsize * fundFeeRate)
	}
	d.nextCB = max(d.nextCB, 1)
	h := d.nextCB
	advance := true // every height below h has no unspent harness coinbase
	for sum < amount+fee() {
		tip, err := d.client.GetBlockCount()
		if err != nil {
			return wire.OutPoint{}, nil, err
		}
		// A transaction in block tip+1 may spend a coinbase of height
		// <= tip+1-CoinbaseMaturity.
		if int64(h) > tip+1-CoinbaseMaturity {
			if d.miningKey == nil {
				return wire.OutPoint{}, nil, errors.New("no mature harness coinbase and this node mines to a foreign address")
			}
			need := int64(h) - (tip + 1 - CoinbaseMaturity)
			if _, err := d.Generate(uint32(need)); err != nil {
				return wire.OutPoint{}, nil, err
			}
			continue
		}
		cs, spent, err := d.coinbaseCoins(h)
		if err != nil {
			return wire.OutPoint{}, nil, err
		}
		if advance && spent {
			d.nextCB = h + 1
		} else {
			advance = false
		}
		h++
		for _, c := range cs {
			coins = append(coins, c)
			sum += c.value
		}
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
	txid, err := d.client.SendRawTransaction(tx, true)
	if err != nil {
		return wire.OutPoint{}, nil, fmt.Errorf("sendrawtransaction: %w", err)
	}
	blocks, err := d.Generate(1)
	if err != nil {
		return wire.OutPoint{}, nil, err
	}
	blk, err := d.client.GetBlock(blocks[0])
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

// coinbaseCoins returns the unspent outputs of the coinbase at height h that
// pay this node's mining key (or, for a node with a foreign mining address,
// any harness key), and whether the coinbase has no such output left
// unspent in the chain. A coinbase paying another harness key was mined by
// another node on the same chain: it is left to that node's Fund, so two
// nodes never pick the same coinbase.
func (d *Daemon) coinbaseCoins(h int32) (coins []coin, spent bool, err error) {
	bh, err := d.client.GetBlockHash(int64(h))
	if err != nil {
		return nil, false, err
	}
	blk, err := d.client.GetBlock(bh)
	if err != nil {
		return nil, false, err
	}
	cb := blk.Transactions[0]
	var unspent []coin
	for idx, out := range cb.TxOut {
		k := keyForScript(out.PkScript)
		if k == nil || out.Value == 0 {
			continue
		}
		if d.miningKey != nil && k != d.miningKey {
			continue
		}
		op := wire.OutPoint{Hash: cb.TxHash(), Index: uint32(idx)}
		utxo, err := d.client.GetTxOut(&op.Hash, op.Index, false)
		if err != nil {
			return nil, false, err
		}
		if utxo == nil {
			continue // spent in the chain
		}
		unspent = append(unspent, coin{op: op, value: btcutil.Amount(out.Value), pkScript: out.PkScript, key: k})
	}
	if len(unspent) == 0 {
		return nil, true, nil
	}
	// gettxout does not see spends by mempool transactions.
	ops := make([]wire.OutPoint, len(unspent))
	for i, c := range unspent {
		ops[i] = c.op
	}
	res, err := d.client.GetTxSpendingPrevOut(ops)
	if err != nil {
		return nil, false, fmt.Errorf("gettxspendingprevout: %w", err)
	}
	inPool := map[wire.OutPoint]bool{}
	for _, r := range res {
		if r.SpendingTxid == "" {
			continue
		}
		hash, err := chainhash.NewHashFromStr(r.Txid)
		if err != nil {
			return nil, false, err
		}
		inPool[wire.OutPoint{Hash: *hash, Index: r.Vout}] = true
	}
	for _, c := range unspent {
		if !inPool[c.op] {
			coins = append(coins, c)
		}
	}
	return coins, false, nil
}

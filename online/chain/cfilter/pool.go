package cfilter

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/peer"
	"github.com/btcsuite/btcd/wire"
)

// Bounds of the relayed-transaction pool: a peer relaying without end
// fills it, then new transactions are not asked for until some confirm or
// expire.
const (
	maxPoolTxs = 50_000
	// poolExpiry is Bitcoin Core's default mempool expiry.
	poolExpiry = 14 * 24 * time.Hour
)

// txPool is what peers relayed: the client's stand-in for a mempool
// listing.
type txPool struct {
	mu     sync.Mutex
	now    func() time.Time
	txs    map[chainhash.Hash]poolEntry
	spends map[wire.OutPoint]chainhash.Hash
}

type poolEntry struct {
	tx    *wire.MsgTx
	added time.Time
}

func newTxPool(now func() time.Time) *txPool {
	return &txPool{now: now, txs: map[chainhash.Hash]poolEntry{}, spends: map[wire.OutPoint]chainhash.Hash{}}
}

func (p *txPool) add(tx *wire.MsgTx) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := tx.TxHash()
	if _, ok := p.txs[id]; ok || len(p.txs) >= maxPoolTxs {
		return
	}
	p.txs[id] = poolEntry{tx: tx, added: p.now()}
	for _, in := range tx.TxIn {
		p.spends[in.PreviousOutPoint] = id
	}
}

// wants reports whether a relayed txid is worth asking for.
func (p *txPool) wants(id chainhash.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.txs[id]
	return !ok && len(p.txs) < maxPoolTxs
}

func (p *txPool) remove(id chainhash.Hash) {
	e, ok := p.txs[id]
	if !ok {
		return
	}
	delete(p.txs, id)
	for _, in := range e.tx.TxIn {
		if p.spends[in.PreviousOutPoint] == id {
			delete(p.spends, in.PreviousOutPoint)
		}
	}
}

// confirmed drops the block's transactions and those that spend the same
// outputs (replaced or double-spent: they can never confirm now).
func (p *txPool) confirmed(b *wire.MsgBlock) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tx := range b.Transactions {
		p.remove(tx.TxHash())
		for _, in := range tx.TxIn {
			if other, ok := p.spends[in.PreviousOutPoint]; ok {
				p.remove(other)
			}
		}
	}
}

func (p *txPool) txids() []chainhash.Hash {
	p.mu.Lock()
	defer p.mu.Unlock()
	cut := p.now().Add(-poolExpiry)
	out := make([]chainhash.Hash, 0, len(p.txs))
	for id, e := range p.txs {
		if e.added.Before(cut) {
			p.remove(id)
			continue
		}
		out = append(out, id)
	}
	return out
}

func (p *txPool) get(id chainhash.Hash) *wire.MsgTx {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.txs[id].tx
}

// relay asks the peer for the transactions it announces that the pool
// lacks.
func (c *Client) relay(p *peer.Peer, inv *wire.MsgInv) {
	gd := wire.NewMsgGetData()
	for _, iv := range inv.InvList {
		if (iv.Type == wire.InvTypeTx || iv.Type == wire.InvTypeWitnessTx) && c.pool.wants(iv.Hash) {
			if gd.AddInvVect(wire.NewInvVect(wire.InvTypeWitnessTx, &iv.Hash)) != nil {
				break
			}
		}
	}
	if len(gd.InvList) > 0 {
		p.QueueMessage(gd, nil)
	}
}

// isDialError reports whether err is a failure to reach a peer, as opposed
// to a peer that answered wrongly.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

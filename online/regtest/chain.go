package regtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"
)

// Generate mines blocks to the node's mining address and returns their
// hashes.
func (n *Node) Generate(t testing.TB, blocks uint32) []*chainhash.Hash {
	t.Helper()
	hashes, err := n.d.Generate(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

// Height returns the height of the node's best block.
func (n *Node) Height(t testing.TB) int32 {
	t.Helper()
	h, err := n.d.Height()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// BestHash returns the hash of the node's best block.
func (n *Node) BestHash(t testing.TB) *chainhash.Hash {
	t.Helper()
	h, err := n.d.BestHash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// WaitForHeight waits until the node's best block is at least h.
func (n *Node) WaitForHeight(t testing.TB, h int32, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last int64
	for {
		c, err := n.d.Client().GetBlockCount()
		if err == nil && int32(c) >= h {
			return
		}
		if err == nil {
			last = c
		}
		if time.Now().After(deadline) {
			t.Fatalf("regtest: height %d not reached in %v (at %d, err %v)", h, timeout, last, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// WaitForTip waits until the node's best block is hash.
func (n *Node) WaitForTip(t testing.TB, hash *chainhash.Hash, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h, err := n.d.Client().GetBestBlockHash()
		if err == nil && h.IsEqual(hash) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("regtest: tip %v not reached in %v (at %v, err %v)", hash, timeout, h, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Connect makes n open a persistent P2P connection (addnode add) to other,
// which must have been started with Options.Listen, and waits until the
// version handshake is done on both sides. It does not wait for the chains
// to sync; use WaitForHeight for that. Connecting twice is a no-op.
func (n *Node) Connect(t testing.TB, other *Node) {
	t.Helper()
	if other.d.P2PAddr() == "" {
		t.Fatalf("regtest: Connect: the other node was not started with Options.Listen")
	}
	if n.peerTo(t, other) != nil {
		return
	}
	if err := n.d.Client().AddNode(other.d.P2PAddr(), rpcclient.ANAdd); err != nil {
		t.Fatalf("regtest: addnode %s: %v", other.d.P2PAddr(), err)
	}
	n.mu.Lock()
	n.added[other.d.P2PAddr()] = true
	n.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for {
		if p := n.peerTo(t, other); p != nil && p.Version != 0 {
			// other sees n at our end of the TCP connection.
			for _, q := range other.peers(t) {
				if q.Addr == p.AddrLocal && q.Version != 0 {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("regtest: no P2P handshake with %s after a minute", other.d.P2PAddr())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// peerTo returns n's outbound peer entry for other, or nil.
func (n *Node) peerTo(t testing.TB, other *Node) *btcjson.GetPeerInfoResult {
	t.Helper()
	for _, p := range n.peers(t) {
		if p.Addr == other.d.P2PAddr() && !p.Inbound {
			return &p
		}
	}
	return nil
}

func (n *Node) peers(t testing.TB) []btcjson.GetPeerInfoResult {
	t.Helper()
	ps, err := n.d.Client().GetPeerInfo()
	if err != nil {
		t.Fatalf("regtest: getpeerinfo: %v", err)
	}
	return ps
}

// DisconnectAll drops every P2P connection of n: peers it added with Connect
// are removed (so they are not redialled) and all others disconnected. It
// waits until n reports no peers.
func (n *Node) DisconnectAll(t testing.TB) {
	t.Helper()
	n.mu.Lock()
	added := n.added
	n.added = map[string]bool{}
	n.mu.Unlock()
	for addr := range added {
		// Ignore errors: the connection may already be gone.
		n.d.Client().AddNode(addr, rpcclient.ANRemove)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ps := n.peers(t)
		if len(ps) == 0 {
			return
		}
		for _, p := range ps {
			n.d.Client().Node(btcjson.NDisconnect, fmt.Sprint(p.ID), nil)
		}
		if time.Now().After(deadline) {
			t.Fatalf("regtest: %d peers still connected after a minute", len(ps))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Reorg builds a real reorg of the given depth on a: a and b (both started
// with Options.Listen) are synced to a common tip and disconnected, a mines
// depth blocks, b mines depth+1, and then a connects to b and switches to
// b's longer chain over P2P. On return both nodes are connected and at b's
// tip; the blocks a mined are stale. It returns the stale (orphaned) hashes
// and b's winning hashes, oldest first. Transactions already in a's mempool
// are mined into the stale blocks; use ReorgWith to place transactions
// precisely.
func Reorg(t testing.TB, a, b *Node, depth int) (orphaned, winning []*chainhash.Hash) {
	t.Helper()
	return ReorgWith(t, a, b, depth, nil, nil)
}

// ReorgWith is Reorg with transactions: staleTxs are sent to a after the
// nodes are disconnected, so they are confirmed only in a's first stale
// block (after the reorg a puts them back in its mempool unless the winning
// chain conflicts with them); winningTxs are sent to b and confirmed in b's
// first block, for example a double spend of a stale transaction.
func ReorgWith(t testing.TB, a, b *Node, depth int, staleTxs, winningTxs []*wire.MsgTx) (orphaned, winning []*chainhash.Hash) {
	t.Helper()
	if depth < 1 {
		t.Fatalf("regtest: Reorg depth %d < 1", depth)
	}
	// Common starting point.
	a.DisconnectAll(t)
	b.DisconnectAll(t)
	a.Connect(t, b)
	ha, hb := a.Height(t), b.Height(t)
	if ha > hb {
		b.WaitForTip(t, a.BestHash(t), 2*time.Minute)
	} else {
		a.WaitForTip(t, b.BestHash(t), 2*time.Minute)
	}
	fork := a.BestHash(t)
	a.DisconnectAll(t)
	b.DisconnectAll(t)

	for _, tx := range staleTxs {
		a.Send(t, tx)
	}
	for _, tx := range winningTxs {
		b.Send(t, tx)
	}
	orphaned = a.Generate(t, uint32(depth))
	winning = b.Generate(t, uint32(depth+1))
	if orphaned[0].IsEqual(winning[0]) {
		t.Fatalf("regtest: Reorg: a and b mined the same block %v on %v; give them different mining addresses", orphaned[0], fork)
	}

	a.Connect(t, b)
	a.WaitForTip(t, winning[len(winning)-1], 2*time.Minute)
	forkHeight := a.Height(t) - int32(depth) - 1
	for i, h := range orphaned {
		main, err := a.d.Client().GetBlockHash(int64(forkHeight) + 1 + int64(i))
		if err != nil {
			t.Fatalf("regtest: getblockhash: %v", err)
		}
		if main.IsEqual(h) {
			t.Fatalf("regtest: Reorg: block %v is still in a's main chain", h)
		}
	}
	return orphaned, winning
}

// SoftForkStatus is Daemon.SoftForkStatus and fails the test on error.
func (n *Node) SoftForkStatus(t testing.TB, name string) string {
	t.Helper()
	s, err := n.d.SoftForkStatus(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ActivateSegwitTaproot is Daemon.ActivateSegwitTaproot and fails the test
// on error.
func ActivateSegwitTaproot(t testing.TB, n *Node) {
	t.Helper()
	if err := n.d.ActivateSegwitTaproot(); err != nil {
		t.Fatal(err)
	}
}

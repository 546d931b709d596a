// Package cfilter is the coordinator's second chain backend: a compact
// block filter client (BIP-157/158) that follows any nodes serving basic
// filters over P2P (btcd does unless run with --nocfilters; Bitcoin Core
// with -blockfilterindex=1 -peerblockfilters=1). It needs no RPC
// credentials, and it trusts no single peer for its view of the wallet's
// coins:
//
//   - The block header chain is the one with the most work any peer shows,
//     each header's proof of work checked; a peer on another chain or
//     network is refused at connect (genesis block and message start).
//   - A block's filter is used only when every peer asked agrees on its
//     filter header, and only a filter whose hash matches that header;
//     otherwise the block is fetched whole. Blocks are checked against
//     their header (merkle root, witness commitment).
//   - So a lying peer can make the client download more, and a majority of
//     lying peers can hide a block from it only by outworking the others.
//
// It implements watcher.FilterChain: the watcher hands it the wallet's
// scripts and it fetches only the blocks whose filters match them.
// What P2P cannot give is documented on each method: there is no mempool
// listing (MempoolTxids is what peers relayed since connecting), no fee
// estimate (FeeRate is the operator's fallback) and no testmempoolaccept.
package cfilter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/gcs"
	"github.com/btcsuite/btcd/btcutil/gcs/builder"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/chain"
)

// Config says which peers to follow.
type Config struct {
	// Peers are the nodes' P2P addresses, "host:port". Two or more on
	// different operators is what "trusts no single server" needs.
	Peers []string
	// Params is the network; every peer must be on it (checked at Dial).
	Params *chaincfg.Params
	// Timeout bounds one request to one peer; 0 means DefaultTimeout.
	Timeout time.Duration
	// Logf, when set, is told about peers that fail or disagree.
	Logf func(format string, args ...any)
	// Now is the clock for header times; nil means time.Now.
	Now func() time.Time
}

// DefaultTimeout bounds one request to one peer.
const DefaultTimeout = 20 * time.Second

// filtersPerRequest is how many filters one getcfilters asks for ahead of
// the block the watcher is at (btcd serves up to 1000).
const filtersPerRequest = 100

// Client follows the peers. It is safe for concurrent use.
type Client struct {
	cfg  Config
	pool *txPool

	syncMu sync.Mutex // one header sync at a time

	mu      sync.Mutex
	peers   []*remote
	chain   *headerChain
	filters *filterIndex
	cache   map[chainhash.Hash][]byte // verified filters fetched ahead
	next    int                       // the peer asked first for the next single request

	blocksFetched  atomic.Int64
	blocksSkipped  atomic.Int64
	filtersFetched atomic.Int64
}

// Stats counts what the client fetched: a test's and an operator's
// measure of what filters save.
type Stats struct {
	BlocksFetched  int64 // whole blocks downloaded
	BlocksSkipped  int64 // blocks whose filter matched none of the scripts
	FiltersFetched int64
}

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	return Stats{BlocksFetched: c.blocksFetched.Load(), BlocksSkipped: c.blocksSkipped.Load(), FiltersFetched: c.filtersFetched.Load()}
}

// Dial connects to the peers and syncs the block headers. A peer on
// another network, or one that serves no filters, is an error: the
// configuration is wrong. A peer that cannot be reached is logged and
// retried on later calls; with none reached Dial fails.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if len(cfg.Peers) == 0 {
		return nil, errors.New("cfilter: no peers configured: give the P2P addresses (host:port) of nodes that serve compact block filters")
	}
	if cfg.Params == nil {
		return nil, errors.New("cfilter: Config.Params is not set")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, pool: newTxPool(cfg.Now), chain: newHeaderChain(cfg.Params, cfg.Now),
		filters: newFilterIndex(), cache: map[chainhash.Hash][]byte{}}
	c.peers = make([]*remote, len(cfg.Peers))
	var unreachable []error
	for i, addr := range cfg.Peers {
		r, err := c.connectPeer(ctx, addr)
		if err != nil {
			if isDialError(err) {
				unreachable = append(unreachable, err)
				continue
			}
			c.Close()
			return nil, fmt.Errorf("cfilter: %w", err)
		}
		c.peers[i] = r
	}
	if len(unreachable) == len(cfg.Peers) {
		return nil, fmt.Errorf("cfilter: %w", &chain.UnreachableError{URL: cfg.Peers[0], Tries: 1, Err: errors.Join(unreachable...)})
	}
	for _, err := range unreachable {
		cfg.Logf("cfilter: %v; retrying it later", err)
	}
	if err := c.syncHeaders(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close disconnects from every peer.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.peers {
		if r != nil {
			r.p.Disconnect()
		}
	}
}

// live returns the connected peers, first reconnecting those whose
// connection ended (once per call).
func (c *Client) live(ctx context.Context) []*remote {
	c.mu.Lock()
	peers := slices.Clone(c.peers)
	start := c.next
	c.next++
	c.mu.Unlock()
	var out []*remote
	for i := range peers {
		i = (start + i) % len(peers)
		r := peers[i]
		if r != nil {
			select {
			case <-r.gone:
				r = nil
			default:
			}
		}
		if r == nil {
			var err error
			if r, err = c.connectPeer(ctx, c.cfg.Peers[i]); err != nil {
				c.cfg.Logf("cfilter: %v", err)
				continue
			}
			c.mu.Lock()
			c.peers[i] = r
			c.mu.Unlock()
		}
		out = append(out, r)
	}
	return out
}

// noPeers is the error when every peer failed a request.
func (c *Client) noPeers(what string, errs []error) error {
	return fmt.Errorf("cfilter: %s: %w", what, &chain.UnreachableError{URL: fmt.Sprint(c.cfg.Peers), Tries: 1, Err: errors.Join(errs...)})
}

// syncHeaders asks every peer for the headers after our tip.
func (c *Client) syncHeaders(ctx context.Context) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	var errs []error
	answered := 0
	for _, r := range c.live(ctx) {
		if err := c.headersFrom(ctx, r); err != nil {
			c.cfg.Logf("cfilter: %v", err)
			errs = append(errs, err)
			continue
		}
		answered++
	}
	if answered == 0 {
		return c.noPeers("syncing block headers", errs)
	}
	return nil
}

func (c *Client) headersFrom(ctx context.Context, r *remote) error {
	for {
		c.mu.Lock()
		msg := wire.NewMsgGetHeaders()
		for _, h := range c.chain.locator() {
			_ = msg.AddBlockLocatorHash(h)
		}
		c.mu.Unlock()
		var hs []*wire.BlockHeader
		err := r.ask(ctx, c.cfg.Timeout, "getheaders", []wire.Message{msg}, func(m wire.Message) (bool, error) {
			if mh, ok := m.(*wire.MsgHeaders); ok {
				hs = mh.Headers
				return true, nil
			}
			return false, nil
		})
		if err != nil {
			return err
		}
		c.mu.Lock()
		changed, err := c.chain.connect(hs)
		c.mu.Unlock()
		if err != nil {
			return fmt.Errorf("peer %s: %w", r.addr, err)
		}
		if len(hs) < wire.MaxBlockHeadersPerMsg || !changed {
			return nil
		}
	}
}

// Tip syncs the headers from the peers and returns the best one.
func (c *Client) Tip(ctx context.Context) (int32, chainhash.Hash, error) {
	if err := c.syncHeaders(ctx); err != nil {
		return 0, chainhash.Hash{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, hash := c.chain.tip()
	return h, hash, nil
}

// BlockHash returns the hash at height on the header chain as last synced.
func (c *Client) BlockHash(_ context.Context, height int32) (chainhash.Hash, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tip, _ := c.chain.tip()
	if height < 0 || height > tip {
		return chainhash.Hash{}, fmt.Errorf("cfilter: no block at height %d: the peers' best chain ends at %d", height, tip)
	}
	return c.chain.hashes[height], nil
}

// Block fetches a block from a peer and checks it against its hash: the
// merkle root and, for a segwit block, the witness commitment.
func (c *Client) Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	var errs []error
	for _, r := range c.live(ctx) {
		b, err := r.block(ctx, c.cfg.Timeout, hash)
		if err == nil {
			err = checkBlock(b)
		}
		if err != nil {
			c.cfg.Logf("cfilter: %v", err)
			errs = append(errs, err)
			continue
		}
		c.blocksFetched.Add(1)
		c.pool.confirmed(b)
		return b, nil
	}
	return nil, c.noPeers("fetching block "+hash.String(), errs)
}

func checkBlock(b *wire.MsgBlock) error {
	blk := btcutil.NewBlock(b)
	if len(b.Transactions) == 0 {
		return fmt.Errorf("block %v has no transactions", blk.Hash())
	}
	if root := blockchain.CalcMerkleRoot(blk.Transactions(), false); root != b.Header.MerkleRoot {
		return fmt.Errorf("block %v: its transactions do not hash to its merkle root", blk.Hash())
	}
	if err := blockchain.ValidateWitnessCommitment(blk); err != nil {
		return fmt.Errorf("block %v: %w", blk.Hash(), err)
	}
	return nil
}

// BlockIfMatches returns the block with the given hash when its basic
// filter matches any of scripts (or its filter cannot be trusted), and nil
// when it surely pays and spends none of them. prev is the block's parent,
// from the header chain when the block is not fetched.
func (c *Client) BlockIfMatches(ctx context.Context, hash chainhash.Hash, scripts [][]byte) (block *wire.MsgBlock, prev chainhash.Hash, err error) {
	c.mu.Lock()
	height, ok := c.chain.index[hash]
	if ok && height > 0 {
		prev = c.chain.hashes[height-1]
	}
	c.mu.Unlock()
	if !ok {
		return nil, prev, fmt.Errorf("cfilter: block %v is not on the peers' best chain (a reorg since the tip was read): sync again", hash)
	}
	match, err := c.filterMatches(ctx, height, hash, scripts)
	if err != nil {
		return nil, prev, err
	}
	if !match {
		c.blocksSkipped.Add(1)
		return nil, prev, nil
	}
	b, err := c.Block(ctx, hash)
	if err != nil {
		return nil, prev, err
	}
	return b, b.Header.PrevBlock, nil
}

// filterMatches says whether the block must be fetched.
func (c *Client) filterMatches(ctx context.Context, height int32, hash chainhash.Hash, scripts [][]byte) (bool, error) {
	if len(scripts) == 0 {
		return false, nil
	}
	if err := c.ensureFilterHeaders(ctx, height); err != nil {
		return false, err
	}
	c.mu.Lock()
	entry, ok := c.filters.agreed[hash]
	why := c.filters.disputed[hash]
	c.mu.Unlock()
	if !ok {
		if why == "" {
			why = "no peer sent usable filter headers for it"
		}
		c.cfg.Logf("cfilter: block %d %v: %s; fetching it whole", height, hash, why)
		return true, nil
	}
	data, err := c.filterData(ctx, height, hash, entry.filterHash)
	if err != nil {
		return false, err
	}
	if data == nil {
		c.cfg.Logf("cfilter: block %d %v: no peer sent the filter its header commits to; fetching it whole", height, hash)
		return true, nil
	}
	f, err := gcs.FromNBytes(builder.DefaultP, builder.DefaultM, data)
	if err != nil {
		return true, nil // it hashes to the agreed header, so every peer agreed on an unreadable filter: fetch
	}
	key := builder.DeriveKey(&hash)
	m, err := f.MatchAny(key, scripts)
	if err != nil {
		return true, nil
	}
	return m, nil
}

// ensureFilterHeaders asks every peer for the filter headers of the blocks
// from height on (up to 2000) unless they are already settled.
func (c *Client) ensureFilterHeaders(ctx context.Context, height int32) error {
	c.mu.Lock()
	if c.filters.known(c.chain.hashes[height]) {
		c.mu.Unlock()
		return nil
	}
	tip, _ := c.chain.tip()
	stop := min(height+wire.MaxCFHeadersPerMsg-1, tip)
	blocks := slices.Clone(c.chain.hashes[height : stop+1])
	var prev *chainhash.Hash
	if height > 0 {
		if e, ok := c.filters.agreed[c.chain.hashes[height-1]]; ok {
			prev = &e.header
		}
	}
	c.pruneFilters(height)
	c.mu.Unlock()

	stopHash := blocks[len(blocks)-1]
	var answers []cfAnswer
	var errs []error
	for _, r := range c.live(ctx) {
		msg := wire.NewMsgGetCFHeaders(wire.GCSFilterRegular, uint32(height), &stopHash)
		err := r.ask(ctx, c.cfg.Timeout, "getcfheaders", []wire.Message{msg}, func(m wire.Message) (bool, error) {
			if mh, ok := m.(*wire.MsgCFHeaders); ok && mh.StopHash == stopHash {
				answers = append(answers, cfAnswer{peer: r.addr, msg: mh})
				return true, nil
			}
			return false, nil
		})
		if err != nil {
			c.cfg.Logf("cfilter: %v", err)
			errs = append(errs, err)
		}
	}
	if len(answers) == 0 {
		return c.noPeers(fmt.Sprintf("filter headers from height %d", height), errs)
	}
	c.mu.Lock()
	bad := c.filters.settle(blocks, prev, answers)
	c.mu.Unlock()
	for _, err := range bad {
		c.cfg.Logf("cfilter: %v", err)
	}
	return nil
}

// pruneFilters keeps the filter index to the blocks near the scan and on
// our chain (c.mu held).
func (c *Client) pruneFilters(height int32) {
	if len(c.filters.agreed)+len(c.filters.disputed) < 4*wire.MaxCFHeadersPerMsg {
		return
	}
	for _, m := range []map[chainhash.Hash]filterEntry{c.filters.agreed} {
		for b := range m {
			if h, ok := c.chain.index[b]; !ok || h < height-wire.MaxCFHeadersPerMsg {
				delete(m, b)
			}
		}
	}
	for b := range c.filters.disputed {
		if h, ok := c.chain.index[b]; !ok || h < height-wire.MaxCFHeadersPerMsg {
			delete(c.filters.disputed, b)
		}
	}
}

// filterData returns the block's filter, fetched with the next ones in one
// request, from the first peer whose filter hashes to want; nil when no
// peer sent such a filter.
func (c *Client) filterData(ctx context.Context, height int32, hash, want chainhash.Hash) ([]byte, error) {
	c.mu.Lock()
	if d, ok := c.cache[hash]; ok {
		c.mu.Unlock()
		return d, nil
	}
	tip, _ := c.chain.tip()
	stop := min(height+filtersPerRequest-1, tip)
	stopHash := c.chain.hashes[stop]
	c.mu.Unlock()

	var errs []error
	answered := false
	for _, r := range c.live(ctx) {
		got := map[chainhash.Hash][]byte{}
		msg := wire.NewMsgGetCFilters(wire.GCSFilterRegular, uint32(height), &stopHash)
		err := r.ask(ctx, c.cfg.Timeout, "getcfilters", []wire.Message{msg}, func(m wire.Message) (bool, error) {
			f, ok := m.(*wire.MsgCFilter)
			if !ok || f.FilterType != wire.GCSFilterRegular {
				return false, nil
			}
			got[f.BlockHash] = f.Data
			return f.BlockHash == stopHash || len(got) > filtersPerRequest, nil
		})
		if err != nil {
			c.cfg.Logf("cfilter: %v", err)
			errs = append(errs, err)
			continue
		}
		answered = true
		c.filtersFetched.Add(int64(len(got)))
		c.mu.Lock()
		if len(c.cache) > 4*filtersPerRequest {
			clear(c.cache)
		}
		for b, d := range got {
			if e, ok := c.filters.agreed[b]; ok && chainhash.DoubleHashH(d) == e.filterHash {
				c.cache[b] = d
			}
		}
		d, ok := c.cache[hash]
		c.mu.Unlock()
		if ok {
			return d, nil
		}
		c.cfg.Logf("cfilter: peer %s sent no filter for block %v that hashes to the agreed %v", r.addr, hash, want)
	}
	if !answered {
		return nil, c.noPeers("filters from height "+fmt.Sprint(height), errs)
	}
	return nil, nil
}

// MempoolTxids returns the transactions peers relayed since the client
// connected (and their mempools at connect, from peers that answer BIP-35
// mempool requests, as btcd does), less those seen in fetched blocks or
// older than two weeks. P2P has no mempool listing: a transaction that
// leaves the peers' mempools unconfirmed stays here until a block spends
// its inputs otherwise or it expires.
func (c *Client) MempoolTxids(context.Context) ([]chainhash.Hash, error) {
	return c.pool.txids(), nil
}

// Transaction returns a relayed transaction; confirmed ones cannot be
// looked up by txid over P2P.
func (c *Client) Transaction(_ context.Context, txid chainhash.Hash) (*wire.MsgTx, error) {
	if tx := c.pool.get(txid); tx != nil {
		return tx, nil
	}
	return nil, fmt.Errorf("cfilter: transaction %v: not among those relayed by the peers (P2P has no lookup by txid)", txid)
}

// TestAccept is not available over P2P: the error matches
// chain.ErrUnsupported, and Broadcast reports a refusal instead.
func (c *Client) TestAccept(context.Context, *wire.MsgTx) (bool, string, error) {
	return false, "", fmt.Errorf("cfilter: peers have no testmempoolaccept: %w", chain.ErrUnsupported)
}

// FeeSource is FeeRate's source: peers give no estimate.
const FeeSource = chain.FeeSourceFallback + " (compact block filters: P2P peers give no fee estimate; set the fallback fee rate to today's rate)"

// FeeRate returns the operator's fallback: P2P has no fee estimate, and the
// blocks this client fetches are too few to estimate from.
func (c *Client) FeeRate(_ context.Context, targetBlocks int, fallback float64) (float64, string, error) {
	if targetBlocks < 1 {
		return 0, "", fmt.Errorf("fee rate for %d blocks: want a target of at least 1 block", targetBlocks)
	}
	if fallback <= 0 {
		return 0, FeeSource, errors.New("cfilter: peers give no fee estimate and no fallback fee rate is configured: set one (fallback_feerate)")
	}
	return fallback, FeeSource, nil
}

// Broadcast sends tx to every peer and asks each whether its mempool now
// holds it. It succeeds when one does. A peer that refuses it says why in a
// reject message (btcd does; Bitcoin Core sends none): the first peer's
// reason is returned as a *chain.BroadcastError, classified as the RPC
// backend's; a transaction no peer holds and none refused with a reason is
// chain.ErrRejected.
func (c *Client) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	txid := tx.TxHash()
	peers := c.live(ctx)
	if len(peers) == 0 {
		return chainhash.Hash{}, c.noPeers("broadcast "+txid.String(), nil)
	}
	var first *wire.MsgReject
	held, asked := false, 0
	var errs []error
	for _, r := range peers {
		gd := wire.NewMsgGetData()
		_ = gd.AddInvVect(wire.NewInvVect(wire.InvTypeWitnessTx, &txid))
		var rej *wire.MsgReject
		has := false
		err := r.ask(ctx, c.cfg.Timeout, "broadcast "+txid.String(), []wire.Message{tx, gd}, func(m wire.Message) (bool, error) {
			switch m := m.(type) {
			case *wire.MsgReject:
				if m.Hash == txid && m.Cmd == wire.CmdTx {
					rej = m
				}
			case *wire.MsgTx:
				if m.TxHash() == txid {
					has = true
					return true, nil
				}
			case *wire.MsgNotFound:
				return lists(m, txid), nil
			}
			return false, nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if asked == 0 {
			first = rej
		}
		asked++
		held = held || has
	}
	if asked == 0 {
		return chainhash.Hash{}, c.noPeers("broadcast "+txid.String(), errs)
	}
	if first != nil {
		be := &chain.BroadcastError{Txid: txid, Kind: chain.RefusalKind(first.Reason), Code: int(first.Code), Reason: first.Reason}
		if !held || errors.Is(be, chain.ErrDoubleBroadcast) {
			return chainhash.Hash{}, be
		}
	}
	if !held {
		return chainhash.Hash{}, &chain.BroadcastError{Txid: txid, Kind: chain.ErrRejected,
			Reason: "no peer holds it in its mempool after it was sent, and none said why (Bitcoin Core peers never do): check it on a node with testmempoolaccept"}
	}
	c.pool.add(tx)
	return txid, nil
}

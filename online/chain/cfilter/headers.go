package cfilter

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// maxFutureDrift is how far ahead of our clock a header's time may be
// (Bitcoin Core's and btcd's rule): it also bounds how fast a hostile peer
// on a network with a trivial proof-of-work limit (regtest) can grow the
// chain we hold in memory.
const maxFutureDrift = 2 * time.Hour

// headerChain is the best block header chain seen from the peers, from the
// genesis block: hashes and difficulty bits by height, which is all a
// watcher asks (BlockHash, a block's parent) and all a reorg needs to
// compare work. 36 bytes a block: about 33 MB for mainnet.
type headerChain struct {
	params *chaincfg.Params
	hashes []chainhash.Hash
	bits   []uint32
	index  map[chainhash.Hash]int32
	now    func() time.Time
}

func newHeaderChain(params *chaincfg.Params, now func() time.Time) *headerChain {
	g := params.GenesisBlock.Header
	return &headerChain{params: params, now: now,
		hashes: []chainhash.Hash{*params.GenesisHash}, bits: []uint32{g.Bits},
		index: map[chainhash.Hash]int32{*params.GenesisHash: 0}}
}

func (c *headerChain) tip() (int32, chainhash.Hash) {
	h := int32(len(c.hashes) - 1)
	return h, c.hashes[h]
}

// locator is the usual block locator: the last ten hashes, then back in
// doubling steps, and the genesis block.
func (c *headerChain) locator() []*chainhash.Hash {
	var out []*chainhash.Hash
	step := int32(1)
	for h := int32(len(c.hashes) - 1); h > 0; h -= step {
		out = append(out, &c.hashes[h])
		if len(out) >= 10 {
			step *= 2
		}
	}
	return append(out, &c.hashes[0])
}

// errNotConnected is a batch of headers whose first does not build on any
// block of our chain: the peer is on another chain or answered a locator
// we no longer hold.
var errNotConnected = errors.New("headers do not build on our chain")

// connect applies headers as one peer sent them (each building on the one
// before). They replace our blocks after the fork point only when they
// carry strictly more work, so equal-work forks keep the first seen, as
// nodes do. It returns whether our tip changed. Each header's proof of work
// is checked against its own difficulty bits and the network's limit; the
// retarget schedule is not (see docs/DECISIONS.md), on any network, so
// neither are testnet3's and testnet4's 20-minute minimum-difficulty blocks
// nor BIP-94's retarget base and time-warp rule: a peer can only win a fork
// with more real work than the others show.
func (c *headerChain) connect(hs []*wire.BlockHeader) (changed bool, err error) {
	if len(hs) == 0 {
		return false, nil
	}
	fork, ok := c.index[hs[0].PrevBlock]
	if !ok {
		return false, fmt.Errorf("%w (the first builds on %v)", errNotConnected, hs[0].PrevBlock)
	}
	hashes := make([]chainhash.Hash, len(hs))
	prev := hs[0].PrevBlock
	limit := c.now().Add(maxFutureDrift)
	for i, h := range hs {
		if h.PrevBlock != prev {
			return false, fmt.Errorf("header %d of %d builds on %v, not on the header before it (%v)", i+1, len(hs), h.PrevBlock, prev)
		}
		hashes[i] = h.BlockHash()
		if err := c.checkWork(h, hashes[i]); err != nil {
			return false, fmt.Errorf("header %v: %w", hashes[i], err)
		}
		if h.Timestamp.After(limit) {
			return false, fmt.Errorf("header %v: time %v is more than %v ahead of ours", hashes[i], h.Timestamp.UTC(), maxFutureDrift)
		}
		prev = hashes[i]
	}
	// Skip what we already hold on our chain.
	i := 0
	for i < len(hs) && int(fork)+1 < len(c.hashes) && c.hashes[fork+1] == hashes[i] {
		fork++
		i++
	}
	if i == len(hs) {
		return false, nil
	}
	theirs, ours := new(big.Int), new(big.Int)
	for _, h := range hs[i:] {
		theirs.Add(theirs, blockchain.CalcWork(h.Bits))
	}
	for _, b := range c.bits[fork+1:] {
		ours.Add(ours, blockchain.CalcWork(b))
	}
	if theirs.Cmp(ours) <= 0 {
		return false, nil
	}
	for _, gone := range c.hashes[fork+1:] {
		delete(c.index, gone)
	}
	c.hashes, c.bits = c.hashes[:fork+1], c.bits[:fork+1]
	for j, h := range hs[i:] {
		c.index[hashes[i+j]] = int32(len(c.hashes))
		c.hashes = append(c.hashes, hashes[i+j])
		c.bits = append(c.bits, h.Bits)
	}
	return true, nil
}

// checkWork checks that hash meets the target h.Bits claims and that the
// target is within the network's limit.
func (c *headerChain) checkWork(h *wire.BlockHeader, hash chainhash.Hash) error {
	target := blockchain.CompactToBig(h.Bits)
	if target.Sign() <= 0 || target.Cmp(c.params.PowLimit) > 0 {
		return fmt.Errorf("difficulty bits %08x are outside %s's proof-of-work limit", h.Bits, c.params.Name)
	}
	if blockchain.HashToBig(&hash).Cmp(target) > 0 {
		return fmt.Errorf("hash is above the target its bits %08x claim: no proof of work", h.Bits)
	}
	return nil
}

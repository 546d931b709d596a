package cfilter

import (
	"fmt"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// filterIndex holds, for blocks of our chain, the basic filter (BIP-158)
// hash and header that every peer asked agreed on, or why they did not.
// A block whose filter is disputed is fetched whole: a lying peer can cost
// us a download, never a deposit.
type filterIndex struct {
	agreed   map[chainhash.Hash]filterEntry
	disputed map[chainhash.Hash]string
}

type filterEntry struct {
	filterHash chainhash.Hash
	header     chainhash.Hash
}

func newFilterIndex() *filterIndex {
	return &filterIndex{agreed: map[chainhash.Hash]filterEntry{}, disputed: map[chainhash.Hash]string{}}
}

func (x *filterIndex) known(block chainhash.Hash) bool {
	_, ok := x.agreed[block]
	_, bad := x.disputed[block]
	return ok || bad
}

// cfAnswer is one peer's cfheaders message.
type cfAnswer struct {
	peer string
	msg  *wire.MsgCFHeaders
}

// filterHeader is BIP-157's filter header: double-SHA256 of the filter's
// hash and the previous block's filter header.
func filterHeader(filterHash, prev chainhash.Hash) chainhash.Hash {
	var buf [2 * chainhash.HashSize]byte
	copy(buf[:], filterHash[:])
	copy(buf[chainhash.HashSize:], prev[:])
	return chainhash.DoubleHashH(buf[:])
}

// settle records what the peers' answers say about blocks (consecutive
// blocks of our chain, the last being each answer's stop hash). prev is the
// agreed filter header of the block before the first, when we hold it:
// an answer that does not continue from it disagrees with the peers we
// asked before. Answers that are not about blocks are returned as errors
// and not counted; with no answer left, nothing is recorded.
func (x *filterIndex) settle(blocks []chainhash.Hash, prev *chainhash.Hash, answers []cfAnswer) []error {
	var errs []error
	type view struct {
		peer    string
		headers []chainhash.Hash
		hashes  []*chainhash.Hash
	}
	var views []view
	broken := false // an answer does not continue from prev
	for _, a := range answers {
		m := a.msg
		switch {
		case m.FilterType != wire.GCSFilterRegular:
			errs = append(errs, fmt.Errorf("peer %s sent filter headers of type %d, not basic (0)", a.peer, m.FilterType))
			continue
		case m.StopHash != blocks[len(blocks)-1]:
			errs = append(errs, fmt.Errorf("peer %s sent filter headers ending at %v, asked for %v", a.peer, m.StopHash, blocks[len(blocks)-1]))
			continue
		case len(m.FilterHashes) != len(blocks):
			errs = append(errs, fmt.Errorf("peer %s sent %d filter hashes for %d blocks", a.peer, len(m.FilterHashes), len(blocks)))
			continue
		}
		v := view{peer: a.peer, headers: make([]chainhash.Hash, len(blocks)), hashes: m.FilterHashes}
		p := m.PrevFilterHeader
		if prev != nil && p != *prev {
			broken = true
			errs = append(errs, fmt.Errorf("peer %s: filter header before block %v is %v, the peers agreed on %v", a.peer, blocks[0], p, *prev))
		}
		for i, fh := range m.FilterHashes {
			p = filterHeader(*fh, p)
			v.headers[i] = p
		}
		views = append(views, v)
	}
	if len(views) == 0 {
		return errs
	}
	for i, b := range blocks {
		by := map[chainhash.Hash][]string{}
		for _, v := range views {
			by[v.headers[i]] = append(by[v.headers[i]], v.peer)
		}
		if broken {
			by[chainhash.Hash{}] = []string{"the filter headers agreed before"}
		}
		if len(by) == 1 {
			x.agreed[b] = filterEntry{filterHash: *views[0].hashes[i], header: views[0].headers[i]}
			delete(x.disputed, b)
			continue
		}
		var sides []string
		for _, peers := range by {
			slices.Sort(peers)
			sides = append(sides, strings.Join(peers, ", "))
		}
		slices.Sort(sides)
		x.disputed[b] = "peers disagree on its filter header (" + strings.Join(sides, " | ") + ")"
		delete(x.agreed, b)
	}
	return errs
}

// forget drops what is held about blocks no longer in our chain, so that
// the maps stay the size of the chain scanned.
func (x *filterIndex) forget(blocks []chainhash.Hash) {
	for _, b := range blocks {
		delete(x.agreed, b)
		delete(x.disputed, b)
	}
}

// Package watcher follows the chain for the coordinator's watch-only
// wallets: it derives their addresses a gap ahead of the last one used,
// scans blocks from each wallet's birthday, applies what each block does to
// our outputs through the store, walks back over reorgs, and mirrors the
// node's mempool as unconfirmed activity.
//
// All state lives in the store and every block is applied in one
// transaction, so the watcher can be killed at any point: the next Sync
// continues from the last whole block. The only memory it keeps between
// calls is which mempool transactions it has already looked at.
package watcher

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// Chain is what the watcher needs from a node; chain.Client implements it.
type Chain interface {
	Tip(ctx context.Context) (int32, chainhash.Hash, error)
	BlockHash(ctx context.Context, height int32) (chainhash.Hash, error)
	Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error)
	MempoolTxids(ctx context.Context) ([]chainhash.Hash, error)
	Transaction(ctx context.Context, txid chainhash.Hash) (*wire.MsgTx, error)
}

// FilterChain is a Chain that holds compact block filters (BIP-157/158),
// as chain/cfilter.Client does: the watcher hands it the scripts it
// watches and it fetches only the blocks whose filters match them.
type FilterChain interface {
	Chain
	// BlockIfMatches returns the block when its filter matches any of
	// scripts, and nil when the block surely pays and spends none of them;
	// prev is the block's parent either way.
	BlockIfMatches(ctx context.Context, hash chainhash.Hash, scripts [][]byte) (block *wire.MsgBlock, prev chainhash.Hash, err error)
}

// Default gap limits: how many unused addresses are watched beyond the last
// used or handed-out one (BIP44 uses 20 for receiving; change addresses are
// only ever taken in order by our own withdrawals, so fewer suffice).
const (
	DefaultReceiveGap = 20
	DefaultChangeGap  = 10
)

// Options tune a Watcher; zero values mean the defaults.
type Options struct {
	ReceiveGap uint32
	ChangeGap  uint32
	// Logf, when set, is told about reorgs and mempool drops.
	Logf func(format string, args ...any)
}

// Watcher keeps a store in step with a node. Sync may be called from one
// goroutine at a time; a mutex enforces it.
type Watcher struct {
	chain Chain
	st    *store.Store
	opt   Options

	mu       sync.Mutex
	derivers map[string]*[2]scriptDeriver // wallet name + descriptor
	seen     map[chainhash.Hash]bool      // mempool txids already examined
}

// New returns a watcher over chain and st.
func New(chain Chain, st *store.Store, opt Options) *Watcher {
	if opt.ReceiveGap == 0 {
		opt.ReceiveGap = DefaultReceiveGap
	}
	if opt.ChangeGap == 0 {
		opt.ChangeGap = DefaultChangeGap
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	return &Watcher{chain: chain, st: st, opt: opt,
		derivers: map[string]*[2]scriptDeriver{}, seen: map[chainhash.Hash]bool{}}
}

// Report says what one Sync did.
type Report struct {
	Height       int32 // the tip applied at the end
	Hash         chainhash.Hash
	Applied      int // blocks applied
	Disconnected int // blocks undone by reorgs
	Deposits     []store.UTXO
	Mempool      int // mempool transactions recorded as ours
	Dropped      int // unconfirmed transactions that left the mempool
	// NodeBehind is set when the node's tip is an ancestor of ours (it is
	// restarting or syncing): nothing was changed, and Height is ours.
	NodeBehind bool
	// Collisions names scripts two wallets derive ("wallet a 0/3 and
	// wallet b 0/3"): the first registered keeps them, the other is not
	// credited with them; a registration written before wallets were
	// identified by what they pay to (see coordinator.AddWallet).
	Collisions []string
}

// errNodeBehind ends a Sync early without an error for the caller.
var errNodeBehind = errors.New("node behind")

// Sync brings the store up to the node's tip and mirrors its mempool.
func (w *Watcher) Sync(ctx context.Context) (r Report, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wallets, err := w.st.Wallets(ctx)
	if err != nil {
		return r, err
	}
	if len(wallets) == 0 {
		return r, nil
	}
	ws, err := w.ensureGap(ctx, wallets)
	if err != nil {
		return r, err
	}
	defer func() {
		for _, c := range slices.Sorted(maps.Keys(ws.collisions)) {
			r.Collisions = append(r.Collisions, c)
		}
		if len(r.Collisions) > 0 {
			w.opt.Logf("watcher: %d script(s) claimed by two wallets, e.g. %s: the first registered keeps them; remove the copy", len(r.Collisions), r.Collisions[0])
		}
	}()
	for attempt := 0; ; attempt++ {
		err = w.syncBlocks(ctx, wallets, &ws, &r)
		if !errors.Is(err, store.ErrNotConnected) || attempt == 5 {
			break
		}
		// The node reorganised while we were applying; walk back again.
	}
	if errors.Is(err, errNodeBehind) {
		// Its mempool is as stale as its chain: leave ours alone too.
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := w.syncMempool(ctx, wallets, &ws, &r); err != nil {
		return r, err
	}
	return r, nil
}

type addrKey string

type branchKey struct {
	wallet string
	branch uint32
}

// watchSet is every watched script and, per wallet branch, the first index
// not yet derived.
type watchSet struct {
	scripts    map[addrKey]store.Address
	next       map[branchKey]uint32
	collisions map[string]bool
}

// claim watches a's script for its wallet, unless another wallet already
// does: then the first keeps it and the collision is noted. A script claimed
// twice used to go to whichever wallet was read last, moving coins between
// wallets and wedging sync on a credit stored for the other.
func (ws *watchSet) claim(a store.Address) {
	k := addrKey(a.Script)
	if prior, ok := ws.scripts[k]; ok && prior.Wallet != a.Wallet {
		if ws.collisions == nil {
			ws.collisions = map[string]bool{}
		}
		ws.collisions[fmt.Sprintf("wallet %q %d/%d and wallet %q %d/%d", prior.Wallet, prior.Branch, prior.Index, a.Wallet, a.Branch, a.Index)] = true
		return
	}
	ws.scripts[k] = a
}

// grew reports whether a credit used an address so close to the end of
// what is derived that the gap must be extended before trusting a match.
func (w *Watcher) grew(ws watchSet, credits []store.UTXO) bool {
	for _, c := range credits {
		if c.Index+w.gap(c.Branch) >= ws.next[branchKey{c.Wallet, c.Branch}] {
			return true
		}
	}
	return false
}

func (w *Watcher) gap(branch uint32) uint32 {
	if branch == 1 {
		return w.opt.ChangeGap
	}
	return w.opt.ReceiveGap
}

// ensureGap derives every wallet's addresses up to the gap beyond the last
// used or issued index on each branch, stores the new ones, and returns
// what to watch.
func (w *Watcher) ensureGap(ctx context.Context, wallets []store.Wallet) (watchSet, error) {
	ws := watchSet{scripts: map[addrKey]store.Address{}, next: map[branchKey]uint32{}}
	horizon := map[branchKey]int64{}
	// The first registered claims a script two wallets derive.
	wallets = slices.Clone(wallets)
	slices.SortStableFunc(wallets, func(a, b store.Wallet) int { return a.Created.Compare(b.Created) })
	for _, wl := range wallets {
		ders, err := w.deriversFor(wl)
		if err != nil {
			return ws, err
		}
		have, err := w.st.Addresses(ctx, wl.Name)
		if err != nil {
			return ws, err
		}
		for _, a := range have {
			ws.claim(a)
			k := branchKey{wl.Name, a.Branch}
			ws.next[k] = max(ws.next[k], a.Index+1)
			if h, ok := horizon[k]; (a.Used || a.Issued) && (!ok || int64(a.Index) > h) {
				horizon[k] = int64(a.Index)
			}
		}
		var add []store.Address
		for branch := range uint32(2) {
			k := branchKey{wl.Name, branch}
			h, ok := horizon[k]
			if !ok {
				h = -1
			}
			want := uint32(h+1) + w.gap(branch)
			for i := ws.next[k]; i < want; i++ {
				script, err := ders[branch].PkScript(i)
				if err != nil {
					return ws, fmt.Errorf("watcher: wallet %q: deriving %d/%d: %w", wl.Name, branch, i, err)
				}
				a := store.Address{Wallet: wl.Name, Branch: branch, Index: i, Script: script}
				add = append(add, a)
				ws.claim(a)
			}
			ws.next[k] = max(ws.next[k], want)
		}
		if len(add) > 0 {
			if err := w.st.AddAddresses(ctx, add); err != nil {
				return ws, err
			}
		}
	}
	return ws, nil
}

// extend derives, for each credit, the addresses up to its index plus the
// gap that ws does not have yet, and stores them: ensureGap without
// re-reading what is already watched, for credits found mid-scan.
func (w *Watcher) extend(ctx context.Context, wallets []store.Wallet, ws *watchSet, credits []store.UTXO) error {
	byName := map[string]store.Wallet{}
	for _, wl := range wallets {
		byName[wl.Name] = wl
	}
	var add []store.Address
	for _, c := range credits {
		k := branchKey{c.Wallet, c.Branch}
		want := c.Index + 1 + w.gap(c.Branch)
		if ws.next[k] >= want {
			continue
		}
		ders, err := w.deriversFor(byName[c.Wallet])
		if err != nil {
			return err
		}
		for i := ws.next[k]; i < want; i++ {
			script, err := ders[c.Branch].PkScript(i)
			if err != nil {
				return fmt.Errorf("watcher: wallet %q: deriving %d/%d: %w", c.Wallet, c.Branch, i, err)
			}
			a := store.Address{Wallet: c.Wallet, Branch: c.Branch, Index: i, Script: script}
			add = append(add, a)
			ws.claim(a)
		}
		ws.next[k] = want
	}
	if len(add) == 0 {
		return nil
	}
	return w.st.AddAddresses(ctx, add)
}

// scriptDeriver derives one branch's output scripts: a descriptor's
// Deriver, or scriptBranch for a wallet with spending paths.
type scriptDeriver interface {
	PkScript(index uint32) ([]byte, error)
}

// scriptBranch is one branch of a wsh(miniscript) or tr(KEY,TREE) wallet.
type scriptBranch struct {
	w      *descriptor.ScriptWallet
	branch uint32
}

func (b scriptBranch) PkScript(index uint32) ([]byte, error) {
	d, err := b.w.Derive(b.branch, index)
	if err != nil {
		return nil, err
	}
	return d.PkScript, nil
}

func (w *Watcher) deriversFor(wl store.Wallet) (*[2]scriptDeriver, error) {
	key := wl.Name + "\x00" + wl.Descriptor
	if d, ok := w.derivers[key]; ok {
		return d, nil
	}
	net, err := descriptor.ParseNetwork(wl.Network)
	if err != nil {
		return nil, fmt.Errorf("watcher: wallet %q: %w", wl.Name, err)
	}
	var ders [2]scriptDeriver
	desc, err := descriptor.ParseForNetwork(wl.Descriptor, net)
	if err != nil {
		// A wallet with spending paths is stored as its descriptor
		// too; its policy says which kind it is.
		sw, serr := descriptor.ParseScriptWallet(wl.Descriptor, net)
		if serr != nil {
			if wl.Policy != "" {
				err = serr
			}
			return nil, fmt.Errorf("watcher: wallet %q: %w", wl.Name, err)
		}
		for b := range ders {
			ders[b] = scriptBranch{sw, uint32(b)}
		}
		w.derivers[key] = &ders
		return &ders, nil
	}
	for b := range ders {
		if ders[b], err = desc.Deriver(uint32(b)); err != nil {
			return nil, fmt.Errorf("watcher: wallet %q: %w", wl.Name, err)
		}
	}
	w.derivers[key] = &ders
	return &ders, nil
}

func (w *Watcher) syncBlocks(ctx context.Context, wallets []store.Wallet, ws *watchSet, r *Report) error {
	chainHeight, chainHash, err := w.chain.Tip(ctx)
	if err != nil {
		return err
	}
	// A node behind us (restarting, still syncing) whose tip is a block we
	// applied has not reorganised: wait for it instead of undoing blocks it
	// will serve again.
	if h, hash, ok, err := w.st.Tip(ctx); err != nil {
		return err
	} else if ok && h > chainHeight {
		ours, ok, err := w.st.BlockHash(ctx, chainHeight)
		if err != nil {
			return err
		}
		if ok && ours == chainHash {
			r.Height, r.Hash, r.NodeBehind = h, hash, true
			w.opt.Logf("node at %d is behind our tip %d on the same chain; waiting for it", chainHeight, h)
			return errNodeBehind
		}
	}
	// Walk back to the fork point.
	var height int32
	for {
		h, hash, ok, err := w.st.Tip(ctx)
		if err != nil {
			return err
		}
		if !ok {
			height = startHeight(wallets) - 1
			break
		}
		if h <= chainHeight {
			onChain, err := w.chain.BlockHash(ctx, h)
			if err != nil {
				return err
			}
			if onChain == hash {
				height = h
				break
			}
		}
		if _, _, err := w.st.DisconnectTip(ctx); err != nil {
			return err
		}
		r.Disconnected++
		w.opt.Logf("reorg: undid block %d %s", h, hash)
	}
	ours, err := w.st.Outpoints(ctx)
	if err != nil {
		return err
	}
	for height < chainHeight {
		height++
		hash := chainHash
		if height != chainHeight {
			if hash, err = w.chain.BlockHash(ctx, height); err != nil {
				return err
			}
		}
		block, prev, err := w.block(ctx, hash, ws)
		if err != nil {
			return err
		}
		var u store.Update
		var funding []*wire.MsgTx
		for block != nil {
			u, funding = match(block.Transactions, ws.scripts, ours, true)
			if !w.grew(*ws, u.Credits) {
				break
			}
			if err := w.extend(ctx, wallets, ws, u.Credits); err != nil {
				return err
			}
		}
		u.Height, u.Hash, u.Prev = height, hash, prev
		if err := w.st.SaveTxs(ctx, funding); err != nil {
			return err
		}
		if err := w.st.ApplyBlock(ctx, u); err != nil {
			return err
		}
		for _, c := range u.Credits {
			ours[c.OutPoint] = struct{}{}
		}
		for _, sp := range u.Spends {
			delete(ours, sp.OutPoint)
		}
		r.Applied++
		r.Deposits = append(r.Deposits, u.Credits...)
	}
	r.Height, r.Hash = chainHeight, chainHash
	if height == 0 {
		r.Hash = chainhash.Hash{}
	}
	return nil
}

// block fetches the block with hash, or with a FilterChain only when its
// filter matches a watched script (every output of ours pays one, so a
// spend of ours matches too): nil then, and prev is its parent.
func (w *Watcher) block(ctx context.Context, hash chainhash.Hash, ws *watchSet) (*wire.MsgBlock, chainhash.Hash, error) {
	var block *wire.MsgBlock
	var prev chainhash.Hash
	var err error
	if fc, ok := w.chain.(FilterChain); ok {
		scripts := make([][]byte, 0, len(ws.scripts))
		for k := range ws.scripts {
			scripts = append(scripts, []byte(k))
		}
		block, prev, err = fc.BlockIfMatches(ctx, hash, scripts)
	} else {
		block, err = w.chain.Block(ctx, hash)
	}
	if err != nil || block == nil {
		return nil, prev, err
	}
	if block.BlockHash() != hash {
		return nil, prev, fmt.Errorf("watcher: node served block %s for %s", block.BlockHash(), hash)
	}
	return block, block.Header.PrevBlock, nil
}

// match finds what txs do to our wallets: outputs paying a watched script
// and inputs spending an output of ours (including ones created earlier in
// the same list). Coinbase flags are set when inBlock.
func match(txs []*wire.MsgTx, scripts map[addrKey]store.Address, ours map[wire.OutPoint]struct{}, inBlock bool) (store.Update, []*wire.MsgTx) {
	var u store.Update
	var funding []*wire.MsgTx
	created := map[wire.OutPoint]bool{}
	for i, tx := range txs {
		txid := tx.TxHash()
		coinbase := inBlock && i == 0 && blockchain.IsCoinBaseTx(tx)
		if !coinbase {
			for _, in := range tx.TxIn {
				_, mine := ours[in.PreviousOutPoint]
				if mine || created[in.PreviousOutPoint] {
					u.Spends = append(u.Spends, store.Spend{OutPoint: in.PreviousOutPoint, Tx: txid})
				}
			}
		}
		paid := false
		for vout, out := range tx.TxOut {
			a, ok := scripts[addrKey(out.PkScript)]
			if !ok {
				continue
			}
			op := wire.OutPoint{Hash: txid, Index: uint32(vout)}
			u.Credits = append(u.Credits, store.UTXO{Wallet: a.Wallet, OutPoint: op, Value: btcutil.Amount(out.Value),
				Script: out.PkScript, Branch: a.Branch, Index: a.Index, Coinbase: coinbase})
			created[op] = true
			paid = true
		}
		if paid {
			funding = append(funding, tx)
		}
	}
	return u, funding
}

// startHeight is where an empty store begins: the earliest birthday, and
// never the genesis block (its coinbase cannot be spent anyway).
func startHeight(wallets []store.Wallet) int32 {
	start := wallets[0].Birthday
	for _, wl := range wallets[1:] {
		start = min(start, wl.Birthday)
	}
	return max(start, 1)
}

// syncMempool records the node's mempool transactions that touch our
// wallets and forgets the ones that left it without confirming.
func (w *Watcher) syncMempool(ctx context.Context, wallets []store.Wallet, ws *watchSet, r *Report) error {
	ids, err := w.chain.MempoolTxids(ctx)
	if err != nil {
		return err
	}
	inPool := make(map[chainhash.Hash]bool, len(ids))
	for _, id := range ids {
		inPool[id] = true
	}
	for id := range w.seen {
		if !inPool[id] {
			delete(w.seen, id)
		}
	}
	known, err := w.st.UnconfirmedTxids(ctx)
	if err != nil {
		return err
	}
	for _, id := range known {
		if !inPool[id] {
			if err := w.st.DropUnconfirmed(ctx, id); err != nil {
				return err
			}
			r.Dropped++
			w.opt.Logf("mempool: %s left the mempool unconfirmed; forgotten", id)
		}
	}
	var txs []*wire.MsgTx
	for _, id := range ids {
		if w.seen[id] {
			continue
		}
		tx, err := w.chain.Transaction(ctx, id)
		if err != nil {
			continue // mined or evicted since the list was taken; the next Sync sees it
		}
		txs = append(txs, tx)
	}
	if len(txs) == 0 {
		return nil
	}
	txs = parentsFirst(txs)
	ours, err := w.st.Outpoints(ctx)
	if err != nil {
		return err
	}
	var u store.Update
	var funding []*wire.MsgTx
	for {
		u, funding = match(txs, ws.scripts, ours, false)
		if !w.grew(*ws, u.Credits) {
			break
		}
		if err := w.extend(ctx, wallets, ws, u.Credits); err != nil {
			return err
		}
	}
	if err := w.st.SaveTxs(ctx, funding); err != nil {
		return err
	}
	if err := w.st.AddUnconfirmed(ctx, u.Credits, u.Spends); err != nil {
		return err
	}
	for _, tx := range txs {
		w.seen[tx.TxHash()] = true
	}
	touched := map[chainhash.Hash]bool{}
	for _, c := range u.Credits {
		touched[c.OutPoint.Hash] = true
	}
	for _, s := range u.Spends {
		touched[s.Tx] = true
	}
	r.Mempool += len(touched)
	return nil
}

// parentsFirst orders mempool transactions so that one spending another's
// output comes after it, as in a block.
func parentsFirst(txs []*wire.MsgTx) []*wire.MsgTx {
	byID := make(map[chainhash.Hash]*wire.MsgTx, len(txs))
	for _, tx := range txs {
		byID[tx.TxHash()] = tx
	}
	done := map[chainhash.Hash]bool{}
	out := make([]*wire.MsgTx, 0, len(txs))
	var visit func(tx *wire.MsgTx)
	visit = func(tx *wire.MsgTx) {
		id := tx.TxHash()
		if done[id] {
			return
		}
		done[id] = true
		for _, in := range tx.TxIn {
			if p, ok := byID[in.PreviousOutPoint.Hash]; ok {
				visit(p)
			}
		}
		out = append(out, tx)
	}
	for _, tx := range txs {
		visit(tx)
	}
	return out
}

// Rescan makes the next Sync scan again from height, for a wallet
// registered with a birthday at or below the applied tip.
func (w *Watcher) Rescan(ctx context.Context, height int32) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = map[chainhash.Hash]bool{}
	return w.st.Rewind(ctx, max(height, 1))
}

// Derive extends every wallet's watched addresses to the gap limit without
// asking the node: what a new wallet or a receive address handed out needs
// before the next Sync.
func (w *Watcher) Derive(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	wallets, err := w.st.Wallets(ctx)
	if err != nil {
		return err
	}
	_, err = w.ensureGap(ctx, wallets)
	return err
}

package coordinator

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/store"
	"airsign/online/watcher"
)

// CrossCheck is a second chain backend the coordinator compares its own
// with at every Sync, so that no single server decides which coins the
// wallets hold: the compact block filter client beside an RPC node, or the
// other way round. The second backend follows the same wallets and scripts
// into a store of its own; while the two views disagree beyond Depth
// blocks, withdrawals are refused (ErrCrossCheck) with what each says.
type CrossCheck struct {
	// Node is the second backend.
	Node watcher.Chain
	// Store holds the second backend's view: a database apart from the
	// coordinator's, which it never touches.
	Store *store.Store
	// Name and CheckName say which backend is which in messages, e.g.
	// "rpc http://127.0.0.1:18443" and "filters 10.0.0.2:8333".
	Name, CheckName string
	// Depth is the reorg depth the views may differ by: their tips may be
	// up to Depth blocks apart, and a coin may be known to one only while
	// the block that made or spent it is less than Depth blocks below the
	// lower tip. 0 means DefaultCheckDepth.
	Depth int32
	// Logf, when set, hears when the backends stop or start agreeing and
	// when the check backend cannot be asked.
	Logf func(format string, args ...any)
}

// DefaultCheckDepth is CrossCheck.Depth's default: a reorg deeper than six
// blocks is as rare as a server that lies.
const DefaultCheckDepth = 6

// ErrCrossCheck matches refusals because the chain backends disagree, or
// because the check backend has not answered.
var ErrCrossCheck = errors.New("withdrawals stopped by the chain cross-check")

// checkMaxAge is how old the last comparison may be when a withdrawal is
// built; an older one is made again first. Sync compares at every call, but
// of several coordinators on one database only the watcher lease's holder
// syncs (WhileWatcher): the others compare when asked.
const checkMaxAge = time.Minute

// crossChecker runs a CrossCheck and remembers its last result.
type crossChecker struct {
	cfg CrossCheck
	w   *watcher.Watcher

	run sync.Mutex // one comparison at a time: it writes the check store

	mu      sync.Mutex
	checked bool      // a comparison has been made
	at      time.Time // when the last one ended
	problem string    // what disagrees, or why the check failed; "" when agreeing
	failed  bool      // problem is a failed check, not a disagreement
	since   time.Time // when the problem was first seen
	// recorded is set while a disagreement is in the audit log and its
	// end is not.
	recorded bool
}

func newCrossChecker(cfg CrossCheck, opt watcher.Options) (*crossChecker, error) {
	if cfg.Node == nil || cfg.Store == nil {
		return nil, errors.New("coordinator: a cross-check needs its backend and a store of its own")
	}
	if cfg.Depth <= 0 {
		cfg.Depth = DefaultCheckDepth
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	opt.Logf = nil // the check's own reorgs are no news
	return &crossChecker{cfg: cfg, w: watcher.New(cfg.Node, cfg.Store, opt)}, nil
}

// crossCheck brings the check backend's view up to its tip, compares it
// with the store's, and records the outcome; a change between agreeing
// and disagreeing is written to the audit log. A check backend that cannot
// be asked stops withdrawals as a disagreement does, but is only logged:
// it is an outage, not evidence.
func (c *Coordinator) crossCheck(ctx context.Context) error {
	k := c.xc
	if k == nil {
		return nil
	}
	k.run.Lock()
	defer k.run.Unlock()
	findings, err := k.compare(ctx, c.st)
	if ctx.Err() != nil {
		return nil // stopping: keep the last result
	}
	problem := strings.Join(findings, "; ")
	if err != nil {
		problem = fmt.Sprintf("%s could not be asked: %v", k.cfg.CheckName, err)
	}
	now := c.cfg.Now()
	k.mu.Lock()
	if problem != "" && (k.problem == "" || k.failed != (err != nil)) {
		k.since = now
	}
	k.checked, k.at, k.problem, k.failed = true, now, problem, err != nil
	begins := problem != "" && err == nil && !k.recorded
	ends := problem == "" && k.recorded
	if begins || ends {
		k.recorded = begins
	}
	k.mu.Unlock()

	switch {
	case err != nil:
		k.cfg.Logf("cross-check: %s; withdrawals are stopped until it answers", problem)
	case begins:
		k.cfg.Logf("cross-check: the chain backends disagree: %s; withdrawals are stopped", problem)
		return c.Record("chain-backends-disagree", map[string]any{"backend": k.cfg.Name, "check_backend": k.cfg.CheckName,
			"depth": k.cfg.Depth, "findings": findings})
	case ends:
		k.cfg.Logf("cross-check: the chain backends agree again; withdrawals resume")
		return c.Record("chain-backends-agree", map[string]any{"backend": k.cfg.Name, "check_backend": k.cfg.CheckName})
	}
	return nil
}

// chainsAgree refuses building a withdrawal while the last cross-check
// found the backends disagreeing or could not ask the check backend; nil
// without a cross-check. A result older than checkMaxAge is renewed first.
func (c *Coordinator) chainsAgree(ctx context.Context) error {
	k := c.xc
	if k == nil {
		return nil
	}
	k.mu.Lock()
	stale := !k.checked || c.cfg.Now().Sub(k.at) > checkMaxAge
	k.mu.Unlock()
	if stale {
		if err := c.crossCheck(ctx); err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	since := k.since.UTC().Format(time.RFC3339)
	switch {
	case !k.checked:
		return fmt.Errorf("%w: %s has not been compared with %s yet: try again",
			ErrCrossCheck, k.cfg.Name, k.cfg.CheckName)
	case k.problem == "":
		return nil
	case k.failed:
		return fmt.Errorf("%w since %s: %s. Withdrawals resume at the first sync at which it answers and agrees; "+
			"to go on without the check, remove \"check_backend\" from config.json and restart",
			ErrCrossCheck, since, k.problem)
	}
	return fmt.Errorf("%w: the chain backends disagree beyond %d blocks since %s: %s. "+
		"Find which node is wrong (behind, on another chain, or serving bad filters) and fix or replace it; "+
		"withdrawals resume at the first sync at which the backends agree",
		ErrCrossCheck, k.cfg.Depth, since, k.problem)
}

// chainView is one backend's view of the wallets, as its store holds it.
type chainView struct {
	name   string
	tip    int32 // 0 when no block is applied
	hasTip bool
	// coins are the confirmed outputs not spent in a block, with the
	// height of the block that made each.
	coins map[wire.OutPoint]int32
	// spent are the other view's coins that this one has spent in a
	// block, with that block's height.
	spent map[wire.OutPoint]int32
	// settled is this view's block at the height the comparison settles
	// (Depth below the lower tip); zero when it has none there.
	settled chainhash.Hash
}

// compare syncs the check backend's view and returns what disagrees
// beyond the depth, in words; none when the views agree.
func (k *crossChecker) compare(ctx context.Context, primary *store.Store) ([]string, error) {
	if err := k.mirrorWallets(ctx, primary); err != nil {
		return nil, err
	}
	if _, err := k.w.Sync(ctx); err != nil {
		return nil, err
	}
	a, err := loadView(ctx, primary, k.cfg.Name)
	if err != nil {
		return nil, err
	}
	b, err := loadView(ctx, k.cfg.Store, k.cfg.CheckName)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		of   *chainView
		st   *store.Store
		into *chainView
	}{{&a, k.cfg.Store, &b}, {&b, primary, &a}} {
		for op := range p.of.coins {
			if _, ok := p.into.coins[op]; ok {
				continue
			}
			u, err := p.st.Output(ctx, op)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if u.SpentHeight > 0 {
				p.into.spent[op] = u.SpentHeight
			}
		}
	}
	if settle := min(a.tip, b.tip) - k.cfg.Depth; a.hasTip && b.hasTip && settle > 0 {
		for _, v := range []struct {
			view *chainView
			st   *store.Store
		}{{&a, primary}, {&b, k.cfg.Store}} {
			if v.view.settled, _, err = v.st.BlockHash(ctx, settle); err != nil {
				return nil, err
			}
		}
	}
	return disagreements(a, b, k.cfg.Depth), nil
}

// loadView reads a store's view of the wallets.
func loadView(ctx context.Context, st *store.Store, name string) (chainView, error) {
	v := chainView{name: name, coins: map[wire.OutPoint]int32{}, spent: map[wire.OutPoint]int32{}}
	var err error
	if v.tip, _, v.hasTip, err = st.Tip(ctx); err != nil {
		return v, err
	}
	ops, err := st.Outpoints(ctx)
	if err != nil {
		return v, err
	}
	wallets, err := st.Wallets(ctx)
	if err != nil {
		return v, err
	}
	for _, w := range wallets {
		us, err := st.UTXOs(ctx, w.Name)
		if err != nil {
			return v, err
		}
		for _, u := range us {
			if _, ok := ops[u.OutPoint]; ok && u.Height > 0 {
				v.coins[u.OutPoint] = u.Height
			}
			delete(ops, u.OutPoint)
		}
	}
	// What is left is spent in the mempool only: still a confirmed coin.
	for op := range ops {
		u, err := st.Output(ctx, op)
		if err != nil {
			return v, err
		}
		if u.Height > 0 {
			v.coins[op] = u.Height
		}
	}
	return v, nil
}

// maxCoinFindings bounds how many coins a disagreement names.
const maxCoinFindings = 3

// disagreements compares two views: their tips may be up to depth blocks
// apart, their blocks depth below the lower tip must be the same, and a
// coin made or spent at or below that height must be known alike to both.
// Unconfirmed activity is not compared: a filter client sees only the
// transactions its peers relay.
func disagreements(a, b chainView, depth int32) []string {
	var out []string
	if a.hasTip != b.hasTip {
		none, some := a, b
		if a.hasTip {
			none, some = b, a
		}
		return []string{fmt.Sprintf("%s has scanned no block while %s is at block %d", none.name, some.name, some.tip)}
	}
	if !a.hasTip {
		return nil
	}
	if d := a.tip - b.tip; d > depth || -d > depth {
		out = append(out, fmt.Sprintf("%s is at block %d and %s at block %d, more than %d blocks apart", a.name, a.tip, b.name, b.tip, depth))
	}
	settle := min(a.tip, b.tip) - depth
	if a.settled != b.settled && a.settled != (chainhash.Hash{}) && b.settled != (chainhash.Hash{}) {
		out = append(out, fmt.Sprintf("at block %d (%d below the lower tip) %s has %v and %s has %v: they follow different chains",
			settle, depth, a.name, a.settled, b.name, b.settled))
	}
	var coins []string
	for _, p := range [][2]chainView{{a, b}, {b, a}} {
		have, lack := p[0], p[1]
		for _, op := range slices.SortedFunc(maps.Keys(have.coins), compareOutPoints) {
			h := have.coins[op]
			if _, ok := lack.coins[op]; ok {
				continue
			}
			if s, ok := lack.spent[op]; ok {
				if s <= settle {
					coins = append(coins, fmt.Sprintf("coin %v (block %d) is unspent for %s but spent in block %d for %s", op, h, have.name, s, lack.name))
				}
				continue
			}
			if h <= settle {
				coins = append(coins, fmt.Sprintf("coin %v (block %d) is unspent for %s but unknown to %s", op, h, have.name, lack.name))
			}
		}
	}
	if len(coins) > maxCoinFindings {
		coins = append(coins[:maxCoinFindings], fmt.Sprintf("%d more coins", len(coins)-maxCoinFindings))
	}
	return append(out, coins...)
}

func compareOutPoints(x, y wire.OutPoint) int {
	return cmp.Or(bytes.Compare(x.Hash[:], y.Hash[:]), cmp.Compare(x.Index, y.Index))
}

// mirrorWallets makes the check store follow the coordinator's wallets and
// every address they watch, so both backends answer for the same scripts.
// A wallet new to it is scanned from its birthday.
func (k *crossChecker) mirrorWallets(ctx context.Context, primary *store.Store) error {
	check := k.cfg.Store
	want, err := primary.Wallets(ctx)
	if err != nil {
		return err
	}
	have, err := check.Wallets(ctx)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, h := range have {
		i := slices.IndexFunc(want, func(w store.Wallet) bool { return w.Name == h.Name })
		if i >= 0 && want[i].Descriptor == h.Descriptor && want[i].Birthday == h.Birthday {
			kept[h.Name] = true
			continue
		}
		if err := check.RemoveWallet(ctx, h.Name); err != nil {
			return err
		}
	}
	for _, w := range want {
		if !kept[w.Name] {
			if err := check.AddWallet(ctx, w); err != nil {
				return err
			}
			if tip, _, ok, err := check.Tip(ctx); err != nil {
				return err
			} else if ok && w.Birthday <= tip {
				if err := k.w.Rescan(ctx, w.Birthday); err != nil {
					return err
				}
			}
		}
		addrs, err := primary.Addresses(ctx, w.Name)
		if err != nil {
			return err
		}
		known, err := check.Addresses(ctx, w.Name)
		if err != nil {
			return err
		}
		type slot struct{ branch, index uint32 }
		got := map[slot]bool{}
		for _, a := range known {
			got[slot{a.Branch, a.Index}] = true
		}
		var add []store.Address
		for _, a := range addrs {
			if !got[slot{a.Branch, a.Index}] {
				add = append(add, a)
			}
		}
		if len(add) > 0 {
			if err := check.AddAddresses(ctx, add); err != nil {
				return err
			}
		}
	}
	return nil
}

// Package coordinator is the online, watch-only half of airsign: it
// registers wallets by descriptor, follows the chain for them, hands out
// receive addresses, turns withdrawal requests into unsigned PSBTs for the
// kiosk, and finalizes and broadcasts what the kiosk signed. It holds no
// private key; every decision about signing is the kiosk's.
//
// It joins the parts under online/: the store (state), the watcher (chain),
// coinselect (which coins) and builder (the PSBT), and is what the
// airsign-coordinator command and its HTTP API call.
package coordinator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/coinselect"
	"airsign/online/store"
	"airsign/online/watcher"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

// Node is what the coordinator needs from a Bitcoin node; chain.Client
// implements it for btcd and Bitcoin Core.
type Node interface {
	watcher.Chain
	TestAccept(ctx context.Context, tx *wire.MsgTx) (ok bool, reason string, err error)
	Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error)
	FeeRate(ctx context.Context, targetBlocks int, fallback float64) (satPerVB float64, source string, err error)
}

// Config wires a Coordinator.
type Config struct {
	Store   *store.Store
	Node    Node
	Network descriptor.Network
	// FallbackFeeRate is the rate in sat/vB used when the node cannot
	// estimate (btcd on regtest never can) and the request names none.
	// 0 means such requests are refused.
	FallbackFeeRate float64
	// FeeTarget is the confirmation target, in blocks, for the node's
	// estimate; 0 means 6.
	FeeTarget int
	// MaxFeeRate refuses requests above it, in sat/vB; 0 means 1000, the
	// kiosk's default limit (a higher rate would be refused there anyway).
	MaxFeeRate float64
	Watcher    watcher.Options
	// Audit is the coordinator's audit log (psbt/auditlog); nil records
	// nothing.
	Audit *auditlog.Log
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Notify hears of requests that need approval, are signed, broadcast
	// or confirmed (webhooks); nil tells no one.
	Notify Notifier
	// Check, when set, is a second chain backend compared with Node at
	// every Sync; withdrawals stop while they disagree (crosscheck.go).
	Check *CrossCheck
	// RecoveryWarn is how many blocks ahead of a coin's recovery path
	// opening Coins marks it for a refresh; 0 means DefaultRecoveryWarn.
	RecoveryWarn uint32
}

// Coordinator is the service. Its methods are safe for concurrent use: the
// store serialises writes and reservations keep requests apart.
type Coordinator struct {
	cfg      Config
	st       *store.Store
	w        *watcher.Watcher
	refusals refusalTally
	xc       *crossChecker // nil without Config.Check

	mu         sync.Mutex
	collisions map[string]bool // script collisions already recorded
}

// New returns a coordinator over cfg.
func New(cfg Config) (*Coordinator, error) {
	if cfg.Store == nil || cfg.Node == nil {
		return nil, errors.New("coordinator: a store and a node are required")
	}
	if cfg.Network.Params() == nil {
		return nil, errors.New("coordinator: the network is not set")
	}
	if cfg.FeeTarget == 0 {
		cfg.FeeTarget = 6
	}
	if cfg.RecoveryWarn == 0 {
		cfg.RecoveryWarn = DefaultRecoveryWarn
	}
	if cfg.MaxFeeRate == 0 {
		cfg.MaxFeeRate = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := sameNetwork(cfg.Store, cfg.Network); err != nil {
		return nil, err
	}
	c := &Coordinator{cfg: cfg, st: cfg.Store, w: watcher.New(cfg.Node, cfg.Store, cfg.Watcher)}
	if cfg.Check != nil {
		if cfg.Check.Store == cfg.Store {
			return nil, errors.New("coordinator: the cross-check needs a store of its own, not the coordinator's")
		}
		var err error
		if c.xc, err = newCrossChecker(*cfg.Check, cfg.Watcher); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// sameNetwork refuses a store whose wallets were registered on another
// network than net. Test networks share keys (tpub) and, but for regtest,
// addresses (tb1), so a store of testnet3 wallets opened as testnet4 would
// parse and then follow another chain: its blocks undone as a reorg, its
// coins gone, requests built on coins of the other chain.
func sameNetwork(st *store.Store, net descriptor.Network) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := st.Wallets(ctx)
	if err != nil {
		return fmt.Errorf("coordinator: reading the wallets: %w", err)
	}
	for _, w := range ws {
		if w.Network != net.String() {
			return fmt.Errorf("%w: the store's wallet %q was registered on %s, and this coordinator runs on %s: configure network %s (config.json's \"network\", or --network), or use another data folder or database for %s", ErrWalletMismatch, w.Name, w.Network, net, w.Network, net)
		}
	}
	return nil
}

// Errors for callers to tell apart (errors.Is); the messages around them say
// what was wrong and what to do.
var (
	ErrInvalid        = errors.New("invalid request")
	ErrNotFound       = store.ErrNotFound
	ErrInsufficient   = errors.New("insufficient funds")
	ErrWrongTx        = errors.New("the signed PSBT is not the transaction this request built")
	ErrNotFinal       = errors.New("the PSBT is not fully signed")
	ErrBroadcast      = errors.New("the node refused the transaction")
	ErrWrongState     = store.ErrState
	ErrWalletMismatch = errors.New("the descriptor does not fit this coordinator")
	ErrSuspended      = errors.New("wallet suspended")
)

// Sync brings the store up to the node's chain tip and mempool.
func (c *Coordinator) Sync(ctx context.Context) (watcher.Report, error) {
	rep, err := c.w.Sync(ctx)
	if err != nil {
		return rep, err
	}
	if err := c.crossCheck(ctx); err != nil {
		return rep, err
	}
	// Two wallets deriving the same scripts (registered before wallets
	// were identified by what they pay to): said once per process.
	c.mu.Lock()
	var fresh []string
	for _, col := range rep.Collisions {
		if !c.collisions[col] {
			if c.collisions == nil {
				c.collisions = map[string]bool{}
			}
			c.collisions[col] = true
			fresh = append(fresh, col)
		}
	}
	c.mu.Unlock()
	if len(fresh) > 0 {
		if err := c.Record("wallet-collision", map[string]any{"scripts": len(fresh), "first": fresh[0],
			"what": "two wallets derive the same scripts; the first registered is credited; the copy must be removed"}); err != nil {
			return rep, err
		}
	}
	// A cancelled request whose signed transaction was broadcast from
	// elsewhere is paid all the same: say so, loudly and once.
	paid, err := c.st.PaidAfterCancel(ctx)
	if err != nil {
		return rep, err
	}
	for _, w := range paid {
		if err := c.Record("cancelled-but-paid", map[string]any{"request": w.ID, "wallet": w.Wallet, "txid": w.PaidTxID.String(),
			"to": w.Destination, "amount_sat": int64(w.Amount), "requester": w.Requester}); err != nil {
			return rep, err
		}
	}
	// A live request whose coin another transaction spent in a block can
	// never confirm: it is marked conflicted, with an alert, and may be
	// closed (Cancel) even if it was broadcast.
	conflicted, err := c.st.Conflicted(ctx)
	if err != nil {
		return rep, err
	}
	for _, w := range conflicted {
		if err := c.Record("request-conflicted", map[string]any{"request": w.ID, "wallet": w.Wallet, "status": string(w.Status),
			"spent_by": w.ConflictTxID.String()}); err != nil {
			return rep, err
		}
	}
	if err := c.notifyConfirmed(ctx); err != nil {
		return rep, err
	}
	return rep, c.notifyRecovery(ctx)
}

// Address is a receive or change address with where it comes from.
type Address struct {
	Wallet  string `json:"wallet"`
	Address string `json:"address"`
	Branch  uint32 `json:"branch"`
	Index   uint32 `json:"index"`
	// Path is the full derivation from the master key, e.g.
	// m/84'/1'/0'/0/3; for multisig, each cosigner's, after its
	// fingerprint.
	Path []string `json:"path"`
}

// Receive hands out the wallet's next unused receive address; the next call
// gets another. The watcher keeps a gap of unused addresses ahead, so
// addresses handed out and never paid are still watched.
func (c *Coordinator) Receive(ctx context.Context, wallet string) (Address, error) {
	w, err := c.Wallet(ctx, wallet)
	if err != nil {
		return Address{}, err
	}
	a, err := c.issue(ctx, w, 0)
	if err != nil {
		return Address{}, err
	}
	return c.describe(w, a.Branch, a.Index)
}

// issue takes the next unused address of branch, deriving more first when
// the gap is exhausted. Requests made at once (through several
// coordinators on one database) may take the addresses one derivation
// made before this one gets to them, so it derives again, a few times.
func (c *Coordinator) issue(ctx context.Context, w Wallet, branch uint32) (store.Address, error) {
	for attempt := 0; ; attempt++ {
		a, err := c.st.IssueAddress(ctx, w.Name, branch)
		if !errors.Is(err, store.ErrNoAddress) || attempt == issueTries-1 {
			return a, err
		}
		if err := c.w.Derive(ctx); err != nil {
			return store.Address{}, err
		}
	}
}

// issueTries bounds issue's derivations: each adds a gap's worth of
// addresses, so several rounds lost to other requests in a row mean
// something else is wrong.
const issueTries = 4

func (c *Coordinator) describe(w Wallet, branch, index uint32) (Address, error) {
	if w.Script != nil {
		addr, err := w.Script.Address(branch, index)
		if err != nil {
			return Address{}, err
		}
		paths, err := scriptAddressPaths(w.Script, branch, index)
		return Address{Wallet: w.Name, Address: addr.EncodeAddress(), Branch: branch, Index: index, Path: paths}, err
	}
	addr, err := w.Descriptor.Address(branch, index)
	if err != nil {
		return Address{}, err
	}
	a := Address{Wallet: w.Name, Address: addr.EncodeAddress(), Branch: branch, Index: index}
	if w.Descriptor.Threshold == 0 {
		a.Path = []string{descriptor.FormatPath(w.Descriptor.Path(branch, index))}
	} else {
		for _, k := range w.Descriptor.Keys {
			a.Path = append(a.Path, fmt.Sprintf("[%x]%s", k.Origin.Fingerprint, descriptor.FormatPath(k.Path(branch, index))))
		}
	}
	return a, nil
}

// Balance is a wallet's money by state.
type Balance struct {
	Confirmed   btcutil.Amount // in blocks, not reserved
	Unconfirmed btcutil.Amount // in the mempool
	Reserved    btcutil.Amount // held by pending or broadcast withdrawals
	Tip         int32
}

// Balance returns the wallet's balance as of the last Sync.
func (c *Coordinator) Balance(ctx context.Context, wallet string) (Balance, error) {
	if _, err := c.st.Wallet(ctx, wallet); err != nil {
		return Balance{}, err
	}
	conf, unconf, err := c.st.Balance(ctx, wallet)
	if err != nil {
		return Balance{}, err
	}
	res, err := c.st.Reserved(ctx, wallet)
	if err != nil {
		return Balance{}, err
	}
	tip, _, _, err := c.st.Tip(ctx)
	if err != nil {
		return Balance{}, err
	}
	// Reserved outputs are confirmed ones (coin selection takes no others).
	return Balance{Confirmed: conf - res, Unconfirmed: unconf, Reserved: res, Tip: tip}, nil
}

// UTXOs returns the wallet's unspent outputs.
func (c *Coordinator) UTXOs(ctx context.Context, wallet string) ([]store.UTXO, error) {
	if _, err := c.st.Wallet(ctx, wallet); err != nil {
		return nil, err
	}
	return c.st.UTXOs(ctx, wallet)
}

// History returns the wallet's transactions, newest first.
func (c *Coordinator) History(ctx context.Context, wallet string) ([]store.Movement, error) {
	if _, err := c.st.Wallet(ctx, wallet); err != nil {
		return nil, err
	}
	return c.st.History(ctx, wallet)
}

// Tip returns the height the store has applied.
func (c *Coordinator) Tip(ctx context.Context) (int32, error) {
	h, _, _, err := c.st.Tip(ctx)
	return h, err
}

func newID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "wd-" + hex.EncodeToString(b[:])
}

func serialize(tx *wire.MsgTx) []byte {
	var buf bytes.Buffer
	tx.Serialize(&buf)
	return buf.Bytes()
}

// feeRate resolves a request's fee rate: the one given, else the node's
// estimate, else the configured fallback.
func (c *Coordinator) feeRate(ctx context.Context, given float64) (coinselect.FeeRate, string, error) {
	rate, source := given, "requested"
	if given == 0 {
		var err error
		rate, source, err = c.cfg.Node.FeeRate(ctx, c.cfg.FeeTarget, c.cfg.FallbackFeeRate)
		if err != nil {
			return 0, "", fmt.Errorf("%w: no fee rate: the node could not estimate one (%v) and none is configured; give --feerate", ErrInvalid, err)
		}
	}
	if rate > c.cfg.MaxFeeRate {
		return 0, "", fmt.Errorf("%w: fee rate %.3f sat/vB is above the limit of %.0f sat/vB", ErrInvalid, rate, c.cfg.MaxFeeRate)
	}
	r, err := coinselect.FeeRateFromSatPerVB(rate)
	if err != nil {
		return 0, "", fmt.Errorf("%w: fee rate: %v", ErrInvalid, err)
	}
	if r < 1000 {
		return 0, "", fmt.Errorf("%w: fee rate %s is below 1 sat/vB, the minimum nodes relay", ErrInvalid, r)
	}
	return r, source, nil
}

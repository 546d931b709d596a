package coordinator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/builder"
	"airsign/online/coinselect"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// Wallets with spending paths: wsh(miniscript) and tr(KEY,TREE) wallets,
// registered from their BIP-388 policy (as the kiosk registers them) or
// their descriptor, spent by the primary path or, once a coin's relative
// lock has passed, by the recovery path.

// Spending paths a withdrawal names.
const (
	PathPrimary  = "primary"
	PathRecovery = "recovery"
)

// AddPolicyWallet registers a wallet with spending paths from text: a
// BIP-388 policy (JSON with descriptor_template and keys_info, as the
// kiosk and `wallet template` write it) or a wsh/tr descriptor. The policy
// is stored beside the descriptor, and its hash (PolicyHash, what the
// kiosk's audit log records at registration) goes into the audit log.
func (c *Coordinator) AddPolicyWallet(ctx context.Context, name, text string, birthday int32) (Wallet, error) {
	data := map[string]any{"wallet": name, "birthday": birthday}
	return loggedValue(c, "wallet-add", data, func() (Wallet, error) {
		w, err := c.addPolicyWallet(ctx, name, text, birthday)
		if err == nil {
			h := w.Script.PolicyHash()
			data["descriptor"], data["policy"], data["policy_hash"] = w.Wallet.Descriptor, w.Script.Template(), hex.EncodeToString(h[:])
		}
		return w, err
	})
}

// maxPolicyText bounds what AddPolicyWallet reads: a policy or descriptor
// of twenty keys with origins fits in 16 KiB.
const maxPolicyText = 16 << 10

func (c *Coordinator) addPolicyWallet(ctx context.Context, name, text string, birthday int32) (Wallet, error) {
	if err := validName(name); err != nil {
		return Wallet{}, err
	}
	if birthday < 0 {
		return Wallet{}, fmt.Errorf("%w: birthday %d: give the height of a block at or before the wallet's first deposit, 0 for the whole chain", ErrInvalid, birthday)
	}
	text = strings.TrimSpace(text)
	if len(text) > maxPolicyText {
		return Wallet{}, fmt.Errorf("%w: wallet %q: the policy has %d bytes, more than the %d a wallet policy takes", ErrInvalid, name, len(text), maxPolicyText)
	}
	sw, policyName, err := ParsePolicy(text, c.cfg.Network)
	if err != nil {
		return Wallet{}, fmt.Errorf("%w: wallet %q: %v", ErrWalletMismatch, name, err)
	}
	pol := sw.Policy()
	pol.Name = policyName
	if pol.Name == "" {
		pol.Name = name
	}
	policyJSON, err := json.Marshal(pol)
	if err != nil {
		return Wallet{}, err
	}
	desc := sw.String()
	sum := sha256.Sum256([]byte("script-wallet\n" + desc))
	w := store.Wallet{Name: name, Network: c.cfg.Network.String(), Descriptor: desc, Birthday: birthday,
		Created: c.cfg.Now().UTC(), Identity: hex.EncodeToString(sum[:]), Policy: string(policyJSON)}
	existing, err := c.st.Wallets(ctx)
	if err != nil {
		return Wallet{}, err
	}
	for _, e := range existing {
		if e.Descriptor == w.Descriptor {
			return Wallet{}, fmt.Errorf("%w: wallet %q: the same policy is already registered as %q", store.ErrExists, name, e.Name)
		}
	}
	if err := c.register(ctx, w); err != nil {
		return Wallet{}, err
	}
	return Wallet{Wallet: w, Script: sw}, nil
}

// ParsePolicy reads a wallet with spending paths from a BIP-388 policy
// (JSON) or a wsh/tr descriptor, and returns the policy's name if it has
// one.
func ParsePolicy(text string, net descriptor.Network) (*descriptor.ScriptWallet, string, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "{") {
		return descriptor.ParseWalletPolicyJSON([]byte(text), net)
	}
	w, err := descriptor.ParseScriptWallet(text, net)
	return w, "", err
}

// scriptWallet parses a stored wallet with spending paths.
func (c *Coordinator) scriptWallet(w store.Wallet) (Wallet, error) {
	sw, err := descriptor.ParseScriptWallet(w.Descriptor, c.cfg.Network)
	if err != nil {
		return Wallet{}, fmt.Errorf("%w: stored wallet %q: %v", ErrWalletMismatch, w.Name, err)
	}
	return Wallet{Wallet: w, Script: sw}, nil
}

// RecoveryLock is the relative lock, in blocks, after which a coin of the
// wallet may also be spent by its recovery path; 0 when the wallet has
// none (single-sig, sortedmulti, a taproot multisig without a recovery
// leaf). A wallet with several locks is refused: no template has one,
// and which lock "recovery" means would be a guess.
func (w Wallet) RecoveryLock() (uint32, error) {
	if w.Script == nil {
		return 0, nil
	}
	locks, err := w.Script.RecoveryLocks()
	if err != nil {
		return 0, err
	}
	switch {
	case len(locks) == 0:
		return 0, nil
	case len(locks) > 1:
		return 0, fmt.Errorf("%w: wallet %q has spending paths with %d different locks; airsign builds recovery spends for one", ErrInvalid, w.Name, len(locks))
	case locks[0]&(1<<22) != 0:
		return 0, fmt.Errorf("%w: wallet %q's lock counts time, not blocks; airsign builds recovery spends for block locks", ErrInvalid, w.Name)
	}
	return locks[0], nil
}

// Coin is a wallet's unspent output with when its recovery path opens.
type Coin struct {
	store.UTXO
	// RecoveryHeight is the first block that may include a recovery-path
	// spend of the coin: its confirmation height plus the lock (BIP-68).
	// 0 when the wallet has no recovery path or the coin is unconfirmed.
	RecoveryHeight int32
	// RecoveryIn is how many blocks after the tip that block is, 0 once it
	// is the next block or earlier (open); RecoveryAbout is about when, at
	// ten minutes a block.
	RecoveryIn    int32
	RecoveryAbout time.Time
	// RefreshSoon marks a coin whose recovery path opens within the
	// warning window (Config.RecoveryWarn) or is open: refresh it
	// (withdraw --refresh) unless the recovery is meant.
	RefreshSoon bool
}

// RecoveryText says when the coin's recovery path opens, in words: "opens
// at block 452, in 18 blocks (about 3 hours, about 2026-12-07)", "open
// since block 452", or "after it confirms".
func (u Coin) RecoveryText() string {
	switch {
	case u.RecoveryHeight == 0:
		return "after it confirms"
	case u.RecoveryIn == 0:
		return fmt.Sprintf("open since block %d", u.RecoveryHeight)
	}
	return fmt.Sprintf("opens at block %d, in %d blocks (%s, about %s)", u.RecoveryHeight, u.RecoveryIn,
		descriptor.ApproxDuration(uint32(u.RecoveryIn)), u.RecoveryAbout.Format("2006-01-02"))
}

// DefaultRecoveryWarn is the warning window ahead of a recovery path
// opening: 4320 blocks, about 30 days, time to gather two signers.
const DefaultRecoveryWarn = 4320

// RecoveryWarn is the configured warning window, in blocks.
func (c *Coordinator) RecoveryWarn() uint32 { return c.cfg.RecoveryWarn }

// Coins lists a wallet's unspent outputs (as UTXOs does) with when each
// one's recovery path opens.
func (c *Coordinator) Coins(ctx context.Context, wallet string) ([]Coin, uint32, error) {
	w, err := c.Wallet(ctx, wallet)
	if err != nil {
		return nil, 0, err
	}
	lock, err := w.RecoveryLock()
	if err != nil {
		return nil, 0, err
	}
	us, err := c.UTXOs(ctx, wallet)
	if err != nil {
		return nil, 0, err
	}
	tip, _, _, err := c.st.Tip(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := c.cfg.Now()
	coins := make([]Coin, len(us))
	for i, u := range us {
		coins[i] = Coin{UTXO: u}
		if lock == 0 || u.Height <= 0 {
			continue
		}
		coins[i].RecoveryHeight = recoveryHeight(u.Height, lock)
		coins[i].RecoveryIn = max(coins[i].RecoveryHeight-(tip+1), 0)
		coins[i].RecoveryAbout = descriptor.ApproxDate(uint32(coins[i].RecoveryIn), now)
		coins[i].RefreshSoon = uint32(coins[i].RecoveryIn) <= c.cfg.RecoveryWarn
	}
	return coins, lock, nil
}

// recoveryHeight is the first block that may hold a spend of a coin
// confirmed at height with a relative lock of lock blocks: BIP-68 wants
// the spending block's height minus the coin's to be at least the lock.
func recoveryHeight(height int32, lock uint32) int32 {
	return height + int32(lock)
}

// spendPath checks a request's path against its wallet and returns the
// nSequence its inputs get: 0 (the builder's default, no relative lock)
// for the primary path, the lock for the recovery path.
func spendPath(w Wallet, path string) (uint32, error) {
	switch path {
	case "", PathPrimary:
		return 0, nil
	case PathRecovery:
	default:
		return 0, fmt.Errorf("%w: spending path %q: choose %s or %s", ErrInvalid, path, PathPrimary, PathRecovery)
	}
	lock, err := w.RecoveryLock()
	if err != nil {
		return 0, err
	}
	if lock == 0 {
		return 0, fmt.Errorf("%w: wallet %q has no recovery path: spend it by its primary path", ErrInvalid, w.Name)
	}
	return lock, nil
}

// requestPath is spendPath backwards, for a stored request of w: its
// spending path, read from its inputs' nSequence (the request keeps no
// other record of it, and what the inputs carry is what signs), and that
// nSequence as builder.Request.Sequence takes it: 0 for the primary path,
// the lock for the recovery path. A wallet without spending paths has
// neither ("", 0). A request whose inputs carry anything else was not
// built by this coordinator for w, and is refused.
func requestPath(w Wallet, tx *wire.MsgTx) (path string, sequence uint32, err error) {
	if w.Script == nil {
		return "", 0, nil
	}
	if len(tx.TxIn) == 0 {
		return "", 0, fmt.Errorf("%w: the request spends no coin", ErrInvalid)
	}
	seq := tx.TxIn[0].Sequence
	for i, in := range tx.TxIn {
		if in.Sequence != seq {
			return "", 0, fmt.Errorf("%w: the request's inputs 0 and %d have different nSequence (%#x and %#x), so no one spending path is theirs; make a new request instead", ErrInvalid, i, seq, in.Sequence)
		}
	}
	if seq == builder.DefaultSequence {
		return PathPrimary, 0, nil
	}
	lock, err := w.RecoveryLock()
	if err != nil {
		return "", 0, err
	}
	if lock == 0 || seq != lock {
		return "", 0, fmt.Errorf("%w: the request's inputs have nSequence %#x, neither the primary path's %#x nor wallet %q's recovery lock; a replacement could not spend them the same way: make a new request instead", ErrInvalid, seq, builder.DefaultSequence, w.Name)
	}
	return PathRecovery, lock, nil
}

// matureCoins keeps the coins whose recovery path is open in the block
// after tip, unless early (a spend signed ahead, which the node refuses
// until then). With none left it says when the first one opens.
func (c *Coordinator) matureCoins(cr *checkedRequest, utxos []store.UTXO, tip int32, early bool) ([]store.UTXO, error) {
	var out []store.UTXO
	first := int32(0)
	for _, u := range utxos {
		if u.Height <= 0 {
			continue // a relative lock counts from the coin's block
		}
		h := recoveryHeight(u.Height, cr.sequence)
		if early || h <= tip+1 {
			out = append(out, u)
		} else if first == 0 || h < first {
			first = h
		}
	}
	if len(out) == 0 && first != 0 {
		wait := first - (tip + 1)
		return nil, fmt.Errorf("%w: wallet %q: no coin's recovery path is open yet: the first opens at block %d, in %d blocks (%s, about %s); the node refuses a recovery spend before then (with early, one is built to be signed ahead)",
			ErrInsufficient, cr.w.Name, first, wait, descriptor.ApproxDuration(uint32(wait)), descriptor.ApproxDate(uint32(wait), c.cfg.Now()).Format("2006-01-02 15:04 UTC"))
	}
	return out, nil
}

// buildRequest is the builder request for the checked request's wallet:
// its descriptor, or its script wallet with the path's nSequence.
func (cr *checkedRequest) buildRequest(r builder.Request) builder.Request {
	if cr.w.Script != nil {
		r.Script, r.Sequence = cr.w.Script, cr.sequence
		return r
	}
	r.Wallet = cr.w.Descriptor
	return r
}

// changeScript is the wallet's change script at index.
func (w Wallet) changeScript(index uint32) ([]byte, error) {
	if w.Script != nil {
		d, err := w.Script.Derive(1, index)
		if err != nil {
			return nil, err
		}
		return d.PkScript, nil
	}
	return w.Descriptor.PkScript(1, index)
}

// weight is builder.Weight for the wallet's kind.
func (w Wallet) weight(n int, payments [][]byte, change bool) (int, error) {
	if w.Script != nil {
		return builder.ScriptWeight(w.Script, n, payments, change)
	}
	return builder.Weight(w.Descriptor, n, payments, change)
}

// notScript refuses an operation that is built for single-sig and
// sortedmulti wallets only.
func notScript(w Wallet, what string) error {
	if w.Script != nil {
		return fmt.Errorf("%w: wallet %q has spending paths (%s); %s is for single-sig and sortedmulti wallets", ErrInvalid, w.Name, w.Script.Template(), what)
	}
	return nil
}

// scriptAddressPaths are the key paths of a script wallet's address, one
// per key, as describe lists a multisig's.
func scriptAddressPaths(w *descriptor.ScriptWallet, branch, index uint32) ([]string, error) {
	d, err := w.Derive(branch, index)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dk := range d.Keys {
		out = append(out, fmt.Sprintf("[%x]%s", w.Keys[dk.Index].Origin.Fingerprint, descriptor.FormatPath(dk.Path)))
	}
	slices.Sort(out)
	return out, nil
}

// checkRefresh checks a refresh request: a wallet with a recovery path,
// spent by its primary path, to nobody else.
func checkRefresh(w Wallet, req WithdrawRequest) error {
	lock, err := w.RecoveryLock()
	switch {
	case err != nil:
		return err
	case lock == 0:
		return fmt.Errorf("%w: wallet %q has no recovery path whose lock a refresh would restart", ErrInvalid, w.Name)
	case req.To != "" || req.Amount != 0 || req.Sweep:
		return fmt.Errorf("%w: a refresh pays the wallet back to itself: give no destination, amount or sweep", ErrInvalid)
	case req.Path == PathRecovery:
		return fmt.Errorf("%w: a refresh is signed by the primary path, which keeps the recovery path closed", ErrInvalid)
	}
	return nil
}

// refresh builds a request that spends the coins whose recovery path opens
// within req.Within blocks (all of them for 0) to one change output of the
// wallet, by the primary path: once it confirms, their locks start again.
func (c *Coordinator) refresh(ctx context.Context, cr *checkedRequest, req WithdrawRequest,
	coins []coinselect.Coin, utxos map[wire.OutPoint]store.UTXO, lockTime uint32) (*Withdrawal, error) {
	w := cr.w
	lock, err := w.RecoveryLock()
	if err != nil {
		return nil, err
	}
	next := int64(lockTime) + 1 // the block that may include the refresh
	var chosen []coinselect.Coin
	var total btcutil.Amount
	for _, coin := range coins {
		if coin.Height <= 0 {
			continue
		}
		if req.Within > 0 && int64(coin.Height)+int64(lock)-next > int64(req.Within) {
			continue
		}
		chosen = append(chosen, coin)
		total += coin.Value
	}
	if len(chosen) == 0 {
		return nil, c.namingHolders(ctx, w.Name, fmt.Errorf("%w: wallet %q has no free confirmed coin whose recovery path opens within %d blocks", ErrInsufficient, w.Name, req.Within))
	}
	weight, err := w.weight(len(chosen), nil, true)
	if err != nil {
		return nil, err
	}
	fee := cr.rate.Fee(weight)
	changeScript, err := w.changeScript(0)
	if err != nil {
		return nil, err
	}
	change := total - fee
	if dust := psbt.DustLimit(changeScript); change < dust {
		return nil, fmt.Errorf("%w: wallet %q: the %d coin(s) hold %v; after the fee of %v the refresh would leave %v, below the dust limit", ErrInsufficient, w.Name, len(chosen), total, fee, change)
	}
	a, err := c.issue(ctx, w, 1)
	if err != nil {
		return nil, err
	}
	inputs, err := c.inputs(ctx, chosen, utxos)
	if err != nil {
		return nil, err
	}
	ch := &builder.Change{Index: a.Index, Value: change}
	p, err := builder.Build(cr.buildRequest(builder.Request{Inputs: inputs, Change: ch, Revoke: true, LockTime: lockTime}))
	if err != nil {
		return nil, fmt.Errorf("wallet %q: building the refresh: %w", w.Name, err)
	}
	addr, err := w.Script.Address(1, a.Index)
	if err != nil {
		return nil, err
	}
	memo := req.Memo
	if memo == "" {
		memo = "refresh: restarts the recovery locks of the coins it spends"
	}
	sw := store.Withdrawal{Wallet: w.Name, Requester: req.Requester, Created: c.cfg.Now().UTC(),
		Destination: addr.EncodeAddress(), Amount: change, Fee: fee, FeeRate: int64(cr.rate), HasChange: true, ChangeIndex: a.Index,
		Memo: memo, FeePreset: cr.preset}
	return c.createRequest(ctx, p, sw, coinselect.Result{Coins: chosen, Fee: fee, Change: change, Weight: weight, Algorithm: "refresh"})
}

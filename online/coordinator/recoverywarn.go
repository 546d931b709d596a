package coordinator

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/store"
)

// Telling treasury of coins whose recovery path opens soon. Once a coin's
// recovery path is open the recovery key alone can spend it, so the coin
// must be refreshed (spent back to the wallet by the primary path) before
// then; Coins marks it, but only for whoever looks. After each Sync the
// Notifier hears, once per coin:
//
//   - EventRecoveryNearing when the coin is within Config.RecoveryWarn
//     blocks of its recovery path opening, and
//   - EventRecoveryOpen when the path is open (alone, for a coin first
//     seen already open: a lock shorter than the wait since the last
//     sync, or a coordinator that was down).
//
// "Once" is kept by the store's webhook events, where an event is
// recorded under its kind and the coin's key (RecoveryKey), with an id
// derived from both (RecoveryEventID): a restart, a second coordinator
// syncing the same database, or a reorg that confirms the coin again (in
// another block, or the same) finds it told already; a receiver that sees
// the id twice (a store restored from a backup) can tell it is the same
// event. A refresh makes a new coin, which is told of in its turn.

// RecoveryNotice is what a wallet event tells of a coin and of its
// wallet's other coins in the window: heights, amounts and times, never an
// address or an outpoint.
type RecoveryNotice struct {
	Tip    int32  // the height synced to
	Lock   uint32 // the wallet's recovery lock, in blocks
	Window uint32 // Config.RecoveryWarn

	// The coin's recovery height (the first block that may hold a
	// recovery spend of it), how many blocks after the tip that is (0:
	// open), and about when.
	RecoveryHeight int32
	RecoveryIn     int32
	RecoveryAbout  time.Time

	// The wallet's coins in the window now, this one among them, and of
	// those the ones open; Earliest is the first recovery height among
	// them and EarliestAbout about when it is (or was) reached.
	Coins         int
	CoinsAmount   btcutil.Amount
	Open          int
	OpenAmount    btcutil.Amount
	Earliest      int32
	EarliestAbout time.Time
}

// RecoveryKey is the key a wallet event is recorded under in the store's
// webhook events, in place of a request id: the wallet and the coin.
func RecoveryKey(wallet string, op wire.OutPoint) string {
	return store.WalletEventKey(wallet, op)
}

// RecoveryEventID is the id of a wallet event of kind for a coin: derived
// from the kind, wallet and coin, in the form of the queue's random ids
// (32 hex digits).
func RecoveryEventID(kind, wallet string, op wire.OutPoint) string {
	sum := sha256.Sum256([]byte("airsign webhook event\x00" + kind + "\x00" + RecoveryKey(wallet, op)))
	return hex.EncodeToString(sum[:16])
}

// notifyRecovery tells of the coins of every wallet with a recovery path
// that entered the warning window or opened since they were last told
// of. It reads the store's webhook events first, so that a sync with
// nothing new writes nothing.
func (c *Coordinator) notifyRecovery(ctx context.Context) error {
	if c.cfg.Notify == nil {
		return nil
	}
	ws, err := c.st.Wallets(ctx)
	if err != nil {
		return err
	}
	for _, sw := range ws {
		if sw.Policy == "" {
			continue // single-sig or sortedmulti: no recovery path
		}
		if err := c.notifyWalletRecovery(ctx, sw.Name); err != nil {
			return fmt.Errorf("wallet %q: recovery notifications: %w", sw.Name, err)
		}
	}
	return nil
}

func (c *Coordinator) notifyWalletRecovery(ctx context.Context, wallet string) error {
	coins, lock, err := c.Coins(ctx, wallet)
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrWalletMismatch) {
		// Several locks, a lock in time, or a stored policy this
		// program does not read: Coins tells no recovery height for
		// it, the wallet page says why, and the other wallets' coins
		// are told of all the same.
		return nil
	}
	if err != nil || lock == 0 {
		return err
	}
	var soon []Coin
	for _, u := range coins {
		if u.RefreshSoon {
			soon = append(soon, u)
		}
	}
	if len(soon) == 0 {
		return nil
	}
	slices.SortFunc(soon, func(a, b Coin) int {
		return cmp.Or(cmp.Compare(a.RecoveryHeight, b.RecoveryHeight), cmp.Compare(RecoveryKey(wallet, a.OutPoint), RecoveryKey(wallet, b.OutPoint)))
	})
	tip, err := c.Tip(ctx)
	if err != nil {
		return err
	}
	base := RecoveryNotice{Tip: tip, Lock: lock, Window: c.cfg.RecoveryWarn, Coins: len(soon),
		Earliest: soon[0].RecoveryHeight, EarliestAbout: soon[0].RecoveryAbout}
	keys := make([]string, len(soon))
	for i, u := range soon {
		keys[i] = RecoveryKey(wallet, u.OutPoint)
		base.CoinsAmount += u.Value
		if u.RecoveryIn == 0 {
			base.Open++
			base.OpenAmount += u.Value
		}
	}
	told := map[string]map[string]bool{}
	for _, kind := range []string{EventRecoveryNearing, EventRecoveryOpen} {
		if told[kind], err = c.st.WebhookEventsRecorded(ctx, kind, keys); err != nil {
			return err
		}
	}
	for i, u := range soon {
		kind := EventRecoveryNearing
		if u.RecoveryIn == 0 {
			kind = EventRecoveryOpen
		}
		if told[kind][keys[i]] {
			continue
		}
		n := base
		n.RecoveryHeight, n.RecoveryIn, n.RecoveryAbout = u.RecoveryHeight, u.RecoveryIn, u.RecoveryAbout
		// Detached, as notify is: the sync is done.
		c.cfg.Notify.Notify(context.WithoutCancel(ctx), Event{Kind: kind, ID: RecoveryEventID(kind, wallet, u.OutPoint),
			Request: keys[i], Wallet: wallet, Amount: u.Value, Recovery: &n})
	}
	return nil
}

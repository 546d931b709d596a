package coordinator

import (
	"context"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/store"
)

// Events a Notifier hears about: a request's steps that people wait for.
const (
	// EventNeedsApproval: a new request (or a fee bump's or revocation's
	// replacement) waits for approvals and the kiosk.
	EventNeedsApproval = "request.needs_approval"
	// EventSigned: the kiosk's signed PSBT came back and made the final
	// transaction.
	EventSigned = "request.signed"
	// EventBroadcast: the final transaction went to the node.
	EventBroadcast = "request.broadcast"
	// EventConfirmed: the watcher saw the transaction in a block.
	EventConfirmed = "request.confirmed"
	// EventRecoveryNearing: a coin of a wallet with a recovery path
	// came within the warning window (Config.RecoveryWarn) of its
	// recovery path opening: refresh it. Once per coin (recoverywarn.go).
	EventRecoveryNearing = "wallet.recovery_nearing"
	// EventRecoveryOpen: a coin's recovery path is open, so the recovery
	// key alone can spend it. Once per coin.
	EventRecoveryOpen = "wallet.recovery_open"
)

// Event is what a Notifier is told: ids, amounts and a state, never a
// PSBT, an address or a memo (a notification goes to another system).
type Event struct {
	Kind      string
	Request   string // for a wallet event, the coin's key (RecoveryKey)
	Wallet    string
	State     string
	Requester string
	Amount    btcutil.Amount
	Fee       btcutil.Amount
	TxID      string // once signed
	// ID, when set, is the event's id, derived from what the event is
	// about (a wallet event's, RecoveryEventID), so that the same event
	// queued again has the same id wherever it is queued; "" asks for a
	// fresh one.
	ID string
	// Recovery is what a wallet event tells; nil for a request's event.
	Recovery *RecoveryNotice
}

// Notifier hears of events. Notify is called on the path of the request
// that caused the event, so it must not wait on anything slow: it queues
// (webhook.Queue stores the event and delivers it later), and a failure to
// queue is its own to log, never the request's. It records each event once
// per kind and request in the store's webhook events, which is how the
// coordinator knows what it has told.
type Notifier interface {
	Notify(ctx context.Context, e Event)
}

// notify tells the configured Notifier, if any, that wd reached kind,
// when err says the step succeeded.
func (c *Coordinator) notify(ctx context.Context, kind string, wd *Withdrawal, err error) {
	if c.cfg.Notify == nil || err != nil || wd == nil {
		return
	}
	e := Event{Kind: kind, Request: wd.ID, Wallet: wd.Wallet, State: wd.State, Requester: wd.Requester,
		Amount: wd.Amount, Fee: wd.Fee}
	if wd.TxID != nil {
		e.TxID = wd.TxID.String()
	}
	// Detached from the caller's cancellation: the step is done, and a
	// browser that went away must not lose its notification.
	c.cfg.Notify.Notify(context.WithoutCancel(ctx), e)
}

// notifyFinalized tells of a finalize's outcome: signed, and broadcast
// when it was.
func (c *Coordinator) notifyFinalized(ctx context.Context, res *FinalizeResult, err error) {
	if res == nil || res.Withdrawal == nil {
		return
	}
	wd := *res.Withdrawal
	if wd.TxID == nil {
		txid := res.TxID
		wd.TxID = &txid
	}
	c.notify(ctx, EventSigned, &wd, err)
	if res.Broadcast {
		c.notify(ctx, EventBroadcast, &wd, err)
	}
}

// notifyConfirmed tells of broadcast requests the watcher has seen
// confirmed since the last time. The Notifier's queue keeps one event per
// kind and request, so each is told once, across restarts; and only
// requests whose broadcast was told are, so that webhooks configured on a
// coordinator with a history do not announce every past payment.
func (c *Coordinator) notifyConfirmed(ctx context.Context) error {
	if c.cfg.Notify == nil {
		return nil
	}
	ids, err := c.st.RequestsAwaiting(ctx, store.StatusBroadcast, EventBroadcast, EventConfirmed)
	if err != nil {
		return err
	}
	for _, id := range ids {
		wd, err := c.Get(ctx, id)
		if err != nil {
			return err
		}
		if wd.Confirmations > 0 {
			c.notify(ctx, EventConfirmed, wd, nil)
		}
	}
	return nil
}

package coordinator

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/builder"
	"airsign/online/coinselect"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
)

// incrementalRelayFee is what a replacement must add per vbyte of its own
// size on top of the fee it replaces (BIP125 rule 4; 1 sat/vB on every
// node's default).
const incrementalRelayFee coinselect.FeeRate = 1000

// BumpFee replaces a stuck withdrawal with one paying feeRate (sat/vB; 0
// means the node's estimate, at least 1 sat/vB above the old rate): the
// same inputs and payment, the change reduced, and more of the wallet's
// coins added when the change cannot cover the fee. The new request is
// pending and goes to the kiosk like any other; the old one becomes
// replaced, and whichever transaction confirms is the one the chain keeps.
// A wallet with spending paths is bumped on the request's own path (see
// replace). It is recorded in the audit log.
func (c *Coordinator) BumpFee(ctx context.Context, id string, feeRate float64, requester string) (*Withdrawal, error) {
	data := map[string]any{"replaces": id, "feerate_sat_vb": feeRate, "user": requester}
	return loggedValue(c, "bump-fee", data, func() (*Withdrawal, error) {
		return c.replaceCarried(ctx, id, feeRate, requester, false, data, "request")
	})
}

// Revoke cancels a request whose PSBT has left the coordinator (shown,
// downloaded, signed) for good: it replaces it with a revocation, a
// transaction paying every coin of the request back to the wallet at a
// higher fee, for the kiosk to sign. Once the revocation confirms, no
// signed copy of the request can pay; until then the request shows
// "cancelling". by is who revoked it. A wallet with spending paths is
// revoked on the request's own path (see replace).
// It is recorded in the audit log.
func (c *Coordinator) Revoke(ctx context.Context, id string, feeRate float64, by string) (*Withdrawal, error) {
	data := map[string]any{"request": id, "feerate_sat_vb": feeRate, "user": by}
	return loggedValue(c, "revoke", data, func() (*Withdrawal, error) {
		return c.replaceCarried(ctx, id, feeRate, by, true, data, "revocation")
	})
}

// replaceCarried is BumpFee's and Revoke's common path: the replacement
// with the wallet's kiosk checkpoints, named in data under newKey for the
// audit outcome, with its spending path as a request's entry names it.
func (c *Coordinator) replaceCarried(ctx context.Context, id string, feeRate float64, by string, revoke bool, data map[string]any, newKey string) (*Withdrawal, error) {
	wd, path, err := c.replace(ctx, id, feeRate, by, revoke)
	if err == nil {
		err = c.carry(ctx, wd)
	}
	c.notify(ctx, EventNeedsApproval, wd, err)
	if wd != nil {
		data[newKey], data["unsigned_txid"], data["fee_sat"] = wd.ID, wd.UnsignedTxID.String(), int64(wd.Fee)
	}
	if path != "" {
		data["path"] = path
	}
	return wd, err
}

// replace builds a replacement of a pending or broadcast request: a fee
// bump (the same payments, a higher fee) or, with revoke, a revocation
// (no payment: every coin of the request back to the wallet, at a higher
// fee, so that it also replaces a broadcast copy).
//
// A wallet with spending paths is replaced on the path of the request
// (requestPath, from its inputs' nSequence, returned for the audit log):
// the same coins with the same nSequence, the primary path's or the
// recovery lock, and the same witness scripts or leaves (the builder's),
// so that the same kiosks sign it and it is as final as the request. A
// coin added for the higher fee must be spendable the same way: on the
// recovery path, only one whose own lock has passed by the time the
// request's coins may be spent.
func (c *Coordinator) replace(ctx context.Context, id string, feeRate float64, requester string, revoke bool) (*Withdrawal, string, error) {
	old, err := c.st.Withdrawal(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if old.Status != store.StatusPending && old.Status != store.StatusBroadcast {
		return nil, "", fmt.Errorf("%w: request %s is %s; only a pending or broadcast request can be bumped", store.ErrState, id, old.Status)
	}
	if old.TxID != nil {
		if h, known, err := c.st.TxHeight(ctx, *old.TxID); err != nil {
			return nil, "", err
		} else if known && h > 0 {
			return nil, "", fmt.Errorf("%w: request %s is already confirmed in block %d", store.ErrState, id, h)
		}
	}
	w, err := c.Wallet(ctx, old.Wallet)
	if err != nil {
		return nil, "", err
	}
	oldP, err := psbt.Decode(old.PSBT)
	if err != nil {
		return nil, "", err
	}
	path, sequence, err := requestPath(w, oldP.UnsignedTx)
	if err != nil {
		return nil, "", fmt.Errorf("request %s: %w", id, err)
	}
	wd, err := c.rebuild(ctx, old, oldP, &checkedRequest{w: w, sequence: sequence}, feeRate, requester, revoke)
	return wd, path, err
}

// rebuild is replace's replacement of old (its PSBT oldP) for cr's wallet
// and path.
func (c *Coordinator) rebuild(ctx context.Context, old store.Withdrawal, oldP *btcpsbt.Packet, cr *checkedRequest,
	feeRate float64, requester string, revoke bool) (*Withdrawal, error) {
	w := cr.w
	oldRate := coinselect.FeeRate(old.FeeRate)
	if feeRate == 0 {
		est, _, err := c.cfg.Node.FeeRate(ctx, c.cfg.FeeTarget, c.cfg.FallbackFeeRate)
		if err != nil {
			est = 0
		}
		feeRate = max(est, float64(oldRate+incrementalRelayFee)/1000)
	}
	rate, _, err := c.feeRate(ctx, feeRate)
	if err != nil {
		return nil, err
	}
	if rate <= oldRate {
		return nil, fmt.Errorf("%w: the new fee rate %s must be above the old one, %s", ErrInvalid, rate, oldRate)
	}

	// Payments are every output but our change.
	var changeScript []byte
	if old.HasChange {
		if changeScript, err = w.changeScript(old.ChangeIndex); err != nil {
			return nil, err
		}
	}
	var payments []builder.Payment
	var payScripts [][]byte
	var paid btcutil.Amount
	for _, out := range oldP.UnsignedTx.TxOut {
		if revoke || (changeScript != nil && bytes.Equal(out.PkScript, changeScript)) {
			continue
		}
		payments = append(payments, builder.Payment{PkScript: out.PkScript, Value: btcutil.Amount(out.Value)})
		payScripts = append(payScripts, out.PkScript)
		paid += btcutil.Amount(out.Value)
	}
	// A request that pays no one (a revocation, a refresh) is replaced by
	// one that pays no one either: every coin back to the change output,
	// which it cannot do without.
	selfPay := len(payments) == 0
	var inputs []store.UTXO
	var in btcutil.Amount
	for _, txin := range oldP.UnsignedTx.TxIn {
		u, err := c.st.Output(ctx, txin.PreviousOutPoint)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, u)
		in += u.Value
	}
	extra, err := c.st.Spendable(ctx, w.Name)
	if err != nil {
		return nil, err
	}
	// Largest first: a bump should add as few inputs as it can.
	sort.Slice(extra, func(i, j int) bool { return extra[i].Value > extra[j].Value })
	openBy, err := c.recoveryOpenBy(ctx, cr, inputs)
	if err != nil {
		return nil, err
	}

	// Every change address of a wallet has the same script type, so any
	// one gives the dust limit.
	anyChange, err := w.changeScript(0)
	if err != nil {
		return nil, err
	}
	dust := psbt.DustLimit(anyChange)
	var fee, change btcutil.Amount
	withChange := false
	locked := 0 // coins passed over: their recovery path opens too late
	for {
		var ok bool
		fee, change, withChange, ok, err = bumpFee(w, len(inputs), payScripts, in, paid, old.Fee, rate, dust)
		if err != nil {
			return nil, err
		}
		if ok && (withChange || !selfPay) {
			break
		}
		if revoke {
			return nil, fmt.Errorf("%w: the coins of request %s do not cover a fee at %s and an output back to the wallet above the dust limit", ErrInsufficient, old.ID, rate)
		}
		var next *store.UTXO
		for len(extra) > 0 {
			u := extra[0]
			extra = extra[1:]
			switch {
			case u.Height <= 0:
			case openBy != 0 && recoveryHeight(u.Height, cr.sequence) > openBy:
				locked++
			default:
				next = &u
			}
			if next != nil {
				break
			}
		}
		if next == nil && locked > 0 {
			return nil, fmt.Errorf("%w: wallet %q cannot pay %v at %s by the recovery path: the request's coins do not cover the higher fee, and the recovery path is not open by block %d for the %d other free coin(s) (a coin joins a recovery spend only once its own lock has passed): bump again after their lock passes, or at a lower fee rate",
				ErrInsufficient, w.Name, paid, rate, openBy, locked)
		}
		if next == nil {
			return nil, fmt.Errorf("%w: wallet %q cannot pay %v at %s: its free confirmed coins do not cover the higher fee",
				ErrInsufficient, w.Name, paid, rate)
		}
		inputs = append(inputs, *next)
		in += next.Value
	}

	byOutpoint := map[wire.OutPoint]store.UTXO{}
	var coins []coinselect.Coin
	for _, u := range inputs {
		byOutpoint[u.OutPoint] = u
		coins = append(coins, coinselect.Coin{OutPoint: u.OutPoint, Value: u.Value})
	}
	bins, err := c.inputs(ctx, coins, byOutpoint)
	if err != nil {
		return nil, err
	}
	var ch *builder.Change
	if withChange {
		idx := old.ChangeIndex
		if !old.HasChange {
			a, err := c.issue(ctx, w, 1)
			if err != nil {
				return nil, err
			}
			idx = a.Index
		}
		ch = &builder.Change{Index: idx, Value: change}
	}
	p, err := builder.Build(cr.buildRequest(builder.Request{Inputs: bins, Payments: payments, Change: ch,
		LockTime: oldP.UnsignedTx.LockTime, Revoke: selfPay}))
	if err != nil {
		return nil, fmt.Errorf("wallet %q: building the replacement: %w", w.Name, err)
	}
	// An approver station shows the request a replacement belongs to: the
	// first of its chain, which its approvals name.
	origin, err := c.originalRequest(ctx, old)
	if err != nil {
		return nil, err
	}
	if err := approval.SetRequest(p, origin); err != nil {
		return nil, err
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		return nil, err
	}
	// The replacement pays the same person the same amount: it is still the
	// original requester's request, and whoever bumped it is recorded
	// beside them. Four eyes counts both (approve).
	sw := store.Withdrawal{ID: newID(), Wallet: w.Name, Requester: old.Requester, BumpedBy: requester, Created: c.cfg.Now().UTC(),
		Destination: old.Destination, Amount: old.Amount, Fee: fee, FeeRate: int64(rate),
		HasChange: ch != nil, PSBT: raw, UnsignedTxID: p.UnsignedTx.TxHash(), Revokes: revoke || old.Revokes,
		// What the request was for stays with it (and with its
		// transaction's BIP-329 label).
		Memo: old.Memo}
	if selfPay {
		// It pays the wallet's own change address what the coins hold.
		a, err := c.describe(w, 1, ch.Index)
		if err != nil {
			return nil, err
		}
		sw.Destination, sw.Amount = a.Address, ch.Value
	}
	if ch != nil {
		sw.ChangeIndex = ch.Index
	}
	for _, txin := range p.UnsignedTx.TxIn {
		sw.Inputs = append(sw.Inputs, txin.PreviousOutPoint)
	}
	if err := c.st.ReplaceWithdrawal(ctx, old.ID, sw); err != nil {
		return nil, err
	}
	sw.Status, sw.Replaces = store.StatusPending, old.ID
	return &Withdrawal{Withdrawal: sw, Packet: p, State: string(store.StatusPending),
		Selection: coinselect.Result{Fee: fee, Change: change}}, nil
}

// recoveryOpenBy is, for a recovery-path replacement of a request spending
// inputs, the last block by which a coin added to it must have its
// recovery path open: the next block, or, for a request signed ahead
// (early), the block its own coins' paths open, which it waits for
// anyway. 0 for the primary path, whose coins wait for nothing.
func (c *Coordinator) recoveryOpenBy(ctx context.Context, cr *checkedRequest, inputs []store.UTXO) (int32, error) {
	if cr.sequence == 0 {
		return 0, nil
	}
	tip, _, _, err := c.st.Tip(ctx)
	if err != nil {
		return 0, err
	}
	by := tip + 1
	for _, u := range inputs {
		if u.Height > 0 {
			by = max(by, recoveryHeight(u.Height, cr.sequence))
		}
	}
	return by, nil
}

// bumpFee works out the replacement's fee and change for n inputs worth in:
// at least rate, and at least the old fee plus the incremental relay fee
// for the new transaction's size (BIP125 rules 3 and 4). ok is false when
// the inputs do not cover it.
func bumpFee(w Wallet, n int, payScripts [][]byte, in, paid, oldFee btcutil.Amount, rate coinselect.FeeRate,
	dust btcutil.Amount) (fee, change btcutil.Amount, withChange, ok bool, err error) {
	for _, withChange := range []bool{true, false} {
		weight, err := w.weight(n, payScripts, withChange)
		if err != nil {
			return 0, 0, false, false, err
		}
		fee := max(rate.Fee(weight), oldFee+incrementalRelayFee.Fee(weight))
		left := in - paid - fee
		if withChange && left >= dust {
			return fee, left, true, true, nil
		}
		if !withChange && left >= 0 {
			// Without a change output everything left is fee.
			return fee + left, 0, false, true, nil
		}
	}
	return 0, 0, false, false, nil
}

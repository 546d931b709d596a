package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/builder"
	"airsign/online/coinselect"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/auditlog"
)

// WithdrawRequest asks for a payment out of a wallet.
type WithdrawRequest struct {
	Wallet    string
	To        string // address on the coordinator's network
	Amount    btcutil.Amount
	FeeRate   float64 // sat/vB; 0 means the preset's estimate, else the fallback
	Requester string
	// Sweep spends every confirmed coin of the wallet to To, with no
	// change; Amount is then what is left after the fee. It is the only
	// request a suspended wallet takes, to its recovery address.
	Sweep bool
	// IncludeUnconfirmed lets coin selection use outputs still in the
	// mempool; by default only confirmed outputs are spent, so a deposit
	// that is replaced or double-spent before it confirms cannot take a
	// withdrawal down with it.
	IncludeUnconfirmed bool
	// FeePreset is economy, normal, priority (the node's estimate for
	// that many blocks) or custom (FeeRate); empty means custom when
	// FeeRate is given, else normal.
	FeePreset string
	// Memo is the requester's note (CheckMemo): shown with the request
	// and exported as its transaction's BIP-329 label.
	Memo string
	// Path is the spending path of a wallet that has several: PathPrimary
	// (or empty), or PathRecovery, which spends only coins whose lock has
	// passed, with their nSequence set to it. Early takes the recovery
	// path's coins before their lock passes: a spend signed ahead, which
	// the node refuses until then.
	Path  string
	Early bool
	// Refresh spends a wallet's coins back to its own change address by
	// the primary path, restarting their recovery locks: those whose
	// recovery path opens within Within blocks, every free confirmed
	// coin when Within is 0. To and Amount are left empty.
	Refresh bool
	Within  uint32
}

// Withdrawal is a request with what the coordinator worked out for it.
type Withdrawal struct {
	store.Withdrawal
	Packet        *btcpsbt.Packet
	FeeRateSource string // for a new request: where the fee rate came from
	Selection     coinselect.Result
	// Attempts is how many times a new request's coins were selected:
	// more than 1 when another request reserved a chosen coin first.
	Attempts int
	// Confirmations of the broadcast transaction: 0 in the mempool or not
	// yet seen, -1 when the request never reached the chain.
	Confirmations int32
	// State is the request's place in its life: pending, broadcast,
	// confirmed, cancelled or replaced.
	State string
}

// checkedRequest is a withdrawal request checked against its wallet and
// the network: where a request and its preview both start.
type checkedRequest struct {
	w         Wallet
	payScript []byte
	rate      coinselect.FeeRate
	source    string // where rate came from
	preset    string // how rate was chosen (FeePreset)
	inWeight  int
	sequence  uint32 // the inputs' nSequence for the path; 0 for the default
	early     bool
}

// check runs a request's checks that need no coins: the wallet and its
// suspension, the amount, the destination and its dust limit, the fee rate.
func (c *Coordinator) check(ctx context.Context, req WithdrawRequest) (*checkedRequest, error) {
	if err := c.chainsAgree(ctx); err != nil {
		return nil, err
	}
	w, err := c.Wallet(ctx, req.Wallet)
	if err != nil {
		return nil, err
	}
	if w.Suspended && (!req.Sweep || req.To != w.Recovery) {
		return nil, fmt.Errorf("%w: wallet %q is suspended: the kiosk signs only a sweep of everything to its recovery address %s (withdraw --sweep --to %s)",
			ErrSuspended, w.Name, w.Recovery, w.Recovery)
	}
	var payScript []byte
	if req.Refresh {
		if err := checkRefresh(w, req); err != nil {
			return nil, err
		}
	} else {
		if !req.Sweep && (req.Amount <= 0 || req.Amount > btcutil.MaxSatoshi) {
			return nil, fmt.Errorf("%w: amount %v: give a positive amount", ErrInvalid, req.Amount)
		}
		to, err := btcutil.DecodeAddress(req.To, c.cfg.Network.Params())
		if err != nil || !to.IsForNet(c.cfg.Network.Params()) {
			return nil, fmt.Errorf("%w: destination %q is not a %s address", ErrInvalid, req.To, c.cfg.Network)
		}
		if payScript, err = txscript.PayToAddrScript(to); err != nil {
			return nil, fmt.Errorf("%w: destination %q: %v", ErrInvalid, req.To, err)
		}
		if dust := psbt.DustLimit(payScript); !req.Sweep && req.Amount < dust {
			return nil, fmt.Errorf("%w: amount %v is below the dust limit %v of that address type; nodes would not relay it", ErrInvalid, req.Amount, dust)
		}
	}
	if err := CheckMemo(req.Memo); err != nil {
		return nil, err
	}
	rate, source, preset, err := c.requestFeeRate(ctx, req)
	if err != nil {
		return nil, err
	}
	var inWeight int
	if w.Script != nil {
		inWeight, err = builder.ScriptInputWeight(w.Script)
	} else {
		inWeight, err = builder.InputWeight(w.Descriptor)
	}
	if err != nil {
		return nil, err
	}
	if req.Path != "" && w.Script == nil {
		return nil, fmt.Errorf("%w: wallet %q has one spending path: leave the path out", ErrInvalid, w.Name)
	}
	sequence, err := spendPath(w, req.Path)
	if err != nil {
		return nil, err
	}
	if req.Early && sequence == 0 {
		return nil, fmt.Errorf("%w: early is for the recovery path, whose coins wait for a lock", ErrInvalid)
	}
	return &checkedRequest{w: w, payScript: payScript, rate: rate, source: source, preset: preset, inWeight: inWeight,
		sequence: sequence, early: req.Early}, nil
}

// Withdraw selects coins, takes a change address, builds the unsigned PSBT
// and records the request with its inputs reserved. The PSBT goes to the
// kiosk as it is.
// It is recorded in the audit log, refused or not.
func (c *Coordinator) Withdraw(ctx context.Context, req WithdrawRequest) (*Withdrawal, error) {
	data := map[string]any{"wallet": req.Wallet, "to": req.To, "amount_sat": int64(req.Amount), "sweep": req.Sweep, "user": req.Requester,
		"memo": req.Memo, "fee_preset": req.FeePreset}
	if req.Path != "" || req.Refresh {
		data["path"], data["early"], data["refresh"] = req.Path, req.Early, req.Refresh
	}
	return loggedValue(c, "request", data, func() (*Withdrawal, error) {
		wd, err := c.withdraw(ctx, req)
		if err == nil {
			err = c.carry(ctx, wd)
		}
		c.notify(ctx, EventNeedsApproval, wd, err)
		if wd != nil {
			data["request"], data["unsigned_txid"], data["fee_sat"] = wd.ID, wd.UnsignedTxID.String(), int64(wd.Fee)
			data["amount_sat"] = int64(wd.Amount)
		}
		return wd, err
	})
}

// withdraw is Withdraw without the audit record.
func (c *Coordinator) withdraw(ctx context.Context, req WithdrawRequest) (*Withdrawal, error) {
	if req.Sweep {
		req.Amount = 0
	}
	cr, err := c.check(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.Requester == "" {
		return nil, fmt.Errorf("%w: the requester is not named", ErrInvalid)
	}
	tip, _, ok, err := c.st.Tip(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: the coordinator has not scanned the chain yet; sync first", ErrInvalid)
	}
	// The id is chosen first: it also breaks ties between alike coins,
	// so that requests made at the same moment spread over them.
	id := newRequestID()
	// Another request may still reserve a chosen coin between selection
	// and recording; then select again. The store reports that only once
	// the other request has committed, so freeCoins no longer lists the
	// coin: the next try takes this request's next coin in its own order,
	// at once (no pause: the other requests' choices are spread by their
	// own ids, and a pause only lets more of them in between).
	var lost error // the last try's ErrReserved
	lastFree := 0
	for attempt := 1; ; attempt++ {
		coins, byOutpoint, err := c.freeCoins(ctx, cr, req)
		if err != nil {
			return nil, err
		}
		// A lost try means another request reserved a coin, so the free
		// coins shrink from one try to the next and the tries end: in a
		// request, or a refusal for want of coins. Only when they do not
		// (coins freed meanwhile) does maxAttempts bound them.
		if lost != nil && attempt > maxAttempts && len(coins) >= lastFree {
			return nil, lost
		}
		lastFree = len(coins)
		wd, err := c.tryWithdraw(ctx, cr, req, uint32(tip), id, coins, byOutpoint)
		if errors.Is(err, store.ErrReserved) {
			lost = err
			continue
		}
		if err != nil {
			return nil, err
		}
		wd.FeeRateSource, wd.Attempts = cr.source, attempt
		return wd, nil
	}
}

// maxAttempts bounds a request's tries while the wallet's free coins do not
// shrink between them.
const maxAttempts = 6

// newRequestID gives a new request its id; a variable so that a test can
// give requests known ids, and with them known coins.
var newRequestID = newID

// freeCoins are the wallet's coins a request may spend: confirmed (or all
// with IncludeUnconfirmed) and held by no pending request.
func (c *Coordinator) freeCoins(ctx context.Context, cr *checkedRequest, req WithdrawRequest) ([]coinselect.Coin, map[wire.OutPoint]store.UTXO, error) {
	utxos, err := c.st.Spendable(ctx, cr.w.Name)
	if err != nil {
		return nil, nil, err
	}
	if cr.sequence != 0 {
		tip, _, _, err := c.st.Tip(ctx)
		if err != nil {
			return nil, nil, err
		}
		if utxos, err = c.matureCoins(cr, utxos, tip, cr.early); err != nil {
			return nil, nil, err
		}
	}
	byOutpoint := map[wire.OutPoint]store.UTXO{}
	var coins []coinselect.Coin
	for _, u := range utxos {
		if u.Height == 0 && !req.IncludeUnconfirmed {
			continue
		}
		byOutpoint[u.OutPoint] = u
		coins = append(coins, coinselect.Coin{OutPoint: u.OutPoint, Value: u.Value, InputWeight: cr.inWeight, Height: u.Height})
	}
	return coins, byOutpoint, nil
}

// selectCoins chooses the coins that pay req.Amount and the fee, with change
// when it is worth having. A refusal for want of free coins names the
// requests that hold the others (HeldError). Among alike coins (same value
// and script type) it takes the first by outpoint; a new request takes
// those its id orders first (selectCoinsFor), at the same cost.
func (c *Coordinator) selectCoins(ctx context.Context, cr *checkedRequest, req WithdrawRequest, coins []coinselect.Coin) (coinselect.Result, error) {
	return c.selectCoinsFor(ctx, cr, req, coins, "")
}

// selectCoinsFor is selectCoins for request id: coinselect.Params.TieBreak,
// so that requests made at the same moment over alike coins mostly take
// different ones instead of all reserving the same.
func (c *Coordinator) selectCoinsFor(ctx context.Context, cr *checkedRequest, req WithdrawRequest, coins []coinselect.Coin, id string) (coinselect.Result, error) {
	w := cr.w
	changeScript, err := w.changeScript(0)
	if err != nil {
		return coinselect.Result{}, err
	}
	sel, err := coinselect.Select(coins, coinselect.Params{
		Target:            req.Amount,
		FeeRate:           cr.rate,
		BaseWeight:        builder.BaseWeight(w.Descriptor, [][]byte{cr.payScript}),
		ChangeWeight:      builder.ChangeWeight(w.Descriptor),
		ChangeSpendWeight: cr.inWeight,
		DustLimit:         psbt.DustLimit(changeScript),
		TieBreak:          id,
	})
	var insufficient coinselect.ErrInsufficientFunds
	switch {
	case err == nil:
		return sel, nil
	case errors.As(err, &insufficient):
		err = fmt.Errorf("%w: wallet %q: %v", ErrInsufficient, w.Name, err)
	case errors.Is(err, coinselect.ErrNoCoins):
		err = fmt.Errorf("%w: wallet %q has no free confirmed coins; fund it, or wait for its unconfirmed deposits to confirm", ErrInsufficient, w.Name)
	default:
		return sel, fmt.Errorf("wallet %q: coin selection: %w", w.Name, err)
	}
	return sel, c.namingHolders(ctx, w.Name, err)
}

// sweepPlan is a sweep of all free coins: what it pays after the fee,
// refused when that is dust. A refusal names the requests that hold the
// wallet's other coins (HeldError).
func (c *Coordinator) sweepPlan(ctx context.Context, cr *checkedRequest, coins []coinselect.Coin) (amount, fee btcutil.Amount, weight int, err error) {
	if len(coins) == 0 {
		return 0, 0, 0, c.namingHolders(ctx, cr.w.Name, fmt.Errorf("%w: wallet %q has no free confirmed coins to sweep", ErrInsufficient, cr.w.Name))
	}
	var total btcutil.Amount
	for _, coin := range coins {
		total += coin.Value
	}
	weight, err = cr.w.weight(len(coins), [][]byte{cr.payScript}, false)
	if err != nil {
		return 0, 0, 0, err
	}
	fee = cr.rate.Fee(weight)
	amount = total - fee
	if dust := psbt.DustLimit(cr.payScript); amount < dust {
		return 0, 0, 0, c.namingHolders(ctx, cr.w.Name, fmt.Errorf("%w: wallet %q has %v free; after the fee of %v the sweep would pay %v, below the dust limit", ErrInsufficient, cr.w.Name, total, fee, amount))
	}
	return amount, fee, weight, nil
}

// tryWithdraw makes request id once from coins, the free ones.
func (c *Coordinator) tryWithdraw(ctx context.Context, cr *checkedRequest, req WithdrawRequest, lockTime uint32, id string,
	coins []coinselect.Coin, byOutpoint map[wire.OutPoint]store.UTXO) (*Withdrawal, error) {
	if req.Refresh {
		return c.refresh(ctx, cr, req, coins, byOutpoint, lockTime)
	}
	if req.Sweep {
		return c.sweep(ctx, cr, req, coins, byOutpoint, lockTime)
	}
	w, payScript, rate := cr.w, cr.payScript, cr.rate
	sel, err := c.selectCoinsFor(ctx, cr, req, coins, id)
	if err != nil {
		return nil, err
	}
	var change *builder.Change
	if sel.Change > 0 {
		a, err := c.issue(ctx, w, 1)
		if err != nil {
			return nil, err
		}
		change = &builder.Change{Index: a.Index, Value: sel.Change}
	}
	inputs, err := c.inputs(ctx, sel.Coins, byOutpoint)
	if err != nil {
		return nil, err
	}
	p, err := builder.Build(cr.buildRequest(builder.Request{
		Inputs:   inputs,
		Payments: []builder.Payment{{PkScript: payScript, Value: req.Amount}},
		Change:   change,
		LockTime: lockTime,
	}))
	if err != nil {
		return nil, fmt.Errorf("wallet %q: building the PSBT: %w", w.Name, err)
	}
	sw := store.Withdrawal{
		ID: id, Wallet: w.Name, Requester: req.Requester, Created: c.cfg.Now().UTC(),
		Destination: req.To, Amount: req.Amount, Fee: sel.Fee, FeeRate: int64(rate),
		HasChange: change != nil, Memo: req.Memo, FeePreset: cr.preset,
	}
	if change != nil {
		sw.ChangeIndex = change.Index
	}
	return c.createRequest(ctx, p, sw, sel)
}

// createRequest gives p sw's request id (a new one when sw has none),
// records it as request sw (its wallet, amounts and who asked; the PSBT,
// txid and inputs come from p) with its coins reserved, and returns it
// pending.
func (c *Coordinator) createRequest(ctx context.Context, p *btcpsbt.Packet, sw store.Withdrawal, sel coinselect.Result) (*Withdrawal, error) {
	if sw.ID == "" {
		sw.ID = newRequestID()
	}
	if err := approval.SetRequest(p, sw.ID); err != nil {
		return nil, err
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		return nil, err
	}
	sw.PSBT, sw.UnsignedTxID = raw, p.UnsignedTx.TxHash()
	for _, in := range p.UnsignedTx.TxIn {
		sw.Inputs = append(sw.Inputs, in.PreviousOutPoint)
	}
	if err := c.st.CreateWithdrawal(ctx, sw); err != nil {
		return nil, err
	}
	sw.Status = store.StatusPending
	return &Withdrawal{Withdrawal: sw, Packet: p, Selection: sel, State: string(store.StatusPending)}, nil
}

// inputs turns selected coins into builder inputs with their funding
// transactions.
func (c *Coordinator) inputs(ctx context.Context, coins []coinselect.Coin, utxos map[wire.OutPoint]store.UTXO) ([]builder.Input, error) {
	var ins []builder.Input
	for _, coin := range coins {
		u := utxos[coin.OutPoint]
		prev, err := c.st.Tx(ctx, coin.OutPoint.Hash)
		if err != nil {
			return nil, fmt.Errorf("the funding transaction of %v is not stored; rescan the wallet: %w", coin.OutPoint, err)
		}
		ins = append(ins, builder.Input{OutPoint: u.OutPoint, Value: u.Value, PkScript: u.Script,
			Branch: u.Branch, Index: u.Index, PrevTx: prev})
	}
	return ins, nil
}

// Cancel gives up a pending request and frees its coins.
// It is recorded in the audit log.
func (c *Coordinator) Cancel(ctx context.Context, id string) error {
	return c.logged("cancel", map[string]any{"request": id}, func() error {
		return c.st.CancelWithdrawal(ctx, id)
	})
}

// Get returns a request with its current state and confirmations.
func (c *Coordinator) Get(ctx context.Context, id string) (*Withdrawal, error) {
	sw, err := c.st.Withdrawal(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.view(ctx, sw)
}

// Withdrawals returns a wallet's requests (all wallets when empty), oldest
// first.
func (c *Coordinator) Withdrawals(ctx context.Context, wallet string) ([]*Withdrawal, error) {
	sws, err := c.st.Withdrawals(ctx, wallet)
	if err != nil {
		return nil, err
	}
	var out []*Withdrawal
	for _, sw := range sws {
		v, err := c.view(ctx, sw)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *Coordinator) view(ctx context.Context, sw store.Withdrawal) (*Withdrawal, error) {
	p, err := psbt.Decode(sw.PSBT)
	if err != nil {
		return nil, fmt.Errorf("stored PSBT of %s: %w", sw.ID, err)
	}
	if sw.Status == store.StatusPending {
		// What a kiosk signs: with the checkpoints the wallet's kiosks
		// handed out, so that a kiosk whose log was cut back since
		// refuses it.
		if sw.PSBT, err = c.carryCheckpoints(ctx, sw.Wallet, p); err != nil {
			return nil, err
		}
	} else {
		// A cancelled, rejected or replaced request's approvals are void:
		// its PSBT is served without them (the API, show), so that a copy
		// taken now cannot be carried to a kiosk as approved.
		approval.Strip(p)
		if sw.PSBT, err = psbt.Encode(p); err != nil {
			return nil, err
		}
	}
	v := &Withdrawal{Withdrawal: sw, Packet: p, State: string(sw.Status), Confirmations: -1}
	if sw.Status == store.StatusReplaced && sw.ReplacedBy != "" {
		// Replaced by a revocation: cancelling until it confirms. The
		// revocation may itself have been bumped (or a bump revoked):
		// the last of the chain is the one that can confirm.
		rep, err := c.st.Withdrawal(ctx, sw.ReplacedBy)
		if err != nil {
			return nil, err
		}
		for range maxReplacements {
			if rep.Status != store.StatusReplaced || rep.ReplacedBy == "" {
				break
			}
			if rep, err = c.st.Withdrawal(ctx, rep.ReplacedBy); err != nil {
				return nil, err
			}
		}
		if rep.Revokes {
			v.State = StateCancelling
			if rep.TxID != nil {
				if h, known, err := c.st.TxHeight(ctx, *rep.TxID); err != nil {
					return nil, err
				} else if known && h > 0 {
					v.State = StateRevoked
				}
			}
		}
	}
	switch {
	case sw.PaidTxID != nil:
		v.State = StateCancelledButPaid
	case sw.ConflictTxID != nil && (sw.Status == store.StatusPending || sw.Status == store.StatusBroadcast):
		v.State = StateConflicted
	}
	if sw.TxID != nil {
		h, known, err := c.st.TxHeight(ctx, *sw.TxID)
		if err != nil {
			return nil, err
		}
		tip, _, _, err := c.st.Tip(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case known && h > 0:
			v.Confirmations = tip - h + 1
			v.State = "confirmed"
		default:
			v.Confirmations = 0
		}
	}
	return v, nil
}

// maxReplacements bounds how far view follows a chain of replacements
// (fee bumps, revocations): far beyond any real one, short of a loop.
const maxReplacements = 64

// StateCancelledButPaid is the state of a cancelled request whose
// transaction confirmed or entered the mempool anyway, broadcast from a
// signed copy elsewhere: its payment went out.
const StateCancelledButPaid = "cancelled-but-paid"

// StateCancelling and StateRevoked are the states of a request replaced
// by a revocation (Revoke): until the revocation confirms, and after, when
// no signed copy of the request can pay any more.
const (
	StateCancelling = "cancelling"
	StateRevoked    = "revoked"
)

// StateConflicted is the state of a live request one of whose coins another
// transaction spent in a block: it can never confirm; close it (Cancel).
const StateConflicted = "conflicted"

// sweep builds a request spending every coin to one output, no change.
func (c *Coordinator) sweep(ctx context.Context, cr *checkedRequest, req WithdrawRequest,
	coins []coinselect.Coin, utxos map[wire.OutPoint]store.UTXO, lockTime uint32) (*Withdrawal, error) {
	w, payScript, rate := cr.w, cr.payScript, cr.rate
	amount, fee, weight, err := c.sweepPlan(ctx, cr, coins)
	if err != nil {
		return nil, err
	}
	inputs, err := c.inputs(ctx, coins, utxos)
	if err != nil {
		return nil, err
	}
	p, err := builder.Build(cr.buildRequest(builder.Request{Inputs: inputs,
		Payments: []builder.Payment{{PkScript: payScript, Value: amount}}, LockTime: lockTime}))
	if err != nil {
		return nil, fmt.Errorf("wallet %q: building the sweep: %w", w.Name, err)
	}
	sw := store.Withdrawal{Wallet: w.Name, Requester: req.Requester, Created: c.cfg.Now().UTC(),
		Destination: req.To, Amount: amount, Fee: fee, FeeRate: int64(rate), Memo: req.Memo, FeePreset: cr.preset}
	return c.createRequest(ctx, p, sw, coinselect.Result{Coins: coins, Fee: fee, Weight: weight, Algorithm: "sweep"})
}

// carry gives a new request's PSBT, as it goes to the kiosk, the wallet's
// kept kiosk checkpoints (as view does for a stored one).
func (c *Coordinator) carry(ctx context.Context, wd *Withdrawal) error {
	raw, err := c.carryCheckpoints(ctx, wd.Wallet, wd.Packet)
	if err == nil {
		wd.PSBT = raw
	}
	return err
}

// carryCheckpoints puts the wallet's kept kiosk checkpoints into p and
// returns its encoding.
func (c *Coordinator) carryCheckpoints(ctx context.Context, wallet string, p *btcpsbt.Packet) ([]byte, error) {
	kept, err := c.st.KioskCheckpoints(ctx, wallet)
	if err != nil {
		return nil, err
	}
	for _, k := range kept {
		vkey, note, ok := bytes.Cut(k.Value, []byte("\n"))
		if !ok {
			continue
		}
		cp, err := auditlog.OpenCarried(string(vkey), note)
		if err != nil {
			continue // kept before it was checked; never handed on
		}
		if err := auditlog.Carry(p, cp.VerifierKey, cp.Checkpoint); err != nil {
			return nil, err
		}
	}
	if err := c.carryOwn(p); err != nil {
		return nil, err
	}
	return psbt.Encode(p)
}

package coordinator

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/online/builder"
	"airsign/online/coinselect"
	"airsign/online/store"
	"airsign/psbt"
)

// Preview is what a withdrawal request would spend and pay if it were
// made now: the coins, the change and the fee. It reserves nothing and
// takes no change address, so looking costs nothing; the request made
// afterwards selects again and may differ if the wallet changed meanwhile.
type Preview struct {
	Wallet        string
	To            string
	Amount        btcutil.Amount
	Fee           btcutil.Amount
	FeeRate       coinselect.FeeRate
	FeeRateSource string // requested, estimate or fallback
	Change        btcutil.Amount
	Inputs        []store.UTXO
	Algorithm     string
	VSize         int
}

// Preview runs a withdrawal request's checks and coin selection without
// recording anything. Its errors are Withdraw's. It is not audited: it
// changes nothing.
func (c *Coordinator) Preview(ctx context.Context, req WithdrawRequest) (*Preview, error) {
	w, err := c.Wallet(ctx, req.Wallet)
	if err != nil {
		return nil, err
	}
	if w.Suspended && (!req.Sweep || req.To != w.Recovery) {
		return nil, fmt.Errorf("%w: wallet %q is suspended: only a sweep of everything to its recovery address %s is signed", ErrSuspended, w.Name, w.Recovery)
	}
	if !req.Sweep && (req.Amount <= 0 || req.Amount > btcutil.MaxSatoshi) {
		return nil, fmt.Errorf("%w: amount %v: give a positive amount", ErrInvalid, req.Amount)
	}
	to, err := btcutil.DecodeAddress(req.To, c.cfg.Network.Params())
	if err != nil || !to.IsForNet(c.cfg.Network.Params()) {
		return nil, fmt.Errorf("%w: destination %q is not a %s address", ErrInvalid, req.To, c.cfg.Network)
	}
	payScript, err := txscript.PayToAddrScript(to)
	if err != nil {
		return nil, fmt.Errorf("%w: destination %q: %v", ErrInvalid, req.To, err)
	}
	if dust := psbt.DustLimit(payScript); !req.Sweep && req.Amount < dust {
		return nil, fmt.Errorf("%w: amount %v is below the dust limit %v of that address type; nodes would not relay it", ErrInvalid, req.Amount, dust)
	}
	rate, source, err := c.feeRate(ctx, req.FeeRate)
	if err != nil {
		return nil, err
	}
	inWeight, err := builder.InputWeight(w.Descriptor)
	if err != nil {
		return nil, err
	}
	utxos, err := c.st.Spendable(ctx, w.Name)
	if err != nil {
		return nil, err
	}
	byOutpoint := map[string]store.UTXO{}
	var coins []coinselect.Coin
	for _, u := range utxos {
		if u.Height == 0 && !req.IncludeUnconfirmed {
			continue
		}
		byOutpoint[u.OutPoint.String()] = u
		coins = append(coins, coinselect.Coin{OutPoint: u.OutPoint, Value: u.Value, InputWeight: inWeight, Height: u.Height})
	}
	p := &Preview{Wallet: w.Name, To: req.To, Amount: req.Amount, FeeRate: rate, FeeRateSource: source}
	if req.Sweep {
		if len(coins) == 0 {
			return nil, fmt.Errorf("%w: wallet %q has no free confirmed coins to sweep", ErrInsufficient, w.Name)
		}
		var total btcutil.Amount
		for _, coin := range coins {
			total += coin.Value
			p.Inputs = append(p.Inputs, byOutpoint[coin.OutPoint.String()])
		}
		weight, err := builder.Weight(w.Descriptor, len(coins), [][]byte{payScript}, false)
		if err != nil {
			return nil, err
		}
		p.Fee, p.Algorithm, p.VSize = rate.Fee(weight), "sweep", (weight+3)/4
		p.Amount = total - p.Fee
		return p, nil
	}
	changeScript, err := w.Descriptor.PkScript(1, 0)
	if err != nil {
		return nil, err
	}
	sel, err := coinselect.Select(coins, coinselect.Params{
		Target:            req.Amount,
		FeeRate:           rate,
		BaseWeight:        builder.BaseWeight(w.Descriptor, [][]byte{payScript}),
		ChangeWeight:      builder.ChangeWeight(w.Descriptor),
		ChangeSpendWeight: inWeight,
		DustLimit:         psbt.DustLimit(changeScript),
	})
	if err != nil {
		var insufficient coinselect.ErrInsufficientFunds
		if errors.As(err, &insufficient) {
			return nil, fmt.Errorf("%w: wallet %q: %v", ErrInsufficient, w.Name, err)
		}
		if errors.Is(err, coinselect.ErrNoCoins) {
			return nil, fmt.Errorf("%w: wallet %q has no free confirmed coins (the others are unconfirmed or held by pending requests); wait for deposits to confirm or cancel a pending request",
				ErrInsufficient, w.Name)
		}
		return nil, fmt.Errorf("wallet %q: coin selection: %w", w.Name, err)
	}
	for _, coin := range sel.Coins {
		p.Inputs = append(p.Inputs, byOutpoint[coin.OutPoint.String()])
	}
	p.Fee, p.Change, p.Algorithm, p.VSize = sel.Fee, sel.Change, sel.Algorithm, (sel.Weight+3)/4
	return p, nil
}

// FeeEstimate is the fee rate, in sat/vB, a request naming none would
// pay, and where it comes from: the node's estimate or the configured
// fallback. The web form shows it before the requester chooses.
func (c *Coordinator) FeeEstimate(ctx context.Context) (float64, string, error) {
	return c.cfg.Node.FeeRate(ctx, c.cfg.FeeTarget, c.cfg.FallbackFeeRate)
}

// Network is the network the coordinator's wallets are on.
func (c *Coordinator) Network() string { return c.cfg.Network.String() }

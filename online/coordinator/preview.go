package coordinator

import (
	"context"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/coinselect"
	"airsign/online/store"
)

// Preview is what a withdrawal request would spend and pay if it were
// made now: the coins, the change and the fee. It reserves nothing and
// takes no change address, so looking costs nothing; the request made
// afterwards selects again and may differ if the wallet changed meanwhile.
// Among alike coins (same value and script type) the request may also take
// other ones than the preview lists: it breaks such ties by its id
// (coinselect.Params.TieBreak), at the same fee and change.
type Preview struct {
	Wallet        string
	To            string
	Amount        btcutil.Amount
	Fee           btcutil.Amount
	FeeRate       coinselect.FeeRate
	FeeRateSource string // requested, estimate or fallback
	FeePreset     string // economy, normal, priority or custom
	Change        btcutil.Amount
	Inputs        []store.UTXO
	Algorithm     string
	VSize         int
}

// Preview runs a withdrawal request's checks and coin selection without
// recording anything. Its errors are Withdraw's. It is not audited: it
// changes nothing.
func (c *Coordinator) Preview(ctx context.Context, req WithdrawRequest) (*Preview, error) {
	cr, err := c.check(ctx, req)
	if err != nil {
		return nil, err
	}
	coins, byOutpoint, err := c.freeCoins(ctx, cr, req)
	if err != nil {
		return nil, err
	}
	p := &Preview{Wallet: cr.w.Name, To: req.To, Amount: req.Amount, FeeRate: cr.rate, FeeRateSource: cr.source, FeePreset: cr.preset}
	if req.Sweep {
		amount, fee, weight, err := c.sweepPlan(ctx, cr, coins)
		if err != nil {
			return nil, err
		}
		for _, coin := range coins {
			p.Inputs = append(p.Inputs, byOutpoint[coin.OutPoint])
		}
		p.Amount, p.Fee, p.Algorithm, p.VSize = amount, fee, "sweep", (weight+3)/4
		return p, nil
	}
	sel, err := c.selectCoins(ctx, cr, req, coins)
	if err != nil {
		return nil, err
	}
	for _, coin := range sel.Coins {
		p.Inputs = append(p.Inputs, byOutpoint[coin.OutPoint])
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

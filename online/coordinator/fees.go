package coordinator

import (
	"context"
	"fmt"
	"strings"

	"airsign/online/coinselect"
)

// FeePreset names a confirmation target for the node's fee estimate, so a
// requester says how soon rather than how much.
type FeePreset struct {
	Name   string // economy, normal, priority
	Blocks int    // confirmation target
}

// The fee presets, and the name of a rate the requester gives.
const (
	FeeEconomy  = "economy"
	FeeNormal   = "normal"
	FeePriority = "priority"
	FeeCustom   = "custom"
)

// Confirmation targets of the economy and priority presets; normal is the
// configured FeeTarget. economyBlocks stays within btcd's estimatefee,
// which answers for targets up to 25 blocks.
const (
	economyBlocks  = 24
	priorityBlocks = 2
)

// FeePresets are the presets, slowest first, with their targets.
func (c *Coordinator) FeePresets() []FeePreset {
	return []FeePreset{{FeeEconomy, economyBlocks}, {FeeNormal, c.cfg.FeeTarget}, {FeePriority, priorityBlocks}}
}

// FeeOption is a preset with the rate it gives now, for a form to show
// before the requester chooses.
type FeeOption struct {
	FeePreset
	Rate   float64 // sat/vB
	Source string  // as chain.Client.FeeRate says it: estimate or fallback, and why
	Err    error   // no rate: the node cannot estimate and no fallback is set
}

// FeeOptions asks the node for each preset's rate.
func (c *Coordinator) FeeOptions(ctx context.Context) []FeeOption {
	var out []FeeOption
	for _, p := range c.FeePresets() {
		o := FeeOption{FeePreset: p}
		o.Rate, o.Source, o.Err = c.cfg.Node.FeeRate(ctx, p.Blocks, c.cfg.FallbackFeeRate)
		out = append(out, o)
	}
	return out
}

// requestFeeRate resolves a request's fee: its preset's estimate (normal
// when it names neither a preset nor a rate), or the rate it gives
// (custom). It returns the preset as recorded.
func (c *Coordinator) requestFeeRate(ctx context.Context, req WithdrawRequest) (coinselect.FeeRate, string, string, error) {
	preset := req.FeePreset
	switch {
	case preset == "" && req.FeeRate > 0:
		preset = FeeCustom
	case preset == "":
		preset = FeeNormal
	}
	if preset == FeeCustom {
		if req.FeeRate <= 0 {
			return 0, "", "", fmt.Errorf("%w: a custom fee needs a rate in sat/vB; give one, or choose a preset (%s)", ErrInvalid, c.presetNames())
		}
		rate, source, err := c.feeRate(ctx, req.FeeRate)
		return rate, source, preset, err
	}
	var target int
	for _, p := range c.FeePresets() {
		if p.Name == preset {
			target = p.Blocks
		}
	}
	if target == 0 {
		return 0, "", "", fmt.Errorf("%w: fee preset %q: choose %s, or give a rate (custom)", ErrInvalid, preset, c.presetNames())
	}
	if req.FeeRate > 0 {
		return 0, "", "", fmt.Errorf("%w: both the fee preset %s and a rate of %v sat/vB were given; give one of them", ErrInvalid, preset, req.FeeRate)
	}
	est, source, err := c.cfg.Node.FeeRate(ctx, target, c.cfg.FallbackFeeRate)
	if err != nil {
		return 0, "", "", fmt.Errorf("%w: no fee rate for the %s preset: the node could not estimate one (%v) and none is configured; give a rate", ErrInvalid, preset, err)
	}
	// The estimate passes the same limits as a rate given by hand.
	rate, _, err := c.feeRate(ctx, est)
	return rate, source, preset, err
}

func (c *Coordinator) presetNames() string {
	var names []string
	for _, p := range c.FeePresets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

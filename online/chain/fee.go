package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Where a fee rate came from; FeeRate's source starts with one of these.
const (
	FeeSourceSmart    = "estimatesmartfee"
	FeeSourceEstimate = "estimatefee"
	FeeSourceFallback = "fallback"
)

// btcPerKvBToSatPerVB converts BTC/kvB (both nodes' unit) to sat/vB.
const btcPerKvBToSatPerVB = 1e8 / 1000

// FeeRate estimates the fee rate, in sat/vB, for confirmation within
// targetBlocks. It asks estimatesmartfee (Bitcoin Core), then estimatefee
// (btcd; removed from Core in 0.17), then uses the operator's fallback.
// source is FeeSourceSmart, FeeSourceEstimate, or FeeSourceFallback
// followed by why the node could not estimate, for example (btcd)
// "fallback (estimatesmartfee: not supported by the node; estimatefee: no
// estimate (btcd estimates only after 3 blocks seen since it started, for
// targets up to 25 blocks))". err is non-nil when the node cannot
// be asked at all (unreachable, bad credentials), or when it has no
// estimate and fallback is not positive.
func (c *Client) FeeRate(ctx context.Context, targetBlocks int, fallback float64) (satPerVB float64, source string, err error) {
	if targetBlocks < 1 {
		return 0, "", fmt.Errorf("fee rate for %d blocks: want a target of at least 1 block", targetBlocks)
	}
	var why []string

	var smart struct {
		FeeRate *float64 `json:"feerate"`
		Errors  []string `json:"errors"`
	}
	err = c.call(ctx, "estimatesmartfee", []any{targetBlocks}, &smart, true)
	switch {
	case err == nil && smart.FeeRate != nil && *smart.FeeRate > 0:
		return *smart.FeeRate * btcPerKvBToSatPerVB, FeeSourceSmart, nil
	case err == nil:
		why = append(why, fmt.Sprintf("estimatesmartfee: no estimate %v", smart.Errors))
	case isMethodNotFound(err):
		why = append(why, "estimatesmartfee: "+ErrUnsupported.Error())
	default:
		_, msg, isRPC := rpcCode(err)
		if !isRPC {
			return 0, "", err
		}
		why = append(why, "estimatesmartfee: "+msg)
	}

	var rate float64
	err = c.call(ctx, "estimatefee", []any{targetBlocks}, &rate, true)
	switch {
	case err == nil && rate > 0:
		return rate * btcPerKvBToSatPerVB, FeeSourceEstimate, nil
	case err == nil:
		why = append(why, fmt.Sprintf("estimatefee: no estimate (%v)", rate))
	case isMethodNotFound(err):
		why = append(why, "estimatefee: "+ErrUnsupported.Error())
	default:
		_, msg, isRPC := rpcCode(err)
		if !isRPC {
			return 0, "", err
		}
		if msg == btcdMalformed {
			msg = btcdNoEstimate
		}
		why = append(why, "estimatefee: "+msg)
	}

	src := fmt.Sprintf("%s (%s)", FeeSourceFallback, strings.Join(why, "; "))
	if fallback <= 0 {
		return 0, src, fmt.Errorf("node at %s has no fee estimate for %d blocks and no fallback fee rate is configured: %w", c.redacted, targetBlocks, errNoEstimate)
	}
	return fallback, src, nil
}

// btcd v0.24.2 answers every plain error from a handler with this
// message, so the estimator's reason is lost. Its estimatefee fails only
// before it has seen 3 blocks since the node started or for a target beyond
// 25 blocks; say that instead.
const (
	btcdMalformed  = "Invalid request: malformed"
	btcdNoEstimate = "no estimate (btcd estimates only after 3 blocks seen since it started, for targets up to 25 blocks)"
)

var errNoEstimate = errors.New("no fee estimate")

package coinselect

import (
	"fmt"
	"math"
	"strconv"

	"github.com/btcsuite/btcd/btcutil"
)

// FeeRate is a fee rate in satoshis per 1000 virtual bytes (sat/kvB), the
// unit Bitcoin Core uses internally; 1 sat/vB is 1000. An integer type keeps
// fee arithmetic exact, and the extra three digits cover sub-sat/vB rates.
type FeeRate int64

// maxFeeRate is the highest rate Select and FeeRateFromSatPerVB accept,
// 1,000,000 sat/vB. Anything above is a unit mistake, not a fee.
const maxFeeRate FeeRate = 1_000_000_000

// defaultLongTermFeeRate is 10 sat/vB; see the package documentation.
const defaultLongTermFeeRate FeeRate = 10_000

// Fee returns the fee for weight weight units at rate r, rounded up to the
// next satoshi: ceil(weight * r / 4000). Rounding up means a transaction
// never pays less than its rate.
func (r FeeRate) Fee(weight int) btcutil.Amount {
	n := int64(weight) * int64(r)
	if n < 0 {
		return -btcutil.Amount(-n / 4000)
	}
	return btcutil.Amount((n + 3999) / 4000)
}

// String formats r in sat/vB, the unit people quote, e.g. "12.5 sat/vB".
func (r FeeRate) String() string {
	return strconv.FormatFloat(float64(r)/1000, 'f', -1, 64) + " sat/vB"
}

// FeeRateFromSatPerVB converts a rate in sat/vB, as fee estimators and
// people give it, to a FeeRate, rounding to the nearest 0.001 sat/vB. It
// refuses NaN, infinities, rates that are not positive and rates above
// 1,000,000 sat/vB.
func FeeRateFromSatPerVB(f float64) (FeeRate, error) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("%w: fee rate %v sat/vB is not a number; check the fee estimate", ErrBadParams, f)
	case f <= 0:
		return 0, fmt.Errorf("%w: fee rate %v sat/vB is not positive; give a rate of at least 0.001 sat/vB", ErrBadParams, f)
	case f > float64(maxFeeRate)/1000:
		return 0, fmt.Errorf("%w: fee rate %v sat/vB is above %v; it is probably in the wrong unit (sat/kvB or BTC/kvB?)", ErrBadParams, f, maxFeeRate)
	}
	r := FeeRate(math.Round(f * 1000))
	if r <= 0 {
		return 0, fmt.Errorf("%w: fee rate %v sat/vB rounds to 0 sat/kvB; give a rate of at least 0.001 sat/vB", ErrBadParams, f)
	}
	return r, nil
}

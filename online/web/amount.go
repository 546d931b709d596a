package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
)

// parseAmount reads what a person types into the amount field: BTC with
// at most 8 decimals ("0.015", ",015" is refused) or whole satoshis, with
// optional spaces, underscores or commas grouping the digits of sats.
// It never goes through a float, so 0.1 BTC is exactly 10,000,000 sat.
func parseAmount(s, unit string) (btcutil.Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("give an amount")
	}
	if len(s) > 32 {
		return 0, fmt.Errorf("the amount is %d characters; that is not an amount", len(s))
	}
	switch unit {
	case "sat":
		digits := strings.NewReplacer(" ", "", "_", "", ",", "").Replace(s)
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return 0, fmt.Errorf("amount %q is not a whole number of satoshis; give digits only, like 1500000", s)
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n <= 0 || n > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("amount %q sat is out of range; give 1 to %d", s, int64(btcutil.MaxSatoshi))
		}
		return btcutil.Amount(n), nil
	case "btc", "":
		whole, frac, dot := strings.Cut(s, ".")
		if whole == "" {
			whole = "0"
		}
		if strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || (dot && frac == "" && whole == "") {
			return 0, fmt.Errorf("amount %q is not a number of BTC; write it like 0.015 (a dot for decimals, no grouping)", s)
		}
		if len(frac) > 8 {
			return 0, fmt.Errorf("amount %q has %d decimals; BTC has 8 (one satoshi is 0.00000001)", s, len(frac))
		}
		if len(whole) > 8 {
			return 0, fmt.Errorf("amount %q BTC is more than exist; give at most 21000000", s)
		}
		w, _ := strconv.ParseInt(whole, 10, 64)
		f, _ := strconv.ParseInt((frac + "00000000")[:8], 10, 64)
		n := w*btcutil.SatoshiPerBitcoin + f
		if n <= 0 || n > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("amount %q BTC is out of range; give more than 0 and at most 21000000", s)
		}
		return btcutil.Amount(n), nil
	}
	return 0, fmt.Errorf("unit %q: choose BTC or sats", unit)
}

// parseFeeRate reads the fee rate field: empty means the node's estimate
// (0), else sat/vB with at most 3 decimals.
func parseFeeRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if len(s) > 16 {
		return 0, fmt.Errorf("fee rate %q is too long; give sat/vB like 3 or 2.5", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(frac) > 3 {
		return 0, fmt.Errorf("fee rate %q is not a number of sat/vB; give it like 3 or 2.5 (at most 3 decimals), or leave it empty for the estimate", s)
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(r, 0) || r <= 0 {
		return 0, fmt.Errorf("fee rate %q: give a positive number of sat/vB", s)
	}
	return r, nil
}

// formatBTC writes an amount in BTC with all 8 decimals, so columns line up
// and nothing is rounded away.
func formatBTC(a btcutil.Amount) string {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%s.%08d", sign, groupDigits(n/btcutil.SatoshiPerBitcoin), n%btcutil.SatoshiPerBitcoin)
}

// groupDigits writes n with thin groups of three: 1,500,000.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

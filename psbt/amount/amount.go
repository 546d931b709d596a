// Package amount reads and writes amounts of bitcoin the way people type
// and read them, exactly: a satoshi is never lost to floating point. Both
// sides use it (the kiosk's review, the coordinator's command line and web
// pages, approvals), so an amount reads the same everywhere.
package amount

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
)

// MaxLen caps what Parse reads, before anything else.
const MaxLen = 32

// Units a number may be given in.
const (
	BTC = "btc"
	Sat = "sat"
)

// Parse reads an amount as the command line takes it: bitcoin with at most
// 8 decimals ("0.015", ".5", "0.5 BTC") or whole satoshis with the suffix
// "sat" or "sats" ("1500000sat"). It is ParseIn with the unit taken from
// the text.
func Parse(s string) (btcutil.Amount, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "sats"); ok {
		return ParseIn(n, Sat)
	}
	if n, ok := strings.CutSuffix(t, "sat"); ok {
		return ParseIn(n, Sat)
	}
	if n, ok := strings.CutSuffix(t, "BTC"); ok {
		t = n
	}
	return ParseIn(t, BTC)
}

// ParseIn reads a number of unit (BTC or Sat; "" is BTC), as a form field
// with a unit chooser gives it. Bitcoin: digits with at most 8 decimals
// after a dot ("0.015", ".5"), no grouping. Satoshis: a whole number whose
// digits may be grouped with spaces, underscores or commas. The amount must
// be more than zero and at most 21,000,000 BTC. Errors say what was wrong
// and how to write it.
func ParseIn(s, unit string) (btcutil.Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("give an amount")
	}
	if len(s) > MaxLen {
		return 0, fmt.Errorf("the amount is %d characters; that is not an amount", len(s))
	}
	switch unit {
	case Sat:
		digits := strings.NewReplacer(" ", "", "_", "", ",", "").Replace(s)
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return 0, fmt.Errorf("amount %q is not a whole number of satoshis; give digits only, like 1500000", s)
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n <= 0 || n > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("amount %q sat is out of range; give 1 to %d", s, int64(btcutil.MaxSatoshi))
		}
		return btcutil.Amount(n), nil
	case BTC, "":
		whole, frac, _ := strings.Cut(s, ".")
		if strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || whole+frac == "" {
			return 0, fmt.Errorf("amount %q is not a number of BTC; write it like 0.015 (a dot for decimals, no grouping), or in satoshis like 1500000sat", s)
		}
		if len(frac) > 8 {
			return 0, fmt.Errorf("amount %q has %d decimals; BTC has 8: give it with up to 8 decimals (one satoshi is 0.00000001)", s, len(frac))
		}
		if len(strings.TrimLeft(whole, "0")) > 8 {
			return 0, fmt.Errorf("amount %q BTC is more than exist; give at most 21000000", s)
		}
		w, _ := strconv.ParseInt("0"+whole, 10, 64)
		f, _ := strconv.ParseInt((frac + "00000000")[:8], 10, 64)
		n := w*btcutil.SatoshiPerBitcoin + f
		if n <= 0 || n > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("amount %q BTC is out of range; give more than 0 and at most 21000000", s)
		}
		return btcutil.Amount(n), nil
	}
	return 0, fmt.Errorf("unit %q: choose BTC or sats", unit)
}

// Style is how Format writes an amount.
type Style int

const (
	// Plain is bitcoin with all 8 decimals and the unit, so columns line
	// up and nothing is rounded away: "0.01500000 BTC".
	Plain Style = iota
	// Grouped is the number alone, its whole bitcoins grouped by
	// thousands, for tables whose header names the unit: "1,234.01500000".
	Grouped
	// WithSats adds the satoshis, for reviews: "0.01500000 BTC (1,500,000 sat)".
	WithSats
	// Short drops trailing zeros, for sentences: "0.015 BTC", "1 BTC".
	Short
)

// Format writes a in style.
func Format(a btcutil.Amount, style Style) string {
	n, sign := int64(a), ""
	if n < 0 {
		// -MinInt64 overflows, but no amount is that large: it prints
		// as garbage rather than panic.
		sign, n = "-", -n
	}
	whole, frac := n/btcutil.SatoshiPerBitcoin, n%btcutil.SatoshiPerBitcoin
	switch style {
	case Grouped:
		return fmt.Sprintf("%s%s.%08d", sign, Group(whole), frac)
	case WithSats:
		return fmt.Sprintf("%s%d.%08d BTC (%s%s sat)", sign, whole, frac, sign, Group(n))
	case Short:
		s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d.%08d", whole, frac), "0"), ".")
		return sign + s + " BTC"
	}
	return fmt.Sprintf("%s%d.%08d BTC", sign, whole, frac)
}

// Group writes n with its digits grouped by thousands: 1,500,000.
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

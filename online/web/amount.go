package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

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

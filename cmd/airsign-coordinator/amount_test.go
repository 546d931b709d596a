package main

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want btcutil.Amount // 0: refused
	}{
		{"0.015", 1_500_000},
		{"1", 100_000_000},
		{".5", 50_000_000},
		{"0.00000001", 1},
		{"1500000sat", 1_500_000},
		{"1500000sats", 1_500_000},
		{"21000000", 2_100_000_000_000_000},
		{"0.5 BTC", 50_000_000},
		{"0.123456789", 0},
		{"0", 0},
		{"-1", 0},
		{"+1", 0},
		{"1e3", 0},
		{"21000000.00000001", 0},
		{"0sat", 0},
		{"1.5sat", 0},
		{"", 0},
		{".", 0},
		{"1,5", 0},
	} {
		got, err := parseAmount(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("parseAmount(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// Whatever parseAmount accepts is a valid amount that prints and parses
// back to itself.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0.015", "1500000sat", "21000000", ".00000001", "1e3", "0.5 BTC", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAmount(s)
		if err != nil {
			return
		}
		if a <= 0 || a > btcutil.MaxSatoshi {
			t.Fatalf("parseAmount(%q) = %d: out of range", s, a)
		}
		printed := strings.TrimSuffix(btc(a), " BTC")
		back, err := parseAmount(printed)
		if err != nil || back != a {
			t.Fatalf("parseAmount(%q) = %d prints as %q, which parses to %d, %v", s, a, printed, back, err)
		}
	})
}

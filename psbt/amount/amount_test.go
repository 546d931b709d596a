package amount

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
)

func TestParse(t *testing.T) {
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
		{"1_500_000 sat", 1_500_000},
		{"21000000", 2_100_000_000_000_000},
		{"0021000000", 2_100_000_000_000_000},
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
		{"1.", 100_000_000},
		{strings.Repeat("0", 40) + "1", 0},
	} {
		got, err := Parse(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("Parse(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseIn(t *testing.T) {
	for _, tc := range []struct {
		in, unit string
		want     btcutil.Amount
		err      string
	}{
		{"1,500,000", Sat, 1_500_000, ""},
		{"1 500 000", Sat, 1_500_000, ""},
		{"0.015", BTC, 1_500_000, ""},
		{"0.015", "", 1_500_000, ""},
		{"1.5", Sat, 0, "not a whole number of satoshis"},
		{"1,5", BTC, 0, "not a number of BTC"},
		{"0.123456789", BTC, 0, "has 9 decimals; BTC has 8"},
		{"100000000", BTC, 0, "more than exist"},
		{"0", Sat, 0, "out of range"},
		{"1", "mbtc", 0, `unit "mbtc"`},
		{"21000000", BTC, 2_100_000_000_000_000, ""},
		{"21000000.00000001", BTC, 0, "out of range"},
		{"-1", BTC, 0, "not a number of BTC"},
		{"", Sat, 0, "give an amount"},
		{"  ", BTC, 0, "give an amount"},
	} {
		got, err := ParseIn(tc.in, tc.unit)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseIn(%q, %q) = %d, %v; want an error saying %q", tc.in, tc.unit, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseIn(%q, %q) = %d, %v; want %d", tc.in, tc.unit, got, err, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		a     btcutil.Amount
		style Style
		want  string
	}{
		{1_500_000, Plain, "0.01500000 BTC"},
		{-1_500_000, Plain, "-0.01500000 BTC"},
		{123_456_789_012, Grouped, "1,234.56789012"},
		{1_500_000, WithSats, "0.01500000 BTC (1,500,000 sat)"},
		{-703, WithSats, "-0.00000703 BTC (-703 sat)"},
		{0, WithSats, "0.00000000 BTC (0 sat)"},
		{2_100_000_000_000_000, WithSats, "21000000.00000000 BTC (2,100,000,000,000,000 sat)"},
		{-9_949_990_000, WithSats, "-99.49990000 BTC (-9,949,990,000 sat)"}, // both keep the sign
		{1_500_000, Short, "0.015 BTC"},
		{100_000_000, Short, "1 BTC"},
		{0, Short, "0 BTC"},
		{-50_000_000, Short, "-0.5 BTC"},
	} {
		if got := Format(tc.a, tc.style); got != tc.want {
			t.Errorf("Format(%d, %d) = %q, want %q", tc.a, tc.style, got, tc.want)
		}
	}
	if got := Group(-1234567); got != "-1,234,567" {
		t.Errorf("Group(-1234567) = %q", got)
	}
}

// Whatever Parse accepts is in range, and every style reads back to the
// same amount.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.015", "1500000sat", "21000000", ".00000001", "1e3", "0.5 BTC", "--1", "1,000 sats"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a <= 0 || a > btcutil.MaxSatoshi {
			t.Fatalf("Parse(%q) = %d: out of range", s, a)
		}
		for _, text := range []string{
			Format(a, Plain), Format(a, Short), strings.ReplaceAll(Format(a, Grouped), ",", ""),
			Group(int64(a)) + "sat",
		} {
			if back, err := Parse(text); err != nil || back != a {
				t.Fatalf("Parse(%q) = %d, %v; want %d (from %q)", text, back, err, a, s)
			}
		}
	})
}

// Whatever a form's field and unit give, an accepted amount is in range and
// its BTC forms read back to it.
func FuzzParseIn(f *testing.F) {
	for _, s := range []string{"0.1", "21000000", "1e3", ".5", "1,500,000", "0.00000001", "-1", "  2 "} {
		f.Add(s, BTC)
		f.Add(s, Sat)
	}
	f.Fuzz(func(t *testing.T, s, unit string) {
		a, err := ParseIn(s, unit)
		if err != nil {
			return
		}
		if a <= 0 || a > btcutil.MaxSatoshi {
			t.Fatalf("ParseIn(%q, %q) = %d, out of range", s, unit, a)
		}
		if back, err := ParseIn(strings.ReplaceAll(Format(a, Grouped), ",", ""), BTC); err != nil || back != a {
			t.Fatalf("%q %s → %d → %q → %d, %v", s, unit, a, Format(a, Grouped), back, err)
		}
		if back, err := ParseIn(Group(int64(a)), Sat); err != nil || back != a {
			t.Fatalf("%q %s → %d → %q sat → %d, %v", s, unit, a, Group(int64(a)), back, err)
		}
	})
}

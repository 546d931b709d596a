package main

import (
	"bytes"
	"strings"
	"testing"

	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt"
)

// A spend of a wallet with spending paths names its path, and a recovery
// spend says so before anything else and in the verdict.
func TestReviewSpendingPath(t *testing.T) {
	tests := []struct {
		name  string
		s     psbt.Summary
		wants []string
	}{
		{"primary", psbt.Summary{Path: "primary: 2 of a, b, c"}, []string{"Spending path: primary: 2 of a, b, c\n", "on path primary: 2 of a, b, c\n"}},
		{"recovery", psbt.Summary{Path: "RECOVERY: d, 52560 blocks", Recovery: true}, []string{"!!! RECOVERY PATH", "on path RECOVERY: d, 52560 blocks\n"}},
		{"single path wallet", psbt.Summary{}, []string{"Verdict: REFUSED, this PSBT will not be signed\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			writeReview(&b, &home.Wallet{Name: "w"}, &tt.s, [32]byte{}, policy.Verdict{})
			for _, want := range tt.wants {
				if !strings.Contains(b.String(), want) {
					t.Errorf("review lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

package miniscript

import "testing"

func TestDescribeOlder(t *testing.T) {
	tests := []struct {
		v    uint32
		want string
	}{
		{1, "1 blocks (about 10 minutes)"},
		{11, "11 blocks (about 110 minutes)"},
		{20, "20 blocks (about 3 hours)"},
		{144, "144 blocks (about 24 hours)"},
		{288, "288 blocks (about 2 days)"},
		{52560, "52560 blocks (about 365 days)"},
		{1<<22 | 30, "30 × 512 seconds (about 0.2 days)"},
	}
	for _, tt := range tests {
		if got := DescribeOlder(tt.v); got != tt.want {
			t.Errorf("DescribeOlder(%d) = %q; want %q", tt.v, got, tt.want)
		}
	}
}

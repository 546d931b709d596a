package kiosk

import (
	"fmt"
	"testing"
	"time"
)

// stationWithLog is a station whose audit log holds n entries more: a
// kiosk after years of use.
func stationWithLog(b *testing.B, n int) (*station, *Loaded) {
	b.Helper()
	s := newStation(b)
	for i := range n {
		if err := s.h.Log().Append("inspect", map[string]any{"i": i}, s.now.Add(time.Duration(i)*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
	s.now = s.now.Add(time.Duration(n) * time.Second)
	l, err := LoadPSBT(s.h, s.withdrawal(b, 150_000).Data, "w.psbt", "", s.now)
	if err != nil {
		b.Fatal(err)
	}
	return s, l
}

// BenchmarkReviewPSBT reviews one withdrawal against logs of growing
// length; ReviewScaling reports how the cost grows from 200 to 2000
// entries, side by side in one run.
func BenchmarkReviewPSBT(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprintf("log=%d", n), func(b *testing.B) {
			s, l := stationWithLog(b, n)
			b.ResetTimer()
			for b.Loop() {
				if _, err := ReviewPSBT(s.h, l, s.now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

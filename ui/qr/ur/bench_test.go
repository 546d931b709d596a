package ur

import (
	"math/rand/v2"
	"testing"
)

// benchUR is a 3.8 KB message, the size of a PSBT with a dozen inputs.
func benchUR() UR { return randomUR(rand.New(rand.NewPCG(42, 42)), 3800) }

func BenchmarkEncoderNextPart(b *testing.B) {
	e, err := NewEncoder(benchUR(), FragmentLenKeystone, MinFragmentLen)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.NextPart()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "parts/s")
}

// BenchmarkDecode decodes the 3.8 KB message at 200-byte fragments from a
// stream that loses 0, 10 or 30% of its frames at random, and reports how
// many parts the decoder had to see (seqLen is 20, the least possible).
func BenchmarkDecode(b *testing.B) {
	u := benchUR()
	for _, loss := range []struct {
		name string
		p    float64
	}{{"loss0", 0}, {"loss10", 0.1}, {"loss30", 0.3}} {
		b.Run(loss.name, func(b *testing.B) {
			_, parts := collect(b, u, FragmentLenKeystone, 400)
			rng := rand.New(rand.NewPCG(1, 1))
			scanned, seen := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				d := NewDecoder()
				for i := 0; ; i++ {
					p := parts[i%len(parts)]
					if rng.Float64() < loss.p {
						continue
					}
					seen++
					done, err := d.Add(p)
					if err != nil {
						b.Fatal(err)
					}
					if done {
						break
					}
				}
				scanned++
			}
			b.ReportMetric(float64(seen)/float64(scanned), "parts/msg")
		})
	}
}

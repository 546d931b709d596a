package qr

import (
	"image"
	"sync"
	"testing"
	"time"
)

// benchCameraSet is the benchmark's camera set: 50 frames per version
// group, seed 1, drawn once.
var benchCameraSet = sync.OnceValue(func() [][]camFrame { return camSet(1, 50) })

var benchDecoders = []struct {
	name   string
	decode func(image.Image) ([]byte, error)
}{
	{"gozxing-alone", gozxingAlone},
	{"airsign-ladder", DecodeImage},
}

// BenchmarkDecodeCamera reads the synthetic camera set (synth_test.go) per
// QR version group with gozxing alone and with DecodeImage. Run with
// -benchtime 50x to read each frame once; it reports the mean time a frame
// and the share of frames read correctly.
func BenchmarkDecodeCamera(b *testing.B) {
	sets := benchCameraSet()
	for g, set := range sets {
		for _, d := range benchDecoders {
			b.Run(camGroupName(camVersionGroups[g])+"/"+d.name, func(b *testing.B) {
				ok := 0
				start := time.Now()
				for i := 0; i < b.N; i++ {
					fr := set[i%len(set)]
					if got, err := d.decode(fr.Img); err == nil && string(got) == fr.Text {
						ok++
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/frame")
				b.ReportMetric(100*float64(ok)/float64(b.N), "%decoded")
			})
		}
	}
}

// BenchmarkDecodeClean reads the 400 clean share-card images of
// TestDecodeOwnImages (no camera, 2 to 8 pixels a module) and reports the
// share read, so the miss rate of gozxing alone stays visible. Run with
// -benchtime 400x to read each once.
func BenchmarkDecodeClean(b *testing.B) {
	codes := cleanCodes()
	for _, d := range benchDecoders {
		b.Run(d.name, func(b *testing.B) {
			ok := 0
			start := time.Now()
			for i := 0; i < b.N; i++ {
				c := codes[i%len(codes)]
				if got, err := d.decode(c.img); err == nil && string(got) == c.text {
					ok++
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/frame")
			b.ReportMetric(100*float64(ok)/float64(b.N), "%decoded")
		})
	}
}

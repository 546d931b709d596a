package qr

import (
	"image"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// benchRateFrames are the frame-rate benchmark's 720p frames: with a code
// (the synthetic camera set's version 11 to 15 groups, as the kiosk is
// shown), an empty view (a desk under uneven light, blurred, with sensor
// noise) and a busy one (dark and light blocks of every size, which make
// finder-pattern candidates without a code).
var benchRateFrames = sync.OnceValue(func() map[string][]*image.Gray {
	sets := benchCameraSet()
	var code []*image.Gray
	for _, set := range sets[3:6] {
		for _, fr := range set[:10] {
			code = append(code, fr.Img)
		}
	}
	r := rand.New(rand.NewPCG(2, 0xF2A3E))
	var empty, busy []*image.Gray
	for range 10 {
		empty = append(empty, camScene(r, false))
		busy = append(busy, camScene(r, true))
	}
	return map[string][]*image.Gray{"code": code, "empty": empty, "busy": busy}
})

// camScene draws a 1280x720 frame without a code: a gradient-lit desk, and
// with blocks, rectangles of dark and light such as print or a keyboard.
func camScene(r *rand.Rand, blocks bool) *image.Gray {
	f := make([]float32, camWidth*camHeight)
	base := 90 + r.Float64()*80
	gx, gy := (r.Float64()*2-1)*0.3, (r.Float64()*2-1)*0.3
	for y := range camHeight {
		for x := range camWidth {
			f[y*camWidth+x] = float32(base * (1 + gx*(float64(x)/camWidth-0.5) + gy*(float64(y)/camHeight-0.5)))
		}
	}
	if blocks {
		for range 400 {
			w, h := 4+r.IntN(60), 4+r.IntN(60)
			x0, y0 := r.IntN(camWidth-w), r.IntN(camHeight-h)
			v := float32(40 + r.Float64()*180)
			for y := y0; y < y0+h; y++ {
				for x := x0; x < x0+w; x++ {
					f[y*camWidth+x] = v
				}
			}
		}
	}
	boxBlur(f, camWidth, camHeight, 1)
	img := image.NewGray(image.Rect(0, 0, camWidth, camHeight))
	for i, v := range f {
		img.Pix[i] = clamp8(float64(v) + r.NormFloat64()*8)
	}
	return img
}

// BenchmarkFrameRate is the kiosk camera loop's decoding rate: DecodeFrame
// on 720p frames with a code, of an empty view and of a busy one, in
// frames a second, beside DecodeImage (which an operator's images get) on
// the same frames and the ratio of the two. The loop must keep up with 10
// frames a second on one core, so run it as the kiosk does:
//
//	GOMAXPROCS=1 go test -run '^$' -bench FrameRate -benchtime 30x ./ui/qr
func BenchmarkFrameRate(b *testing.B) {
	sets := benchRateFrames()
	for _, name := range []string{"code", "empty", "busy"} {
		set := sets[name]
		b.Run(name, func(b *testing.B) {
			var frameTime, imageTime time.Duration
			read := 0
			for i := 0; b.Loop(); i++ {
				img := set[i%len(set)]
				start := time.Now()
				_, err := DecodeFrame(img)
				frameTime += time.Since(start)
				if err == nil {
					read++
				}
				start = time.Now()
				DecodeImage(img)
				imageTime += time.Since(start)
			}
			n := float64(b.N)
			b.ReportMetric(n/frameTime.Seconds(), "frame-fps")
			b.ReportMetric(n/imageTime.Seconds(), "image-fps")
			b.ReportMetric(imageTime.Seconds()/frameTime.Seconds(), "x-faster")
			b.ReportMetric(100*float64(read)/n, "%read")
		})
	}
}

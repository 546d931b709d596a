package qr

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"airsign/ui/qr/ur"
)

// The transfer a person sees: the frames an Emitter shows, at shownFPS, to
// a camera that loses some of them, from every start position. This is
// the product's real sequence, not a model of a fountain code.

// shownFPS is the frame rate the transfer times are given at.
const shownFPS = 5

// lossModel says which frames a camera misses: lost(i) for the i-th frame
// it is shown (0-based from where it started). seed varies a random model
// between runs from the same start.
type lossModel struct {
	name string
	// rate is the fraction of frames lost, for the theoretical minimum.
	rate float64
	lost func(r *rand.Rand, i int) bool
	// random models get shownRuns runs, spread over the start positions.
	random bool
}

// shownRuns is how many receivers a random loss model runs, spread over
// the start positions, so a loop of 7 frames and one of 33 give p95s of the
// same precision.
const shownRuns = 1_024

var lossModels = []lossModel{
	{"every10th", 0.1, func(_ *rand.Rand, i int) bool { return i%10 == 9 }, false},
	{"random10%", 0.1, func(r *rand.Rand, _ int) bool { return r.Float64() < 0.1 }, true},
	{"random30%", 0.3, func(r *rand.Rand, _ int) bool { return r.Float64() < 0.3 }, true},
}

// shownSetup is one way of showing a PSBT, as the product offers it.
type shownSetup struct {
	name string
	opt  EncodeOptions
	// loop shows the emitter's Loop over and over (a GIF, saved frames)
	// rather than its endless stream.
	loop bool
}

// shownStats is what a setup gave under one loss model, in frames.
type shownStats struct {
	median, p95, worst int
	runs               int
}

func (s shownStats) seconds(frames int) float64 { return float64(frames) / shownFPS }

// maxShownFrames bounds one simulated receiver; reaching it is a failure.
const maxShownFrames = 2_000

// shownTransfer runs a fresh qr.Decoder from every start position of the
// sequence (every frame of the loop) under loss, several times each, and
// counts the frames shown until it completes. The sequence is the
// emitter's, frame by frame: Frame(n) for the endless stream, Loop for
// a loop.
func shownTransfer(tb testing.TB, psbt []byte, s shownSetup, loss lossModel) shownStats {
	e, err := NewEmitter(psbt, s.opt)
	if err != nil {
		tb.Fatal(err)
	}
	var frames []string // frames[n-1] is frame n, drawn on demand
	frame := func(n int) string {
		for len(frames) < n {
			frames = append(frames, e.Frame(len(frames)+1))
		}
		return frames[n-1]
	}
	loop := e.LoopLen()
	trials := 1
	if loss.random {
		trials = (shownRuns + loop - 1) / loop
	}
	var counts []int
	for start := 1; start <= loop; start++ {
		for trial := 0; trial < trials; trial++ {
			r := rand.New(rand.NewPCG(uint64(start), uint64(trial)))
			d := NewDecoder()
			n := 0
			for i := 0; ; i++ {
				if i == maxShownFrames {
					tb.Fatalf("%s, %s: not complete after %d frames from frame %d", s.name, loss.name, i, start)
				}
				pos := start + i
				if s.loop {
					pos = (start+i-1)%loop + 1
				}
				if loss.lost(r, i) {
					continue
				}
				done, err := d.Add(frame(pos))
				if err != nil {
					tb.Fatalf("%s, %s: frame %d: %v", s.name, loss.name, pos, err)
				}
				if done {
					n = i + 1
					break
				}
			}
			p, err := d.Result()
			if err != nil || !bytes.Equal(p.Data, psbt) {
				tb.Fatalf("%s, %s: from frame %d the result differs (%v)", s.name, loss.name, start, err)
			}
			counts = append(counts, n)
		}
	}
	slices.Sort(counts)
	return shownStats{
		median: counts[(len(counts)-1)/2],
		p95:    counts[(len(counts)*95+99)/100-1],
		worst:  counts[len(counts)-1],
		runs:   len(counts),
	}
}

// minFrames is the theoretical minimum: the bytes over what one QR code of
// version DefaultVersion holds at level L (520 in byte mode), with no loss.
func minFrames(n int) float64 { return float64(n) / 520 }

func zlibLen(tb testing.TB, data []byte) int {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return buf.Len()
}

// productSetups are the settings the product shows, and the old default
// for comparison.
func productSetups(tb testing.TB, psbt []byte) []shownSetup {
	old, err := ur.NewEncoder(ur.PSBT(psbt), ur.FragmentLenKeystone, ur.MinFragmentLen)
	if err != nil {
		tb.Fatal(err)
	}
	oldExtra := (old.SeqLen() + 2) / 3 // what EncodePSBT showed before the Emitter
	return []shownSetup{
		{name: "bbqr-z-v17", opt: EncodeOptions{Format: FormatBBQr}, loop: true},
		{name: "bbqr-z-v15", opt: EncodeOptions{Format: FormatBBQr, BBQrMaxVersion: DefaultVersion}, loop: true},
		{name: "ur-v15-endless", opt: EncodeOptions{Format: FormatUR}},
		{name: "ur-v15-loop", opt: EncodeOptions{Format: FormatUR}, loop: true},
		{name: "old-ur-200-loop", opt: EncodeOptions{Format: FormatUR, MaxFragment: 200, URExtraParts: oldExtra}, loop: true},
	}
}

func mustParts(tb testing.TB, psbt []byte, opt EncodeOptions) []string {
	parts, err := EncodePSBT(psbt, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return parts
}

// BenchmarkShownTransfer is the transfer table of docs/BENCHMARKS.md: a
// 10-input withdrawal as each setup shows it, frames to completion under
// each loss model from every start position, as seconds at 5 frames a
// second (median, p95, worst) and as a multiple of the theoretical minimum
// (x-min: the median over the lossless minimum at QR version 15-L for the
// bytes sent, compressed for BBQr-Z).
func BenchmarkShownTransfer(b *testing.B) {
	psbt := withdrawalPSBT(b, 10, 1)
	for _, s := range productSetups(b, psbt) {
		for _, loss := range lossModels {
			b.Run(fmt.Sprintf("%dB/%s/%s", len(psbt), s.name, loss.name), func(b *testing.B) {
				var st shownStats
				for b.Loop() {
					st = shownTransfer(b, psbt, s, loss)
				}
				sent := len(psbt)
				if s.opt.Format == FormatBBQr {
					sent = zlibLen(b, psbt)
				}
				b.ReportMetric(st.seconds(st.median), "median-s")
				b.ReportMetric(st.seconds(st.p95), "p95-s")
				b.ReportMetric(st.seconds(st.worst), "worst-s")
				b.ReportMetric(float64(st.median)/minFrames(sent), "x-min")
				b.ReportMetric(float64(qrVersion(b, mustParts(b, psbt, s.opt))), "version")
			})
		}
	}
}

// TestShownTransferTimes holds the product's transfer of a 10-input
// withdrawal to its measured times (seconds at 5 frames a second), so a
// change that slows it fails. The targets at 10% loss are a median
// of 2.0 s and a p95 of 3.0 s, and a p95 of 5 s at 30%: BBQr-Z at QR
// version 17, airsign's default between its own ends (AirsignVersion), a
// loop of five parts, meets them all; at version 15 its seven-part loop
// misses the p95s by 0.4 and 0.6 s. UR, for other wallets, carries 30%
// more bytes (uncompressed, two letters a byte) and is slower.
func TestShownTransferTimes(t *testing.T) {
	psbt := withdrawalPSBT(t, 10, 1)
	setups := map[string]shownSetup{}
	for _, s := range productSetups(t, psbt) {
		setups[s.name] = s
	}
	for _, c := range []struct {
		setup, loss       string
		maxMedian, maxP95 float64
	}{
		{"bbqr-z-v17", "every10th", 1.0, 1.0},
		{"bbqr-z-v17", "random10%", 1.0, 2.0},
		{"bbqr-z-v17", "random30%", 2.0, 4.0},
		{"bbqr-z-v15", "random10%", 2.0, 3.4},
		{"bbqr-z-v15", "random30%", 3.0, 5.6},
		{"ur-v15-endless", "every10th", 3.0, 4.4},
		{"ur-v15-endless", "random10%", 3.0, 4.0},
		{"ur-v15-endless", "random30%", 4.0, 5.8},
		{"ur-v15-loop", "random30%", 4.0, 5.8},
	} {
		i := slices.IndexFunc(lossModels, func(l lossModel) bool { return l.name == c.loss })
		st := shownTransfer(t, psbt, setups[c.setup], lossModels[i])
		median, p95 := st.seconds(st.median), st.seconds(st.p95)
		t.Logf("%s, %s: median %.1f s, p95 %.1f s, worst %.1f s", c.setup, c.loss, median, p95, st.seconds(st.worst))
		if median > c.maxMedian || p95 > c.maxP95 {
			t.Errorf("%s, %s: median %.1f s, p95 %.1f s; want at most %.1f and %.1f", c.setup, c.loss, median, p95, c.maxMedian, c.maxP95)
		}
	}
}

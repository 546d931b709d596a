package qr

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"airsign/ui/qr/ur"
)

// A UR emitter's stream is endless: every frame up to EndlessPeriod is a
// fresh fountain part, the same on every call, and Next walks Frame.
func TestEmitterURStream(t *testing.T) {
	psbt := withdrawalPSBT(t, 10, 1)
	e, err := NewEmitter(psbt, EncodeOptions{Format: FormatUR})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Endless() || e.Format() != FormatUR {
		t.Fatalf("Endless %v, Format %v: want an endless UR stream", e.Endless(), e.Format())
	}
	seqLen := 11 // 3,755 bytes in fragments of at most URFragmentFor's 347
	if got, want := e.LoopLen(), urLoopFactor*seqLen; got != want {
		t.Errorf("LoopLen = %d, want %d (%d x SeqLen %d)", got, want, urLoopFactor, seqLen)
	}
	// Every loop is odd, whatever the PSBT's size or the extra parts
	// asked for, so that a receiver reading every other frame of the
	// looped showing sees every frame in two rounds.
	for _, c := range []struct{ size, extra int }{{800, 0}, {1200, 0}, {3755, 0}, {5000, 0}, {3755, 4}, {3755, 5}} {
		o, err := NewEmitter(psbt[:min(c.size, len(psbt))], EncodeOptions{Format: FormatUR, MaxFragment: 200, URExtraParts: c.extra})
		if err != nil {
			t.Fatal(err)
		}
		if got := o.LoopLen(); got%2 == 0 {
			t.Errorf("%d bytes, %d extra parts: LoopLen = %d, an even loop", c.size, c.extra, got)
		}
	}
	seen := map[string]bool{}
	for n := 1; n <= 5*seqLen; n++ {
		next, frame := e.Next(), e.Frame(n)
		if next != frame {
			t.Fatalf("Next gave %.30q as frame %d, Frame(%d) %.30q", next, n, n, frame)
		}
		if want := fmt.Sprintf("UR:CRYPTO-PSBT/%d-%d/", n, seqLen); !strings.HasPrefix(frame, want) {
			t.Fatalf("frame %d is %.30q, want it to start %q", n, frame, want)
		}
		if seen[frame] {
			t.Fatalf("frame %d repeats an earlier one", n)
		}
		seen[frame] = true
	}
	if got, want := e.Frame(EndlessPeriod+1), e.Frame(1); got != want {
		t.Errorf("frame EndlessPeriod+1 is not frame 1: the stream should start over")
	}
	loop, err := EncodePSBT(psbt, EncodeOptions{Format: FormatUR})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(loop, e.Loop()) {
		t.Error("EncodePSBT differs from the emitter's Loop")
	}
}

// A receiver that joins late reads only mixed parts, numbered far past
// SeqLen, and completes with the UR decoder of before the emitter (a
// kiosk not upgraded reads the stream).
func TestEmitterLateJoiner(t *testing.T) {
	psbt := withdrawalPSBT(t, 10, 1)
	e, err := NewEmitter(psbt, EncodeOptions{Format: FormatUR})
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []int{12, 100, 5_000, EndlessPeriod - 20} {
		d := ur.NewDecoder()
		n := 0
		for done := false; !done; n++ {
			if n == 200 {
				t.Fatalf("from frame %d: not complete after 200 frames", start)
			}
			if done, err = d.Add(e.Frame(start + n)); err != nil {
				t.Fatalf("from frame %d: %v", start, err)
			}
		}
		u, err := d.Result()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ur.DecodePSBT(u)
		if err != nil || !bytes.Equal(got, psbt) {
			t.Errorf("from frame %d: got %d bytes (%v), want the %d-byte PSBT", start, len(got), err, len(psbt))
		}
	}
}

// The fragment URFragmentFor gives fits its QR version for every sequence
// number an emitter shows, so the code does not grow as the stream runs.
func TestURFragmentFor(t *testing.T) {
	if got, want := URFragmentFor(ur.TypePSBT, 3760, 15), 347; got != want {
		t.Errorf("URFragmentFor(crypto-psbt, 3760 bytes, v15) = %d, want %d", got, want)
	}
	for _, c := range []struct{ size, version int }{{500, 7}, {3_755, 15}, {3_755, 10}, {36_245, 15}, {36_245, 20}} {
		psbt := fakePSBT(c.size, uint64(c.size))
		frag := URFragmentFor(ur.TypePSBT, len(ur.PSBT(psbt).CBOR), c.version)
		e, err := NewEmitter(psbt, EncodeOptions{Format: FormatUR, MaxFragment: frag})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, EndlessPeriod - 1, EndlessPeriod} {
			q, err := qrcode.New(e.Frame(n), qrcode.Low)
			if err != nil {
				t.Fatal(err)
			}
			if q.VersionNumber > c.version {
				t.Errorf("%d bytes at %d-byte fragments: frame %d needs version %d, want at most %d", c.size, frag, n, q.VersionNumber, c.version)
			}
		}
	}
}

// The fixed formats loop their series.
func TestEmitterSeries(t *testing.T) {
	psbt := withdrawalPSBT(t, 10, 1)
	for _, c := range []struct {
		opt     EncodeOptions
		parts   int
		version int
	}{
		{EncodeOptions{Format: FormatBBQr}, 5, AirsignVersion},
		{EncodeOptions{Format: FormatBBQr, BBQrMaxVersion: DefaultVersion}, 7, DefaultVersion},
		{EncodeOptions{Format: FormatBBQr, BBQrMaxVersion: 10}, 12, 10},
		{EncodeOptions{Format: FormatPMofN}, 17, 40},
		{EncodeOptions{Format: FormatPMofN, MaxFragment: 600}, 9, 40},
	} {
		e, err := NewEmitter(psbt, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		loop := e.Loop()
		// An even series is shown with its last part twice: an odd loop.
		want := c.parts + 1 - c.parts%2
		if e.Endless() || len(loop) != want || e.LoopLen() != want || e.Parts() != c.parts {
			t.Errorf("%v: Endless %v, a loop of %d (LoopLen %d), %d parts; want a loop of %d, %d parts", c.opt, e.Endless(), len(loop), e.LoopLen(), e.Parts(), want, c.parts)
			continue
		}
		if got := len(slices.Compact(slices.Clone(loop))); got != c.parts {
			t.Errorf("%v: %d distinct parts in a row, want %d", c.opt, got, c.parts)
		}
		if e.Frame(want+1) != loop[0] || e.Frame(2*want) != loop[want-1] {
			t.Errorf("%v: frames after the loop do not start it over", c.opt)
		}
		if v := qrVersion(t, loop); v > c.version {
			t.Errorf("%v: frames need version %d, want at most %d", c.opt, v, c.version)
		}
	}
	if _, err := NewEmitter(nil, EncodeOptions{Format: FormatUR}); err == nil {
		t.Error("an empty PSBT was accepted")
	}
	if _, err := NewEmitter(psbt, EncodeOptions{Format: FormatUR, URType: "bytes"}); err == nil || !strings.Contains(err.Error(), "not a PSBT type") {
		t.Errorf("UR type bytes: got %v, want a refusal", err)
	}
}

// A UR loop is three SeqLens, at most 2 SeqLens and 30 frames (a GIF of a
// large PSBT stays readable, MaxGIFPixels), one more when that is even.
func TestEmitterURLoopLen(t *testing.T) {
	for _, c := range []struct{ size, loop int }{{3_755, 33}, {10_000, 3 * 29}, {36_245, 2*106 + 30 + 1}} {
		e, err := NewEmitter(fakePSBT(c.size, 5), EncodeOptions{Format: FormatUR})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.LoopLen(); got != c.loop {
			t.Errorf("%d bytes: a loop of %d frames, want %d", c.size, got, c.loop)
		}
	}
}

// A camera whose decoder takes longer than a frame is shown catches every
// other frame. It sees every part of a fixed series within two rounds,
// from either start, also when the series is even (BBQr at version 10
// here: 12 parts).
func TestEmitterHalfRate(t *testing.T) {
	psbt := withdrawalPSBT(t, 10, 1)
	for _, opt := range []EncodeOptions{
		{Format: FormatBBQr, BBQrMaxVersion: 10},
		{Format: FormatBBQr},
		{Format: FormatPMofN, MaxFragment: 600},
	} {
		e, err := NewEmitter(psbt, opt)
		if err != nil {
			t.Fatal(err)
		}
		for start := 1; start <= 2; start++ {
			seen := map[string]bool{}
			for n := start; n <= start+2*e.LoopLen(); n += 2 {
				seen[e.Frame(n)] = true
			}
			if len(seen) != e.Parts() {
				t.Errorf("%v from frame %d: %d of %d parts seen at half rate", opt, start, len(seen), e.Parts())
			}
		}
	}
}

package camera

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"airsign/ui/qr"
)

// fakePSBT is PSBT-shaped bytes: the codecs do not parse it.
func fakePSBT(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := append([]byte("psbt\xff"), make([]byte, n-5)...)
	for i := 5; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// render draws a transfer's parts as the frames a screen would show.
func render(t *testing.T, psbt []byte, opt qr.EncodeOptions) []image.Image {
	t.Helper()
	parts, err := qr.EncodePSBT(psbt, opt)
	if err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for _, part := range parts {
		img, err := qr.Image([]byte(part), qr.ImageOptions{ModulePixels: 2})
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	return imgs
}

// garbled returns frames a camera sees between codes: nothing, noise, and
// a code half out of view.
func garbled(code image.Image, r *rand.Rand) []image.Image {
	b := code.Bounds()
	blank := image.NewGray(b)
	draw.Draw(blank, b, image.White, image.Point{}, draw.Src)
	noise := image.NewGray(b)
	for i := range noise.Pix {
		noise.Pix[i] = byte(r.Uint32())
	}
	half := image.NewGray(b)
	draw.Draw(half, b, image.White, image.Point{}, draw.Src)
	draw.Draw(half, image.Rect(b.Min.X, b.Min.Y, b.Min.X+b.Dx()/2, b.Max.Y), code, b.Min, draw.Src)
	return []image.Image{blank, noise, half}
}

// TestScanThroughLossAndStrays scans a UR loop in which 30% of the frames
// are blank or garbled and a few codes of other transfers (another PSBT's
// UR, a BBQr part) pass through the view.
func TestScanThroughLossAndStrays(t *testing.T) {
	psbt := fakePSBT(2500, 1)
	loop := render(t, psbt, qr.EncodeOptions{Format: qr.FormatUR, URExtraParts: 19})
	other := render(t, fakePSBT(1500, 2), qr.EncodeOptions{Format: qr.FormatUR})
	bb := render(t, fakePSBT(900, 3), qr.EncodeOptions{Format: qr.FormatBBQr})
	strays := []image.Image{other[0], bb[0], other[1]}

	r := rand.New(rand.NewPCG(4, 5))
	bad := garbled(loop[0], r)
	var imgs []image.Image
	isGarbled := map[int]bool{}
	for pass := 0; pass < 2; pass++ { // the screen shows the loop again
		lost := map[int]bool{}
		for _, i := range r.Perm(len(loop))[:len(loop)*3/10] {
			lost[i] = pass+i > 0 // the first frame starts the transfer
		}
		for i, img := range loop {
			if lost[i] {
				isGarbled[len(imgs)] = true
				img = bad[r.IntN(len(bad))]
			}
			imgs = append(imgs, img)
			if pass == 0 && (i == 1 || i == 3 || i == 5) {
				imgs = append(imgs, strays[0])
				strays = strays[1:]
			}
		}
	}

	src := Frames(imgs...).(*frames)
	var last Progress
	var refused []error
	p, err := Scan(context.Background(), src, func(p Progress) {
		if p.Frames != last.Frames+1 {
			t.Errorf("progress after frame %d, then %d", last.Frames, p.Frames)
		}
		if p.Fraction < last.Fraction {
			t.Errorf("frame %d: progress went back from %.2f to %.2f", p.Frames, last.Fraction, p.Fraction)
		}
		if p.Err != nil {
			refused = append(refused, p.Err)
		}
		last = p
	})
	if err != nil {
		t.Fatalf("Scan: %v (after %+v)", err, last)
	}
	if p.Format != qr.FormatUR || p.Kind != qr.KindPSBT || !bytes.Equal(p.Data, psbt) {
		t.Errorf("got %v %s %d bytes, want ur psbt %d bytes", p.Format, p.Kind, len(p.Data), len(psbt))
	}
	if last.Frames != src.next || last.Fraction != 1 || last.Format != qr.FormatUR {
		t.Errorf("last progress %+v after %d frames read, want every frame reported and 100%% ur", last, src.next)
	}
	if src.next == len(imgs) {
		t.Errorf("Scan read all %d frames; the transfer should complete before the second pass ends", len(imgs))
	}
	nGarbled := 0
	for i := range src.next {
		if isGarbled[i] {
			nGarbled++
		}
	}
	if nGarbled == 0 || last.Decoded != last.Frames-nGarbled {
		t.Errorf("decoded %d of %d frames, %d of them garbled; want every other frame decoded", last.Decoded, last.Frames, nGarbled)
	}
	if len(refused) != 3 {
		t.Errorf("%d refusals reported (%v), want one for each of the 3 strays", len(refused), refused)
	}
	t.Logf("%d frames, %d decoded, %d garbled; refusals: %v", last.Frames, last.Decoded, nGarbled, refused)
}

// loop is a Source that shows one image for ever, like a camera pointed at
// a wall; blocking makes it wait for ctx instead, like a camera that sends
// nothing.
type loop struct {
	img      image.Image
	blocking bool
	n        int
}

func (l *loop) Next(ctx context.Context) (image.Image, error) {
	if l.blocking {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	l.n++
	return l.img, nil
}

func (l *loop) Close() error { return nil }

func whiteGray(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 0xFF
	}
	return g
}

func TestScanCancelWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := Scan(ctx, &loop{blocking: true}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want %v", err, context.Canceled)
	}
	// The source blocks forever: only the cancel ends Scan. The bound only
	// catches a Scan that noticed it late (a loaded machine is slow, not
	// a minute slow).
	if d := time.Since(start); d > time.Minute {
		t.Errorf("Scan returned %v after the cancel", d)
	}
}

func TestScanCancelBetweenFrames(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &loop{img: whiteGray(64, 64)}
	_, err := Scan(ctx, src, func(p Progress) {
		if p.Frames == 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want %v", err, context.Canceled)
	}
	if src.n != 10 {
		t.Errorf("read %d frames, want 10: a cancelled Scan asks for no more", src.n)
	}
}

func TestScanMaxFrames(t *testing.T) {
	src := &loop{img: whiteGray(64, 64)}
	var last Progress
	_, err := scan(context.Background(), src, 50, func(p Progress) { last = p })
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("got %v, want %v", err, ErrIncomplete)
	}
	if src.n != 50 || last.Frames != 50 || last.Decoded != 0 {
		t.Errorf("read %d frames, last progress %+v; want 50 frames, none decoded", src.n, last)
	}
	t.Log(err)
}

func TestScanFramesRunOut(t *testing.T) {
	loop := render(t, fakePSBT(1500, 1), qr.EncodeOptions{Format: qr.FormatUR})
	_, err := Scan(context.Background(), Frames(loop[:3]...), nil)
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "ran out after 3 (3 with a readable code)") {
		t.Errorf("got %v, want %v after 3 frames", err, ErrIncomplete)
	}
}

// badFrames is a Source whose every other frame is damaged.
type badFrames struct {
	imgs []image.Image
	n    int
}

func (b *badFrames) Next(ctx context.Context) (image.Image, error) {
	b.n++
	if b.n%2 == 1 {
		return nil, ErrBadFrame
	}
	if len(b.imgs) == 0 {
		return nil, errors.New("the device went away")
	}
	img := b.imgs[0]
	b.imgs = b.imgs[1:]
	return img, nil
}

func (b *badFrames) Close() error { return nil }

func TestScanDamagedFrames(t *testing.T) {
	psbt := fakePSBT(300, 1)
	imgs := render(t, psbt, qr.EncodeOptions{Format: qr.FormatUR})
	var last Progress
	var damaged int
	p, err := Scan(context.Background(), &badFrames{imgs: imgs}, func(p Progress) {
		if errors.Is(p.Err, ErrBadFrame) {
			damaged++
		}
		last = p
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Data, psbt) || damaged != last.Frames/2 {
		t.Errorf("got %d bytes, %d damaged of %d frames; want the PSBT and every other frame damaged", len(p.Data), damaged, last.Frames)
	}

	_, err = Scan(context.Background(), &badFrames{}, nil)
	if err == nil || !strings.Contains(err.Error(), "reading frame 2: the device went away") {
		t.Errorf("got %v, want the source's error for frame 2", err)
	}
}

func TestScanOversizedFrame(t *testing.T) {
	huge := image.NewGray(image.Rect(0, 0, qr.MaxImageSide+1, 1))
	_, err := Scan(context.Background(), Frames(huge), nil)
	if err == nil || !strings.Contains(err.Error(), "frame 1: it is 8193x1 pixels") {
		t.Errorf("got %v, want frame 1 refused for its size", err)
	}
}

func TestFramesClose(t *testing.T) {
	src := Frames(whiteGray(1, 1))
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(context.Background()); err == nil {
		t.Error("Next after Close succeeded")
	}
}

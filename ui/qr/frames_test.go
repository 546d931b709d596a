package qr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"
)

func testParts(n int) []string {
	var parts []string
	for i := 1; i <= n; i++ {
		parts = append(parts, fmt.Sprintf("UR:BYTES/%d-%d/%s", i, n, strings.Repeat("LPAMCHCF", 4+i%3)))
	}
	return parts
}

func TestAnimatedGIFRoundTrip(t *testing.T) {
	parts := testParts(12)
	data, err := AnimatedGIF(parts, ImageOptions{Level: Low, ModulePixels: 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	anim, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(anim.Image), len(parts); got != want {
		t.Fatalf("%d frames, want %d", got, want)
	}
	if got, want := anim.Delay[0], 20; got != want {
		t.Errorf("delay %d/100 s, want %d (5 frames/s)", got, want)
	}
	frames, err := DecodeFrames(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if f.Err != nil {
			t.Errorf("frame %d: %v", f.Index, f.Err)
			continue
		}
		if string(f.Text) != parts[i] {
			t.Errorf("frame %d = %q, want %q", f.Index, f.Text, parts[i])
		}
	}
}

func TestFramePNGs(t *testing.T) {
	parts := testParts(3)
	pngs, err := FramePNGs(parts, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, data := range pngs {
		frames, err := DecodeFrames(data)
		if err != nil || len(frames) != 1 || string(frames[0].Text) != parts[i] {
			t.Errorf("png %d: %v %+v", i, err, frames)
		}
	}
}

// A blank frame in an animation is reported, and the others still read.
func TestDecodeFramesLostFrame(t *testing.T) {
	parts := testParts(3)
	data, err := AnimatedGIF(parts, ImageOptions{ModulePixels: 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	anim, _ := gif.DecodeAll(bytes.NewReader(data))
	blank := image.NewPaletted(anim.Image[1].Bounds(), color.Palette{color.White, color.Black})
	anim.Image[1] = blank
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	frames, err := DecodeFrames(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if frames[1].Err == nil || frames[0].Err != nil || frames[2].Err != nil {
		t.Errorf("frame errors %v %v %v, want only frame 2 unreadable", frames[0].Err, frames[1].Err, frames[2].Err)
	}
}

func TestDecodeFramesRefusals(t *testing.T) {
	// GIF bombs: TestDecodeFramesRefusesGIFBombs.
	if _, err := DecodeFrames([]byte("GIF89a\x01")); err == nil {
		t.Error("a truncated GIF was read")
	}
	if _, err := AnimatedGIF(nil, ImageOptions{}, 5); err == nil {
		t.Error("animated nothing")
	}
	if _, err := AnimatedGIF([]string{"A"}, ImageOptions{}, 0); err == nil {
		t.Error("animated at 0 frames per second")
	}
}

func TestCountGIFFrames(t *testing.T) {
	parts := testParts(7)
	data, err := AnimatedGIF(parts, ImageOptions{ModulePixels: 2}, 10)
	if err != nil {
		t.Fatal(err)
	}
	n, err := countGIFFrames(data)
	if err != nil || n != 7 {
		t.Errorf("countGIFFrames = %d, %v; want 7", n, err)
	}
}

// A small GIF that claims huge frames is refused before its frames are
// decoded: by its side, or by the pixels of all its frames together.
func TestDecodeFramesRefusesGIFBombs(t *testing.T) {
	bomb := func(side, frames int) []byte {
		pal := color.Palette{color.White, color.Black}
		g := &gif.GIF{Config: image.Config{Width: side, Height: side, ColorModel: pal}}
		for range frames {
			g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, 1, 1), pal))
			g.Delay = append(g.Delay, 1)
		}
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, tc := range []struct {
		name         string
		side, frames int
		want         string
	}{
		{"8192 a side", 8192, 5, "an animated QR transfer is at most 2048x2048"},
		{"2049 a side", 2049, 1, "at most 2048x2048"},
		{"41 frames of 2000x2000", 2000, 41, "more than this kiosk reads"},
	} {
		data := bomb(tc.side, tc.frames)
		if _, err := DecodeFrames(data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s (%d bytes): DecodeFrames error = %v; want %q", tc.name, len(data), err, tc.want)
		}
	}
	// Just inside the limits, it is read (each frame has no code).
	got, err := DecodeFrames(bomb(2000, 2))
	if err != nil || len(got) != 2 {
		t.Errorf("2 frames of 2000x2000: %d results, %v", len(got), err)
	}
}

// A caller bounds the time an animation takes: once its context is done,
// decoding stops between frames and returns what it read.
func TestDecodeFramesContextStops(t *testing.T) {
	parts := testParts(3)
	data, err := AnimatedGIF(parts, ImageOptions{ModulePixels: 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	frames, err := DecodeFramesContext(ctx, data)
	if !errors.Is(err, context.Canceled) || len(frames) != 0 {
		t.Fatalf("a done context: %d frames, %v; want none and context.Canceled", len(frames), err)
	}
	if frames, err := DecodeFramesContext(context.Background(), data); err != nil || len(frames) != len(parts) {
		t.Fatalf("a live context: %d frames, %v", len(frames), err)
	}
}

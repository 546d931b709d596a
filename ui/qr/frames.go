package qr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
)

// Limits on animated input, checked before frames are decoded.
//
// gif.DecodeAll holds every frame at a byte a pixel, and each is then read
// at full size, so the pixel budget is what a GIF costs in memory and CPU.
// An animated QR transfer is a few hundred frames of a few hundred pixels
// a side (a 30-input PSBT at 200-byte fragments: 95 frames of 750x750,
// 53 million pixels); the budget leaves room for three times that, and a
// frame may be as large as a 2048-pixel screen recording. The security
// review of the web UI made a 224 KB GIF of five 8192x8192 frames take
// 1.4 GB under the old budget of 400 million.
const (
	MaxGIFFrames = 10_000
	// MaxGIFSide bounds a GIF's width and height.
	MaxGIFSide = 2048
	// MaxGIFPixels bounds width × height × frames of a GIF, so a small
	// file cannot make us allocate gigabytes of frame buffers.
	MaxGIFPixels = 160_000_000
)

// FramePNGs draws each part as one QR image, PNG-encoded, in order.
func FramePNGs(parts []string, opt ImageOptions) ([][]byte, error) {
	var out [][]byte
	for i, part := range parts {
		data, err := PNG([]byte(part), opt)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
		out = append(out, data)
	}
	return out, nil
}

// AnimatedGIF draws the parts as an endlessly looping animation at fps
// frames per second. Frames of different QR versions are centred on a
// canvas the size of the largest, so the code does not jump on screen.
func AnimatedGIF(parts []string, opt ImageOptions, fps int) ([]byte, error) {
	if len(parts) == 0 {
		return nil, errors.New("no parts to animate")
	}
	if fps < 1 || fps > 50 {
		return nil, fmt.Errorf("%d frames per second: use 1 to 50", fps)
	}
	imgs := make([]image.Image, len(parts))
	var w, h int
	for i, part := range parts {
		img, err := Image([]byte(part), opt)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
		imgs[i] = img
		w = max(w, img.Bounds().Dx())
		h = max(h, img.Bounds().Dy())
	}
	palette := color.Palette{color.White, color.Black}
	anim := &gif.GIF{LoopCount: 0}
	delay := max(1, 100/fps) // hundredths of a second
	for _, img := range imgs {
		frame := image.NewPaletted(image.Rect(0, 0, w, h), palette)
		draw.Draw(frame, frame.Bounds(), image.White, image.Point{}, draw.Src)
		b := img.Bounds()
		at := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
		draw.Draw(frame, b.Sub(b.Min).Add(at), img, b.Min, draw.Src)
		anim.Image = append(anim.Image, frame)
		anim.Delay = append(anim.Delay, delay)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		return nil, fmt.Errorf("encoding the animation: %w", err)
	}
	return buf.Bytes(), nil
}

// FrameResult is what reading one frame gave.
type FrameResult struct {
	Index int // 1-based frame number
	Text  []byte
	Err   error
}

// DecodeFrames reads the QR code of every frame of an image file: each
// frame of a GIF, or the one image of a PNG or JPEG. Frames without a
// readable code are reported, not fatal: a camera or a lossy conversion
// loses some, and multipart codecs recover from lost frames.
func DecodeFrames(data []byte) ([]FrameResult, error) {
	return DecodeFramesContext(context.Background(), data)
}

// DecodeFramesContext is DecodeFrames that stops between frames once ctx
// is done: it returns the frames read so far and ctx's error, so a caller
// can bound the time one image takes and keep what it got.
func DecodeFramesContext(ctx context.Context, data []byte) ([]FrameResult, error) {
	if len(data) > MaxImageBytes {
		return nil, fmt.Errorf("image is %d bytes, more than the %d a QR image may have", len(data), MaxImageBytes)
	}
	if !bytes.HasPrefix(data, []byte("GIF8")) {
		text, err := DecodeFile(data)
		if err != nil && !errors.Is(err, ErrNoCode) {
			return nil, err
		}
		return []FrameResult{{Index: 1, Text: text, Err: err}}, nil
	}
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading GIF header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxGIFSide || cfg.Height > MaxGIFSide {
		return nil, fmt.Errorf("GIF is %dx%d pixels; an animated QR transfer is at most %dx%d", cfg.Width, cfg.Height, MaxGIFSide, MaxGIFSide)
	}
	// Frames are counted from the stream itself before gif.DecodeAll
	// allocates one buffer per frame.
	frames, err := countGIFFrames(data)
	if err != nil {
		return nil, err
	}
	if frames > MaxGIFFrames || frames*cfg.Width*cfg.Height > MaxGIFPixels {
		return nil, fmt.Errorf("GIF has %d frames of %dx%d pixels, more than this kiosk reads (%d frames, %d pixels in all)", frames, cfg.Width, cfg.Height, MaxGIFFrames, MaxGIFPixels)
	}
	anim, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading GIF frames: %w", err)
	}
	// Frames may be partial updates over the previous one; composite them
	// onto a canvas as a viewer would before reading the code.
	canvas := image.NewRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
	draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	out := make([]FrameResult, 0, len(anim.Image))
	for i, frame := range anim.Image {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		draw.Draw(canvas, frame.Bounds(), frame, frame.Bounds().Min, draw.Over)
		text, err := DecodeImage(canvas)
		out = append(out, FrameResult{Index: i + 1, Text: text, Err: err})
	}
	return out, nil
}

// countGIFFrames walks a GIF's blocks without decoding pixels and counts
// its image descriptors.
func countGIFFrames(data []byte) (int, error) {
	if len(data) < 13 {
		return 0, errors.New("GIF is truncated")
	}
	pos := 13
	if flags := data[10]; flags&0x80 != 0 {
		pos += 3 << (flags&7 + 1)
	}
	frames := 0
	skipSubBlocks := func() error {
		for {
			if pos >= len(data) {
				return errors.New("GIF is truncated")
			}
			n := int(data[pos])
			pos++
			if n == 0 {
				return nil
			}
			pos += n
		}
	}
	for pos < len(data) {
		switch data[pos] {
		case 0x3b: // trailer
			return frames, nil
		case 0x21: // extension
			pos += 2
			if err := skipSubBlocks(); err != nil {
				return 0, err
			}
		case 0x2c: // image descriptor
			if pos+10 > len(data) {
				return 0, errors.New("GIF is truncated")
			}
			flags := data[pos+9]
			pos += 10
			if flags&0x80 != 0 {
				pos += 3 << (flags&7 + 1)
			}
			pos++ // LZW minimum code size
			if err := skipSubBlocks(); err != nil {
				return 0, err
			}
			frames++
			if frames > MaxGIFFrames {
				return frames, nil
			}
		default:
			return 0, fmt.Errorf("GIF has an unknown block 0x%02x at byte %d", data[pos], pos)
		}
	}
	return frames, nil
}

// Package qr is the air gap's surface: it turns bytes into QR images and QR
// images back into bytes. It holds no GUI toolkit, so the kiosk, the
// coordinator and the command-line tools share one tested path.
//
// This file covers single QR codes (share cards, watch-only exports). The
// multipart codecs (UR fountain codes, BBQr) build on it.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decode GIF frames handed in by operators
	_ "image/jpeg"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"
)

// Limits on what an image may claim before we allocate for it. A QR image
// that carries a frame of an animated transfer is a few hundred pixels wide;
// 8192x8192 leaves room for camera stills and refuses decompression bombs.
const (
	MaxImageBytes  = 16 << 20
	MaxImageSide   = 8192
	MaxImagePixels = 40_000_000
)

// Level is a QR error-correction level.
type Level int

// The four QR error-correction levels, from least to most redundant.
const (
	Low Level = iota
	Medium
	Quartile
	High
)

func (l Level) recovery() (qrcode.RecoveryLevel, error) {
	switch l {
	case Low:
		return qrcode.Low, nil
	case Medium:
		return qrcode.Medium, nil
	case Quartile:
		return qrcode.High, nil // go-qrcode names Q "High" and H "Highest"
	case High:
		return qrcode.Highest, nil
	}
	return 0, fmt.Errorf("unknown QR error-correction level %d", int(l))
}

// ImageOptions says how a QR code is drawn.
type ImageOptions struct {
	Level        Level // error correction; zero value is Low
	ModulePixels int   // pixels per module; 0 means 8
}

// Image draws content as one QR code with a quiet zone.
func Image(content []byte, opt ImageOptions) (image.Image, error) {
	if len(content) == 0 {
		return nil, errors.New("nothing to draw: the QR content is empty")
	}
	rl, err := opt.Level.recovery()
	if err != nil {
		return nil, err
	}
	code, err := qrcode.New(string(content), rl)
	if err != nil {
		return nil, fmt.Errorf("cannot draw %d bytes as one QR code: %w", len(content), err)
	}
	px := opt.ModulePixels
	if px <= 0 {
		px = 8
	}
	return code.Image(-px), nil
}

// PNG draws content as one QR code and encodes it as PNG.
func PNG(content []byte, opt ImageOptions) ([]byte, error) {
	img, err := Image(content, opt)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding QR image as PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrNoCode means no QR code could be read from an image.
var ErrNoCode = errors.New("no QR code found in the image")

// DecodeFile reads the single QR code in an encoded image (PNG, JPEG or the
// first frame of a GIF). The image's declared size is checked before its
// pixels are allocated.
func DecodeFile(data []byte) ([]byte, error) {
	if len(data) > MaxImageBytes {
		return nil, fmt.Errorf("image is %d bytes, more than the %d a QR image may have: crop or shrink it", len(data), MaxImageBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a PNG, JPEG or GIF image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("%s image is %dx%d pixels; a QR image may be at most %dx%d: crop or shrink it", format, cfg.Width, cfg.Height, MaxImageSide, MaxImageSide)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading %s image: %w", format, err)
	}
	return DecodeImage(img)
}

// DecodeImage reads the single QR code in img, from a clean image of ours
// or a camera frame. gozxing alone misses some clean, generated codes (1 of
// the 400 of TestDecodeOwnImages, BenchmarkDecodeClean) and most codes on
// noisy, blurred, low-contrast camera frames (BenchmarkDecodeCamera), so the
// image goes through a ladder of reads, cheapest first, that stops at the
// first code whose Reed-Solomon check passes: on large frames our own
// finder-pattern search on the shrunk, then the smoothed frame, with the
// code re-sampled module by module (see camread.go); on small images a
// pure-barcode read (our own PNGs and screenshots) and gozxing's detector
// with the hybrid and global-histogram binarizers; then all of it on the
// inverted image (light modules on dark) and, unless our search settled
// the frame, on the image turned by 90°.
func DecodeImage(img image.Image) ([]byte, error) {
	p := lumaPlane(img)
	if p.w == 0 || p.h == 0 {
		return nil, ErrNoCode
	}
	g := newGridReader()
	k := cameraShrink(p)
	text, ok, settled := g.readPlane(p, k, true)
	if ok {
		return []byte(text), nil
	}
	text, ok, settledInv := g.readPlane(p.invert(), k, false)
	if ok {
		return []byte(text), nil
	}
	if settled && settledInv {
		// Our finder-pattern search works in any orientation; turning
		// the frame only helps gozxing's.
		return nil, ErrNoCode
	}
	if text, ok, _ := g.readPlane(p.rotate90(), k, false); ok {
		return []byte(text), nil
	}
	return nil, ErrNoCode
}

// readPure reads bmp as a pure barcode: the code alone, upright, with its
// quiet zone, as we draw it.
func (g *gridReader) readPure(bmp *gozxing.BinaryBitmap) (string, bool) {
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

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
	"image/color"
	_ "image/gif" // decode GIF frames handed in by operators
	_ "image/jpeg"
	"image/png"

	qrcode "github.com/skip2/go-qrcode"

	"airsign/ui/qr/camread"
)

// Limits on what an image may claim before we allocate for it. A QR image
// that carries a frame of an animated transfer is a few hundred pixels wide;
// a camera still is at most a phone's 12 megapixels (4032x3024) in its
// default mode. The decoded pixels are capped in bytes, not pixels: a 16-bit
// RGBA PNG takes 8 bytes a pixel, and a 311 KB one of 6324x6324 once took
// 679 MB to read. Decoding then costs at most about twice MaxImageDecoded
// (the pixels, the luma plane and its inverted and turned copies).
const (
	MaxImageBytes  = 16 << 20
	MaxImageSide   = 8192
	MaxImagePixels = 16 << 20
	// MaxImageDecoded bounds the bytes of an image's decoded pixels.
	MaxImageDecoded = 64 << 20
)

// decodedBytesPerPixel is what image.Decode allocates a pixel for an image
// of color model m (a YCbCr JPEG is at most 3: 4:4:4 sampling).
func decodedBytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.NYCbCrAModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4 // RGBA, NRGBA, CMYK and anything else
}

// CheckImageSize says whether an image of w×h pixels and color model m may
// be decoded: within MaxImageSide a side, MaxImagePixels in all and
// MaxImageDecoded bytes of pixels.
func CheckImageSize(format string, w, h int, m color.Model) error {
	if w <= 0 || h <= 0 || w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels {
		return fmt.Errorf("%s image is %dx%d pixels; a QR image may be at most %d pixels (%dx%d a side at most): crop or shrink it", format, w, h, MaxImagePixels, MaxImageSide, MaxImageSide)
	}
	if n := w * h * decodedBytesPerPixel(m); n > MaxImageDecoded {
		return fmt.Errorf("%s image of %dx%d pixels takes %d MiB once decoded (%d bytes a pixel), more than the %d MiB a QR image may: save it with 8 bits a channel, or crop or shrink it", format, w, h, n>>20, decodedBytesPerPixel(m), MaxImageDecoded>>20)
	}
	return nil
}

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
	if err := CheckImageSize(format, cfg.Width, cfg.Height, cfg.ColorModel); err != nil {
		return nil, err
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
// code re-sampled module by module (see package camread); on small images
// a pure-barcode read (our own PNGs and screenshots) and gozxing's detector
// with the hybrid and global-histogram binarizers; then all of it on the
// inverted image (light modules on dark) and, unless our search settled
// the frame, on the image turned by 90°.
func DecodeImage(img image.Image) ([]byte, error) {
	text, ok := camread.Read(img)
	if !ok {
		return nil, ErrNoCode
	}
	return []byte(text), nil
}

// DecodeFrame reads the single QR code of a live camera frame with
// bounded work (camread.ReadFrame): a frame without a readable code is
// given up in a few milliseconds instead of running DecodeImage's whole
// ladder, so a camera loop never falls behind its frames. Images an
// operator hands in go through DecodeImage, which tries harder.
func DecodeFrame(img image.Image) ([]byte, error) {
	text, ok := camread.ReadFrame(img)
	if !ok {
		return nil, ErrNoCode
	}
	return []byte(text), nil
}

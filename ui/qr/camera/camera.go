// Package camera reads QR transfers from a camera. Frames come from a
// Source: a V4L2 webcam on the kiosk (OpenV4L2), or recorded and synthetic
// images (Frames), so everything above the device is tested without one.
// Scan feeds the codes it reads into a qr.Decoder until the transfer is
// complete.
package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	"airsign/ui/qr"
)

// Source yields camera frames.
//
// Next returns the next frame, waiting for it until ctx ends. The image may
// be reused by the following call to Next, so read it before asking for
// another. An error wrapping ErrBadFrame is one damaged frame, and the next
// call may succeed; io.EOF means there are no more frames; any other error
// ends the stream. Close releases the device; call it after Next has
// returned.
type Source interface {
	Next(ctx context.Context) (image.Image, error)
	Close() error
}

// MaxFrames bounds one Scan: ten minutes at 30 frames per second. A
// transfer that has not completed by then will not, and the kiosk should
// say so instead of watching forever.
const MaxFrames = 18_000

var (
	// ErrIncomplete means the frames ran out, or MaxFrames passed, before
	// the transfer was complete.
	ErrIncomplete = errors.New("the QR transfer is incomplete")
	// ErrBadFrame marks one damaged frame: a short or undecodable buffer
	// from the camera. Scan counts it and goes on.
	ErrBadFrame = errors.New("damaged camera frame")
	// ErrNoCamera means a device path holds no video capture device.
	ErrNoCamera = errors.New("no camera")
)

// Progress is how far a Scan has got, reported after every frame.
type Progress struct {
	Fraction float64   // estimated share of the transfer received, 0 to 1
	Frames   int       // frames read from the source
	Decoded  int       // frames in which a QR code was read
	Format   qr.Format // the transfer's format, 0 until the first code
	// Err is why this frame added nothing although it was not blank: its
	// code belongs to another transfer or is damaged, or the frame itself
	// was damaged. It is nil otherwise, and it never ends the scan.
	Err error
}

// Scan reads frames from src into a qr.Decoder until the transfer
// completes, ctx ends or MaxFrames pass, calling progress (if not nil)
// after every frame, and returns the payload.
//
// Frames without a readable code are normal (the code is moving, blurred
// or out of view) and only counted. The first code read picks the
// transfer; parts of another one are reported through Progress.Err and
// skipped, so a stray code in view does not abort the scan. Callers check
// the payload's Kind: a single stray code is a complete plain transfer.
func Scan(ctx context.Context, src Source, progress func(Progress)) (qr.Payload, error) {
	return scan(ctx, src, MaxFrames, progress)
}

func scan(ctx context.Context, src Source, maxFrames int, progress func(Progress)) (qr.Payload, error) {
	d := qr.NewDecoder()
	var p Progress
	for p.Frames < maxFrames {
		if err := ctx.Err(); err != nil {
			return qr.Payload{}, err
		}
		img, err := src.Next(ctx)
		switch {
		case err == nil:
		case errors.Is(err, ErrBadFrame):
			p.Frames++
			p.Err = err
			report(progress, p)
			continue
		case errors.Is(err, io.EOF):
			return qr.Payload{}, fmt.Errorf("%w: the frames ran out after %d (%d with a readable code) at %.0f%%: scan the remaining frames",
				ErrIncomplete, p.Frames, p.Decoded, 100*d.Progress())
		case ctx.Err() != nil:
			return qr.Payload{}, ctx.Err()
		default:
			return qr.Payload{}, fmt.Errorf("reading frame %d: %w", p.Frames+1, err)
		}
		p.Frames++
		p.Err = nil
		if img == nil {
			report(progress, p)
			continue
		}
		if err := checkSize(img.Bounds()); err != nil {
			return qr.Payload{}, fmt.Errorf("frame %d: %w", p.Frames, err)
		}
		text, err := qr.DecodeFrame(img)
		if err != nil {
			report(progress, p)
			continue
		}
		p.Decoded++
		done, err := d.Add(string(text))
		p.Err = err
		p.Fraction, p.Format = d.Progress(), d.Format()
		report(progress, p)
		if done {
			return d.Result()
		}
	}
	return qr.Payload{}, fmt.Errorf("%w: %d frames (%d with a readable code) reached only %.0f%%: hold the code steady in view, or choose images from removable media",
		ErrIncomplete, p.Frames, p.Decoded, 100*d.Progress())
}

func report(progress func(Progress), p Progress) {
	if progress != nil {
		progress(p)
	}
}

// checkSize applies qr's limits on images to a frame before it is decoded.
func checkSize(r image.Rectangle) error {
	w, h := r.Dx(), r.Dy()
	if w > qr.MaxImageSide || h > qr.MaxImageSide || w*h > qr.MaxImagePixels {
		return fmt.Errorf("it is %dx%d pixels; a frame may be at most %dx%d and %d pixels",
			w, h, qr.MaxImageSide, qr.MaxImageSide, qr.MaxImagePixels)
	}
	return nil
}

// Frames is a Source over recorded or synthetic images, in order, for
// tests and for reading a folder of frames. After the last it returns
// io.EOF.
func Frames(imgs ...image.Image) Source {
	return &frames{imgs: imgs}
}

type frames struct {
	imgs   []image.Image
	next   int
	closed bool
}

func (f *frames) Next(ctx context.Context) (image.Image, error) {
	if f.closed {
		return nil, os.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.next >= len(f.imgs) {
		return nil, io.EOF
	}
	f.next++
	return f.imgs[f.next-1], nil
}

func (f *frames) Close() error {
	f.closed = true
	return nil
}

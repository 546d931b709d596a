package camera

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"os"
	"sync"
)

// Latest wraps a live camera so that Next always returns the newest frame.
// A goroutine reads src as fast as it delivers into a one-slot hand-off: a
// new frame replaces the one not yet read, so a decoder slower than the
// camera skips frames instead of working through stale ones (a camera's
// driver otherwise queues a few, and the screen's code has moved on by the
// time they are read), and nothing queues. Damaged frames (ErrBadFrame) do
// not replace a good one waiting. Any other error from src ends the
// reading; Next returns it once the frame waiting, if any, has been read.
//
// Frames are copied out of src as gray images, at most three alive: the
// one Next returned, the one waiting and the one being read. The image
// Next returns is valid until the following call to Next, as Source says.
//
// Recorded frames must not go through Latest: it drops whichever frames
// come faster than they are read.
func Latest(src Source) Source {
	ctx, cancel := context.WithCancel(context.Background())
	l := &latest{
		src:    src,
		cancel: cancel,
		slot:   make(chan latestFrame, 1),
		free:   make(chan *image.Gray, latestBuffers),
		done:   make(chan struct{}),
	}
	l.wg.Add(1)
	go l.read(ctx)
	return l
}

// latestBuffers is how many gray images a Latest holds at most: the one
// Next returned, the one in the slot and the one being filled.
const latestBuffers = 3

type latestFrame struct {
	img *image.Gray
	err error // ErrBadFrame, with img nil
}

type latest struct {
	src    Source
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slot   chan latestFrame // the newest frame not yet read; at most one
	free   chan *image.Gray // images to fill again
	done   chan struct{}    // closed when read ends; err says why
	err    error            // written before done is closed
	shown  *image.Gray      // what Next returned last, returned to free on the next call
	made   int              // gray images allocated, for the tests: at most latestBuffers
	closed bool
}

// read is the capture side: it fills a free image from src and puts it in
// the slot, replacing a frame not yet read.
func (l *latest) read(ctx context.Context) {
	defer l.wg.Done()
	defer close(l.done)
	for {
		img, err := l.src.Next(ctx)
		switch {
		case errors.Is(err, ErrBadFrame):
			// The newest word from the camera, but a good frame waiting
			// is worth more than a damaged one.
			select {
			case l.slot <- latestFrame{err: err}:
			default:
			}
			continue
		case err != nil:
			l.err = err
			return
		}
		if img == nil {
			continue
		}
		f := l.copyFrame(img)
		// Only this goroutine sends, so once the slot is emptied the send
		// cannot block; the reader may have taken the old frame meanwhile.
		select {
		case old := <-l.slot:
			l.recycle(old.img)
		default:
		}
		l.slot <- latestFrame{img: f}
	}
}

// copyFrame copies img, which src may overwrite on its next call, into a
// free gray image of its size.
func (l *latest) copyFrame(img image.Image) *image.Gray {
	b := img.Bounds()
	var g *image.Gray
	select {
	case g = <-l.free:
		if g.Rect.Dx() != b.Dx() || g.Rect.Dy() != b.Dy() {
			g = nil
			l.made--
		}
	default:
	}
	if g == nil {
		g = image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		l.made++
	}
	if m, ok := img.(*image.Gray); ok {
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return g
	}
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

func (l *latest) recycle(g *image.Gray) {
	if g == nil {
		return
	}
	select {
	case l.free <- g:
	default:
	}
}

// Next returns the newest frame not yet returned, waiting for one until
// ctx ends.
func (l *latest) Next(ctx context.Context) (image.Image, error) {
	if l.closed {
		return nil, os.ErrClosed
	}
	l.recycle(l.shown)
	l.shown = nil
	take := func(f latestFrame) (image.Image, error) {
		if f.err != nil {
			return nil, f.err
		}
		l.shown = f.img
		return f.img, nil
	}
	// A frame waiting comes before the end of the stream.
	select {
	case f := <-l.slot:
		return take(f)
	default:
	}
	select {
	case f := <-l.slot:
		return take(f)
	case <-l.done:
		select {
		case f := <-l.slot:
			return take(f)
		default:
		}
		return nil, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops reading, waits for src's Next to return and closes src.
func (l *latest) Close() error {
	if l.closed {
		return os.ErrClosed
	}
	l.closed = true
	l.cancel()
	l.wg.Wait()
	return l.src.Close()
}

package camera

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"testing"
)

// No V4L2 device is present where the tests run, so these drive Latest
// with fake cameras that, as a V4L2 source does, return one image they
// overwrite on every call, numbered: its first four bytes hold the frame
// number and every other byte its low byte.

func paint(g *image.Gray, n int) {
	for i := range g.Pix {
		g.Pix[i] = byte(n)
	}
	binary.BigEndian.PutUint32(g.Pix, uint32(n))
}

// frameNumber reads a painted frame's number, checking every byte.
func frameNumber(t *testing.T, img image.Image) int {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("frame is %T, want *image.Gray", img)
	}
	n := int(binary.BigEndian.Uint32(g.Pix))
	for i, b := range g.Pix[4:] {
		if b != byte(n) {
			t.Fatalf("frame %d: byte %d is %d: a torn copy", n, i+4, b)
		}
	}
	return n
}

// stepCamera delivers frames when the test gives them, and says when it is
// asked for the next: then the one before has been handed over.
type stepCamera struct {
	img    *image.Gray
	asked  chan struct{}
	give   chan any // a frame number or an error
	closed bool
}

func newStepCamera() *stepCamera {
	return &stepCamera{img: image.NewGray(image.Rect(0, 0, 64, 36)), asked: make(chan struct{}), give: make(chan any)}
}

func (c *stepCamera) Next(ctx context.Context) (image.Image, error) {
	select {
	case c.asked <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case v := <-c.give:
		if err, ok := v.(error); ok {
			return nil, err
		}
		paint(c.img, v.(int))
		return c.img, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *stepCamera) Close() error { c.closed = true; return nil }

// send gives the camera's next frame (or error) and waits until Latest has
// put it in its slot and asks for another.
func (c *stepCamera) send(v any) {
	c.give <- v
	<-c.asked
}

// Bursts of frames arrive between two reads: each read gets the newest,
// the older ones are dropped, the slot never holds more than one, and the
// frame a read returned stays intact while newer ones arrive.
func TestLatestGivesTheNewestFrame(t *testing.T) {
	cam := newStepCamera()
	l := Latest(cam).(*latest)
	<-cam.asked
	ctx := context.Background()
	n := 0
	var prev image.Image
	prevN := 0
	for _, burst := range []int{1, 3, 1, 7, 2, 12, 1} {
		for range burst {
			n++
			cam.send(n)
			if len(l.slot) > 1 {
				t.Fatalf("%d frames waiting", len(l.slot))
			}
		}
		if prev != nil {
			if got := frameNumber(t, prev); got != prevN {
				t.Fatalf("the frame read before now says %d, want %d: overwritten while in use", got, prevN)
			}
		}
		img, err := l.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := frameNumber(t, img); got != n {
			t.Fatalf("after a burst of %d, read frame %d, want the newest, %d", burst, got, n)
		}
		if len(l.slot) != 0 {
			t.Fatal("a frame still waits after the newest was read")
		}
		prev, prevN = img, n
	}
	// A damaged frame does not push out a good one waiting; alone, it is
	// reported.
	cam.send(100)
	cam.send(fmt.Errorf("%w: torn buffer", ErrBadFrame))
	if img, err := l.Next(ctx); err != nil || frameNumber(t, img) != 100 {
		t.Fatalf("a good frame then a damaged one: read %v, want frame 100", err)
	}
	cam.send(fmt.Errorf("%w: torn buffer", ErrBadFrame))
	if _, err := l.Next(ctx); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("a damaged frame alone: read %v, want ErrBadFrame", err)
	}
	// The end of the stream comes after the frame waiting.
	cam.send(101)
	cam.give <- io.EOF
	if img, err := l.Next(ctx); err != nil || frameNumber(t, img) != 101 {
		t.Fatalf("a frame then the end: read %v, want frame 101", err)
	}
	if _, err := l.Next(ctx); err != io.EOF {
		t.Fatalf("after the end: read %v, want io.EOF", err)
	}
	if err := l.Close(); err != nil || !cam.closed {
		t.Fatalf("Close = %v, camera closed %v", err, cam.closed)
	}
	if l.made > latestBuffers {
		t.Errorf("%d images made, want at most %d", l.made, latestBuffers)
	}
}

// fastCamera delivers frames as fast as it is asked, up to total, then
// io.EOF.
type fastCamera struct {
	img    *image.Gray
	n      int
	total  int
	closed bool
}

func (c *fastCamera) Next(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.n == c.total {
		return nil, io.EOF
	}
	c.n++
	paint(c.img, c.n)
	return c.img, nil
}

func (c *fastCamera) Close() error { c.closed = true; return nil }

// A camera far faster than its reader: the reader sees frames in order,
// each intact, never the same twice, and Latest never holds more than
// three images however many frames pass.
func TestLatestFastCamera(t *testing.T) {
	cam := &fastCamera{img: image.NewGray(image.Rect(0, 0, 160, 90)), total: 2000}
	l := Latest(cam).(*latest)
	last, reads := 0, 0
	for {
		img, err := l.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n := frameNumber(t, img) // reading every byte: a slow decoder
		if n <= last {
			t.Fatalf("read frame %d after %d", n, last)
		}
		last = n
		reads++
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if last != cam.total {
		t.Errorf("the last frame read is %d, want the camera's last, %d", last, cam.total)
	}
	if l.made > latestBuffers {
		t.Errorf("%d images made for %d frames, want at most %d", l.made, cam.total, latestBuffers)
	}
	t.Logf("%d of %d frames read", reads, cam.total)
}

// Close ends a camera waiting for a frame and closes it; Next then says
// the source is closed.
func TestLatestClose(t *testing.T) {
	cam := newStepCamera()
	l := Latest(cam)
	if err := l.Close(); err != nil || !cam.closed {
		t.Fatalf("Close = %v, camera closed %v", err, cam.closed)
	}
	if _, err := l.Next(context.Background()); err == nil {
		t.Fatal("Next after Close succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l2 := Latest(newStepCamera())
	defer l2.Close()
	if _, err := l2.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next with a cancelled context: %v", err)
	}
}

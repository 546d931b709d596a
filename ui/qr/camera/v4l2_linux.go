//go:build linux

package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"sort"
	"syscall"

	"airsign/ui/qr"

	"github.com/blackjack/webcam"
)

// V4L2 pixel formats we read, in order of preference: YUYV and GREY carry
// luminance as it is, MJPEG must be decoded first.
const (
	pixYUYV = webcam.PixelFormat('Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24)
	pixGREY = webcam.PixelFormat('G' | 'R'<<8 | 'E'<<16 | 'Y'<<24)
	pixMJPG = webcam.PixelFormat('M' | 'J'<<8 | 'P'<<16 | 'G'<<24)
)

const (
	// frameWaits is how many one-second waits for a frame (WaitForFrame
	// counts whole seconds) pass before a silent camera is an error.
	frameWaits = 5
	// maxBadFrames damaged frames in a row (three seconds at 30 fps) mean
	// the device does not send what it was set up for.
	maxBadFrames = 90
	// buffers is how many frames the driver queues; webcam's default of
	// 256 maps far more memory than a scanner needs.
	buffers = 4
)

// OpenV4L2 opens a Linux V4L2 camera such as /dev/video0 and starts it
// streaming. It picks YUYV, else GREY, else MJPEG, at the size the device
// offers nearest width×height (0, 0 means 1280×720), within qr's limits on
// images. Frames are returned as *image.Gray, luminance only; YUYV and GREY
// frames are converted into one image reused from frame to frame. The
// source returned reads the device through Latest, so Next gives the
// newest frame and a slow decoder never works through queued ones.
//
// Reading notices a cancelled context within a second, and ends with an
// error when the camera sends no frame for five.
func OpenV4L2(device string, width, height int) (Source, error) {
	if width <= 0 || height <= 0 {
		width, height = 1280, 720
	}
	fi, err := os.Stat(device)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, noCamera(device, "")
	case err != nil:
		return nil, fmt.Errorf("cannot open the camera at %s: %w", device, err)
	case fi.Mode()&fs.ModeCharDevice == 0:
		return nil, noCamera(device, "it is not a device")
	}
	cam, err := webcam.Open(device)
	if err != nil {
		return nil, openError(device, err)
	}
	s := &v4l2{cam: cam, device: device}
	if err := s.start(width, height); err != nil {
		cam.Close()
		return nil, err
	}
	return Latest(s), nil
}

func noCamera(device, why string) error {
	if why != "" {
		return fmt.Errorf("%w at %s (%s): connect one, or choose images from removable media", ErrNoCamera, device, why)
	}
	return fmt.Errorf("%w at %s: connect one, or choose images from removable media", ErrNoCamera, device)
}

func openError(device string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		// webcam's own errors: the device neither captures nor streams
		// video. A UVC camera's second node, for metadata, is one such.
		return noCamera(device, "it does not stream video; a camera's next /dev/videoN node may")
	}
	switch errno {
	case syscall.ENOENT, syscall.ENXIO, syscall.ENODEV:
		return noCamera(device, "")
	case syscall.ENOTTY, syscall.EINVAL:
		return noCamera(device, "it is not a V4L2 video device")
	case syscall.EACCES, syscall.EPERM:
		return fmt.Errorf("cannot open the camera at %s: permission denied: add the kiosk's user to the video group", device)
	case syscall.EBUSY:
		return fmt.Errorf("the camera at %s is in use by another program: close it and try again", device)
	}
	return fmt.Errorf("cannot open the camera at %s: %w", device, err)
}

// v4l2 is a Source over a webcam.Webcam.
type v4l2 struct {
	cam    *webcam.Webcam
	device string
	format webcam.PixelFormat
	gray   *image.Gray // YUYV and GREY frames, converted, reused
	mj     *mjpeg      // MJPEG frames are decoded each into a new image
	bad    int         // damaged frames in a row
}

func (s *v4l2) start(width, height int) error {
	formats := s.cam.GetSupportedFormats()
	var tried []string
	for _, f := range []webcam.PixelFormat{pixYUYV, pixGREY, pixMJPG} {
		if _, ok := formats[f]; !ok {
			continue
		}
		w, h, ok := chooseSize(s.cam.GetSupportedFrameSizes(f), width, height)
		if !ok {
			tried = append(tried, fmt.Sprintf("%s: no size within %dx%d", formatName(f), qr.MaxImageSide, qr.MaxImageSide))
			continue
		}
		// webcam v0.6.1's SetImageFormat returns the size asked for, not
		// the one the driver set; asking only for a size the device lists
		// keeps them equal, and each frame's length is checked anyway.
		got, _, _, err := s.cam.SetImageFormat(f, uint32(w), uint32(h))
		if err != nil || got != f {
			tried = append(tried, fmt.Sprintf("%s %dx%d: refused", formatName(f), w, h))
			continue
		}
		s.format = f
		if f == pixMJPG {
			s.mj, err = newMJPEG()
			if err != nil {
				return err
			}
		} else {
			s.gray = image.NewGray(image.Rect(0, 0, w, h))
		}
		break
	}
	if s.format == 0 {
		var names []string
		for f, desc := range formats {
			names = append(names, fmt.Sprintf("%s (%s)", formatName(f), desc))
		}
		sort.Strings(names)
		return fmt.Errorf("the camera at %s offers no format airsign reads (YUYV, GREY or MJPEG); it offers %v; tried %v", s.device, names, tried)
	}
	if err := s.cam.SetBufferCount(buffers); err != nil {
		return fmt.Errorf("setting up the camera at %s: %w", s.device, err)
	}
	if err := s.cam.StartStreaming(); err != nil {
		return fmt.Errorf("the camera at %s would not start (%v): close any other program using it and try again", s.device, err)
	}
	return nil
}

func formatName(f webcam.PixelFormat) string {
	return string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)})
}

// chooseSize picks, among the frame sizes a device lists, the one nearest
// w×h in pixels that qr's limits allow, preferring the larger on a tie.
// A stepwise range is fitted to w×h; an empty list (a driver that does not
// enumerate) or a continuous range, which webcam reports as zeros, is
// asked for w×h as it is.
func chooseSize(sizes []webcam.FrameSize, w, h int) (int, int, bool) {
	if len(sizes) == 0 {
		sizes = []webcam.FrameSize{{}}
	}
	var bw, bh, bd int
	found := false
	for _, s := range sizes {
		cw := fit(w, int(s.MinWidth), int(s.MaxWidth), int(s.StepWidth))
		ch := fit(h, int(s.MinHeight), int(s.MaxHeight), int(s.StepHeight))
		if s.MaxWidth == 0 || s.MaxHeight == 0 {
			cw, ch = w, h
		}
		if cw <= 0 || ch <= 0 || checkSize(image.Rect(0, 0, cw, ch)) != nil {
			continue
		}
		d := cw*ch - w*h
		if d < 0 {
			d = -d
		}
		if !found || d < bd || d == bd && cw*ch > bw*bh {
			bw, bh, bd, found = cw, ch, d, true
		}
	}
	return bw, bh, found
}

// fit brings v into [lo, hi] on the grid lo + k·step.
func fit(v, lo, hi, step int) int {
	v = min(max(v, lo), hi)
	if step > 0 {
		v = lo + (v-lo)/step*step
	}
	return v
}

func (s *v4l2) Next(ctx context.Context) (image.Image, error) {
	if s.cam == nil {
		return nil, os.ErrClosed
	}
	waits := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := s.cam.WaitForFrame(1)
		var timeout *webcam.Timeout
		switch {
		case errors.As(err, &timeout):
			if waits++; waits >= frameWaits {
				return nil, fmt.Errorf("the camera at %s sent no frame for %d seconds: check its cable and that nothing covers the lens, or choose images from removable media", s.device, waits)
			}
			continue
		case err != nil:
			return nil, s.deviceError(err)
		}
		frame, index, err := s.cam.GetFrame()
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, s.deviceError(err)
		}
		// The frame is the driver's mmapped buffer: convert it before
		// handing the buffer back.
		img, err := s.convert(frame)
		if rerr := s.cam.ReleaseFrame(index); rerr != nil {
			return nil, s.deviceError(rerr)
		}
		if err != nil {
			if s.bad++; s.bad >= maxBadFrames {
				return nil, fmt.Errorf("the camera at %s sent %d damaged %s frames in a row (the last: %v): reconnect it, or choose images from removable media", s.device, s.bad, formatName(s.format), err)
			}
			return nil, err
		}
		s.bad = 0
		return img, nil
	}
}

func (s *v4l2) convert(frame []byte) (image.Image, error) {
	if s.mj != nil {
		return s.mj.decode(frame)
	}
	w, h := s.gray.Rect.Dx(), s.gray.Rect.Dy()
	if s.format == pixGREY {
		return s.gray, greyToGray(s.gray, frame, rowStride(len(frame), w, h, 1))
	}
	return s.gray, yuyvToGray(s.gray, frame, rowStride(len(frame), w, h, 2))
}

func (s *v4l2) deviceError(err error) error {
	if errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("the camera at %s was disconnected: reconnect it and scan again", s.device)
	}
	return fmt.Errorf("reading the camera at %s: %w", s.device, err)
}

func (s *v4l2) Close() error {
	if s.cam == nil {
		return os.ErrClosed
	}
	err := s.cam.Close()
	s.cam = nil
	return err
}

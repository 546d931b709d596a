package main

import (
	"airsign/cmd/internal/qrfiles"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"airsign/ui/qr"
	"airsign/ui/qr/camera"
)

// psbtSource is where inspect and sign read a PSBT: files, or a camera.
type psbtSource struct {
	paths   []string
	camera  string
	timeout time.Duration
	log     io.Writer
}

func (s psbtSource) read() ([]byte, string, error) {
	if s.camera == "" {
		return qrfiles.ReadPSBT(s.paths)
	}
	p, err := scanCamera(s.camera, s.timeout, s.log)
	if err != nil {
		return nil, "", err
	}
	if p.Kind != qr.KindPSBT {
		return nil, "", fmt.Errorf("the QR codes carry %s, not a PSBT", p.Kind)
	}
	return p.Data, fmt.Sprintf("camera %s, %s", s.camera, p.Format), nil
}

// scanCamera reads a QR transfer from a V4L2 camera, showing progress on w,
// for at most timeout.
func scanCamera(device string, timeout time.Duration, w io.Writer) (qr.Payload, error) {
	src, err := camera.OpenV4L2(device, 0, 0)
	if err != nil {
		return qr.Payload{}, err
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	last := -1
	p, err := camera.Scan(ctx, src, func(pr camera.Progress) {
		if pct := int(100 * pr.Fraction); pct != last {
			last = pct
			fmt.Fprintf(w, "scanning %s: %d%% (%d frames, %d with a code)\n", device, pct, pr.Frames, pr.Decoded)
		}
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return qr.Payload{}, fmt.Errorf("no complete transfer from %s within %s: hold the code steady in view and try again", device, timeout)
	}
	return p, err
}

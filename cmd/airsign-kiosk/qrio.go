package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"airsign/cmd/internal/urwallet"
	"airsign/offline/ceremony"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
	"airsign/ui/qr/camera"
	"airsign/ui/qr/ur"
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
		return readPSBTInput(s.paths)
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

// readPSBTInput reads a PSBT from a file (binary, base64 or hex) or from QR
// images: PNG/JPEG frames or an animated GIF, in any format ui/qr reads
// (UR, BBQr, pMofN, plain base64). Several paths are only for frames.
func readPSBTInput(paths []string) ([]byte, string, error) {
	first := paths[0]
	head, err := readFileLimited(first, qr.MaxImageBytes, "PSBT or QR image")
	if err != nil {
		return nil, "", err
	}
	if !isImage(head) {
		if len(paths) > 1 {
			return nil, "", fmt.Errorf("%s is not an image: give one PSBT file, or QR images (frames or a GIF)", first)
		}
		if len(head) > psbt.MaxPSBTBytes {
			return nil, "", fmt.Errorf("%s is %d bytes, more than the %d a PSBT may have", first, len(head), psbt.MaxPSBTBytes)
		}
		return head, first, nil
	}
	p, frames, err := readQRPayload(paths, head)
	if err != nil {
		return nil, "", err
	}
	if p.Kind != qr.KindPSBT {
		return nil, "", fmt.Errorf("the QR codes carry %s, not a PSBT", p.Kind)
	}
	return p.Data, fmt.Sprintf("%d QR frame(s), %s", frames, p.Format), nil
}

// readQRPayload reassembles whatever a set of QR images (frames, or
// animated GIFs) carries, reading until the transfer is complete. first,
// when not nil, is the first file's content, already read. It returns how
// many frames it looked at.
func readQRPayload(paths []string, first []byte) (qr.Payload, int, error) {
	d := qr.NewDecoder()
	frames, unreadable := 0, 0
	var last error
	for i, path := range paths {
		data := first
		if i > 0 || data == nil {
			var err error
			if data, err = readFileLimited(path, qr.MaxImageBytes, "QR image"); err != nil {
				return qr.Payload{}, frames, err
			}
		}
		results, err := qr.DecodeFrames(data)
		if err != nil {
			return qr.Payload{}, frames, fmt.Errorf("%s: %w", path, err)
		}
		for _, r := range results {
			frames++
			if r.Err != nil {
				unreadable++
				continue
			}
			done, err := d.Add(string(r.Text))
			if err != nil {
				last = fmt.Errorf("%s frame %d: %w", path, r.Index, err)
			}
			if done {
				p, err := d.Result()
				return p, frames, err
			}
		}
	}
	msg := fmt.Errorf("the QR frames hold %.0f%% of the transfer (%d frames read, %d unreadable): scan or add more frames", 100*d.Progress(), frames-unreadable, unreadable)
	return qr.Payload{}, frames, errors.Join(msg, last)
}

// writeQR writes a PSBT as QR frames into dir, which must not exist:
// frame-001.png … and animated.gif.
func writeQR(dir string, data []byte, format, urType string, maxFragment, fps int) (int, error) {
	f, err := qr.ParseFormat(format)
	if err != nil {
		return 0, err
	}
	parts, err := qr.EncodePSBT(data, qr.EncodeOptions{Format: f, MaxFragment: maxFragment, URType: urType})
	if err != nil {
		return 0, err
	}
	opt := qr.ImageOptions{Level: qr.Low, ModulePixels: 6}
	pngs, err := qr.FramePNGs(parts, opt)
	if err != nil {
		return 0, err
	}
	gif, err := qr.AnimatedGIF(parts, opt, fps)
	if err != nil {
		return 0, err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return 0, fmt.Errorf("QR output folder: %w (it must not exist yet)", err)
	}
	for i, png := range pngs {
		if err := writeExclusive(filepath.Join(dir, fmt.Sprintf("frame-%03d.png", i+1)), png); err != nil {
			return 0, err
		}
	}
	if err := writeExclusive(filepath.Join(dir, "animated.gif"), gif); err != nil {
		return 0, err
	}
	return len(parts), nil
}

// urExport is the watch-only export as a UR crypto-output, the form Sparrow,
// Keystone and the coordinator scan: its text and its QR image.
func urExport(d *descriptor.Descriptor) ([]ceremony.ExtraFile, error) {
	o, err := urwallet.Output(d)
	if err != nil {
		return nil, err
	}
	u, err := o.UR()
	if err != nil {
		return nil, err
	}
	text := ur.Encode(u)
	png, err := qr.PNG([]byte(text), qr.ImageOptions{Level: qr.Medium, ModulePixels: 6})
	if err != nil {
		return nil, err
	}
	return []ceremony.ExtraFile{
		{Name: "watch-only-ur.txt", Data: []byte(text + "\n")},
		{Name: "watch-only-ur.png", Data: png},
	}, nil
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

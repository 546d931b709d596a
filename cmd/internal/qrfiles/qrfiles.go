// Package qrfiles reads and writes what crosses the air gap as files: a
// PSBT as a file or as QR images (frames or an animated GIF), and QR frames
// written for the other side to scan. The kiosk, the coordinator and the
// auditor's commands share it, so all read exactly the same inputs with the
// same limits.
package qrfiles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/psbt/fileio"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

// IsImage reports whether data starts like a PNG, JPEG or GIF file.
func IsImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte("\x89PNG")) || bytes.HasPrefix(data, []byte("\xff\xd8\xff")) || bytes.HasPrefix(data, []byte("GIF8"))
}

// ReadFileLimited reads at most max bytes of path; a longer file is an
// error naming what it was supposed to be.
func ReadFileLimited(path string, max int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadLimited(f, max, what)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// ReadLimited reads at most max bytes from r. What it read of a longer
// input is zeroed before it is dropped: it may be a share.
func ReadLimited(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		clear(data)
		return nil, fmt.Errorf("%s is more than %d bytes; that is not a %s", what, max, what)
	}
	return data, nil
}

// WriteExclusive writes a command's output file, readable by all (0644):
// fileio.WriteNew, which never replaces a file and leaves nothing behind
// on failure.
func WriteExclusive(path string, data []byte) error {
	return fileio.WriteNew(path, data, 0o644)
}

// ReadPSBT reads a PSBT from a file (binary, base64 or hex) or from QR
// images: PNG/JPEG frames or an animated GIF, in any format ui/qr reads
// (UR, BBQr, pMofN, plain base64). Several paths are only for frames. It
// returns the PSBT's bytes as found (to be decoded by psbt.Decode) and a
// description of where they came from.
func ReadPSBT(paths []string) ([]byte, string, error) {
	if len(paths) == 0 {
		return nil, "", errors.New("no PSBT file or QR image given")
	}
	first := paths[0]
	head, err := ReadFileLimited(first, qr.MaxImageBytes, "PSBT or QR image")
	if err != nil {
		return nil, "", err
	}
	if !IsImage(head) {
		if len(paths) > 1 {
			return nil, "", fmt.Errorf("%s is not an image: give one PSBT file, or QR images (frames or a GIF)", first)
		}
		if len(head) > psbt.MaxPSBTBytes {
			return nil, "", fmt.Errorf("%s is %d bytes, more than the %d a PSBT may have", first, len(head), psbt.MaxPSBTBytes)
		}
		return head, first, nil
	}
	p, frames, err := ReadPayload(paths, head)
	if err != nil {
		return nil, "", err
	}
	if p.Kind != qr.KindPSBT {
		return nil, "", fmt.Errorf("the QR codes carry %s, not a PSBT", p.Kind)
	}
	return p.Data, fmt.Sprintf("%d QR frame(s), %s", frames, p.Format), nil
}

// ReadPayload reassembles whatever a set of QR images (frames, or animated
// GIFs) carries, reading until the transfer is complete. first, when not
// nil, is the first file's content, already read. It returns how many
// frames it looked at.
func ReadPayload(paths []string, first []byte) (qr.Payload, int, error) {
	d := qr.NewDecoder()
	frames, unreadable := 0, 0
	var last error
	for i, path := range paths {
		data := first
		if i > 0 || data == nil {
			var err error
			if data, err = ReadFileLimited(path, qr.MaxImageBytes, "QR image"); err != nil {
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

// QROptions say how WritePSBT renders a PSBT.
type QROptions struct {
	Format      string // ur, bbqr or base64 (qr.ParseFormat)
	URType      string // crypto-psbt or psbt, for UR
	MaxFragment int    // bytes per frame; 0 means the format's default
	FPS         int    // frames per second of the animated GIF
}

// Check says whether o can carry data (a PSBT of about the size to come):
// the format, UR type and fragment size, before anything is signed.
func (o QROptions) Check(data []byte) error {
	_, err := o.emitter(data)
	return err
}

// emitter cuts data into QR frames as o says.
func (o QROptions) emitter(data []byte) (*qr.Emitter, error) {
	f, err := qr.ParseFormat(o.Format)
	if err != nil {
		return nil, err
	}
	return qr.NewEmitter(data, qr.EncodeOptions{Format: f, MaxFragment: o.MaxFragment, URType: o.URType})
}

// WritePSBT writes a PSBT as QR frames into dir, which must not exist:
// frame-001.png … and animated.gif. It returns the number of frames.
// The GIF loops the emitter's Loop; the PNGs hold each part of a fixed
// series once (its loop shows an even series' last part twice).
func WritePSBT(dir string, data []byte, o QROptions) (int, error) {
	e, err := o.emitter(data)
	if err != nil {
		return 0, err
	}
	parts := e.Files()
	opt := qr.ImageOptions{Level: qr.Low, ModulePixels: 6}
	pngs, err := qr.FramePNGs(parts, opt)
	if err != nil {
		return 0, err
	}
	gif, err := qr.AnimatedGIF(e.Loop(), opt, o.FPS)
	if err != nil {
		return 0, err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return 0, fmt.Errorf("QR output folder: %w (it must not exist yet)", err)
	}
	for i, png := range pngs {
		if err := WriteExclusive(filepath.Join(dir, fmt.Sprintf("frame-%03d.png", i+1)), png); err != nil {
			return 0, err
		}
	}
	if err := WriteExclusive(filepath.Join(dir, "animated.gif"), gif); err != nil {
		return 0, err
	}
	return len(parts), nil
}

// WriteText writes a short text record (a BSMS record, say) to the new file
// out and as one QR code to the new PNG file qrOut; an empty name skips
// that form. One code at level L holds about 2,900 bytes.
func WriteText(out, qrOut string, data []byte) error {
	if out != "" {
		if err := WriteExclusive(out, data); err != nil {
			return err
		}
	}
	if qrOut == "" {
		return nil
	}
	png, err := qr.PNG(data, qr.ImageOptions{Level: qr.Low, ModulePixels: 6})
	if err != nil {
		return err
	}
	return WriteExclusive(qrOut, png)
}

// RefuseExisting fails when any of paths (empty ones skipped) exists: a
// command's outputs are new files, never overwritten.
func RefuseExisting(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); p != "" && err == nil {
			return fmt.Errorf("%s already exists; it is not overwritten", p)
		}
	}
	return nil
}

// DescriptorFromQR reads a wallet from QR images, as every `wallet add
// --qr` does: a descriptor's text (the kiosk's watch-only.png), a plain
// BSMS record, or a UR wallet (crypto-output, output-descriptor,
// crypto-account, account-descriptor, crypto-hdkey) whose account, if it is
// one, offers one single-sig script type.
func DescriptorFromQR(paths []string, net descriptor.Network) (string, error) {
	return WalletFromQR(paths, net, 0)
}

// WalletFromQR is DescriptorFromQR choosing script among the types an
// account offers (0: its only single-sig one).
func WalletFromQR(paths []string, net descriptor.Network, script descriptor.ScriptType) (string, error) {
	p, _, err := ReadPayload(paths, nil)
	if err != nil {
		return "", err
	}
	switch {
	case urwallet.Reads(p.Kind):
		d, err := urwallet.FromUR(ur.UR{Type: p.Kind, CBOR: p.Data}, net, script)
		if err != nil {
			return "", fmt.Errorf("%s: %w", paths[0], err)
		}
		return d.String(), nil
	case p.Kind == qr.KindText && strings.HasPrefix(string(p.Data), "BSMS"):
		rec, err := descriptor.ParseBSMSForNetwork(p.Data, net)
		if err != nil {
			return "", fmt.Errorf("%s: %w", paths[0], err)
		}
		return rec.Descriptor.String(), nil
	case p.Kind == qr.KindText:
		return strings.TrimSpace(string(p.Data)), nil
	}
	return "", fmt.Errorf("%s holds %s, not a descriptor, BSMS record or UR wallet (crypto-output, output-descriptor, crypto-account, account-descriptor, crypto-hdkey)", paths[0], p.Kind)
}

// ReadText reads the text in a file, or in the QR code of an image file
// (a key, an approval, a descriptor shown as a QR code), trimmed; what
// names the file in a size refusal. Not for secrets: nothing is wiped.
func ReadText(path, what string) (string, error) {
	data, err := ReadFileLimited(path, qr.MaxImageBytes, what)
	if err != nil {
		return "", err
	}
	if IsImage(data) {
		if data, err = qr.DecodeFile(data); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return strings.TrimSpace(string(data)), nil
}

package ceremony

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"airsign/psbt/fileio"
	"airsign/shamir"
)

// Imager draws and reads QR images. The kiosk core does not link a QR
// library itself; the command wires in ui/qr.
type Imager interface {
	PNG(content []byte) ([]byte, error)
	ReadPNG(data []byte) ([]byte, error)
}

// Write puts the ceremony's outputs in outDir, which must not exist yet:
//
//	share-<i>.txt   words and metadata for custodian i (mode 0600)
//	share-<i>.png   the same share as a QR card (mode 0600)
//	watch-only.txt  descriptors and account keys, no secret
//	watch-only.png  the descriptor as a QR code
//	transcript.json the signed transcript
//
// Everything is written to a hidden folder beside outDir, then every file is
// read back, every share parsed from both its words and its QR image, and
// the set recombined. Only then is the folder renamed to outDir. On any
// failure the partial folder is removed: no ceremony is half-written.
func (r *Result) Write(outDir string, img Imager) (err error) {
	return r.write(outDir, img, true)
}

// WriteExport is Write without the shares: the watch-only export and the
// transcript only, read back the same way. The kiosk app uses it: there each
// custodian copies their share from the screen and enters it again, and no
// share is ever written to a file.
func (r *Result) WriteExport(outDir string, img Imager) error {
	return r.write(outDir, img, false)
}

func (r *Result) write(outDir string, img Imager, withShares bool) (err error) {
	outDir = filepath.Clean(outDir)
	if _, err := os.Lstat(outDir); err == nil {
		return fmt.Errorf("output folder %s already exists: airsign never writes over shares; choose a new folder", outDir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output folder %s: %w", outDir, err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(outDir), ".airsign-ceremony-*")
	if err != nil {
		return fmt.Errorf("cannot write the ceremony to %s: %w", outDir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	files, err := r.files(img, withShares)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := fileio.WriteNew(filepath.Join(stage, f.name), f.data, f.perm); err != nil {
			return err
		}
	}
	if err := r.readBack(stage, img, withShares); err != nil {
		return fmt.Errorf("reading the ceremony back failed, nothing was kept: %w", err)
	}
	if err := fileio.SyncDir(stage); err != nil {
		return err
	}
	if err := os.Rename(stage, outDir); err != nil {
		return fmt.Errorf("cannot move the ceremony into %s: %w", outDir, err)
	}
	return fileio.SyncDir(filepath.Dir(outDir))
}

type file struct {
	name string
	data []byte
	perm os.FileMode
}

func (r *Result) files(img Imager, withShares bool) ([]file, error) {
	var out []file
	for i, s := range r.Shares {
		if !withShares {
			break
		}
		custodian := ""
		if i < len(r.Transcript.Shares) {
			custodian = r.Transcript.Shares[i].Custodian
		}
		png, err := img.PNG(s.QRText())
		if err != nil {
			return nil, fmt.Errorf("drawing share %d: %w", s.Index, err)
		}
		out = append(out,
			file{fmt.Sprintf("share-%d.txt", s.Index), s.File(custodian, r.Transcript.Time), 0o600},
			file{fmt.Sprintf("share-%d.png", s.Index), png, 0o600})
	}
	png, err := img.PNG([]byte(r.Transcript.Descriptor))
	if err != nil {
		return nil, fmt.Errorf("drawing the watch-only descriptor: %w", err)
	}
	for _, x := range r.Extra {
		if x.Name == "" || filepath.Base(x.Name) != x.Name || strings.HasPrefix(x.Name, "share-") || strings.HasPrefix(x.Name, ".") {
			return nil, fmt.Errorf("extra ceremony file %q must be a plain name that is not a share's", x.Name)
		}
		out = append(out, file{x.Name, x.Data, 0o644})
	}
	return append(out,
		file{"watch-only.txt", r.WatchOnly, 0o644},
		file{"watch-only.png", png, 0o644},
		file{"transcript.json", r.TranscriptFile, 0o644}), nil
}

// readBack proves that what is on disk is what was made: each share's words
// and QR image parse to the exact share, the read-back set recombines to the
// wallet, and the transcript verifies and records each share's digest.
func (r *Result) readBack(dir string, img Imager, withShares bool) error {
	if withShares {
		if err := r.readBackShares(dir, img); err != nil {
			return err
		}
	}
	return r.readBackPublic(dir, img)
}

func (r *Result) readBackShares(dir string, img Imager) error {
	var back []*shamir.Share
	defer func() { wipeShares(back) }()
	for i, s := range r.Shares {
		want := s.Bytes()
		txt, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("share-%d.txt", s.Index)))
		if err != nil {
			return err
		}
		fromText, err := shamir.Parse(txt)
		if err != nil {
			return fmt.Errorf("share-%d.txt: %w", s.Index, err)
		}
		back = append(back, fromText)
		if subtle.ConstantTimeCompare(fromText.Bytes(), want) != 1 {
			return fmt.Errorf("share-%d.txt does not hold share %d", s.Index, s.Index)
		}
		pngData, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("share-%d.png", s.Index)))
		if err != nil {
			return err
		}
		text, err := img.ReadPNG(pngData)
		if err != nil {
			return fmt.Errorf("share-%d.png: %w", s.Index, err)
		}
		fromQR, err := shamir.Parse(text)
		if err != nil {
			return fmt.Errorf("share-%d.png: %w", s.Index, err)
		}
		back = append(back, fromQR)
		if subtle.ConstantTimeCompare(fromQR.Bytes(), want) != 1 {
			return fmt.Errorf("share-%d.png does not hold share %d", s.Index, s.Index)
		}
		d := fromQR.Digest()
		if got := hex.EncodeToString(d[:]); got != r.Transcript.Shares[i].SHA256 {
			return fmt.Errorf("share %d's digest %s is not the transcript's %s", s.Index, got, r.Transcript.Shares[i].SHA256)
		}
	}
	// back holds each share twice (words, QR); recombine one of each.
	fromFiles := make([]*shamir.Share, 0, len(r.Shares))
	for i := 0; i < len(back); i += 2 {
		fromFiles = append(fromFiles, back[i])
	}
	return CheckShares(fromFiles)
}

func (r *Result) readBackPublic(dir string, img Imager) error {
	data, err := os.ReadFile(filepath.Join(dir, "transcript.json"))
	if err != nil {
		return err
	}
	if !bytes.Equal(data, r.TranscriptFile) {
		return errors.New("transcript.json does not read back as written")
	}
	if _, err := VerifyTranscript(data, nil); err != nil {
		return err
	}
	for _, x := range r.Extra {
		data, err := os.ReadFile(filepath.Join(dir, x.Name))
		if err != nil {
			return err
		}
		if !bytes.Equal(data, x.Data) {
			return fmt.Errorf("%s does not read back as written", x.Name)
		}
	}
	watch, err := os.ReadFile(filepath.Join(dir, "watch-only.png"))
	if err != nil {
		return err
	}
	desc, err := img.ReadPNG(watch)
	if err != nil {
		return fmt.Errorf("watch-only.png: %w", err)
	}
	if string(desc) != r.Transcript.Descriptor {
		return errors.New("watch-only.png does not hold the wallet's descriptor")
	}
	return nil
}

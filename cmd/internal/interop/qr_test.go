package interop

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"airsign/ui/qr"
	"airsign/ui/qr/bbqr"
	"airsign/ui/qr/ur"
)

// The sizes the QR cases run at: payloads from a tiny PSBT to one of a few
// dozen inputs, and UR fragment lengths from the reference minimum to a
// dense code. BBQr picks its part length from the QR version.
var (
	qrPayloadLens  = []int{10, 1000, 5000}
	urFragmentLens = []int{ur.MinFragmentLen, 100, 1000}
	bbqrVersions   = []int{5, 20, 40}
)

// payload is n bytes that start as a PSBT does: half of it random, half
// repeated text, so that BBQr's zlib has something to compress.
func payload(n int) []byte {
	rng := mrand.NewChaCha8([32]byte{byte(n), byte(n >> 8), 'q', 'r'})
	b := make([]byte, n)
	rng.Read(b)
	copy(b, "psbt\xff")
	for i := n / 2; i < n; i++ {
		b[i] = "airsign interop "[i%16]
	}
	return b
}

func (s *suite) qrCases() {
	for _, n := range qrPayloadLens {
		data := payload(n)
		for _, frag := range urFragmentLens {
			name := fmt.Sprintf("%dB-frag%d", n, frag)
			s.run("ur-theirs-to-ours/"+name, "bc-ur", func() error { return s.urTheirsToOurs(data, frag) })
			s.run("ur-ours-to-theirs/"+name, "bc-ur", func() error { return s.urOursToTheirs(data, frag) })
		}
		for _, v := range bbqrVersions {
			name := fmt.Sprintf("%dB-v%d", n, v)
			s.run("bbqr-theirs-to-ours/"+name, "bbqr", func() error { return s.bbqrTheirsToOurs(data, v) })
			s.run("bbqr-ours-to-theirs/"+name, "bbqr", func() error { return s.bbqrOursToTheirs(data, v) })
		}
	}
	s.run("bbqr-dense/v40-3px", "qrencode", s.bbqrDense)
}

func (s *suite) urTheirsToOurs(data []byte, frag int) error {
	var parts []string
	if err := s.js.call("urEncode", map[string]any{"type": ur.TypePSBT, "payload": hex.EncodeToString(data), "maxFragment": frag}, &parts); err != nil {
		return err
	}
	dec := ur.NewDecoder()
	for i, p := range parts {
		done, err := dec.Add(p)
		if err != nil {
			return fmt.Errorf("part %d of %d (%.40s…): %v", i+1, len(parts), p, err)
		}
		if done {
			u, err := dec.Result()
			if err != nil {
				return err
			}
			got, err := ur.DecodePSBT(u)
			if err != nil {
				return err
			}
			return sameBytes(got, data)
		}
	}
	return fmt.Errorf("%d parts did not complete the message (%.0f%%)", len(parts), 100*dec.Progress())
}

func (s *suite) urOursToTheirs(data []byte, frag int) error {
	enc, err := ur.NewEncoder(ur.PSBT(data), frag, min(ur.MinFragmentLen, frag))
	if err != nil {
		return err
	}
	// As a screen animates them: every fragment but each third, then mixed
	// parts until any decoder has enough.
	var parts []string
	for i := 0; i < enc.SeqLen()*3+10; i++ {
		p := enc.NextPart()
		if i >= enc.SeqLen() || i%3 != 2 || enc.SeqLen() == 1 {
			parts = append(parts, p)
		}
		if enc.SeqLen() == 1 {
			break
		}
	}
	var got struct {
		Type    string `json:"type"`
		Payload string `json:"payload"`
	}
	if err := s.js.call("urDecode", map[string]any{"parts": parts}, &got); err != nil {
		return err
	}
	if got.Type != ur.TypePSBT {
		return fmt.Errorf("type %q, want %q", got.Type, ur.TypePSBT)
	}
	b, err := hex.DecodeString(got.Payload)
	if err != nil {
		return err
	}
	return sameBytes(b, data)
}

func (s *suite) bbqrTheirsToOurs(data []byte, version int) error {
	for _, enc := range []string{"Z", "2", "H"} {
		var parts []string
		if err := s.js.call("bbqrEncode", map[string]any{"payload": hex.EncodeToString(data), "fileType": "P",
			"encoding": enc, "minVersion": version, "maxVersion": version}, &parts); err != nil {
			return fmt.Errorf("encoding %s: %v", enc, err)
		}
		dec := bbqr.NewDecoder()
		for i, p := range parts {
			if _, err := dec.Add(p); err != nil {
				return fmt.Errorf("encoding %s: part %d of %d: %v", enc, i+1, len(parts), err)
			}
		}
		ft, got, err := dec.Result()
		if err != nil {
			return fmt.Errorf("encoding %s: %v", enc, err)
		}
		if ft != bbqr.PSBT {
			return fmt.Errorf("encoding %s: file type %v, want %v", enc, ft, bbqr.PSBT)
		}
		if err := sameBytes(got, data); err != nil {
			return fmt.Errorf("encoding %s: %v", enc, err)
		}
	}
	return nil
}

func (s *suite) bbqrOursToTheirs(data []byte, version int) error {
	for _, enc := range []bbqr.Encoding{bbqr.Zlib, bbqr.Base32, bbqr.Hex} {
		parts, err := bbqr.Split(data, bbqr.PSBT, bbqr.Options{Encoding: enc, MinVersion: version, MaxVersion: version})
		if err != nil {
			return err
		}
		var got struct {
			FileType string `json:"fileType"`
			Payload  string `json:"payload"`
		}
		if err := s.js.call("bbqrDecode", map[string]any{"parts": parts}, &got); err != nil {
			return fmt.Errorf("encoding %v: %v", enc, err)
		}
		if got.FileType != "P" {
			return fmt.Errorf("encoding %v: file type %q, want P", enc, got.FileType)
		}
		b, err := hex.DecodeString(got.Payload)
		if err != nil {
			return err
		}
		if err := sameBytes(b, data); err != nil {
			return fmt.Errorf("encoding %v: %v", enc, err)
		}
	}
	return nil
}

// bbqrDense: a BBQr series at QR version 40, as Coldcard Q and Sparrow
// show a large PSBT, drawn by an independent encoder (qrencode) at 3 pixels
// a module, must be read by the kiosk's image decoder frame by frame.
func (s *suite) bbqrDense() error {
	data := payload(12000)
	var parts []string
	if err := s.js.call("bbqrEncode", map[string]any{"payload": hex.EncodeToString(data), "fileType": "P",
		"encoding": "2", "minVersion": 40, "maxVersion": 40}, &parts); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "interop-dense-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dec := qr.NewDecoder()
	var unread []string
	for i, p := range parts {
		file := filepath.Join(dir, fmt.Sprintf("frame-%02d.png", i+1))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		out, err := exec.CommandContext(ctx, "qrencode", "-l", "L", "-v", "40", "-s", "3", "-m", "4", "-o", file, p).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("qrencode frame %d: %v: %s", i+1, err, out)
		}
		png, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		text, err := qr.DecodeFile(png)
		if err != nil {
			unread = append(unread, fmt.Sprint(i+1))
			continue
		}
		if _, err := dec.Add(string(text)); err != nil {
			return fmt.Errorf("frame %d: %v", i+1, err)
		}
	}
	if len(unread) > 0 {
		return fmt.Errorf("%d of %d frames unreadable (frames %s)", len(unread), len(parts), strings.Join(unread, ", "))
	}
	got, err := dec.Result()
	if err != nil {
		return err
	}
	return sameBytes(got.Data, data)
}

func qrencodeVersion() string {
	out, err := exec.Command("qrencode", "--version").CombinedOutput()
	if err != nil {
		return "missing"
	}
	f := strings.Fields(string(out))
	if len(f) >= 3 {
		return f[2]
	}
	return "?"
}

// sameBytes says where got first differs from want.
func sameBytes(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Errorf("got %d bytes, want %d; first difference at byte %d", len(got), len(want), i)
}

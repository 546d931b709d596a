package qr

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakePSBT is PSBT-shaped bytes of about the size of a 10-input P2WPKH PSBT
// with full previous transactions (3.8 KB): the codecs do not parse it.
func fakePSBT(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := append([]byte("psbt\xff"), make([]byte, n-5)...)
	for i := 5; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestTransferThroughImages crosses a 10-input withdrawal (3.8 KB) in every
// format as QR images:
// encode to parts, draw each as a PNG, read the PNGs back, drop 30% of the
// frames and shuffle the rest, and reassemble. UR recovers from its
// fountain parts; BBQr and pMofN are shown in a loop, so the receiver sees
// further passes with other losses until it has every part.
func TestTransferThroughImages(t *testing.T) {
	psbt := withdrawalPSBT(t, 10, 1) // 10 inputs with full previous transactions
	for _, f := range []Format{FormatUR, FormatBBQr, FormatPMofN} {
		t.Run(f.String(), func(t *testing.T) {
			opt := EncodeOptions{Format: f, URType: "psbt"}
			if f == FormatUR {
				opt.URExtraParts = 40 // a long enough loop for 30% loss
			}
			parts, err := EncodePSBT(psbt, opt)
			if err != nil {
				t.Fatal(err)
			}
			pngs, err := FramePNGs(parts, ImageOptions{Level: Low, ModulePixels: 2})
			if err != nil {
				t.Fatal(err)
			}
			var scanned []string
			for _, data := range pngs {
				frames, err := DecodeFrames(data)
				if err != nil || frames[0].Err != nil {
					t.Fatalf("reading a frame: %v %v", err, frames[0].Err)
				}
				scanned = append(scanned, string(frames[0].Text))
			}
			r := rand.New(rand.NewPCG(2, uint64(f)))
			seen := lossy(scanned, 0.3, r)
			if f != FormatUR {
				for pass := 2; pass <= 6; pass++ { // the loop repeats
					seen = append(seen, lossy(scanned, 0.3, r)...)
				}
			}
			d := NewDecoder()
			done := false
			for _, part := range seen {
				if done, err = d.Add(part); err != nil {
					t.Fatal(err)
				}
				if done {
					break
				}
			}
			if !done {
				t.Fatalf("not complete after %d of %d frames seen (%.0f%%)", len(seen), len(scanned), 100*d.Progress())
			}
			p, err := d.Result()
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != KindPSBT || p.Format != f || !bytes.Equal(p.Data, psbt) {
				t.Errorf("got %v %s %d bytes, want %v psbt %d bytes", p.Format, p.Kind, len(p.Data), f, len(psbt))
			}
		})
	}
}

func lossy(parts []string, loss float64, r *rand.Rand) []string {
	var kept []string
	for _, p := range parts {
		if r.Float64() >= loss {
			kept = append(kept, p)
		}
	}
	r.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
	return kept
}

func TestDecoderPlainAndMixing(t *testing.T) {
	psbt := fakePSBT(200, 3)
	d := NewDecoder()
	done, err := d.Add(base64.StdEncoding.EncodeToString(psbt))
	if err != nil || !done {
		t.Fatalf("done %v err %v", done, err)
	}
	p, _ := d.Result()
	if p.Kind != KindPSBT || !bytes.Equal(p.Data, psbt) {
		t.Errorf("plain base64 PSBT read as %s", p.Kind)
	}
	d = NewDecoder()
	d.Add("wpkh([73c5da0a/84'/0'/0']xpub.../<0;1>/*)")
	if p, _ := d.Result(); p.Kind != KindText {
		t.Errorf("descriptor read as %s", p.Kind)
	}

	ur, _ := EncodePSBT(psbt, EncodeOptions{Format: FormatUR, MaxFragment: 50})
	bb, _ := EncodePSBT(fakePSBT(3000, 4), EncodeOptions{Format: FormatBBQr, BBQrMaxVersion: 5})
	d = NewDecoder()
	if _, err := d.Add(ur[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Add(bb[0]); err == nil || !strings.Contains(err.Error(), "this part is bbqr, but the transfer being read is ur") {
		t.Errorf("got %v, want a format mix refusal", err)
	}
	if _, err := d.Add(strings.Repeat("A", MaxPartLen+1)); err == nil {
		t.Error("an oversized part was accepted")
	}
	if _, err := d.Result(); err == nil || !strings.Contains(err.Error(), "not complete") {
		t.Errorf("Result before done: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"ur": FormatUR, "BBQR": FormatBBQr, "base64": FormatPlain, "pmofn": FormatPMofN} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseFormat("qr"); err == nil {
		t.Error("ParseFormat(qr) succeeded")
	}
}

// The frames we draw for a transfer are read by an independent decoder
// (zbar) too, and what zbar reads reassembles with our Decoder.
func TestZbarReadsTransferFrames(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatal("zbarimg not installed (Debian package zbar-tools)")
		}
		t.Skip("zbarimg not installed (Debian package zbar-tools)")
	}
	psbt := fakePSBT(1500, 9)
	for _, f := range []Format{FormatUR, FormatBBQr} {
		parts, err := EncodePSBT(psbt, EncodeOptions{Format: f, MaxFragment: 200, BBQrMaxVersion: 10})
		if err != nil {
			t.Fatal(err)
		}
		pngs, err := FramePNGs(parts, ImageOptions{Level: Low, ModulePixels: 4})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		var paths []string
		for i, data := range pngs {
			path := filepath.Join(dir, fmt.Sprintf("frame-%03d.png", i+1))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
		out, err := exec.Command(zbar, append([]string{"--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"}, paths...)...).Output()
		if err != nil {
			t.Fatalf("%v: zbarimg: %v", f, err)
		}
		d := NewDecoder()
		done := false
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if done, err = d.Add(line); err != nil {
				t.Fatalf("%v: %v", f, err)
			}
		}
		p, err := d.Result()
		if !done || err != nil || !bytes.Equal(p.Data, psbt) {
			t.Errorf("%v: done %v err %v, equal %v", f, done, err, bytes.Equal(p.Data, psbt))
		}
	}
}

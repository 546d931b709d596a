package kioskapp

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/ui/qr"
)

// qrVersionOf is the QR version of a code drawn by qr.Image at px pixels
// a module: 17 + 4·version modules a side and a quiet zone of four.
func qrVersionOf(side, px int) int { return (side/px - 8 - 17) / 4 }

// Every choice of format and density gives frames within the density's QR
// version that read back to the PSBT, and a denser choice never needs
// more frames. The PSBT is the size of a 10-input withdrawal and does not
// compress, so BBQr falls back to base32 and fills its parts.
func TestSignedFramesFitTheirVersion(t *testing.T) {
	psbt := append([]byte("psbt\xff"), make([]byte, 3750)...)
	rand.NewChaCha8([32]byte{'s', 'i', 'g', 'n', 'e', 'd'}).Read(psbt[5:])
	for _, f := range qrFormats {
		prev := 0
		for i, d := range densities {
			version := versionFor(i, f.format)
			enc, err := encodeSigned(psbt, f.format, version)
			if err != nil {
				t.Fatalf("%s, %s: %v", f.name, d.name, err)
			}
			dec := qr.NewDecoder()
			for i, img := range enc.images {
				if v := qrVersionOf(img.Bounds().Dx(), 4); v > version {
					t.Errorf("%s, %s: frame %d is QR version %d", f.name, d.name, i+1, v)
				}
				text, err := qr.DecodeImage(img)
				if err != nil {
					t.Fatalf("%s, %s: frame %d: %v", f.name, d.name, i+1, err)
				}
				if done, err := dec.Add(string(text)); err != nil || done {
					break
				}
			}
			p, err := dec.Result()
			if err != nil || p.Format != f.format || !bytes.Equal(p.Data, psbt) {
				t.Fatalf("%s, %s: read back %v, %d bytes, %v; want %v, the PSBT", f.name, d.name, p.Format, len(p.Data), err, f.format)
			}
			// Saved files hold each part once; the loop shown is odd.
			seen := map[string]bool{}
			for _, p := range enc.files {
				if seen[p] {
					t.Errorf("%s, %s: a part saved twice", f.name, d.name)
				}
				seen[p] = true
			}
			if n := len(enc.parts); n > 1 && n%2 == 0 {
				t.Errorf("%s, %s: a loop of %d frames, even", f.name, d.name, n)
			}
			if prev != 0 && len(enc.parts) > prev {
				t.Errorf("%s, %s: %d frames, more than the sparser choice's %d", f.name, d.name, len(enc.parts), prev)
			}
			prev = len(enc.parts)
		}
	}
}

// The signed screen shows BBQr at QR version 17 for airsign's coordinator
// (qr.AirsignVersion, fewer frames); choosing another wallet shows the
// same PSBT as UR within version 15, which other wallets' cameras read.
func TestSignedScreenFormats(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	signed := s.signThroughTheWindow(t, a, w)
	for _, c := range []struct {
		choose, prefix string
		format         qr.Format
		version        int
	}{
		{"", "B$", qr.FormatBBQr, qr.AirsignVersion},
		{"For another wallet (UR)", "UR:CRYPTO-PSBT/", qr.FormatUR, qr.DefaultVersion},
		{"For airsign coordinator (BBQr)", "B$", qr.FormatBBQr, qr.AirsignVersion},
	} {
		if c.choose != "" {
			sel := find(w.Content(), func(s *widget.Select) bool { return strings.HasPrefix(s.Selected, "For ") })
			sel.SetSelected(c.choose)
		}
		text, err := qr.DecodeImage(a.anim.Image.Image)
		if err != nil || !strings.HasPrefix(string(text), c.prefix) {
			t.Fatalf("after choosing %q the first frame is %.20q, %v; want %s…", c.choose, text, err, c.prefix)
		}
		if v := qrVersionOf(a.anim.Image.Image.Bounds().Dx(), 4); v > c.version {
			t.Errorf("after choosing %q the first frame is QR version %d, want at most %d", c.choose, v, c.version)
		}
		if p := readShownQR(t, a); p.Format != c.format || !bytes.Equal(p.Data, signed.PSBT) {
			t.Fatalf("after choosing %q the frames carry %v, %d bytes; want %v, the signed PSBT", c.choose, p.Format, len(p.Data), c.format)
		}
	}
	test.Tap(findButton(w, "Done"))
}

// signThroughTheWindow takes the station's withdrawal to the signed
// screen with shares 1 and 3.
func (s *station) signThroughTheWindow(t *testing.T, a *App, w fyne.Window) core.Signed {
	t.Helper()
	s.signToShares(t, a, w)
	scan(t, w, string(s.shares[0]))
	scan(t, w, string(s.shares[2]))
	return wantScreen[core.Signed](t, a)
}

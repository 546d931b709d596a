package qr

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"airsign/ui/qr/bbqr"
)

// denseSeries is a BBQr series forced to QR version 40, the densest code,
// as another wallet (Coinkite's bbqr at its largest setting) sends it:
// 40,000 random bytes (incompressible, so base32) in 15 parts.
func denseSeries(tb testing.TB) []string {
	tb.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 40_000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	parts, err := bbqr.Split(data, bbqr.PSBT, bbqr.Options{MinVersion: 40, MaxVersion: 40})
	if err != nil {
		tb.Fatal(err)
	}
	if v := bbqr.VersionFor(parts); v != 40 {
		tb.Fatalf("series at version %d, want 40", v)
	}
	return parts
}

// Issue 21: BBQr frames at version 40 drawn at 3 px a module (a 555 px
// square) read "0 frames read, 15 unreadable" on the kiosk while zbar read
// all 15: the dimension the finder patterns' distance gave was two
// versions off. Every frame of the animation must read, as zbar reads them.
func TestDenseBBQrFrames(t *testing.T) {
	parts := denseSeries(t)
	if testing.Short() {
		parts = parts[:3]
	}
	gifData, err := AnimatedGIF(parts, ImageOptions{Level: Low, ModulePixels: 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := DecodeFrames(gifData)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for i, f := range frames {
		switch {
		case f.Err != nil:
			t.Errorf("frame %d: %v", f.Index, f.Err)
		case string(f.Text) != parts[i]:
			t.Errorf("frame %d read %.40q..., want %.40q...", f.Index, f.Text, parts[i])
		default:
			read++
		}
	}
	if read != len(parts) {
		t.Errorf("%d of %d version-40 frames read", read, len(parts))
	}
}

// Every version from 7 (the first with version information) to 40, at 3
// and 2 px a module, drawn by our encoder, must read back; zbar checks that
// the images themselves are sound, so a miss is ours.
func TestDenseVersions(t *testing.T) {
	zbar, _ := exec.LookPath("zbarimg")
	dir := t.TempDir()
	for v := 7; v <= 40; v++ {
		if testing.Short() && v%6 != 4 {
			continue
		}
		// Alphanumeric text that fills version v at level L.
		text := strings.Repeat("B$2P", bbqr.Capacity(v))[:bbqr.Capacity(v)]
		for _, px := range []int{3, 2} {
			name := fmt.Sprintf("v%d-%dpx", v, px)
			data, err := PNG([]byte(text), ImageOptions{Level: Low, ModulePixels: px})
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeFile(data)
			if err != nil || string(got) != text {
				if zbar != "" {
					path := filepath.Join(dir, name+".png")
					if err := os.WriteFile(path, data, 0o600); err != nil {
						t.Fatal(err)
					}
					out, _ := exec.Command(zbar, "--quiet", "--raw", path).Output()
					t.Logf("%s: zbar read it: %v", name, strings.TrimSuffix(string(out), "\n") == text)
				}
				t.Errorf("%s: read %d bytes (%v), want the %d drawn", name, len(got), err, len(text))
			}
		}
	}
}

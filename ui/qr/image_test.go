package qr

import (
	"bytes"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestPNGRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opt     ImageOptions
	}{
		{"share text", "AIRSIGN-SHARE:AEBQGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA", ImageOptions{Level: Medium}},
		{"descriptor", "wpkh([73c5da0a/84'/1'/0']tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M/<0;1>/*)#2ag6nxcd", ImageOptions{Level: Low, ModulePixels: 3}},
		{"high ec", "1", ImageOptions{Level: High}},
		{"quartile", strings.Repeat("AB12", 100), ImageOptions{Level: Quartile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := PNG([]byte(tt.content), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeFile(data)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.content {
				t.Errorf("got %q, want %q", got, tt.content)
			}
		})
	}
}

func TestDecodeRefusals(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	var blankPNG bytes.Buffer
	png.Encode(&blankPNG, blank)

	// A PNG header that claims 100000x100000 pixels must be refused from its
	// header alone, before anything is allocated for the pixels.
	var huge bytes.Buffer
	png.Encode(&huge, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := huge.Bytes()
	bomb[16], bomb[17], bomb[18], bomb[19] = 0, 1, 0x86, 0xa0
	bomb[20], bomb[21], bomb[22], bomb[23] = 0, 1, 0x86, 0xa0
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29])) // IHDR stays well-formed

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not an image", []byte("hello"), "not a PNG, JPEG or GIF image"},
		{"blank", blankPNG.Bytes(), "no QR code found"},
		{"too many pixels", bomb, "100000x100000"},
		{"too many bytes", make([]byte, MaxImageBytes+1), "more than the"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFile(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := PNG(nil, ImageOptions{}); err == nil {
		t.Error("PNG(nil) succeeded, want an error")
	}
	if _, err := PNG([]byte("x"), ImageOptions{Level: 9}); err == nil {
		t.Error("PNG with level 9 succeeded, want an error")
	}
}

// An inverted code (light modules on dark) is read through the retry path.
func TestDecodeInverted(t *testing.T) {
	img, err := Image([]byte("INVERTED"), ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	inv := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			inv.SetGray(x, y, color.Gray{Y: 255 - g.Y})
		}
	}
	got, err := DecodeImage(inv)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "INVERTED" {
		t.Errorf("got %q, want %q", got, "INVERTED")
	}
}

// Images we write must read with an independent decoder (zbar), not only ours.
// CI installs zbar-tools and sets AIRSIGN_REQUIRE_TOOLS=1 so that a missing
// decoder fails there instead of skipping.
func TestZbarReadsOurPNG(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatal("zbarimg not installed (Debian package zbar-tools)")
		}
		t.Skip("zbarimg not installed (Debian package zbar-tools)")
	}
	const content = "AIRSIGN-SHARE:AEBQGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA"
	data, err := PNG([]byte(content), ImageOptions{Level: Medium})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", path).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got := strings.TrimRight(string(out), "\n"); got != content {
		t.Errorf("zbarimg read %q, want %q", got, content)
	}
}

const benchShare = "AIRSIGN-SHARE:AFXWIEQEFL4N2QPQDUWBYBPW55AW5PTCAKZCOISGKBNERHLNBYT5LQIINEEX5FGSR23BW7VUMA"

func BenchmarkPNGShare(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := PNG([]byte(benchShare), ImageOptions{Level: Medium}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFileShare(b *testing.B) {
	data, err := PNG([]byte(benchShare), ImageOptions{Level: Medium})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeFile(data); err != nil {
			b.Fatal(err)
		}
	}
}

// Every code we draw must read back: a ceremony refuses to finish when a
// share card does not. Random share-sized payloads at each level, each read
// through DecodeFile; gozxing's detector alone misses about 1 in 130 of
// these.
func TestDecodeOwnImages(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 50
	}
	for i := 0; i < n; i++ {
		payload := make([]byte, 30+r.IntN(17))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		text := "AIRSIGN-SHARE:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(payload)
		level := Level(i % 4)
		data, err := PNG([]byte(text), ImageOptions{Level: level, ModulePixels: 2 + i%7})
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeFile(data)
		if err != nil {
			t.Fatalf("code %d (level %d): %v", i, level, err)
		}
		if string(got) != text {
			t.Fatalf("code %d: got %q, want %q", i, got, text)
		}
	}
}

// Codes drawn by an independent encoder (Debian's qrencode) must read with
// ours: share text, a UR part and a BBQr part, at each error-correction
// level. CI installs qrencode and sets AIRSIGN_REQUIRE_TOOLS=1.
func TestReadQrencodePNG(t *testing.T) {
	enc, err := exec.LookPath("qrencode")
	if err != nil {
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatal("qrencode not installed (Debian package qrencode)")
		}
		t.Skip("qrencode not installed (Debian package qrencode)")
	}
	contents := []string{
		"AIRSIGN-SHARE:AEBQGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA",
		"UR:CRYPTO-PSBT/3-9/LPAXASCFADCYLDWEHSHDDKHDDLSSPATAHLPDEYMHNJHTDSBBTDWRRKTNTDTKBWYLDPEPASPASFYQZTP",
		"B$ZP0A03" + strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 6),
	}
	dir := t.TempDir()
	for i, content := range contents {
		for _, level := range []string{"L", "M", "Q", "H"} {
			path := filepath.Join(dir, fmt.Sprintf("%d-%s.png", i, level))
			if out, err := exec.Command(enc, "-l", level, "-s", "4", "-o", path, content).CombinedOutput(); err != nil {
				t.Fatalf("qrencode: %v %s", err, out)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeFile(data)
			if err != nil {
				t.Errorf("%d at level %s: %v", i, level, err)
				continue
			}
			if string(got) != content {
				t.Errorf("%d at level %s: got %q, want %q", i, level, got, content)
			}
		}
	}
}

package qr

import (
	"bytes"
	"encoding/base32"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// gozxingAlone is the baseline the camera numbers are measured against:
// gozxing's detector with its hybrid binarizer and no hints, the read most
// Go programs do.
func gozxingAlone(img image.Image) ([]byte, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		return nil, err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return nil, err
	}
	return []byte(res.GetText()), nil
}

// cameraSetFloor is the share of the fixed camera set (seed 7, 20 frames a
// version group) that DecodeImage and DecodeFrame must read, per version
// group, so that a change to the ladder cannot lose ground unnoticed.
// Issue 4 asks for 99% in every group: 0.99 means all 20 frames. Versions
// 16 and 17 (3.6 and 3.4 px a module) are the denser defaults of issue 22.
// Before the fine finder search, the equalized module reads and the wider
// choice of dimensions (see camread) DecodeImage read 19, 18 and 14 of the
// v15, v16 and v17 frames and DecodeFrame 19, 15 and 13; now all of them.
var cameraSetFloor = map[string]struct{ image, frame float64 }{
	"v5-6":   {0.99, 0.99},
	"v7-8":   {0.99, 0.99},
	"v9-10":  {0.99, 0.99},
	"v11-12": {0.99, 0.99},
	"v13-14": {0.99, 0.99},
	"v15":    {0.99, 0.99},
	"v16":    {0.99, 0.99},
	"v17":    {0.99, 0.99},
}

// TestDecodeCameraSet reads a fixed synthetic camera set (synth_test.go)
// with DecodeImage and DecodeFrame and checks the share decoded per
// version group; every text read must be the one drawn. From version 15
// up it logs what gozxing alone and zbar read of the same frames beside
// ours. A correctness floor only: timing is in BenchmarkDecodeCamera.
func TestDecodeCameraSet(t *testing.T) {
	perGroup := 20
	if testing.Short() {
		perGroup = 6
	}
	zbar, _ := exec.LookPath("zbarimg")
	dir := t.TempDir()
	sets := camSet(7, perGroup)
	for g, set := range sets {
		name := camGroupName(camVersionGroups[g])
		others := camVersionGroups[g][0] >= 15
		var okImage, okFrame, okZXing, okZbar int
		for i, fr := range set {
			for _, r := range []struct {
				who  string
				read func(image.Image) ([]byte, error)
				n    *int
			}{{"DecodeImage", DecodeImage, &okImage}, {"DecodeFrame", DecodeFrame, &okFrame}} {
				got, err := r.read(fr.Img)
				switch {
				case err == nil && string(got) == fr.Text:
					*r.n++
				case err == nil:
					t.Errorf("%s frame %d (%s): %s read %q, want %q", name, i, fr.Params, r.who, got, fr.Text)
				default:
					t.Logf("%s frame %d (%s): %s: %v", name, i, fr.Params, r.who, err)
				}
			}
			if !others {
				continue
			}
			if got, err := gozxingAlone(fr.Img); err == nil && string(got) == fr.Text {
				okZXing++
			}
			if zbar != "" && zbarReads(t, zbar, dir, fr) {
				okZbar++
			}
		}
		rate := func(n int) float64 { return float64(n) / float64(len(set)) }
		if others {
			t.Logf("%s: DecodeImage %d/%d, DecodeFrame %d/%d, gozxing alone %d/%d, zbar %d/%d (0 without zbarimg)", name, okImage, len(set), okFrame, len(set), okZXing, len(set), okZbar, len(set))
		} else {
			t.Logf("%s: DecodeImage %d/%d, DecodeFrame %d/%d", name, okImage, len(set), okFrame, len(set))
		}
		floor := cameraSetFloor[name]
		if !testing.Short() && (rate(okImage) < floor.image || rate(okFrame) < floor.frame) {
			t.Errorf("%s: DecodeImage read %d and DecodeFrame %d of %d camera frames, want at least %.0f%% and %.0f%%", name, okImage, okFrame, len(set), 100*floor.image, 100*floor.frame)
		}
	}
}

// zbarReads says whether zbar reads fr's text, from a PNG of it in dir.
func zbarReads(t *testing.T, zbar, dir string, fr camFrame) bool {
	t.Helper()
	path := filepath.Join(dir, "frame.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, fr.Img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", path).Output()
	return err == nil && string(bytes.TrimSuffix(out, []byte("\n"))) == fr.Text
}

// The synthetic set is deterministic: the same seed draws the same frames.
func TestCameraSetDeterministic(t *testing.T) {
	a := camSynth(rand.New(rand.NewPCG(3, 4)), "UR:CRYPTO-PSBT/1-3/LPADAXCFAXHLCYLDWEHSHD")
	b := camSynth(rand.New(rand.NewPCG(3, 4)), "UR:CRYPTO-PSBT/1-3/LPADAXCFAXHLCYLDWEHSHD")
	if a.Params != b.Params || string(a.Img.Pix) != string(b.Img.Pix) {
		t.Fatal("the same seed drew two different frames")
	}
	if a.Img.Bounds().Dx() != camWidth || a.Img.Bounds().Dy() != camHeight {
		t.Fatalf("frame is %v, want %dx%d", a.Img.Bounds(), camWidth, camHeight)
	}
}

// The content generator hits each version it is asked for, with UR and
// BBQr parts.
func TestCameraContentVersions(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for v := 5; v <= 17; v++ {
		for _, bb := range []bool{false, true} {
			text := camContent(r, v, bb)
			if _, _, got := camModules(text); got != v {
				t.Errorf("%d chars (bbqr %v) drew version %d, want %d", len(text), bb, got, v)
			}
		}
	}
}

// cleanCodes are the share-card images TestDecodeOwnImages reads: random
// share-sized payloads at each level and 2 to 8 pixels a module.
var cleanCodes = sync.OnceValue(func() (out []struct {
	img  image.Image
	text string
}) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		payload := make([]byte, 30+r.IntN(17))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		text := "AIRSIGN-SHARE:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(payload)
		img, err := Image([]byte(text), ImageOptions{Level: Level(i % 4), ModulePixels: 2 + i%7})
		if err != nil {
			panic(err)
		}
		out = append(out, struct {
			img  image.Image
			text string
		}{img, text})
	}
	return out
})

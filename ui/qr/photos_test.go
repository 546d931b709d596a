package qr

import (
	"bytes"
	"encoding/json"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The real-photo set: phone photos of QR codes (rotation, perspective,
// blur, glare, curved surfaces, inverted codes) from the jsQR project's
// end-to-end tests (Apache-2.0, see ../shared/vectors/qr-photos), stored
// as grey JPEGs at quality 85 to keep the set at 3 MB. <name>.json holds
// the code's text and bytes, or null where jsQR expects no read; the set
// keeps every photo with a code and 8 without (for the give-up benchmark).
const photoDir = "testdata/photos"

type photo struct {
	name string
	img  image.Image
	want *struct {
		Data       string `json:"data"`
		BinaryData []byte `json:"binaryData"`
	}
}

func loadPhotos(tb testing.TB) []photo {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join(photoDir, "*.jpg"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no photos in %s: %v", photoDir, err)
	}
	var out []photo
	for _, n := range names {
		p := photo{name: strings.TrimSuffix(filepath.Base(n), ".jpg")}
		js, err := os.ReadFile(strings.TrimSuffix(n, ".jpg") + ".json")
		if err != nil {
			tb.Fatal(err)
		}
		var w struct {
			Data       string `json:"data"`
			BinaryData []int  `json:"binaryData"`
		}
		var raw json.RawMessage
		if err := json.Unmarshal(js, &raw); err != nil {
			tb.Fatalf("%s: %v", n, err)
		}
		if string(raw) != "null" {
			if err := json.Unmarshal(js, &w); err != nil {
				tb.Fatalf("%s: %v", n, err)
			}
			p.want = &struct {
				Data       string `json:"data"`
				BinaryData []byte `json:"binaryData"`
			}{Data: w.Data}
			for _, b := range w.BinaryData {
				p.want.BinaryData = append(p.want.BinaryData, byte(b))
			}
		}
		data, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		if p.img, _, err = image.Decode(bytes.NewReader(data)); err != nil {
			tb.Fatalf("%s: %v", n, err)
		}
		out = append(out, p)
	}
	return out
}

// matches says whether got is the photo's code: its bytes, or its text
// where the code is text (decoders turn byte-mode Latin-1 or Shift JIS
// into UTF-8 text, so a binary code compares by bytes only).
func (p photo) matches(got []byte) bool {
	if p.want == nil || got == nil {
		return false
	}
	return bytes.Equal(got, p.want.BinaryData) || (p.want.Data != "" && string(got) == p.want.Data)
}

// Measured on the set (docs/BENCHMARKS.md): of the 53 photos with a code,
// zbar 0.23 reads 38, gozxing alone 43, DecodeImage and DecodeFrame 48
// each, and every one zbar or gozxing reads. The floors are those counts;
// the per-photo check below is the stronger one.
const (
	photoFloorImage = 48
	photoFloorFrame = 48
)

// TestRealPhotos reads every photo with our decoder (the file ladder and the
// camera frame read), gozxing alone and zbar: each photo that zbar or
// gozxing reads must read with ours to the same content, and a text our
// decoder reads must be the photo's.
func TestRealPhotos(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil && os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
		t.Fatal("zbarimg not installed (Debian package zbar-tools)")
	}
	var nImage, nFrame, nZbar, nGozxing, withCode int
	for _, p := range loadPhotos(t) {
		ours, _ := DecodeImage(p.img)
		frame, _ := DecodeFrame(p.img)
		gz, _ := gozxingAlone(p.img)
		var zb []byte
		if zbar != "" {
			path := filepath.Join(photoDir, p.name+".jpg")
			if out, err := exec.Command(zbar, "--quiet", "--raw", path).Output(); err == nil {
				zb = bytes.TrimSuffix(out, []byte("\n"))
			}
		}
		if p.want == nil {
			continue
		}
		withCode++
		for _, r := range []struct {
			who string
			got []byte
			n   *int
		}{{"DecodeImage", ours, &nImage}, {"DecodeFrame", frame, &nFrame}, {"zbar", zb, &nZbar}, {"gozxing", gz, &nGozxing}} {
			if p.matches(r.got) {
				*r.n++
			}
		}
		if p.matches(zb) || p.matches(gz) {
			if !p.matches(ours) {
				t.Errorf("%s: zbar or gozxing reads it, DecodeImage read %.60q", p.name, ours)
			}
			if !p.matches(frame) {
				t.Errorf("%s: zbar or gozxing reads it, DecodeFrame read %.60q", p.name, frame)
			}
		}
		for _, got := range [][]byte{ours, frame} {
			if got != nil && p.want.Data != "" && !p.matches(got) {
				t.Errorf("%s: read %.60q, want %.60q", p.name, got, p.want.Data)
			}
		}
	}
	t.Logf("%d photos with a code: DecodeImage %d, DecodeFrame %d, zbar %d, gozxing %d", withCode, nImage, nFrame, nZbar, nGozxing)
	if nImage < photoFloorImage || nFrame < photoFloorFrame {
		t.Errorf("read %d (DecodeImage) and %d (DecodeFrame) of %d photos, want at least %d and %d", nImage, nFrame, withCode, photoFloorImage, photoFloorFrame)
	}
}

// BenchmarkPhotoGiveUp is the time to give up on a photo no decoder reads
// (the photos of the set that zbar, gozxing and ours all miss): the camera
// read, then the file ladder on the same photos.
//
//	go test -run '^$' -bench PhotoGiveUp -benchtime 200x ./ui/qr/
func BenchmarkPhotoGiveUp(b *testing.B) {
	var miss []image.Image
	for _, p := range loadPhotos(b) {
		if text, _ := DecodeImage(p.img); text == nil {
			if gz, _ := gozxingAlone(p.img); gz == nil {
				miss = append(miss, p.img)
			}
		}
	}
	for _, c := range []struct {
		name string
		read func(image.Image) ([]byte, error)
	}{{"frame", DecodeFrame}, {"image", DecodeImage}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := c.read(miss[i%len(miss)]); err == nil {
					b.Fatal("read a photo no decoder reads")
				}
			}
		})
	}
}

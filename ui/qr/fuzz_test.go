package qr

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// Images arrive from removable media and cameras: DecodeFile must refuse
// what it cannot read, without panicking or allocating for a size the header
// merely claims.
func FuzzDecodeFile(f *testing.F) {
	code, err := PNG([]byte("AIRSIGN"), ImageOptions{ModulePixels: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(code)
	var tiny bytes.Buffer
	png.Encode(&tiny, image.NewGray(image.Rect(0, 0, 3, 3)))
	f.Add(tiny.Bytes())
	f.Add([]byte("GIF89a"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		// Bound the work: a small image header may still claim a large
		// canvas, which DecodeFile caps, but the fuzzer need not spend its
		// time on that.
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<20 {
			return
		}
		got, err := DecodeFile(data)
		if err == nil && len(got) == 0 {
			t.Error("decoded an empty QR payload without error")
		}
	})
}

package qr

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
)

// pngHeader is a PNG's signature and IHDR chunk, all image.DecodeConfig
// reads: an image that claims w×h pixels without carrying them.
func pngHeader(w, h int, depth, colorType byte) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, uint32(w))
	binary.Write(&ihdr, binary.BigEndian, uint32(h))
	ihdr.Write([]byte{depth, colorType, 0, 0, 0})
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(ihdr.Len()-4))
	b.Write(ihdr.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return b.Bytes()
}

// An image is refused by what its pixels take once decoded, before they are
// allocated: a small 16-bit PNG once took 679 MB to read.
func TestImageDecodedSizeCap(t *testing.T) {
	const gray, rgba = 0, 6
	tests := []struct {
		name   string
		data   []byte
		refuse string // a fragment of the refusal; "" when the size passes
	}{
		{"6324x6324 16-bit RGBA (the 311 KB PNG that took 679 MB)", pngHeader(6324, 6324, 16, rgba), "crop or shrink it"},
		{"a 12-megapixel 16-bit RGBA still", pngHeader(4000, 3000, 16, rgba), "takes 91 MiB once decoded (8 bytes a pixel)"},
		{"a 12-megapixel 8-bit RGBA still", pngHeader(4000, 3000, 8, rgba), ""},
		{"4096x4096 8-bit gray", pngHeader(4096, 4096, 8, gray), ""},
		{"4097x4096 8-bit gray", pngHeader(4097, 4096, 8, gray), "crop or shrink it"},
		{"a side too long", pngHeader(8193, 10, 8, gray), "crop or shrink it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := DecodeFile(tc.data)
			runtime.ReadMemStats(&after)
			if tc.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refuse) {
					t.Fatalf("got %v, want a refusal saying %q", err, tc.refuse)
				}
				if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
					t.Errorf("the refusal allocated %d bytes; the pixels must not be", n)
				}
				return
			}
			// The size passes; the header carries no pixels, so reading
			// them fails after the check, not at it.
			if err == nil || !strings.Contains(err.Error(), "reading png image") {
				t.Fatalf("got %v, want the size accepted and the missing pixels reported", err)
			}
		})
	}
}

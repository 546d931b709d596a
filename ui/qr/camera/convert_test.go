package camera

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/jpeg"
	"testing"

	"airsign/ui/qr"
)

// yuyv4x2 is a 4x2 YUYV frame: Y0 U Y1 V per pair of pixels, with chroma
// far from the luminance so a sample taken from the wrong byte shows.
var yuyv4x2 = []byte{
	10, 0xAA, 20, 0x55, 30, 0xAA, 40, 0x55,
	50, 0xAA, 60, 0x55, 70, 0xAA, 80, 0x55,
}

func TestYUYVToGray(t *testing.T) {
	want := []byte{10, 20, 30, 40, 50, 60, 70, 80}
	padded := append(append(append([]byte{}, yuyv4x2[:8]...), 0, 0, 0, 0), append(yuyv4x2[8:], 0, 0, 0, 0)...)
	for _, tt := range []struct {
		name  string
		frame []byte
	}{
		{"packed", yuyv4x2},
		{"padded rows", padded}, // 12 bytes a row
	} {
		dst := image.NewGray(image.Rect(0, 0, 4, 2))
		stride := rowStride(len(tt.frame), 4, 2, 2)
		if err := yuyvToGray(dst, tt.frame, stride); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !bytes.Equal(dst.Pix, want) {
			t.Errorf("%s (stride %d): got %v, want %v", tt.name, stride, dst.Pix, want)
		}
	}
	dst := image.NewGray(image.Rect(0, 0, 4, 2))
	if allocs := testing.AllocsPerRun(100, func() { yuyvToGray(dst, yuyv4x2, 8) }); allocs != 0 {
		t.Errorf("converting into a reused image allocates %v times a frame, want 0", allocs)
	}
	// Too short, or far too long: a frame of another size than was set up.
	for _, bad := range [][]byte{nil, yuyv4x2[:15], make([]byte, 1000)} {
		err := yuyvToGray(dst, bad, rowStride(len(bad), 4, 2, 2))
		if !errors.Is(err, ErrBadFrame) {
			t.Errorf("%d-byte frame: got %v, want %v", len(bad), err, ErrBadFrame)
		}
	}
}

func TestGreyToGray(t *testing.T) {
	dst := image.NewGray(image.Rect(0, 0, 3, 2))
	frame := []byte{1, 2, 3, 9, 4, 5, 6, 9} // rows padded to 4
	if err := greyToGray(dst, frame, rowStride(len(frame), 3, 2, 1)); err != nil {
		t.Fatal(err)
	}
	if want := []byte{1, 2, 3, 4, 5, 6}; !bytes.Equal(dst.Pix, want) {
		t.Errorf("got %v, want %v", dst.Pix, want)
	}
	if err := greyToGray(dst, frame[:4], 4); !errors.Is(err, ErrBadFrame) {
		t.Errorf("short frame: got %v, want %v", err, ErrBadFrame)
	}
}

// TestMJPEGWithoutHuffmanTables reads a QR code from a JPEG whose Huffman
// tables were cut out, as UVC cameras send MJPEG frames.
func TestMJPEGWithoutHuffmanTables(t *testing.T) {
	code, err := qr.Image([]byte("ur:crypto-psbt/test"), qr.ImageOptions{ModulePixels: 6})
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(code.Bounds())
	draw.Draw(rgba, rgba.Bounds(), code, code.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	dht, ok := findSegment(full, 0xC4)
	if !ok {
		t.Fatal("image/jpeg wrote no DHT segment")
	}
	at := bytes.Index(full, dht)
	frame := append(append([]byte{}, full[:at]...), full[at+len(dht):]...)
	if _, err := jpeg.Decode(bytes.NewReader(frame)); err == nil {
		t.Fatal("image/jpeg read a JPEG without Huffman tables; the splice is not needed")
	}

	m, err := newMJPEG()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{frame, full} {
		g, err := m.decode(f)
		if err != nil {
			t.Fatal(err)
		}
		if g.Bounds() != code.Bounds() {
			t.Errorf("got %v, want %v", g.Bounds(), code.Bounds())
		}
		text, err := qr.DecodeImage(g)
		if err != nil || string(text) != "ur:crypto-psbt/test" {
			t.Errorf("reading the decoded frame: %q, %v", text, err)
		}
	}
	for _, bad := range [][]byte{nil, []byte("not a jpeg"), frame[:len(frame)/2]} {
		if _, err := m.decode(bad); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%d-byte frame: got %v, want %v", len(bad), err, ErrBadFrame)
		}
	}
}

package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// Frame conversions to luminance: QR codes are read from brightness alone,
// so a camera's colour is dropped as early, and as cheaply, as possible.

// yuyvToGray copies the Y samples of a packed YUYV 4:2:2 frame (Y0 U Y1 V
// for each pair of pixels) into dst, whose bounds give the frame's size;
// stride is the frame's bytes per row.
func yuyvToGray(dst *image.Gray, src []byte, stride int) error {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if err := checkBuffer("YUYV", len(src), w, h, 2, stride); err != nil {
		return err
	}
	for y := range h {
		row := src[y*stride : y*stride+2*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := range out {
			out[x] = row[2*x]
		}
	}
	return nil
}

// greyToGray copies an 8-bit greyscale frame into dst.
func greyToGray(dst *image.Gray, src []byte, stride int) error {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if err := checkBuffer("GREY", len(src), w, h, 1, stride); err != nil {
		return err
	}
	for y := range h {
		copy(dst.Pix[y*dst.Stride:y*dst.Stride+w], src[y*stride:y*stride+w])
	}
	return nil
}

// checkBuffer says whether a frame of n bytes holds h rows of stride bytes,
// each with w pixels of bpp bytes. A frame more than a row longer is not
// the size the device was set up for (see OpenV4L2), and is refused rather
// than read as noise.
func checkBuffer(format string, n, w, h, bpp, stride int) error {
	if stride < w*bpp || h > 0 && n < stride*(h-1)+w*bpp {
		return fmt.Errorf("%w: %d bytes with rows of %d are too few for %dx%d %s", ErrBadFrame, n, stride, w, h, format)
	}
	if n > stride*(h+1) {
		return fmt.Errorf("%w: %d bytes are more than %dx%d %s takes", ErrBadFrame, n, w, h, format)
	}
	return nil
}

// maxRowPadding is the most bytes a driver adds to a row to align it.
const maxRowPadding = 256

// rowStride is the bytes per row of an uncompressed frame of n bytes:
// drivers may pad rows for alignment, which shows as a frame a little
// longer than w*bpp*h that divides evenly into h rows.
func rowStride(n, w, h, bpp int) int {
	if h > 0 && n > w*bpp*h && n%h == 0 && n/h-w*bpp <= maxRowPadding {
		return n / h
	}
	return w * bpp
}

// mjpeg decodes Motion-JPEG frames to luminance. UVC cameras leave the
// Huffman tables out of their frames and mean the standard ones (JPEG
// Annex K.3), which image/jpeg will not assume; they are put back.
type mjpeg struct {
	dht []byte // a DHT segment with the standard tables
	buf []byte // a frame with dht spliced in, reused
}

func newMJPEG() (*mjpeg, error) {
	dht, err := standardDHT()
	if err != nil {
		return nil, err
	}
	return &mjpeg{dht: dht}, nil
}

// decode reads one frame, refusing one larger than the limits before its
// pixels are allocated.
func (m *mjpeg) decode(frame []byte) (*image.Gray, error) {
	if len(frame) < 4 || frame[0] != 0xFF || frame[1] != 0xD8 {
		return nil, fmt.Errorf("%w: %d bytes without a JPEG start marker", ErrBadFrame, len(frame))
	}
	data := frame
	if _, ok := findSegment(frame, 0xC4); !ok {
		m.buf = append(append(append(m.buf[:0], frame[:2]...), m.dht...), frame[2:]...)
		data = m.buf
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	if err := checkSize(image.Rect(0, 0, cfg.Width, cfg.Height)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	switch img := img.(type) {
	case *image.YCbCr: // the Y plane is already a greyscale image
		return &image.Gray{Pix: img.Y, Stride: img.YStride, Rect: img.Rect}, nil
	case *image.Gray:
		return img, nil
	}
	return nil, fmt.Errorf("%w: a %T JPEG, not YCbCr or greyscale", ErrBadFrame, img)
}

// standardDHT takes the DHT segment image/jpeg writes for a colour image:
// the encoder uses the four standard tables of Annex K.3.
func standardDHT() ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	seg, ok := findSegment(b, 0xC4)
	if !ok {
		return nil, errors.New("image/jpeg wrote no Huffman tables")
	}
	return seg, nil
}

// findSegment walks a JPEG's header segments up to the start of scan and
// returns the first with the given marker, marker bytes included.
func findSegment(b []byte, marker byte) ([]byte, bool) {
	pos := 2 // after SOI
	for pos+4 <= len(b) {
		if b[pos] != 0xFF {
			return nil, false
		}
		m := b[pos+1]
		switch {
		case m == 0xFF: // fill byte
			pos++
			continue
		case m == 0x01 || m >= 0xD0 && m <= 0xD7: // no length
			pos += 2
			continue
		}
		n := int(b[pos+2])<<8 | int(b[pos+3])
		if n < 2 || pos+2+n > len(b) {
			return nil, false
		}
		if m == marker {
			return b[pos : pos+2+n], true
		}
		if m == 0xDA { // start of scan: no more header segments
			return nil, false
		}
		pos += 2 + n
	}
	return nil, false
}

package qr

// Reading codes from camera frames. gozxing samples one binarized pixel per
// module; on a camera frame (sensor noise, blur, low contrast) a good share
// of those pixels land on the wrong side of the threshold and the code fails
// its Reed-Solomon check although the finder patterns were found. So frames
// are read in three steps, cheapest first:
//
//  1. Large frames are shrunk by area averaging (1280x720 to 640x360), which
//     halves the noise and makes binarizing and finding the finder patterns
//     four times cheaper.
//  2. The finder and alignment patterns found there give the code's grid;
//     gozxing's own sampling is tried first, then every module is re-read
//     as the average luminance around its centre in the full-resolution
//     frame and thresholded against its neighbourhood of modules, at the
//     dimension the detector estimated and at its neighbours.
//  3. Then the plain reads at full resolution (pure barcode, each
//     binarizer), inverted, and rotated by 90°.

import (
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	zxdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// plane is an 8-bit luminance image, 0 black to 255 white, row-major.
type plane struct {
	pix  []byte
	w, h int
}

// lumaPlane converts img to luminance without going through image.At for
// the layouts cameras and our own encoders produce. Transparent pixels are
// composited over white, as gozxing does.
func lumaPlane(img image.Image) plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := plane{w: w, h: h}
	switch m := img.(type) {
	case *image.Gray:
		if m.Stride == w {
			p.pix = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):][:w*h]
			return p
		}
		p.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			copy(p.pix[y*w:(y+1)*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return p
	case *image.YCbCr:
		p.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			copy(p.pix[y*w:(y+1)*w], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
		return p
	case *image.RGBA:
		p.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				c := row[4*x : 4*x+4 : 4*x+4]
				// Premultiplied: composite over white by adding 255-a.
				lum := (uint32(c[0]) + 2*uint32(c[1]) + uint32(c[2])) / 4
				p.pix[y*w+x] = byte(lum + (255 - uint32(c[3])))
			}
		}
		return p
	case *image.NRGBA:
		p.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				c := row[4*x : 4*x+4 : 4*x+4]
				lum := (uint32(c[0]) + 2*uint32(c[1]) + uint32(c[2])) / 4
				a := uint32(c[3])
				p.pix[y*w+x] = byte((lum*a + 255*(255-a)) / 255)
			}
		}
		return p
	}
	p.pix = make([]byte, w*h)
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			lum := (r + 2*g + bl) * 255 / (4 * 0xffff)
			p.pix[i] = byte((lum*a + (0xffff-a)*255) / 0xffff)
			i++
		}
	}
	return p
}

// shrink returns p scaled down by k in each direction, each pixel the
// average of a k×k block.
func (p plane) shrink(k int) plane {
	w, h := p.w/k, p.h/k
	out := plane{pix: make([]byte, w*h), w: w, h: h}
	sums := make([]uint32, w)
	for y := 0; y < h; y++ {
		clear(sums)
		for j := 0; j < k; j++ {
			row := p.pix[(y*k+j)*p.w:]
			for x := 0; x < w; x++ {
				for i := 0; i < k; i++ {
					sums[x] += uint32(row[x*k+i])
				}
			}
		}
		n := uint32(k * k)
		for x := 0; x < w; x++ {
			out.pix[y*w+x] = byte((sums[x] + n/2) / n)
		}
	}
	return out
}

// smooth returns p blurred by a 3x3 box, which divides sensor noise by three
// while a module of three or more pixels keeps most of its contrast.
func (p plane) smooth() plane {
	w, h := p.w, p.h
	out := plane{pix: make([]byte, w*h), w: w, h: h}
	if w < 3 || h < 3 {
		copy(out.pix, p.pix)
		return out
	}
	rows := make([]uint16, 3*w) // horizontal 3-sums of three rows, cycled
	hsum := func(y int, dst []uint16) {
		row := p.pix[y*w : (y+1)*w]
		dst[0] = 2*uint16(row[0]) + uint16(row[1])
		for x := 1; x < w-1; x++ {
			dst[x] = uint16(row[x-1]) + uint16(row[x]) + uint16(row[x+1])
		}
		dst[w-1] = uint16(row[w-2]) + 2*uint16(row[w-1])
	}
	line := func(y int) []uint16 { return rows[(y%3)*w : (y%3+1)*w] }
	hsum(0, line(0))
	hsum(1, line(1))
	for y := 0; y < h; y++ {
		if y+1 < h && y >= 1 {
			hsum(y+1, line(y+1))
		}
		a, b, c := line(max(y-1, 0)), line(y), line(min(y+1, h-1))
		o := out.pix[y*w : (y+1)*w]
		for x := range o {
			o[x] = byte((uint32(a[x]) + uint32(b[x]) + uint32(c[x]) + 4) / 9)
		}
	}
	return out
}

// invert returns the negative of p.
func (p plane) invert() plane {
	out := plane{pix: make([]byte, len(p.pix)), w: p.w, h: p.h}
	for i, v := range p.pix {
		out.pix[i] = 255 - v
	}
	return out
}

// rotate90 returns p turned a quarter turn counter-clockwise.
func (p plane) rotate90() plane {
	out := plane{pix: make([]byte, len(p.pix)), w: p.h, h: p.w}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			out.pix[(p.w-1-x)*out.w+y] = p.pix[y*p.w+x]
		}
	}
	return out
}

// at is the luminance at (x, y), clamped to the plane.
func (p plane) at(x, y int) byte {
	return p.pix[min(max(y, 0), p.h-1)*p.w+min(max(x, 0), p.w-1)]
}

// planeSource lets gozxing's binarizers read a plane.
type planeSource struct {
	gozxing.LuminanceSourceBase
	p plane
}

func newPlaneSource(p plane) *planeSource {
	return &planeSource{gozxing.LuminanceSourceBase{Width: p.w, Height: p.h}, p}
}

func (s *planeSource) GetRow(y int, row []byte) ([]byte, error) {
	if len(row) < s.p.w {
		row = make([]byte, s.p.w)
	}
	copy(row, s.p.pix[y*s.p.w:(y+1)*s.p.w])
	return row, nil
}

func (s *planeSource) GetMatrix() []byte               { return s.p.pix }
func (s *planeSource) Invert() gozxing.LuminanceSource { return gozxing.LuminanceSourceInvert(s) }
func (s *planeSource) String() string                  { return gozxing.LuminanceSourceString(s) }
func (s *planeSource) IsRotateSupported() bool         { return false }
func (s *planeSource) IsCropSupported() bool           { return false }

var _ gozxing.LuminanceSource = (*planeSource)(nil)

// cameraShrink is the factor a frame is shrunk by before its finder
// patterns are looked for: frames from 960x540 up are brought to about
// 360 rows, where a code that fills a useful part of the frame still has
// two or more pixels a module.
func cameraShrink(p plane) int {
	return max(1, (min(p.w, p.h)+180)/360)
}

// gridReader reads QR codes out of binarized planes.
type gridReader struct {
	dec   *zxdecoder.Decoder
	hints map[gozxing.DecodeHintType]interface{}
}

func newGridReader() *gridReader {
	return &gridReader{
		dec:   zxdecoder.NewDecoder(),
		hints: map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true},
	}
}

// detectAndRead finds a code's finder patterns in bm, a binarized copy of
// full shrunk by k, and reads the code: from gozxing's own sampling of bm,
// then by re-sampling full module by module.
func (g *gridReader) detectAndRead(bm *gozxing.BitMatrix, full plane, k int) (string, bool) {
	dr, err := detector.NewDetector(bm).Detect(g.hints)
	if err != nil {
		return "", false
	}
	if res, err := g.dec.Decode(dr.GetBits(), g.hints); err == nil {
		return res.GetText(), true
	}
	pts := dr.GetPoints()
	if len(pts) < 3 {
		return "", false
	}
	var ap *detector.AlignmentPattern
	if len(pts) > 3 {
		ap, _ = pts[3].(*detector.AlignmentPattern)
	}
	dim := dr.GetBits().GetWidth()
	modSize := gozxing.ResultPoint_Distance(pts[1], pts[2]) / float64(dim-7) * float64(k)
	for _, d := range []int{dim, dim - 4, dim + 4} {
		if d < 21 || d > 177 {
			continue
		}
		t := detector.Detector_createTransform(pts[1], pts[2], pts[0], ap, d)
		bits := softSample(full, t, d, float64(k), modSize)
		if bits == nil {
			continue
		}
		if res, err := g.dec.Decode(bits, g.hints); err == nil {
			return res.GetText(), true
		}
	}
	return "", false
}

// softSample reads a d×d grid whose module centres t maps into a plane
// shrunk by k from full: each module is the mean luminance of a small box
// around its centre in full, and is dark when below the mean of the
// modules around it.
func softSample(full plane, t *common.PerspectiveTransform, d int, k, modSize float64) *gozxing.BitMatrix {
	r := int(modSize * 0.25)
	r = min(max(r, 0), 3)
	vals := make([]int32, d*d)
	pts := make([]float64, 2*d)
	for y := 0; y < d; y++ {
		for x := 0; x < d; x++ {
			pts[2*x] = float64(x) + 0.5
			pts[2*x+1] = float64(y) + 0.5
		}
		t.TransformPoints(pts)
		for x := 0; x < d; x++ {
			cx, cy := int(pts[2*x]*k), int(pts[2*x+1]*k)
			if cx < -1 || cy < -1 || cx > full.w || cy > full.h {
				return nil
			}
			var s int32
			for j := -r; j <= r; j++ {
				for i := -r; i <= r; i++ {
					s += int32(full.at(cx+i, cy+j))
				}
			}
			vals[y*d+x] = s
		}
	}
	// Integral image of the module values for windowed means.
	integ := make([]int64, (d+1)*(d+1))
	for y := 0; y < d; y++ {
		var row int64
		for x := 0; x < d; x++ {
			row += int64(vals[y*d+x])
			integ[(y+1)*(d+1)+x+1] = integ[y*(d+1)+x+1] + row
		}
	}
	const win = 4 // modules each side
	bits, err := gozxing.NewBitMatrix(d, d)
	if err != nil {
		return nil
	}
	for y := 0; y < d; y++ {
		y0, y1 := max(0, y-win), min(d, y+win+1)
		for x := 0; x < d; x++ {
			x0, x1 := max(0, x-win), min(d, x+win+1)
			sum := integ[y1*(d+1)+x1] - integ[y0*(d+1)+x1] - integ[y1*(d+1)+x0] + integ[y0*(d+1)+x0]
			n := int64((y1 - y0) * (x1 - x0))
			if int64(vals[y*d+x])*n < sum {
				bits.Set(x, y)
			}
		}
	}
	return bits
}

// readPlane tries one plane: shrunk by k first when k > 1, then at full
// resolution with the pure-barcode read (our own images) and each
// binarizer.
func (g *gridReader) readPlane(p plane, k int, pure bool) (string, bool) {
	if k > 1 {
		small := p.shrink(k)
		if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newPlaneSource(small))); err == nil {
			if bm, err := bmp.GetBlackMatrix(); err == nil {
				if text, ok := g.detectAndRead(bm, p, k); ok {
					return text, true
				}
			}
		}
	}
	if k > 1 {
		// Codes too fine for the shrunk frame: look for the finder
		// patterns at full resolution, with the noise smoothed.
		sm := p.smooth()
		if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newPlaneSource(sm))); err == nil {
			if bm, err := bmp.GetBlackMatrix(); err == nil {
				if text, ok := g.detectAndRead(bm, sm, 1); ok {
					return text, true
				}
			}
		}
	}
	src := newPlaneSource(p)
	for i, bin := range []func(gozxing.LuminanceSource) gozxing.Binarizer{gozxing.NewHybridBinarizer, gozxing.NewGlobalHistgramBinarizer} {
		bmp, err := gozxing.NewBinaryBitmap(bin(src))
		if err != nil {
			continue
		}
		bm, err := bmp.GetBlackMatrix()
		if err != nil {
			continue
		}
		if pure && i == 0 {
			if text, ok := g.readPure(bmp); ok {
				return text, true
			}
		}
		if text, ok := g.detectAndRead(bm, p, 1); ok {
			return text, true
		}
	}
	return "", false
}

// Package camread reads the text of a QR code out of an image, and is built
// for camera frames. gozxing samples one binarized pixel per module; on a
// camera frame (sensor noise, blur, low contrast) a good share of those
// pixels land on the wrong side of the threshold, and the same noise breaks
// the 1:1:3:1:1 runs its finder-pattern search looks for. So camera-sized
// frames are read in steps, cheapest first:
//
//  1. The frame is shrunk by area averaging (1280x720 to 640x360), which
//     halves the noise and makes the search four times cheaper, and our own
//     finder-pattern search (findTriples) runs on it: a local-mean
//     threshold, tolerant runs, cross-checks, clustering and a right
//     isosceles triangle of three patterns.
//  2. The grid those give is refined on the image (finder and alignment
//     rings matched by template, dimension chosen by the version blocks
//     and the timing patterns) and every module is re-read as the average
//     luminance around its centre: when modules are a few pixels wide,
//     equalized against the blur (equalize.go), else thresholded against
//     its neighbourhood of modules.
//  3. Codes too fine to read on the shrunk frame are re-read at full
//     resolution around the patterns found there, smoothed; codes too fine
//     for the search itself there (modules under 2 px) are looked for again
//     with a smaller threshold window (readFine); then the search runs on
//     the whole smoothed full-resolution frame (not in ReadFrame).
//  4. Only when finder-like patterns were confirmed but formed no
//     triangle, gozxing's detector (shrunk, smoothed, then the plain reads
//     at full resolution); nothing confirmed ends the read early.
//
// Small images (our own PNGs, 640x480 frames) take gozxing's reads first
// and our search last.
//
// All of it runs on the image, then on its negative (light modules on
// dark) and, unless our search settled the image, on the image turned by
// 90°. Read is the whole ladder; package qr's DecodeImage calls it.
package camread

import (
	"image"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	zxdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Read returns the text of the single QR code in img, or ok false when it
// finds none. It stops at the first code whose Reed-Solomon check passes:
// the image as it is, then its negative, then, unless our finder-pattern
// search settled both (a code's three patterns found but unreadable, or
// nothing like a finder pattern), the image turned by 90°, which only
// gozxing's detector needs.
func Read(img image.Image) (text string, ok bool) {
	p := lumaPlane(img)
	if p.w == 0 || p.h == 0 {
		return "", false
	}
	g := newGridReader()
	k := cameraShrink(p)
	text, ok, settled := g.readPlane(p, k, true)
	if ok {
		return text, true
	}
	text, ok, settledInv := g.readPlane(p.invert(), k, false)
	if ok {
		return text, true
	}
	if settled && settledInv {
		// Our finder-pattern search works in any orientation; turning
		// the frame only helps gozxing's.
		return "", false
	}
	if text, ok, _ := g.readPlane(p.rotate90(), k, false); ok {
		return text, true
	}
	return "", false
}

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
	if k == 2 {
		for y := 0; y < h; y++ {
			r0 := p.pix[2*y*p.w : 2*y*p.w+2*w]
			r1 := p.pix[(2*y+1)*p.w : (2*y+1)*p.w+2*w]
			o := out.pix[y*w : (y+1)*w]
			for x := range o {
				o[x] = byte((uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1]) + 2) >> 2)
			}
		}
		return out
	}
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

// crop returns a copy of the part of p from (x0, y0) to (x1, y1), exclusive.
func (p plane) crop(x0, y0, x1, y1 int) plane {
	out := plane{pix: make([]byte, (x1-x0)*(y1-y0)), w: x1 - x0, h: y1 - y0}
	for y := y0; y < y1; y++ {
		copy(out.pix[(y-y0)*out.w:(y-y0+1)*out.w], p.pix[y*p.w+x0:y*p.w+x1])
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
	// decodes counts the sampled grids handed to the decoder; a read with
	// maxDecodes > 0 hands it no more than that.
	decodes, maxDecodes int
}

// decode reads the data of a sampled grid, or says it did not pass the
// Reed-Solomon check; past maxDecodes it no longer tries.
func (g *gridReader) decode(bits *gozxing.BitMatrix) (string, bool) {
	if g.maxDecodes > 0 && g.decodes >= g.maxDecodes {
		return "", false
	}
	g.decodes++
	res, err := g.dec.Decode(bits, g.hints)
	if err != nil {
		return "", false
	}
	return res.GetText(), true
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
	if text, ok := g.decode(dr.GetBits()); ok {
		return text, true
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
		if text, ok := g.decode(bits); ok {
			return text, true
		}
	}
	return "", false
}

// readPure reads bmp as a pure barcode: the code alone, upright, with its
// quiet zone, as we draw it.
func (g *gridReader) readPure(bmp *gozxing.BinaryBitmap) (string, bool) {
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

// softSample reads a d×d grid whose module centres t maps into a plane
// shrunk by k from full: each module is the mean luminance of a small box
// around its centre in full, and is dark when below the mean of the
// modules around it.
func softSample(full plane, t *common.PerspectiveTransform, d int, k, modSize float64) *gozxing.BitMatrix {
	r := int(modSize * 0.25)
	r = min(max(r, 0), 3)
	vals := moduleSums(full, t, d, k, r)
	if vals == nil {
		return nil
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

// moduleSums returns, for each module of a d×d grid whose centres t maps
// into a plane shrunk by k from full, the sum of the luminance of the
// (2r+1)² pixels around its centre in full; nil when a centre falls
// outside full.
func moduleSums(full plane, t *common.PerspectiveTransform, d int, k float64, r int) []int32 {
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
	return vals
}

// readCrop reads the code of t, a triple found on p shrunk by k whose
// modules were too fine to read there, at full resolution, smoothing only
// the code's part of the frame.
func (g *gridReader) readCrop(p plane, k int, t finderTriple) (string, bool) {
	t = scaleTriple(t, float64(k), 0, 0)
	m := 8 * t.mod
	xs := [4]float64{t.tl.GetX(), t.tr.GetX(), t.bl.GetX(), t.tr.GetX() + t.bl.GetX() - t.tl.GetX()}
	ys := [4]float64{t.tl.GetY(), t.tr.GetY(), t.bl.GetY(), t.tr.GetY() + t.bl.GetY() - t.tl.GetY()}
	x0 := max(0, int(min(xs[0], xs[1], xs[2], xs[3])-m))
	y0 := max(0, int(min(ys[0], ys[1], ys[2], ys[3])-m))
	x1 := min(p.w, int(max(xs[0], xs[1], xs[2], xs[3])+m))
	y1 := min(p.h, int(max(ys[0], ys[1], ys[2], ys[3])+m))
	if x1-x0 <= 8 || y1-y0 <= 8 {
		return "", false
	}
	c := p.crop(x0, y0, x1, y1)
	t = scaleTriple(t, 1, float64(-x0), float64(-y0))
	return g.readTriples(c.smooth(), c, 1, []finderTriple{t})
}

// readFine looks for a code too fine for the first search on s, p shrunk
// by k (modules under 2 px there), and reads the best triple found at full
// resolution.
func (g *gridReader) readFine(p, s plane, k int) (string, bool) {
	var cands []finderCand
	for _, r := range fineWindows {
		cands = mergeCands(cands, findFinders(darkMap(s, r, 1), s.w, s.h, 1))
	}
	tr := pickTriples(cands)
	for i, t := range tr {
		if i == 2 || t.mod*float64(k) > 4.5 {
			// Coarser codes are the first search's; two tries bound
			// the work on a frame without a code.
			break
		}
		if text, ok := g.readCrop(p, k, t); ok {
			return text, true
		}
	}
	return "", false
}

// readPlane tries one plane: when it is a camera frame (k > 1), our own
// finder-pattern search on the plane shrunk by k, then at full resolution
// with the noise smoothed; then gozxing's detector on the shrunk and the
// smoothed plane, and at full resolution the pure-barcode read (our own
// images) and each binarizer. settled says our search found a code's three
// finder patterns but could not read it, or found nothing like a finder
// pattern: either way turning the plane will not help.
func (g *gridReader) readPlane(p plane, k int, pure bool) (text string, ok, settled bool) {
	if k > 1 {
		// Not smoothed: shrinking has halved the noise, and smoothing
		// again would blur away the finder patterns of 2 px modules.
		small := p.shrink(k)
		tr, cands := findTriplesCands(small, k)
		if text, ok := g.readTriples(small, p, k, tr); ok {
			return text, true, true
		}
		if len(tr) > 0 {
			if text, ok := g.readCrop(p, k, tr[0]); ok {
				return text, true, true
			}
		}
		if text, ok := g.readFine(p, small, k); ok {
			return text, true, true
		}
		sm := p.smooth()
		trFull, candsFull := findTriplesCands(sm, 1)
		if text, ok := g.readTriples(sm, p, 1, trFull); ok {
			return text, true, true
		}
		if text, ok := g.readTriples(sm, p, 1, inferTriples(sm, candsFull)); ok {
			return text, true, true
		}
		confirmed := 0
		for _, c := range append(cands, candsFull...) {
			if c.n >= 3 {
				confirmed++
			}
		}
		switch {
		case confirmed == 0:
			// Nothing confirmed on three rows as a finder pattern (the
			// code's are on 4 to 10; noise makes a few on one or two):
			// no code in view, and gozxing would find none either.
			return "", false, true
		}
		// gozxing's detector is more lenient on the geometry, and reads
		// some codes whose patterns ours paired wrongly (ring of the photo
		// set, since our triangle test admits codes seen at an angle).
		if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newPlaneSource(small))); err == nil {
			if bm, err := bmp.GetBlackMatrix(); err == nil {
				if text, ok := g.detectAndRead(bm, p, k); ok {
					return text, true, false
				}
			}
		}
		if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newPlaneSource(sm))); err == nil {
			if bm, err := bmp.GetBlackMatrix(); err == nil {
				if text, ok := g.detectAndRead(bm, sm, 1); ok {
					return text, true, false
				}
			}
		}
		if len(tr)+len(trFull) > 0 {
			// A code was seen but not read. gozxing's reads below read
			// none of the camera set's frames that ours miss (see
			// docs/BENCHMARKS.md) and would cost 50 ms or more.
			return "", false, true
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
				return text, true, false
			}
		}
		if text, ok := g.detectAndRead(bm, p, 1); ok {
			return text, true, false
		}
	}
	if k == 1 && p.w >= 21 && p.h >= 21 {
		// Small frames (a 640x480 camera) last: our own finder-pattern
		// search on the smoothed plane.
		sm := p.smooth()
		tr, _ := findTriples(sm, 1)
		if text, ok := g.readTriples(sm, p, 1, tr); ok {
			return text, true, true
		}
	}
	return "", false, false
}

// Our own finder-pattern search, for frames where gozxing's misses the
// patterns: noise flips single pixels of its binarized frame and breaks the
// 1:1:3:1:1 runs it looks for. Here the plane (shrunk, or smoothed at full
// resolution, by the caller) is thresholded against the mean of a 17x17
// window, about the size of a finder pattern of 2 to 5 px modules, and the
// runs are accepted with more tolerance; candidates are confirmed across
// the column and the row, clustered, and the three that form the right
// isosceles triangle of a QR code give the grid. Their centres and the
// bottom-right alignment pattern are then matched ring by ring on the
// plane, the dimension is chosen by the timing patterns, and the modules
// are read by softSample, sharpened when they are only a few pixels wide.

// finderCand is a finder-pattern centre found on a plane: position, module
// size and how many row hits confirmed it.
type finderCand struct {
	x, y, mod float64
	n         int
}

// darkMap thresholds p against the mean of the (2r+1)² window around each
// pixel (clipped at the edges): 1 where the pixel is darker than that mean
// by more than bias. Column sums slide down the rows and a row sum slides
// along them, so a pixel costs a few additions whatever r is.
func darkMap(p plane, r, bias int) []byte {
	w, h := p.w, p.h
	out := make([]byte, w*h)
	cols := make([]int32, w)
	for y := 0; y < min(r, h); y++ {
		for x, v := range p.pix[y*w : (y+1)*w] {
			cols[x] += int32(v)
		}
	}
	for y := 0; y < h; y++ {
		if y+r < h {
			for x, v := range p.pix[(y+r)*w : (y+r+1)*w] {
				cols[x] += int32(v)
			}
		}
		if y-r-1 >= 0 {
			for x, v := range p.pix[(y-r-1)*w : (y-r)*w] {
				cols[x] -= int32(v)
			}
		}
		rows := int32(min(h, y+r+1) - max(0, y-r))
		src := p.pix[y*w : (y+1)*w]
		o := out[y*w : (y+1)*w]
		var sum int32
		for x := 0; x < min(r, w); x++ {
			sum += cols[x]
		}
		edge := func(x int) {
			if x+r < w {
				sum += cols[x+r]
			}
			if x-r-1 >= 0 {
				sum -= cols[x-r-1]
			}
			n := rows * int32(min(w, x+r+1)-max(0, x-r))
			if (int32(src[x])+int32(bias))*n < sum {
				o[x] = 1
			}
		}
		x := 0
		for ; x <= r && x < w; x++ {
			edge(x)
		}
		n := rows * int32(2*r+1)
		b := int32(bias) * n
		for ; x < w-r; x++ {
			sum += cols[x+r] - cols[x-r-1]
			if int32(src[x])*n+b < sum {
				o[x] = 1
			}
		}
		for ; x < w; x++ {
			edge(x)
		}
	}
	return out
}

// runsLookLikeFinder says whether five run lengths (dark, light, dark,
// light, dark) are in the ratio 1:1:3:1:1, within tolerance.
func runsLookLikeFinder(r *[5]int) bool {
	t := r[0] + r[1] + r[2] + r[3] + r[4]
	if t < 7 {
		return false
	}
	// Each one-module run within 0.7 of a module (t/7), the centre within
	// 1.5 modules of three.
	lim := 7 * t
	for _, v := range [4]int{r[0], r[1], r[3], r[4]} {
		if d := 10 * (7*v - t); d > lim || d < -lim {
			return false
		}
	}
	d := 2 * (7*r[2] - 3*t)
	return d < 3*t && d > -3*t
}

// crossRuns reads the five runs through (x, y), which is dark, along the
// direction (dx, dy), no further than limit pixels each way. It returns the
// runs and the offset of the middle run's centre from (x, y) along the
// direction.
func crossRuns(dm []byte, w, h, x, y, dx, dy, limit int) (r [5]int, centre float64, ok bool) {
	dark := func(i int) (byte, bool) {
		xx, yy := x+i*dx, y+i*dy
		if xx < 0 || yy < 0 || xx >= w || yy >= h {
			return 0, false
		}
		return dm[yy*w+xx], true
	}
	// Backwards: centre part, light, dark.
	i := 0
	var back [3]int
	for s, want := 0, byte(1); s < 3; s, want = s+1, 1-want {
		for {
			v, in := dark(i - 1)
			if !in || v != want || -i > limit {
				break
			}
			i--
			back[s]++
		}
		if s > 0 && back[s] == 0 {
			return r, 0, false
		}
	}
	start := i + back[0] // first pixel of the middle run is at -back[0]
	_ = start
	i = 0
	var fwd [3]int
	for s, want := 0, byte(1); s < 3; s, want = s+1, 1-want {
		for {
			v, in := dark(i + 1)
			if !in || v != want || i > limit {
				break
			}
			i++
			fwd[s]++
		}
		if s > 0 && fwd[s] == 0 {
			return r, 0, false
		}
	}
	r = [5]int{back[2], back[1], back[0] + 1 + fwd[0], fwd[1], fwd[2]}
	centre = float64(fwd[0]-back[0]) / 2
	return r, centre, runsLookLikeFinder(&r)
}

// findFinders scans every row of dm (a darkMap of a w×h plane) for finder
// patterns and returns the clusters of confirmed centres.
func findFinders(dm []byte, w, h, step int) []finderCand {
	var cands []finderCand
	add := func(x, y, mod float64) {
		for i := range cands {
			c := &cands[i]
			dx, dy := c.x-x, c.y-y
			if dx*dx+dy*dy < 4*c.mod*c.mod && mod < 1.5*c.mod && c.mod < 1.5*mod {
				n := float64(c.n)
				c.x = (c.x*n + x) / (n + 1)
				c.y = (c.y*n + y) / (n + 1)
				c.mod = (c.mod*n + mod) / (n + 1)
				c.n++
				return
			}
		}
		cands = append(cands, finderCand{x, y, mod, 1})
	}
	var runs [5]int
	for y := 0; y < h; y += step {
		row := dm[y*w : (y+1)*w]
		runs = [5]int{}
		cur := row[0]
		n := 0 // completed runs
		run := 0
		for x := 0; x <= w; x++ {
			if x < w && row[x] == cur {
				run++
				continue
			}
			// run of colour cur ends at x-1
			copy(runs[:], runs[1:])
			runs[4] = run
			n++
			if cur == 1 && n >= 5 && runsLookLikeFinder(&runs) {
				total := runs[0] + runs[1] + runs[2] + runs[3] + runs[4]
				cx := x - runs[4] - runs[3] - (runs[2]+1)/2
				limit := total
				if vr, dyc, ok := crossRuns(dm, w, h, cx, y, 0, 1, limit); ok {
					vt := vr[0] + vr[1] + vr[2] + vr[3] + vr[4]
					if 3*vt > 2*total && 2*vt < 3*total {
						cy := y + int(dyc+0.5)
						if hr, dxc, ok := crossRuns(dm, w, h, cx, cy, 1, 0, limit); ok {
							ht := hr[0] + hr[1] + hr[2] + hr[3] + hr[4]
							if 3*ht > 2*vt && 2*ht < 3*vt {
								add(float64(cx)+dxc+0.5, float64(y)+dyc+0.5, float64(ht+vt)/14)
							}
						}
					}
				}
			}
			if x < w {
				cur = row[x]
				run = 1
			}
		}
	}
	return cands
}

// finderTriple is three finder patterns ordered as gozxing wants them, with
// the module size and the dimension their distances give.
type finderTriple struct {
	bl, tl, tr *detector.FinderPattern
	mod        float64
	dim        int
	score      float64
}

// pickTriples returns the candidate triples that form a right isosceles
// triangle of a plausible QR size, best first.
func pickTriples(cands []finderCand) []finderTriple {
	// Keep the best-confirmed candidates.
	c := make([]finderCand, 0, len(cands))
	for _, f := range cands {
		if f.n >= 2 {
			c = append(c, f)
		}
	}
	if len(c) < 3 {
		c = append(c[:0], cands...)
	}
	// Few enough for all triples: sort by confirmations and cut.
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].n > c[j-1].n; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	if len(c) > 16 {
		c = c[:16]
	}
	var out []finderTriple
	for i := 0; i < len(c); i++ {
		for j := i + 1; j < len(c); j++ {
			for k := j + 1; k < len(c); k++ {
				a, b, d := c[i], c[j], c[k]
				lo, hi := min(a.mod, b.mod, d.mod), max(a.mod, b.mod, d.mod)
				if hi > 1.6*lo {
					continue
				}
				pa := detector.NewFinderPattern(a.x, a.y, a.mod, a.n)
				pb := detector.NewFinderPattern(b.x, b.y, b.mod, b.n)
				pd := detector.NewFinderPattern(d.x, d.y, d.mod, d.n)
				p0, p1, p2 := gozxing.ResultPoint_OrderBestPatterns(pa, pb, pd)
				bl, tl, tr := p0.(*detector.FinderPattern), p1.(*detector.FinderPattern), p2.(*detector.FinderPattern)
				l1 := gozxing.ResultPoint_Distance(tl, tr)
				l2 := gozxing.ResultPoint_Distance(tl, bl)
				hyp := gozxing.ResultPoint_Distance(tr, bl)
				leg := (l1 + l2) / 2
				e1 := math.Abs(l1-l2) / leg
				e2 := math.Abs(hyp/(leg*math.Sqrt2) - 1)
				// Loose enough for a code seen at an angle (a leg 20% shorter
				// than the other in trackable-book-5 of the photo set).
				if e1 > 0.25 || e2 > 0.15 {
					continue
				}
				mod := (a.mod + b.mod + d.mod) / 3
				est := leg/mod + 7
				dim := int(math.Round((est-17)/4))*4 + 17
				if dim < 21 || dim > 177 {
					continue
				}
				score := e1 + e2 + (hi-lo)/lo - 0.01*math.Log(float64(a.n+b.n+d.n))
				out = append(out, finderTriple{bl, tl, tr, mod, dim, score})
			}
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].score < out[j-1].score; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// findTriples returns up to three candidate finder-pattern triples on s,
// a plane shrunk by k, best first.
func findTriples(s plane, k int) ([]finderTriple, int) {
	tr, c := findTriplesCands(s, k)
	return tr, len(c)
}

// findTriplesCands is findTriples returning the finder-like patterns.
func findTriplesCands(s plane, k int) ([]finderTriple, []finderCand) {
	return findTriplesWindow(s, k, 8)
}

// fineWindow is the threshold window's radius of the search for codes whose
// modules are under 2 px on the searched plane (versions 16 and up at 40%
// of a 720p frame's height, shrunk by 2). The 17x17 window of the first
// search spans ten such modules and is darkened by the finder pattern's
// own dark rings and the dense code beside it, so the light ring of a
// blurred finder pattern falls below its mean: at version 17 the first
// search found the code's three patterns on 12 of 40 frames, a 9x9 window
// on 34. A window that small breaks the 3x3 centres of coarse codes,
// which the first search finds.
var fineWindows = []int{3}

// mergeCands adds the candidates of b to a, merging those at the same
// place (within two modules) and of similar module size.
func mergeCands(a, b []finderCand) []finderCand {
	for _, f := range b {
		merged := false
		for i := range a {
			c := &a[i]
			dx, dy := c.x-f.x, c.y-f.y
			if dx*dx+dy*dy < 4*c.mod*c.mod && f.mod < 1.5*c.mod && c.mod < 1.5*f.mod {
				n := float64(c.n + f.n)
				c.x = (c.x*float64(c.n) + f.x*float64(f.n)) / n
				c.y = (c.y*float64(c.n) + f.y*float64(f.n)) / n
				c.mod = (c.mod*float64(c.n) + f.mod*float64(f.n)) / n
				c.n += f.n
				merged = true
				break
			}
		}
		if !merged {
			a = append(a, f)
		}
	}
	return a
}

// findTriplesWindow is findTriplesCands thresholding against the mean of a
// (2r+1)² window.
func findTriplesWindow(s plane, k, r int) ([]finderTriple, []finderCand) {
	dm := darkMap(s, r, 1)
	step := 1
	if k == 1 && s.h > 500 {
		step = 2 // finder patterns of 3+ px modules: 9+ rows at the centre
	}
	cands := findFinders(dm, s.w, s.h, step)
	if len(cands) == 0 {
		return nil, nil
	}
	triples := pickTriples(cands)
	if len(triples) > 3 {
		triples = triples[:3]
	}
	return triples, cands
}

// inferTriples completes pairs of confirmed finder patterns that could be
// the top-right and bottom-left ones of a code with a top-left pattern
// that the search missed (noise broke its runs): the third is where the
// right angle would be, on either side, if s has finder rings there.
func inferTriples(s plane, cands []finderCand) []finderTriple {
	var c []finderCand
	for _, f := range cands {
		if f.n >= 2 {
			c = append(c, f)
		}
	}
	var out []finderTriple
	for i := 0; i < len(c); i++ {
		for j := i + 1; j < len(c); j++ {
			a, b := c[i], c[j]
			if a.mod > 1.3*b.mod || b.mod > 1.3*a.mod {
				continue
			}
			mod := (a.mod + b.mod) / 2
			dx, dy := b.x-a.x, b.y-a.y
			diag := math.Hypot(dx, dy)
			est := diag/math.Sqrt2/mod + 7
			if est < 19 || est > 179 {
				continue
			}
			dim := int(math.Round((est-17)/4))*4 + 17
			for _, side := range [2]float64{1, -1} {
				// The right-angle corner, and module vectors from it.
				cx, cy := (a.x+b.x)/2-side*dy/2, (a.y+b.y)/2+side*dx/2
				m := float64(dim - 7)
				ux, uy := (a.x-cx)/m, (a.y-cy)/m
				vx, vy := (b.x-cx)/m, (b.y-cy)/m
				sa := ringTemplate(s, a.x, a.y, ux, uy, vx, vy, finderRings)
				sb := ringTemplate(s, b.x, b.y, ux, uy, vx, vy, finderRings)
				x, y, sc := refineCentre(s, cx, cy, ux, uy, vx, vy, finderRings, 1)
				if sc < 0.5*min(sa, sb) || sc <= 0 {
					continue
				}
				pa := detector.NewFinderPattern(a.x, a.y, a.mod, a.n)
				pb := detector.NewFinderPattern(b.x, b.y, b.mod, b.n)
				pc := detector.NewFinderPattern(x, y, mod, 1)
				p0, p1, p2 := gozxing.ResultPoint_OrderBestPatterns(pa, pb, pc)
				out = append(out, finderTriple{p0.(*detector.FinderPattern), p1.(*detector.FinderPattern), p2.(*detector.FinderPattern), mod, dim, -sc})
			}
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].score < out[j-1].score; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// scaleTriple returns t on a plane k times larger, moved by (dx, dy).
func scaleTriple(t finderTriple, k, dx, dy float64) finderTriple {
	sc := func(p *detector.FinderPattern) *detector.FinderPattern {
		return detector.NewFinderPattern(p.GetX()*k+dx, p.GetY()*k+dy, p.GetEstimatedModuleSize()*k, p.GetCount())
	}
	t.bl, t.tl, t.tr = sc(t.bl), sc(t.tl), sc(t.tr)
	t.mod *= k
	return t
}

// readTriples reads the code whose finder patterns are one of triples, on
// s, a smoothed copy of full shrunk by k.
func (g *gridReader) readTriples(s, full plane, k int, triples []finderTriple) (string, bool) {
	for _, t := range triples {
		t = refineTriple(s, t)
		// The dimension the finder distances give is often one version
		// off, and two short on dense codes found on a shrunk frame
		// (the blur widens the patterns' runs): try the neighbours
		// too, the one whose timing patterns alternate best first.
		var dims []int
		var scores []float64
		for _, d := range [4]int{t.dim, t.dim + 4, t.dim - 4, t.dim + 8} {
			if d < 21 || d > 177 {
				continue
			}
			sc := timingScore(s, t, d)
			i := len(dims)
			dims, scores = append(dims, d), append(scores, sc)
			for ; i > 0 && scores[i] > scores[i-1]; i-- {
				dims[i], dims[i-1] = dims[i-1], dims[i]
				scores[i], scores[i-1] = scores[i-1], scores[i]
			}
		}
		if len(dims) > 2 {
			dims = dims[:2]
		}
		if vd := versionDim(s, t, t.dim); vd > 0 && abs(vd-t.dim) <= 8 {
			// The version information is exact where it reads: take it
			// first, and the best timing-pattern guess after it.
			if dims[0] == vd {
				dims = dims[:1]
			} else {
				dims = []int{vd, dims[0]}
			}
		}
		modSize := t.mod * float64(k)
		for _, d := range dims {
			tr := tripleTransform(s, t, d)
			// Modules of a few pixels are smeared into their neighbours
			// by the blur: read them equalized first (eqSample).
			eqFirst := modSize < 5.5
			for _, eq := range [2]bool{eqFirst, !eqFirst} {
				var bits *gozxing.BitMatrix
				if eq {
					bits = eqSample(full, tr, d, float64(k), modSize)
				} else {
					bits = softSample(full, tr, d, float64(k), modSize)
				}
				if bits == nil {
					break
				}
				if text, ok := g.decode(bits); ok {
					return text, true
				}
			}
		}
	}
	return "", false
}

// atf is the luminance at (x, y), bilinearly interpolated.
func (p plane) atf(x, y float64) float64 {
	x, y = x-0.5, y-0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	a, b := float64(p.at(ix, iy)), float64(p.at(ix+1, iy))
	c, d := float64(p.at(ix, iy+1)), float64(p.at(ix+1, iy+1))
	return (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
}

// ringTemplate scores how well the square rings around (x, y) match a
// pattern of concentric module rings: dark[i] says whether ring i (0 the
// centre module) is dark; u and v are the module vectors. The score is the
// mean luminance of the light cells minus that of the dark ones.
func ringTemplate(s plane, x, y, ux, uy, vx, vy float64, dark []bool) float64 {
	n := len(dark) - 1
	var sd, sl float64
	var nd, nl int
	for j := -n; j <= n; j++ {
		for i := -n; i <= n; i++ {
			ring := max(i, -i, j, -j)
			v := s.atf(x+float64(i)*ux+float64(j)*vx, y+float64(i)*uy+float64(j)*vy)
			if dark[ring] {
				sd += v
				nd++
			} else {
				sl += v
				nl++
			}
		}
	}
	return sl/float64(nl) - sd/float64(nd)
}

var (
	finderRings    = []bool{true, true, false, true, false}
	alignmentRings = []bool{true, false, true}
)

// refineCentre moves (x, y) to where the ring pattern matches best within
// reach module lengths, in steps of a quarter module.
func refineCentre(s plane, x, y, ux, uy, vx, vy float64, rings []bool, reach float64) (float64, float64, float64) {
	bx, by := x, y
	best := ringTemplate(s, x, y, ux, uy, vx, vy, rings)
	steps := int(reach * 4)
	for j := -steps; j <= steps; j++ {
		for i := -steps; i <= steps; i++ {
			if i == 0 && j == 0 {
				continue
			}
			fi, fj := float64(i)/4, float64(j)/4
			cx, cy := x+fi*ux+fj*vx, y+fi*uy+fj*vy
			if sc := ringTemplate(s, cx, cy, ux, uy, vx, vy, rings); sc > best {
				best, bx, by = sc, cx, cy
			}
		}
	}
	return bx, by, best
}

// refineTriple moves the finder-pattern centres of t to where their rings
// match best on s.
func refineTriple(s plane, t finderTriple) finderTriple {
	m := float64(t.dim - 7)
	ux, uy := (t.tr.GetX()-t.tl.GetX())/m, (t.tr.GetY()-t.tl.GetY())/m
	vx, vy := (t.bl.GetX()-t.tl.GetX())/m, (t.bl.GetY()-t.tl.GetY())/m
	ref := func(p *detector.FinderPattern) *detector.FinderPattern {
		x, y, _ := refineCentre(s, p.GetX(), p.GetY(), ux, uy, vx, vy, finderRings, 1)
		return detector.NewFinderPattern(x, y, p.GetEstimatedModuleSize(), p.GetCount())
	}
	t.tl, t.tr, t.bl = ref(t.tl), ref(t.tr), ref(t.bl)
	return t
}

// timingScore says how well the timing patterns (row and column 6, which
// alternate dark and light between the finder patterns) read on s if the
// code of t is d modules wide: the mean luminance of the light modules
// minus that of the dark ones.
func timingScore(s plane, t finderTriple, d int) float64 {
	m := float64(d - 7)
	ux, uy := (t.tr.GetX()-t.tl.GetX())/m, (t.tr.GetY()-t.tl.GetY())/m
	vx, vy := (t.bl.GetX()-t.tl.GetX())/m, (t.bl.GetY()-t.tl.GetY())/m
	// Module (i, j) centre: tl + (i-3)*u + (j-3)*v.
	var sc float64
	for i := 8; i <= d-9; i++ {
		f := float64(i - 3)
		a := s.atf(t.tl.GetX()+f*ux+3*vx, t.tl.GetY()+f*uy+3*vy) // row 6
		b := s.atf(t.tl.GetX()+3*ux+f*vx, t.tl.GetY()+3*uy+f*vy) // column 6
		if i%2 == 0 {
			sc -= a + b
		} else {
			sc += a + b
		}
	}
	return sc / float64(d-16)
}

// tripleTransform maps module coordinates of a d×d code to s for the
// finder patterns of t and the bottom-right alignment pattern matched on s
// (versions 2 and up).
func tripleTransform(s plane, t finderTriple, d int) *common.PerspectiveTransform {
	var a *detector.AlignmentPattern
	if d > 21 {
		m := float64(d - 7)
		tl, tr, bl := t.tl, t.tr, t.bl
		ux, uy := (tr.GetX()-tl.GetX())/m, (tr.GetY()-tl.GetY())/m
		vx, vy := (bl.GetX()-tl.GetX())/m, (bl.GetY()-tl.GetY())/m
		ex, ey := tl.GetX()+(m-3)*(ux+vx), tl.GetY()+(m-3)*(uy+vy)
		ax, ay, _ := refineCentre(s, ex, ey, ux, uy, vx, vy, alignmentRings, 2)
		a = detector.NewAlignmentPattern(ax, ay, t.mod)
	}
	return detector.Detector_createTransform(t.tl, t.tr, t.bl, a, d)
}

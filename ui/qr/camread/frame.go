package camread

import (
	"image"

	"github.com/makiuchi-d/gozxing"
)

// frameDecodes bounds the sampled grids each rung of ReadFrame hands the
// decoder. A grid of version 40 costs about a millisecond to reject; a
// frame full of finder-like texture (print, foliage) gave our search a
// dozen triples and Read 200 ms of decoding.
const frameDecodes = 4

// ReadFrame reads the single QR code of a live camera frame, with work
// bounded so that a frame without a readable code is given up quickly: a
// camera delivers the next frame within 100 to 200 ms, and a missed frame
// costs less than a stalled loop. It runs the cheap rungs of Read's ladder
// on the image and on its negative: our finder-pattern search on the frame
// (shrunk when large, smoothed when small), the code re-read at full
// resolution around the patterns found, and gozxing's detector, more
// lenient on geometry, on the same plane; at most frameDecodes grids are
// decoded. It does not turn the frame, search the smoothed full-resolution
// frame of a large image, nor run gozxing's binarizers at full resolution:
// those are Read's, for images an operator hands in, where a second spent
// is better than a code missed.
func ReadFrame(img image.Image) (text string, ok bool) {
	p := lumaPlane(img)
	if p.w < 21 || p.h < 21 {
		return "", false
	}
	g := newGridReader()
	g.maxDecodes = frameDecodes
	// Shrunk only from 720 rows up: a phone photo of 750x563 keeps its
	// full resolution, where a small code's modules are 2 or 3 px.
	k := max(1, min(p.w, p.h)/360)
	var s plane
	if k > 1 {
		s = p.shrink(k)
	} else {
		s = p.smooth()
	}
	if text, ok := g.readFramePlane(s, p, k, true); ok {
		return text, true
	}
	// The negative of the searched plane, not the plane of the negative:
	// shrinking and smoothing commute with inverting. Our search alone:
	// it finds light-on-dark finder patterns as well as gozxing does.
	return g.readFramePlane(s.invert(), p.invert(), k, false)
}

// readFramePlane is ReadFrame on one polarity of the frame p: s is p
// shrunk by k, or smoothed when k is 1; withZXing adds gozxing's detector.
func (g *gridReader) readFramePlane(s, p plane, k int, withZXing bool) (string, bool) {
	tr, cands := findTriplesCands(s, k)
	if len(tr) > 2 {
		tr = tr[:2]
	}
	g.decodes = 0
	if text, ok := g.readTriples(s, p, k, tr); ok {
		return text, true
	}
	g.decodes = 0
	if k > 1 && len(tr) > 0 {
		if text, ok := g.readCrop(p, k, tr[0]); ok {
			return text, true
		}
	}
	if k > 1 && withZXing {
		// Dense codes only dark on light, as airsign and other wallets
		// draw them: the search costs a failing frame a fifth more.
		g.decodes = 0
		if text, ok := g.readFine(p, s, k); ok {
			return text, true
		}
	}
	if k > 1 && withZXing && confirmedFinders(cands) {
		// Finder patterns in view but no code read on the shrunk plane:
		// modules of 1 to 2 px there. Search the smoothed frame once.
		sm := p.smooth()
		trFull, _ := findTriples(sm, 1)
		g.decodes = 0
		if text, ok := g.readTriples(sm, p, 1, trFull); ok {
			return text, true
		}
	}
	if !withZXing {
		return "", false
	}
	// gozxing binarizes on its own: at full resolution it is given the
	// frame as it is, unsmoothed, and its global threshold reads what its
	// local one misses on a glossy card (sd-card-1 of the photo set).
	zs := s
	if k == 1 {
		zs = p
	}
	src := newPlaneSource(zs)
	for _, bin := range []func(gozxing.LuminanceSource) gozxing.Binarizer{gozxing.NewHybridBinarizer, gozxing.NewGlobalHistgramBinarizer} {
		bmp, err := gozxing.NewBinaryBitmap(bin(src))
		if err != nil {
			continue
		}
		bm, err := bmp.GetBlackMatrix()
		if err != nil {
			continue
		}
		g.decodes = 0
		if text, ok := g.detectAndRead(bm, p, k); ok {
			return text, true
		}
	}
	return "", false
}

// confirmedFinders says whether any of cands was confirmed on three rows or
// more, as a code's finder patterns are (on 4 to 10 rows; noise makes a
// few on one or two).
func confirmedFinders(cands []finderCand) bool {
	for _, c := range cands {
		if c.n >= 3 {
			return true
		}
	}
	return false
}

package camread

import (
	zxdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// The distance between two finder patterns gives a code's dimension only to
// within a module or two, and from version 7 up (45 modules) a version is 4
// modules: on a dense code (version 40 at 3 px a module, 177 modules) the
// estimate is often two versions off, and a grid one version off reads
// nothing. Versions 7 and up write their version number, BCH-coded with 18
// bits, in two 6x3 blocks beside the top-right and bottom-left finder
// patterns; reading it there gives the dimension exactly.

// versionDim returns the dimension that the version information of the code
// whose finder patterns are t says, sampled on s with module vectors for a
// code of est modules (the estimate only scales the few modules between a
// finder pattern and its block), or 0 when neither block decodes within the
// three bit errors the code corrects.
func versionDim(s plane, t finderTriple, est int) int {
	if est < 41 {
		return 0
	}
	m := float64(est - 7)
	ux, uy := (t.tr.GetX()-t.tl.GetX())/m, (t.tr.GetY()-t.tl.GetY())/m
	vx, vy := (t.bl.GetX()-t.tl.GetX())/m, (t.bl.GetY()-t.tl.GetY())/m
	// Top-right block: columns d-11..d-9, rows 0..5, i.e. 7 to 5 modules
	// left of the finder centre (column d-4, row 3) and 3 above to 2 below.
	// The bottom-left block is its transpose about the diagonal.
	type block struct {
		cx, cy         float64 // finder centre
		ax, ay, bx, by float64 // along the short side (3), along the long side (6)
	}
	blocks := [2]block{
		{t.tr.GetX(), t.tr.GetY(), ux, uy, vx, vy},
		{t.bl.GetX(), t.bl.GetY(), vx, vy, ux, uy},
	}
	for _, b := range blocks {
		at := func(i, j float64) float64 { // i along short, j along long, from the finder centre
			return s.atf(b.cx+i*b.ax+j*b.bx, b.cy+i*b.ay+j*b.by)
		}
		// Dark and light references: the finder's centre and its light
		// ring (the separator column is light too but lies next to the
		// block, where blur mixes it with the block's modules).
		var dark, light float64
		for j := -1.0; j <= 1; j++ {
			for i := -1.0; i <= 1; i++ {
				dark += at(i, j) / 9
			}
		}
		for k := -2.0; k <= 2; k++ {
			light += (at(-2, k) + at(2, k) + at(k, -2) + at(k, 2)) / 20
		}
		if light-dark < 8 {
			continue
		}
		thr := (dark + light) / 2
		// gozxing's bit order: the long side from 5 down to 0, the short
		// side from column d-9 (2 modules nearer the finder) to d-11.
		bits := 0
		for j := 5; j >= 0; j-- {
			for i := -5; i >= -7; i-- {
				bits <<= 1
				if at(float64(i), float64(j-3)) < thr {
					bits |= 1
				}
			}
		}
		if v, err := zxdecoder.Version_decodeVersionInformation(bits); err == nil {
			return v.GetDimensionForVersion()
		}
	}
	return 0
}

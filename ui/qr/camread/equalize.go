package camread

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	zxdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Dense codes on a camera frame (version 16 and up at 40% of a 720p
// frame's height: 3.4 px a module or less) are blurred across whole
// modules: a 5x5 blur leaves a module's centre as much its neighbours'
// colour as its own. Thresholding each module against the mean of its
// neighbourhood (softSample), even sharpened first against its four
// neighbours (as this package did before, which amplifies the sensor noise
// as much as the signal), then reads 1 to 2% of modules wrong, more than
// level L corrects. Known modules give the blur: every code holds
// hundreds whose colour the version fixes (finder patterns and separators,
// timing patterns, alignment patterns, the version blocks), so the share of
// a module's value that comes from its own colour, from its four edge
// neighbours and from its four corner neighbours is fitted there by least
// squares, and each data module is then decided after subtracting what its
// neighbours, as currently decided, lend it (decision feedback, the
// equalizer of a channel with inter-symbol interference). The noise is not
// amplified: the subtracted part comes from decisions, not from samples.

// knownModules returns, for a code of dimension d, the colour of every
// module that the version fixes: 1 dark, -1 light, 0 data or format
// information. Versions 7 and up include the version blocks.
func knownModules(d int) []int8 {
	known := make([]int8, d*d)
	set := func(x, y int, dark bool) {
		if x < 0 || y < 0 || x >= d || y >= d {
			return
		}
		if dark {
			known[y*d+x] = 1
		} else {
			known[y*d+x] = -1
		}
	}
	finder := func(x0, y0 int) {
		for j := -1; j <= 7; j++ {
			for i := -1; i <= 7; i++ {
				r := max(abs(i-3), abs(j-3))
				set(x0+i, y0+j, r != 2 && r != 4)
			}
		}
	}
	finder(0, 0)
	finder(d-7, 0)
	finder(0, d-7)
	for i := 8; i < d-8; i++ {
		set(i, 6, i%2 == 0)
		set(6, i, i%2 == 0)
	}
	set(8, d-8, true)
	version := (d - 17) / 4
	if v, err := zxdecoder.Version_GetVersionForNumber(version); err == nil {
		cs := v.GetAlignmentPatternCenters()
		for _, cy := range cs {
			for _, cx := range cs {
				if known[cy*d+cx] != 0 { // a finder pattern's corner
					continue
				}
				for j := -2; j <= 2; j++ {
					for i := -2; i <= 2; i++ {
						set(cx+i, cy+j, max(abs(i), abs(j)) != 1)
					}
				}
			}
		}
	}
	if version >= 7 {
		bits := versionBits(version)
		for k := 0; k < 18; k++ {
			dark := bits>>k&1 == 1
			set(d-11+k%3, k/3, dark)
			set(k/3, d-11+k%3, dark)
		}
	}
	return known
}

// versionBits is the 18-bit version information of a version: its 6 bits
// and the 12 of the (18, 6) BCH code, generator x¹²+x¹¹+x¹⁰+x⁹+x⁸+x⁵+x²+1.
func versionBits(version int) int {
	rem := version << 12
	for b := 17; b >= 12; b-- {
		if rem>>b&1 == 1 {
			rem ^= 0x1F25 << (b - 12)
		}
	}
	return version<<12 | rem
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// eqSample reads the d×d grid whose module centres t maps into a plane
// shrunk by k from full with decision feedback (see above): each module is
// the mean luminance of a small box around its centre in full.
func eqSample(full plane, t *common.PerspectiveTransform, d int, k, modSize float64) *gozxing.BitMatrix {
	r := min(max(int(modSize*0.3), 0), 3)
	sums := moduleSums(full, t, d, k, r)
	if sums == nil {
		return nil
	}
	vals := make([]float64, d*d)
	for i, v := range sums {
		vals[i] = float64(v) / float64((2*r+1)*(2*r+1))
	}
	known := knownModules(d)
	// s is the decision: +1 light, -1 dark (the sign of the luminance
	// change a module makes).
	s := make([]float64, d*d)
	off := make([]float64, d*d)
	resid := make([]float64, d*d)
	boxMean(vals, off, d, 4)
	for i, v := range vals {
		switch {
		case known[i] != 0:
			s[i] = -float64(known[i])
		case v >= off[i]:
			s[i] = 1
		default:
			s[i] = -1
		}
	}
	// A grid that is not a code's (a wrong triple, a wrong dimension)
	// agrees with the timing and alignment patterns and version blocks
	// on about half their modules; a code's, even blurred to 1% of its
	// data modules read wrong, on nine in ten. Reject the first before
	// fitting and decoding.
	agree, checked := 0, 0
	for y := 0; y < d; y++ {
		for x := 0; x < d; x++ {
			i := y*d + x
			if known[i] == 0 || (x < 8 && y < 8) || (x >= d-8 && y < 8) || (x < 8 && y >= d-8) {
				continue
			}
			checked++
			if (vals[i] < off[i]) == (known[i] > 0) {
				agree++
			}
		}
	}
	if 10*agree < 7*checked {
		return nil
	}
	nb := func(i, x, y int) (n4, n8 float64) {
		if x > 0 {
			n4 += s[i-1]
		}
		if x < d-1 {
			n4 += s[i+1]
		}
		if y > 0 {
			n4 += s[i-d]
			if x > 0 {
				n8 += s[i-d-1]
			}
			if x < d-1 {
				n8 += s[i-d+1]
			}
		}
		if y < d-1 {
			n4 += s[i+d]
			if x > 0 {
				n8 += s[i+d-1]
			}
			if x < d-1 {
				n8 += s[i+d+1]
			}
		}
		return n4, n8
	}
	var a, b, c float64
	for iter := 0; iter < 4; iter++ {
		// Fit v - off = a·s + b·n4 + c·n8 on the known modules.
		var m [3][3]float64
		var rhs [3]float64
		for y := 0; y < d; y++ {
			for x := 0; x < d; x++ {
				i := y*d + x
				if known[i] == 0 {
					continue
				}
				n4, n8 := nb(i, x, y)
				f := [3]float64{s[i], n4, n8}
				z := vals[i] - off[i]
				for p := 0; p < 3; p++ {
					for q := 0; q < 3; q++ {
						m[p][q] += f[p] * f[q]
					}
					rhs[p] += f[p] * z
				}
			}
		}
		sol, ok := solve3(m, rhs)
		if !ok || sol[0] <= 0 {
			break
		}
		a, b, c = sol[0], sol[1], sol[2]
		// The background is what the modules, as decided, do not explain.
		for y := 0; y < d; y++ {
			for x := 0; x < d; x++ {
				i := y*d + x
				n4, n8 := nb(i, x, y)
				resid[i] = vals[i] - a*s[i] - b*n4 - c*n8
			}
		}
		boxMean(resid, off, d, 4)
		changed := 0
		for y := 0; y < d; y++ {
			for x := 0; x < d; x++ {
				i := y*d + x
				if known[i] != 0 {
					continue
				}
				n4, n8 := nb(i, x, y)
				ns := -1.0
				if vals[i]-off[i]-b*n4-c*n8 >= 0 {
					ns = 1
				}
				if ns != s[i] {
					s[i] = ns
					changed++
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	bits, err := gozxing.NewBitMatrix(d, d)
	if err != nil {
		return nil
	}
	for i, v := range s {
		if v < 0 {
			bits.Set(i%d, i/d)
		}
	}
	return bits
}

// boxMean sets out to the mean of in over the (2r+1)² window around each
// cell of a d×d grid, clipped at the edges.
func boxMean(in, out []float64, d, r int) {
	integ := make([]float64, (d+1)*(d+1))
	for y := 0; y < d; y++ {
		var row float64
		for x := 0; x < d; x++ {
			row += in[y*d+x]
			integ[(y+1)*(d+1)+x+1] = integ[y*(d+1)+x+1] + row
		}
	}
	for y := 0; y < d; y++ {
		y0, y1 := max(0, y-r), min(d, y+r+1)
		for x := 0; x < d; x++ {
			x0, x1 := max(0, x-r), min(d, x+r+1)
			sum := integ[y1*(d+1)+x1] - integ[y0*(d+1)+x1] - integ[y1*(d+1)+x0] + integ[y0*(d+1)+x0]
			out[y*d+x] = sum / float64((y1-y0)*(x1-x0))
		}
	}
}

// solve3 solves m·x = rhs by Cramer's rule.
func solve3(m [3][3]float64, rhs [3]float64) ([3]float64, bool) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
			m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
			m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	dm := det(m)
	if dm == 0 {
		return [3]float64{}, false
	}
	var out [3]float64
	for c := 0; c < 3; c++ {
		mc := m
		for r := 0; r < 3; r++ {
			mc[r][c] = rhs[r]
		}
		out[c] = det(mc) / dm
	}
	return out, true
}

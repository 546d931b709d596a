package qr

// A deterministic synthetic camera set: what a 720p camera sees when an
// operator holds a screen or a card in front of it. Each frame is a QR code
// of realistic content (a UR or BBQr part of a PSBT) at a chosen version and
// error-correction level L, drawn on a 1280x720 gray frame so that the code
// (without its quiet zone) spans 40% of the height, rotated by up to 5°,
// with low contrast, an illumination gradient, blur and sensor noise. The
// same seed gives the same frames, bit for bit.

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"airsign/ui/qr/bbqr"
	"airsign/ui/qr/ur"
)

const (
	camWidth    = 1280
	camHeight   = 720
	camCodeFrac = 0.40 // code side / frame height
)

// camVersionGroups are the QR version groups the camera set reports on.
// Versions 16 and 17 (3.6 and 3.4 px a module) are the denser defaults
// airsign-to-airsign transfers were measured for (issue 22).
var camVersionGroups = [][2]int{{5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 15}, {16, 16}, {17, 17}}

// camFrame is one synthetic camera frame and what it must decode to.
type camFrame struct {
	Img     *image.Gray
	Text    string
	Version int
	Params  string // the degradations drawn, for failure messages
	// Where the code was drawn: its centre in pixels, its angle in
	// radians and pixels a module, for tests that check a grid found.
	CX, CY, Angle, Scale float64
}

// camContent returns a UR or BBQr part of a random PSBT-sized message whose
// QR code at level L is exactly the given version.
func camContent(r *rand.Rand, version int, bbqrPart bool) string {
	// UR parts in upper case and BBQr parts are all QR-alphanumeric.
	lo, hi := bbqr.Capacity(version-1)+1, bbqr.Capacity(version)
	if bbqrPart {
		// A BBQr series forced to this version; any part but the last fills it.
		data := make([]byte, 3*bbqr.Capacity(version))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		parts, err := bbqr.Split(data, bbqr.PSBT, bbqr.Options{Encoding: bbqr.Base32, MinVersion: version, MaxVersion: version})
		if err != nil {
			panic(err)
		}
		p := parts[r.IntN(len(parts)-1)]
		if len(p) < lo || len(p) > hi {
			panic(fmt.Sprintf("BBQr part of %d chars for version %d", len(p), version))
		}
		return p
	}
	// A UR part: search the fragment length whose part length falls in
	// [lo, hi]; parts are about 2 characters per fragment byte plus a header.
	// Messages of many fragments, so the equal-length fragments the
	// encoder cuts come close to any maximum asked for.
	msg := make([]byte, 8000+r.IntN(8000))
	copy(msg, "psbt\xff")
	for i := 5; i < len(msg); i++ {
		msg[i] = byte(r.Uint32())
	}
	part := func(frag int) string {
		e, err := ur.NewEncoder(ur.PSBT(msg), frag, 10)
		if err != nil {
			panic(err)
		}
		// A fountain part past the fragments, as a receiver mostly sees.
		var p string
		for range e.SeqLen() + 1 {
			p = e.NextPart()
		}
		return p
	}
	var fits []string
	for frag := max(10, lo/2-40); frag <= hi/2; frag++ {
		if p := part(frag); len(p) >= lo && len(p) <= hi {
			fits = append(fits, p)
		}
	}
	if len(fits) > 0 {
		return fits[r.IntN(len(fits))]
	}
	panic(fmt.Sprintf("no UR part fits version %d", version))
}

// camModules draws text at level L with one pixel per module, quiet zone
// included, and returns the module grid (true is dark) and its side.
func camModules(text string) ([]bool, int, int) {
	img, err := Image([]byte(text), ImageOptions{Level: Low, ModulePixels: 1})
	if err != nil {
		panic(err)
	}
	b := img.Bounds()
	n := b.Dx()
	mods := make([]bool, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			mods[y*n+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y < 128
		}
	}
	return mods, n, (n - 8 - 17) / 4
}

// camSynth draws one frame of text. The degradations are drawn from r:
// rotation in [-5°, 5°], black level 70..100, white level 150..200, an
// illumination gradient of up to ±15% across the frame, a box blur of
// radius 1 or 2 and Gaussian noise of σ 5..12.
func camSynth(r *rand.Rand, text string) camFrame {
	mods, n, version := camModules(text)
	code := float64(n - 8) // modules without the quiet zone
	scale := camCodeFrac * camHeight / code
	angle := (r.Float64()*10 - 5) * math.Pi / 180
	black := 70 + r.Float64()*30
	white := 150 + r.Float64()*50
	desk := black + (white-black)*(0.3+0.4*r.Float64()) // what surrounds the card
	gx, gy := (r.Float64()*2-1)*0.15, (r.Float64()*2-1)*0.15
	radius := 1 + r.IntN(2)
	sigma := 5 + r.Float64()*7
	// Centre the code anywhere it fits with its card margin.
	half := (code/2 + 8) * scale * (math.Abs(math.Cos(angle)) + math.Abs(math.Sin(angle)))
	cx := half + r.Float64()*(camWidth-2*half)
	cy := half + r.Float64()*(camHeight-2*half)

	cos, sin := math.Cos(angle), math.Sin(angle)
	f := make([]float32, camWidth*camHeight)
	// Card: the code plus 8 modules of margin (4 of quiet zone, 4 more).
	cardHalf := float64(n)/2 + 4
	deskDark := (white - desk) / (white - black)
	half2 := float64(n) / 2
	cs, sn := cos/scale, sin/scale
	for y := 0; y < camHeight; y++ {
		illumY := 1 + gy*(float64(y)/camHeight-0.5)*2
		for x := 0; x < camWidth; x++ {
			// The printed code has sharp edges; each pixel integrates it
			// over 2x2 sub-samples (inverse rotation into module
			// coordinates, origin at the code's centre).
			var dark float64 // 0 white .. 1 black
			for _, s := range camSubSamples {
				dx, dy := float64(x)+s[0]-cx, float64(y)+s[1]-cy
				u := cs*dx + sn*dy
				v := -sn*dx + cs*dy
				if u < -cardHalf || u > cardHalf || v < -cardHalf || v > cardHalf {
					dark += deskDark
					continue
				}
				i, j := int(u+half2+1)-1, int(v+half2+1)-1 // floor for u+half2 > -1
				if i >= 0 && j >= 0 && i < n && j < n && mods[j*n+i] {
					dark++
				}
			}
			dark /= float64(len(camSubSamples))
			illum := illumY + gx*(float64(x)/camWidth-0.5)*2
			f[y*camWidth+x] = float32((white - (white-black)*dark) * illum)
		}
	}
	boxBlur(f, camWidth, camHeight, radius)
	img := image.NewGray(image.Rect(0, 0, camWidth, camHeight))
	for i, v := range f {
		img.Pix[i] = clamp8(float64(v) + r.NormFloat64()*sigma)
	}
	return camFrame{
		Img:     img,
		Text:    text,
		Version: version,
		CX:      cx, CY: cy, Angle: angle, Scale: scale,
		Params: fmt.Sprintf("v%d angle %.1f° black %.0f white %.0f gradient %.2f,%.2f blur r%d noise σ%.1f",
			version, angle*180/math.Pi, black, white, gx, gy, radius, sigma),
	}
}

// camSubSamples are where a pixel samples the printed code, so that edges
// are anti-aliased as a sensor's pixels integrate light.
var camSubSamples = [...][2]float64{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}}

// boxBlur blurs f in place with a (2r+1)x(2r+1) box, edges clamped.
func boxBlur(f []float32, w, h, r int) {
	tmp := make([]float32, len(f))
	k := float32(2*r + 1)
	for y := 0; y < h; y++ {
		row := f[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			var s float32
			for d := -r; d <= r; d++ {
				s += row[min(max(x+d, 0), w-1)]
			}
			tmp[y*w+x] = s / k
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for d := -r; d <= r; d++ {
				s += tmp[min(max(y+d, 0), h-1)*w+x]
			}
			f[y*w+x] = s / k
		}
	}
}

func clamp8(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v + 0.5)
}

// camSet draws perGroup frames for each version group, cycling through the
// group's versions and alternating UR and BBQr parts, from a fixed seed.
func camSet(seed uint64, perGroup int) [][]camFrame {
	r := rand.New(rand.NewPCG(seed, 0xA1251647))
	sets := make([][]camFrame, len(camVersionGroups))
	for g, vg := range camVersionGroups {
		for i := 0; i < perGroup; i++ {
			version := vg[0] + i%(vg[1]-vg[0]+1)
			text := camContent(r, version, i%2 == 1)
			fr := camSynth(r, text)
			if fr.Version != version {
				panic(fmt.Sprintf("drew version %d, want %d (%d chars)", fr.Version, version, len(text)))
			}
			sets[g] = append(sets[g], fr)
		}
	}
	return sets
}

func camGroupName(vg [2]int) string {
	if vg[0] == vg[1] {
		return fmt.Sprintf("v%d", vg[0])
	}
	return fmt.Sprintf("v%d-%d", vg[0], vg[1])
}

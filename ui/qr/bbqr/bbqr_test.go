package bbqr

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vectors is testdata/bbqr-vectors.json: the real Coldcard scan, facts from
// the specification, and series written by Coinkite's reference encoder.
type vectors struct {
	Source   string `json:"source"`
	RealScan struct {
		FileType      string   `json:"file_type"`
		DecodedLen    int      `json:"decoded_len"`
		DecodedSHA256 string   `json:"decoded_sha256"`
		DecodedPrefix string   `json:"decoded_prefix"`
		Parts         []string `json:"parts_in_scan_order"`
	} `json:"real_scan"`
	Spec struct {
		Capacity      map[string]int `json:"alnum_capacity_L"`
		HexPayload    map[string]int `json:"hex_payload_bytes"`
		MaxFileHex    int            `json:"max_file_hex"`
		MaxFileBase32 int            `json:"max_file_base32"`
		MaxParts      int            `json:"max_parts"`
	} `json:"spec"`
	Reference struct {
		Cases []struct {
			Name     string `json:"name"`
			FileType string `json:"file_type"`
			Options  struct {
				Encoding   string `json:"encoding"`
				MinVersion int    `json:"minVersion"`
				MaxVersion int    `json:"maxVersion"`
				MinSplit   int    `json:"minSplit"`
			} `json:"options"`
			DataHex  string   `json:"data_hex"`
			Version  int      `json:"version"`
			Encoding string   `json:"encoding"`
			Parts    []string `json:"parts"`
		} `json:"cases"`
	} `json:"reference_splits"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "bbqr-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// decodeAll feeds parts to a new Decoder and returns its result, failing
// the test on any refusal.
func decodeAll(t testing.TB, parts []string) (FileType, []byte) {
	t.Helper()
	d := NewDecoder()
	var done bool
	for i, p := range parts {
		var err error
		done, err = d.Add(p)
		if err != nil {
			t.Fatalf("Add(part %d %.12q): %v", i, p, err)
		}
	}
	if !done {
		t.Fatalf("not done after %d parts, progress %v", len(parts), d.Progress())
	}
	ft, data, err := d.Result()
	if err != nil {
		t.Fatal(err)
	}
	return ft, data
}

// TestRealScan decodes what a Coldcard showed: an animated series of 8 Z
// parts (UTF-8 text, an early draft of the BBQr specification itself, 12518
// bytes) scanned as it looped, so the scan starts at part 2, repeats parts
// and has part 3 only on the second loop.
func TestRealScan(t *testing.T) {
	v := loadVectors(t)
	rs := v.RealScan
	check := func(t *testing.T, parts []string) {
		ft, data := decodeAll(t, parts)
		if ft != Text || string(ft) != rs.FileType {
			t.Errorf("file type = %v, want %v", ft, Text)
		}
		if len(data) != rs.DecodedLen {
			t.Errorf("len = %d, want %d", len(data), rs.DecodedLen)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != rs.DecodedSHA256 {
			t.Errorf("sha256 = %x, want %s", sum, rs.DecodedSHA256)
		}
		if !strings.HasPrefix(string(data), rs.DecodedPrefix) || !strings.Contains(string(data), "Zlib compressed") {
			t.Errorf("decoded text starts %q, want the BBQr specification", data[:80])
		}
	}
	t.Run("scan order", func(t *testing.T) { check(t, rs.Parts) })

	// Done exactly when the last missing part (index 2) first arrives.
	d := NewDecoder()
	for i, p := range rs.Parts {
		done, err := d.Add(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := i >= 8; done != want { // rs.Parts[8] is the first "B$ZU0802"
			t.Fatalf("after scan line %d (%.8s) done = %v, want %v", i, p, done, want)
		}
	}
	if VersionFor(rs.Parts) != 20 {
		t.Errorf("VersionFor(real scan) = %d, want 20 (1248-character parts)", VersionFor(rs.Parts))
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := append([]string(nil), rs.Parts...)
		// Add a few more duplicates, some with the white space a scanner
		// or clipboard adds.
		for range 5 {
			shuffled = append(shuffled, rs.Parts[rng.IntN(len(rs.Parts))]+"\r\n")
		}
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		t.Run("shuffled "+strconv.Itoa(i), func(t *testing.T) { check(t, shuffled) })
	}
}

// TestReferenceSplits decodes every series Coinkite's reference encoder
// wrote, and checks that for H and 2, where no compressor is involved,
// Split writes the very same parts at the very same QR version.
func TestReferenceSplits(t *testing.T) {
	v := loadVectors(t)
	if len(v.Reference.Cases) == 0 {
		t.Fatal("no reference cases")
	}
	for _, c := range v.Reference.Cases {
		t.Run(c.Name, func(t *testing.T) {
			want, err := hex.DecodeString(c.DataHex)
			if err != nil {
				t.Fatal(err)
			}
			ft, got := decodeAll(t, c.Parts)
			if string(ft) != c.FileType || !bytes.Equal(got, want) {
				t.Fatalf("decoded %v %d bytes, want %s %d bytes", ft, len(got), c.FileType, len(want))
			}
			if VersionFor(c.Parts) > c.Version {
				t.Errorf("VersionFor = %d, reference chose %d", VersionFor(c.Parts), c.Version)
			}

			opt := Options{
				MinVersion: c.Options.MinVersion,
				MaxVersion: c.Options.MaxVersion,
				MinParts:   c.Options.MinSplit,
			}
			if c.Options.Encoding != "" {
				opt.Encoding = Encoding(c.Options.Encoding[0])
			}
			ours, err := Split(want, FileType(c.FileType[0]), opt)
			if err != nil {
				t.Fatal(err)
			}
			if _, back := decodeAll(t, ours); !bytes.Equal(back, want) {
				t.Fatal("our split does not round-trip")
			}
			if ours[0][2] != c.Encoding[0] {
				t.Errorf("our encoding %c, reference %s", ours[0][2], c.Encoding)
			}
			if c.Encoding == "Z" {
				return // compressors differ; both decode, which is what matters
			}
			if strings.Contains(c.Name, "146 chars") {
				// The reference rounds a part down to whole base32
				// groups before asking whether one part is enough;
				// 146 characters fit one version-5 part (154 less
				// the header), so we send one part where it sends two.
				if len(ours) != 1 || len(c.Parts) != 2 {
					t.Errorf("got %d parts (reference %d), want 1 (reference 2)", len(ours), len(c.Parts))
				}
				return
			}
			if strings.Join(ours, "\n") != strings.Join(c.Parts, "\n") {
				t.Errorf("parts differ from the reference:\n got %.40q…\nwant %.40q…", ours, c.Parts)
			}
		})
	}
}

// TestSpecFacts checks the numbers the specification states.
func TestSpecFacts(t *testing.T) {
	v := loadVectors(t)
	for ver, want := range v.Spec.Capacity {
		n, _ := strconv.Atoi(ver)
		if got := Capacity(n); got != want {
			t.Errorf("Capacity(%d) = %d, want %d", n, got, want)
		}
		if got := (Capacity(n) - HeaderLen) / 2; got != v.Spec.HexPayload[ver] {
			t.Errorf("hex payload at version %d = %d bytes, want %d", n, got, v.Spec.HexPayload[ver])
		}
	}
	if MaxParts != v.Spec.MaxParts {
		t.Errorf("MaxParts = %d, want %d", MaxParts, v.Spec.MaxParts)
	}
	room := MaxPartLen - HeaderLen
	if got := MaxParts * (room / 2); got != v.Spec.MaxFileHex {
		t.Errorf("largest hex file = %d, want %d", got, v.Spec.MaxFileHex)
	}
	if got := MaxParts * (room / 8 * 5); got != v.Spec.MaxFileBase32 {
		t.Errorf("largest base32 file = %d, want %d", got, v.Spec.MaxFileBase32)
	}
	// Capacities grow with the version.
	for n := 2; n <= 40; n++ {
		if Capacity(n) <= Capacity(n-1) {
			t.Errorf("Capacity(%d) = %d <= Capacity(%d) = %d", n, Capacity(n), n-1, Capacity(n-1))
		}
	}

	// "B$HP0300" example: 2150 bytes of PSBT in three parts of at most 1000
	// bytes. Our split at version 27 makes three parts too, the longest
	// holding 1062 bytes.
	data := bytes.Repeat([]byte{0x70, 0x73, 0x62, 0x74}, 2150/4+1)[:2150]
	parts, err := Split(data, PSBT, Options{Encoding: Hex, MinVersion: 27, MaxVersion: 27})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "B$HP0300") || !strings.HasPrefix(parts[2], "B$HP0302") {
		t.Fatalf("parts = %d starting %.8q, want 3 starting B$HP0300", len(parts), parts[0])
	}
	if VersionFor(parts) != 27 {
		t.Errorf("VersionFor = %d, want 27", VersionFor(parts))
	}
}

// TestLargestSeries splits the largest file hex and base32 can carry into
// exactly 1295 version-40 parts, and one byte more is refused.
func TestLargestSeries(t *testing.T) {
	if testing.Short() {
		t.Skip("3 MB round trips")
	}
	for _, c := range []struct {
		enc  Encoding
		size int
	}{{Hex, 2776480}, {Base32, 3470600}} {
		data := make([]byte, c.size)
		fill(data, 3)
		parts, err := Split(data, Transaction, Options{Encoding: c.enc, MinVersion: 40})
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != MaxParts || VersionFor(parts) != 40 {
			t.Fatalf("%v: %d parts at version %d, want 1295 at 40", c.enc, len(parts), VersionFor(parts))
		}
		if _, back := decodeAll(t, parts); !bytes.Equal(back, data) {
			t.Fatalf("%v: round trip differs", c.enc)
		}
		if _, err := Split(append(data, 0), Transaction, Options{Encoding: c.enc}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%v: one byte over: err = %v, want ErrTooLarge", c.enc, err)
		}
	}
}

// psbtLike returns a deterministic payload shaped like a PSBT: the magic,
// random keys and hashes, and the repeated fingerprints and derivation
// paths that make real PSBTs compressible.
func psbtLike(size int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := []byte("psbt\xff")
	random := func(n int) {
		for range n {
			out = append(out, byte(rng.Uint32()))
		}
	}
	for i := 0; len(out) < size; i++ {
		// An input or output map: a key, a value amount and script, and
		// a BIP32 derivation with the same master fingerprint each time.
		out = append(out, 0x01, 0x00, 0x21)
		random(33) // public key
		out = append(out, 0x16, 0x00, 0x14)
		random(20) // script hash
		out = append(out, 0x06, 0x33, 0x41, 0x2f, 0x73, 0xd5, 0x29, 0x54, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, byte(i), 0, 0, 0)
		out = append(out, 0x08)
		random(3)
		out = append(out, 0, 0, 0, 0, 0, 0x00)
	}
	return out[:size]
}

// TestRoundTrip splits and decodes every encoding and file type over sizes
// from 0 to 200 KB, in shuffled order, with entropy from none to full.
func TestRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 255, 1000, 1062, 1063, 3800, 10_000, 50_000, 200_000}
	if testing.Short() {
		sizes = sizes[:14]
	}
	rng := rand.New(rand.NewPCG(5, 6))
	kinds := map[string]func(n int) []byte{
		"zeros": func(n int) []byte { return make([]byte, n) },
		"random": func(n int) []byte {
			b := make([]byte, n)
			fill(b, rng.Uint64())
			return b
		},
		"psbt": func(n int) []byte { return psbtLike(n, uint64(n)) },
	}
	fts := []FileType{PSBT, Transaction, JSON, Text, Binary, CBOR}
	for kind, gen := range kinds {
		for _, size := range sizes {
			data := gen(size)
			for i, enc := range []Encoding{0, Hex, Base32, Zlib} {
				ft := fts[(i+size)%len(fts)]
				for _, maxV := range []int{11, 29, 40} {
					parts, err := Split(data, ft, Options{Encoding: enc, MaxVersion: maxV})
					if err != nil {
						t.Fatalf("%s %d %v v%d: %v", kind, size, enc, maxV, err)
					}
					if v := VersionFor(parts); v > maxV || v == 0 {
						t.Fatalf("%s %d %v: parts need version %d, max %d", kind, size, enc, v, maxV)
					}
					checkSeries(t, parts)
					rng.Shuffle(len(parts), func(a, b int) { parts[a], parts[b] = parts[b], parts[a] })
					gotFT, got := decodeAll(t, parts)
					if gotFT != ft || !bytes.Equal(got, data) {
						t.Fatalf("%s %d %v v%d: round trip differs", kind, size, enc, maxV)
					}
				}
			}
		}
	}
}

// checkSeries checks the format rules Split must keep: one header for the
// series, equal non-final parts that are whole units, indexes in order.
func checkSeries(t *testing.T, parts []string) {
	t.Helper()
	if len(parts) == 0 || len(parts) > MaxParts {
		t.Fatalf("%d parts", len(parts))
	}
	enc := Encoding(parts[0][2])
	for i, p := range parts {
		if p[:6] != parts[0][:6] || p[6:8] != base36(i) {
			t.Fatalf("part %d header %q, first %q", i, p[:8], parts[0][:8])
		}
		if i < len(parts)-1 {
			if len(p) != len(parts[0]) || (len(p)-HeaderLen)%enc.charsPerUnit() != 0 {
				t.Fatalf("part %d has %d characters, first %d, unit %d", i, len(p), len(parts[0]), enc.charsPerUnit())
			}
		} else if len(p) > len(parts[0]) {
			t.Fatalf("last part longer than the first")
		}
		for _, c := range p {
			if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", c) {
				t.Fatalf("part %d has %q, not QR alphanumeric", i, c)
			}
		}
	}
}

// TestZFallsBackToBase32 checks that Z is used when it shrinks the data
// and base32 when it does not.
func TestZFallsBackToBase32(t *testing.T) {
	random := make([]byte, 4000)
	fill(random, 7)
	for _, c := range []struct {
		name string
		data []byte
		want byte
	}{
		{"random", random, '2'},
		{"empty", nil, '2'},
		{"one byte", []byte{1}, '2'},
		{"psbt", psbtLike(3800, 1), 'Z'},
		{"text", bytes.Repeat([]byte("pay to the order of "), 100), 'Z'},
	} {
		for _, enc := range []Encoding{0, Zlib} {
			parts, err := Split(c.data, PSBT, Options{Encoding: enc})
			if err != nil {
				t.Fatal(err)
			}
			if parts[0][2] != c.want {
				t.Errorf("%s with %v: encoding %c, want %c", c.name, enc, parts[0][2], c.want)
			}
		}
	}
	// What Z does to the PSBT-like payload, for the record.
	data := psbtLike(3800, 1)
	z := deflateWindowed(data)
	t.Logf("psbt-like %d bytes deflate to %d (%.1f%% smaller)", len(data), len(z), 100-100*float64(len(z))/float64(len(data)))
}

// TestSplitOptions covers the option bounds.
func TestSplitOptions(t *testing.T) {
	data := make([]byte, 3000)
	fill(data, 9)
	for _, c := range []struct {
		opt  Options
		want int // parts, or -1 for an error
	}{
		{Options{Encoding: Base32, MinVersion: 15, MaxVersion: 15}, 7},
		{Options{Encoding: Base32, MinParts: 10}, 10},
		{Options{Encoding: Hex, MaxParts: 2}, 2},
		{Options{Encoding: Hex, MaxParts: 1}, -1},
		{Options{Encoding: Hex, MaxVersion: 41}, -1},
		{Options{Encoding: 'Q'}, -1},
		{Options{MinParts: 3, MaxParts: 2}, -1},
		{Options{MaxParts: 1296}, -1},
	} {
		parts, err := Split(data, PSBT, c.opt)
		if c.want < 0 {
			if err == nil {
				t.Errorf("%+v: no error", c.opt)
			}
			continue
		}
		if err != nil || len(parts) != c.want {
			t.Errorf("%+v: %d parts, %v; want %d", c.opt, len(parts), err, c.want)
		}
	}
	if _, err := Split(data, 'Q', Options{}); err == nil {
		t.Error("file type Q: no error")
	}
}

// TestRefusals feeds hostile and broken parts and checks each is refused
// with the right sentinel, while the series under way keeps its progress.
func TestRefusals(t *testing.T) {
	data := make([]byte, 600)
	fill(data, 11)
	good, err := Split(data, PSBT, Options{Encoding: Base32, MaxVersion: 5})
	if err != nil {
		t.Fatal(err)
	}
	hexParts, err := Split(data, PSBT, Options{Encoding: Hex, MaxVersion: 5})
	if err != nil {
		t.Fatal(err)
	}
	n := len(good)
	if n < 4 {
		t.Fatalf("want a longer series, got %d parts", n)
	}
	body := good[1][HeaderLen:]
	hdr := good[1][:HeaderLen]
	total := good[0][4:6]
	last := "B$2P" + total + base36(n-1) // header of the final part
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	for _, c := range []struct {
		name string
		part string
		want error
		text string // a word the message must carry
	}{
		{"not bbqr", "UR:CRYPTO-PSBT/1-2/ABC", ErrNotBBQr, "B$"},
		{"short header", "B$2P01", ErrMalformed, "header"},
		{"unknown encoding", "B$QP0100AA", ErrMalformed, "encoding"},
		{"unknown file type", "B$2Q0100AA", ErrMalformed, "file type"},
		{"bad base36 count", "B$2P0#00AA", ErrMalformed, "count"},
		{"lower-case base36", "B$2P0a00AA", ErrMalformed, "base-36"},
		{"bad base36 index", "B$2P01-0AA", ErrMalformed, "index"},
		{"zero parts", "B$2P0000AA", ErrMalformed, "00"},
		{"index past total", "B$2P" + total + total + body, ErrMalformed, "not below"},
		{"index ZZ of 1", "B$2P01ZZAA", ErrMalformed, "not below"},
		{"mixed encoding", "B$H" + hexParts[1][3:], ErrOtherSeries, "hex"},
		{"mixed type", "B$2T" + good[1][4:], ErrOtherSeries, "transaction"},
		{"mixed total", "B$2P" + base36(n+1) + "01" + body, ErrOtherSeries, "parts"},
		{"unequal length", "B$2P" + total + "02" + body[:len(body)-8], ErrInconsistent, "characters"},
		{"longer part", "B$2P" + total + "02" + body + "AAAAAAAA", ErrInconsistent, "characters"},
		{"conflicting duplicate", hdr + flip(body, 0), ErrInconsistent, "differs"},
		{"base32 not whole bytes, non-final", "B$2P" + total + "02" + body[:len(body)-3], ErrMalformed, "groups of 8"},
		{"base32 impossible length", last + "ABC", ErrMalformed, "whole byte"},
		{"base32 stray bits", last + "AB", ErrMalformed, "bits"},
		{"base32 padding", last + "AA======", ErrMalformed, "base32"},
		{"lower-case base32", last + "aa", ErrMalformed, "base32"},
		{"too long for a QR code", last + strings.Repeat("A", MaxPartLen), ErrTooLarge, "4296"},
		{"empty middle part", "B$2P" + total + "02", ErrMalformed, "no data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder()
			if _, err := d.Add(good[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Add(good[1]); err != nil {
				t.Fatal(err)
			}
			before := d.Progress()
			_, err := d.Add(c.part)
			if !errors.Is(err, c.want) {
				t.Fatalf("Add(%.20q) = %v, want %v", c.part, err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not mention %q", err, c.text)
			}
			if d.Progress() != before {
				t.Errorf("progress %v after refusal, was %v", d.Progress(), before)
			}
			// The series still completes.
			for _, p := range good {
				if _, err := d.Add(p); err != nil {
					t.Fatal(err)
				}
			}
			if _, got, err := d.Result(); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("after the refusal the series does not complete: %v", err)
			}
		})
	}

	t.Run("hex", func(t *testing.T) {
		for _, c := range []struct{ part, text string }{
			{"B$HP0100ABC", "whole bytes"},
			{"B$HP0100ab", "hex digit"},
			{"B$HP0100G0", "hex digit"},
		} {
			if _, err := NewDecoder().Add(c.part); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("Add(%q) = %v, want ErrMalformed mentioning %q", c.part, err, c.text)
			}
		}
	})

	t.Run("final part arrives first and is longer", func(t *testing.T) {
		d := NewDecoder()
		if _, err := d.Add(last + body + "AAAAAAAA"); err != nil {
			t.Fatal(err) // alone it cannot be judged
		}
		if _, err := d.Add(good[0]); !errors.Is(err, ErrInconsistent) {
			t.Fatalf("err = %v, want ErrInconsistent", err)
		}
	})

	t.Run("incomplete", func(t *testing.T) {
		d := NewDecoder()
		if _, _, err := d.Result(); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("err = %v", err)
		}
		d.Add(good[0])
		_, _, err := d.Result()
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "missing part 2") {
			t.Fatalf("err = %v, want ErrIncomplete naming part 2", err)
		}
		if got, want := d.Progress(), 1/float64(n); got != want {
			t.Errorf("Progress = %v, want %v", got, want)
		}
	})

	t.Run("inflate bomb", func(t *testing.T) {
		// 3 MiB of zeros deflate to a few KiB; inflated they pass the cap.
		z := deflateWindowed(make([]byte, 3<<20))
		parts := splitRaw(t, Zlib, Binary, z)
		d := NewDecoder()
		var err error
		for _, p := range parts {
			_, err = d.Add(p)
		}
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		if _, _, err := d.Result(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Result err = %v, want ErrTooLarge", err)
		}
	})

	t.Run("corrupt deflate", func(t *testing.T) {
		parts := splitRaw(t, Zlib, Binary, []byte{0xff, 0xff, 0xff})
		if _, err := NewDecoder().Add(parts[0]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
	})
}

// splitRaw frames already-encoded bytes (for Z, a DEFLATE stream) as a
// series, bypassing Split's own encoding choice.
func splitRaw(t *testing.T, enc Encoding, ft FileType, b []byte) []string {
	t.Helper()
	body := b32.EncodeToString(b)
	_, count, per := plan(len(body), 8, 40, 40, 1, MaxParts)
	var parts []string
	for i := range count {
		lo, hi := i*per, min((i+1)*per, len(body))
		parts = append(parts, "B$"+string(rune(enc))+string(rune(ft))+base36(count)+base36(i)+body[lo:hi])
	}
	return parts
}

func TestBase36(t *testing.T) {
	for n := 0; n <= MaxParts; n++ {
		s := base36(n)
		got, ok := parseBase36(s)
		if !ok || got != n || strings.ToUpper(s) != s {
			t.Fatalf("base36(%d) = %q, parses to %d %v", n, s, got, ok)
		}
		if want := strings.ToUpper(strconv.FormatInt(int64(n), 36)); strings.TrimLeft(s, "0") != strings.TrimLeft(want, "0") {
			t.Fatalf("base36(%d) = %q, strconv says %q", n, s, want)
		}
	}
	if base36(MaxParts) != "ZZ" {
		t.Errorf("base36(1295) = %q", base36(MaxParts))
	}
}

func TestNames(t *testing.T) {
	for _, ft := range []FileType{PSBT, Transaction, JSON, Text, Binary, CBOR, Executable, 'Q'} {
		if ft.String() == "" {
			t.Errorf("%c has no name", ft)
		}
	}
	for _, e := range []Encoding{Hex, Base32, Zlib, 'Q'} {
		if e.String() == "" {
			t.Errorf("%c has no name", e)
		}
	}
	if VersionFor([]string{strings.Repeat("A", MaxPartLen+1)}) != 0 {
		t.Error("VersionFor of an over-long part is not 0")
	}
	if Capacity(0) != 0 || Capacity(41) != 0 {
		t.Error("Capacity out of range is not 0")
	}
}

// fill fills b with deterministic pseudo-random bytes from seed.
func fill(b []byte, seed uint64) {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	rand.NewChaCha8(key).Read(b)
}

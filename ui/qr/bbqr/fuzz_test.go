package bbqr

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzDecoderAdd feeds arbitrary text, one part a line, to a Decoder. It
// must never panic; whatever it accepts must stay consistent; and a series
// it completes must survive re-encoding: Split of the result at the same
// encoding decodes to the same bytes (the parse -> encode round trip).
func FuzzDecoderAdd(f *testing.F) {
	f.Add("B$2P0100AA")
	f.Add("B$HP0200AB\nB$HP0201CD")
	f.Add("B$ZU0100" + b32.EncodeToString(deflateWindowed([]byte("hello hello hello"))))
	f.Add("B$2P0201AAAAAAAA\nB$2P0200AAAAAAAA\nB$2P0201AAAAAAAA")
	f.Add("B$ZP0100" + b32.EncodeToString([]byte{0xff, 0xff}))
	for _, p := range mustSplit(f, psbtLike(1500, 1), Zlib, 8) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := NewDecoder()
		var done bool
		for _, line := range strings.Split(in, "\n") {
			before := d.Progress()
			var err error
			done, err = d.Add(line)
			if err != nil && !done && d.Progress() != before {
				t.Fatalf("refused %q yet progress moved %v -> %v", line, before, d.Progress())
			}
			if err != nil && !isOurs(err) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if p := d.Progress(); p < 0 || p > 1 {
				t.Fatalf("progress %v", p)
			}
		}
		ft, data, err := d.Result()
		if !done {
			if err == nil {
				t.Fatal("Result without error before done")
			}
			return
		}
		if err != nil {
			return // a complete series that does not inflate
		}
		enc, _, _, missing, _ := d.Series()
		if len(missing) != 0 {
			t.Fatalf("done with parts missing %v", missing)
		}
		if enc == Zlib && len(data) > MaxInflatedSize {
			t.Fatalf("inflated %d bytes past the cap", len(data))
		}
		if enc == Zlib {
			enc = 0 // may legitimately fall back to base32
		}
		parts, err := Split(data, ft, Options{Encoding: enc, MinVersion: 1})
		if err != nil {
			t.Fatalf("re-split: %v", err)
		}
		gotFT, got := decodeAll(t, parts)
		if gotFT != ft || !bytes.Equal(got, data) {
			t.Fatal("re-split does not round-trip")
		}
	})
}

// FuzzSplitRoundTrip splits arbitrary data under arbitrary options and
// decodes it back, in reverse order with every part twice.
func FuzzSplitRoundTrip(f *testing.F) {
	f.Add([]byte(""), byte('Z'), byte('P'), uint8(5), uint8(40))
	f.Add([]byte("psbt\xff\x01\x00"), byte('H'), byte('T'), uint8(1), uint8(1))
	f.Add(bytes.Repeat([]byte("abc"), 1000), byte('2'), byte('U'), uint8(10), uint8(12))
	f.Add(psbtLike(3800, 1), byte(0), byte('B'), uint8(15), uint8(15))
	f.Fuzz(func(t *testing.T, data []byte, enc, ft byte, minV, maxV uint8) {
		opt := Options{Encoding: Encoding(enc), MinVersion: int(minV % 41), MaxVersion: int(maxV % 41)}
		parts, err := Split(data, FileType(ft), opt)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("Split: %v", err)
			}
			return
		}
		checkSeries(t, parts)
		if opt.MaxVersion != 0 && VersionFor(parts) > opt.MaxVersion {
			t.Fatalf("parts need version %d, max %d", VersionFor(parts), opt.MaxVersion)
		}
		var twice []string
		for i := len(parts) - 1; i >= 0; i-- {
			twice = append(twice, parts[i], parts[i])
		}
		gotFT, got := decodeAll(t, twice)
		if gotFT != FileType(ft) || !bytes.Equal(got, data) {
			t.Fatal("round trip differs")
		}
	})
}

func isOurs(err error) bool {
	for _, s := range []error{ErrNotBBQr, ErrMalformed, ErrOtherSeries, ErrInconsistent, ErrTooLarge, ErrIncomplete, ErrCorrupt, ErrBadOptions} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func mustSplit(tb testing.TB, data []byte, enc Encoding, maxV int) []string {
	tb.Helper()
	parts, err := Split(data, PSBT, Options{Encoding: enc, MaxVersion: maxV})
	if err != nil {
		tb.Fatal(err)
	}
	return parts
}

// BenchmarkSplit splits a 3.8 KB PSBT-like payload as Z at QR version
// 15-L, the density a kiosk camera reads reliably, and reports the parts.
func BenchmarkSplit(b *testing.B) {
	data := psbtLike(3800, 1)
	var parts []string
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		parts = mustSplitV(b, data, 15)
	}
	b.ReportMetric(float64(len(parts)), "parts@v15L")
}

// BenchmarkDecode decodes the same series part by part.
func BenchmarkDecode(b *testing.B) {
	data := psbtLike(3800, 1)
	parts := mustSplitV(b, data, 15)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := NewDecoder()
		for _, p := range parts {
			if _, err := d.Add(p); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := d.Result(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(parts)), "parts@v15L")
}

func mustSplitV(tb testing.TB, data []byte, v int) []string {
	tb.Helper()
	parts, err := Split(data, PSBT, Options{MinVersion: v, MaxVersion: v})
	if err != nil {
		tb.Fatal(err)
	}
	return parts
}

// TestPartsAtVersion15 records what the benchmark payload costs in frames
// for each encoding at version 15-L.
func TestPartsAtVersion15(t *testing.T) {
	data := psbtLike(3800, 1)
	for _, enc := range []Encoding{Zlib, Base32, Hex} {
		parts, err := Split(data, PSBT, Options{Encoding: enc, MinVersion: 15, MaxVersion: 15})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("3800-byte PSBT-like payload, %v, version 15-L: %d parts of %d characters", enc, len(parts), len(parts[0]))
		if VersionFor(parts) > 15 {
			t.Errorf("%v: parts need version %d", enc, VersionFor(parts))
		}
	}
}

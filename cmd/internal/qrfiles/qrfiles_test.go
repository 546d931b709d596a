package qrfiles

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"airsign/ui/qr"
)

func TestReadLimited(t *testing.T) {
	for _, tc := range []struct {
		in      string
		max     int64
		wantErr bool
	}{{"abc", 3, false}, {"abcd", 3, true}, {"", 0, false}} {
		got, err := ReadLimited(strings.NewReader(tc.in), tc.max, "thing")
		if (err != nil) != tc.wantErr || (err == nil && string(got) != tc.in) {
			t.Errorf("ReadLimited(%q, %d) = %q, %v; want error %v", tc.in, tc.max, got, err, tc.wantErr)
		}
	}
}

// A PSBT written as frames reads back from the frames and from the GIF.
func TestWriteAndReadPSBT(t *testing.T) {
	data := []byte("psbt\xff" + strings.Repeat("\x01\x02\x03", 400))
	dir := filepath.Join(t.TempDir(), "qr")
	n, err := WritePSBT(dir, data, QROptions{Format: "ur", MaxFragment: 200, FPS: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("%d frames for %d bytes at 200 per frame", n, len(data))
	}
	frames, _ := filepath.Glob(filepath.Join(dir, "frame-*.png"))
	for _, paths := range [][]string{frames, {filepath.Join(dir, "animated.gif")}} {
		got, _, err := ReadPSBT(paths)
		if err != nil {
			t.Fatalf("ReadPSBT(%d files): %v", len(paths), err)
		}
		if string(got) != string(data) {
			t.Fatalf("read back %d bytes, want the %d written", len(got), len(data))
		}
	}
	if _, err := WritePSBT(dir, data, QROptions{Format: "ur"}); err == nil {
		t.Fatal("WritePSBT into an existing folder succeeded")
	}
	// Too few frames: the error says how far the transfer got.
	if _, _, err := ReadPSBT(frames[:1]); err == nil || !strings.Contains(err.Error(), "% of the transfer") {
		t.Fatalf("one frame of %d: got %v", n, err)
	}
	big := filepath.Join(t.TempDir(), "big.psbt")
	os.WriteFile(big, make([]byte, qr.MaxImageBytes+1), 0o644)
	if _, _, err := ReadPSBT([]string{big}); err == nil {
		t.Fatal("an oversized file was read")
	}
}

func TestWriteText(t *testing.T) {
	dir := t.TempDir()
	// An encrypted 2-of-3 BSMS record is about this long, in hex.
	record := []byte(strings.Repeat("0123456789abcdef", 70))
	out, png := filepath.Join(dir, "r.txt"), filepath.Join(dir, "r.png")
	if err := WriteText(out, png, record); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != string(record) {
		t.Errorf("the file holds %q, %v; want the record", got, err)
	}
	data, _ := os.ReadFile(png)
	if got, err := qr.DecodeFile(data); err != nil || string(got) != string(record) {
		t.Errorf("the QR image reads %q, %v; want the record", got, err)
	}
	if err := WriteText(out, "", record); err == nil {
		t.Error("WriteText overwrote an existing file")
	}
	if err := WriteText("", filepath.Join(dir, "only.png"), record); err != nil {
		t.Errorf("WriteText with only a QR image: %v", err)
	}
}

// BBQr frames written as files hold each part once, for an even number
// of parts too (the GIF's loop shows the last one twice); both read back.
func TestWriteBBQrPartsOnce(t *testing.T) {
	for size := 1000; size <= 16000; size += 3000 {
		data := []byte("psbt\xff")
		rng := rand.NewChaCha8([32]byte{byte(size)})
		data = append(data, make([]byte, size)...)
		rng.Read(data[5:])
		dir := filepath.Join(t.TempDir(), "qr")
		n, err := WritePSBT(dir, data, QROptions{Format: "bbqr", FPS: 4})
		if err != nil {
			t.Fatal(err)
		}
		frames, _ := filepath.Glob(filepath.Join(dir, "frame-*.png"))
		if len(frames) != n {
			t.Fatalf("%d bytes: %d frame files, WritePSBT said %d", size, len(frames), n)
		}
		seen := map[string]bool{}
		for _, f := range frames {
			png, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text, err := qr.DecodeFile(png)
			if err != nil {
				t.Fatal(err)
			}
			if seen[string(text)] {
				t.Errorf("%d bytes, %d frames: %s holds a part another file holds", size, n, filepath.Base(f))
			}
			seen[string(text)] = true
		}
		for _, paths := range [][]string{frames, {filepath.Join(dir, "animated.gif")}} {
			if got, _, err := ReadPSBT(paths); err != nil || string(got) != string(data) {
				t.Fatalf("%d bytes: read back %d bytes, %v", size, len(got), err)
			}
		}
	}
}

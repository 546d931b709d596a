package web

import (
	"bytes"
	"context"
	"testing"

	"airsign/ui/qr"
)

// BenchmarkFrame is the cost of serving one animated-QR frame: cutting a
// 1.5 kB PSBT into the page's default format's parts (BBQr-Z, for the
// airsign kiosk) at medium density (QR version 12 at most) and drawing one
// as PNG, as frame() does on every request (nothing is cached: the PSBT
// changes when an approval is added).
func BenchmarkFrame(b *testing.B) {
	psbt := bytes.Repeat([]byte{0x70, 0x73, 0x62, 0x74, 0xff, 0x01}, 256)
	h := &Handler{}
	for b.Loop() {
		parts, err := h.parts(psbt, "medium", qr.FormatBBQr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := qr.PNG([]byte(parts[0]), frameImage); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPassword is one sign-in's argon2id run with the default
// parameters (64 MiB, 3 passes, 2 lanes): what ConcurrentKDF bounds.
func BenchmarkVerifyPassword(b *testing.B) {
	hash, err := HashPassword([]byte("a long enough password"), DefaultPasswordParams)
	if err != nil {
		b.Fatal(err)
	}
	k := newKDF(1)
	for b.Loop() {
		if ok, err := k.verify(context.Background(), hash, []byte("a long enough password")); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

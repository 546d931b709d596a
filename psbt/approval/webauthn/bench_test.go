package webauthn

import "testing"

func benchmarkVerify(b *testing.B, au authenticator) {
	a := au.assert(b, goodCeremony())
	e := goodExpect()
	e.RequireUV = true
	if err := au.key.Verify(a, e); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := au.key.Verify(a, e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) { benchmarkVerify(b, ecAuthenticator(b)) }

func BenchmarkVerifyEdDSA(b *testing.B) { benchmarkVerify(b, edAuthenticator(b)) }

func BenchmarkParseCOSEKey(b *testing.B) {
	enc := ecAuthenticator(b).key.COSE()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCOSEKey(enc); err != nil {
			b.Fatal(err)
		}
	}
}

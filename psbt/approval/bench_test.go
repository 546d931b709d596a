package approval

import (
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/psbt/approval/webauthn"
)

// The kiosk's check of two approvals on one PSBT, made with station
// (ed25519) keys and with security keys (WebAuthn, Ed25519 credentials):
// what a WebAuthn approval adds to a review. Compare the two side by side.
func BenchmarkCheckStation(b *testing.B) {
	p := testPacket(b, 0x11)
	m := testMessage(b, p)
	var enrolled []Enrolled
	for i, name := range []string{"bob", "carol"} {
		k := testKey(byte(0x40 + i))
		put(p, ptr(Sign(m, name, k)))
		enrolled = append(enrolled, Enrolled{Name: name, Key: StationKey(pub(byte(0x40 + i)))})
	}
	benchmarkCheck(b, p, enrolled)
}

func BenchmarkCheckWebAuthn(b *testing.B) {
	p := testPacket(b, 0x11)
	m := testMessage(b, p)
	var enrolled []Enrolled
	for i, name := range []string{"bob", "carol"} {
		a := newAuthenticator(b, byte(0x40+i))
		putWebAuthn(p, a.approve(name, m, webauthn.FlagUP))
		enrolled = append(enrolled, a.enrolled(name))
	}
	benchmarkCheck(b, p, enrolled)
}

func benchmarkCheck(b *testing.B, p *btcpsbt.Packet, enrolled []Enrolled) {
	b.ReportAllocs()
	for b.Loop() {
		counted, _, err := CheckWith(p, "treasury", testFee, testNow, enrolled, Rules{Need: 2})
		if err != nil || len(counted) != 2 {
			b.Fatalf("counted %v, %v", counted, err)
		}
	}
}

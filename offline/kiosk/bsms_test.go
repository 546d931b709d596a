package kiosk

import (
	"bytes"
	"strings"
	"testing"

	"airsign/psbt/descriptor"
)

func TestParseBSMSToken(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // hex of the bytes, or "" for an error
	}{
		{"00", "00"},
		{"80fc018575eb6607", "80fc018575eb6607"},
		{"00112233445566778899aabbccddeeff", "00112233445566778899aabbccddeeff"},
		{"01", ""},
		{"0", ""},
		{"80fc018575eb66", ""},
		{"80fc018575eb6607zz", ""},
		{"", ""},
		{strings.Repeat("ab", 100), ""},
	} {
		got, err := ParseBSMSToken(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseBSMSToken(%q) = %x; want an error", tc.in, got)
		case tc.want != "" && (err != nil || strings.ToLower(tc.in) != tc.want):
			t.Errorf("ParseBSMSToken(%q) = %x, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestOpenBSMSRecord(t *testing.T) {
	plain := []byte("BSMS 1.0\nwsh(...)\n/0/*,/1/*\nbcrt1q...\n")
	token := []byte{0x80, 0xfc, 0x01, 0x85, 0x75, 0xeb, 0x66, 0x07}
	enc, err := descriptor.EncryptBSMS(token, plain)
	if err != nil {
		t.Fatal(err)
	}
	wrong := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		name  string
		data  []byte
		token []byte
		err   string // "" when the plain record comes back
	}{
		{"plain, no token", plain, nil, ""},
		{"plain, token 00", plain, []byte{0}, ""},
		{"encrypted, right token", enc, token, ""},
		{"encrypted, no token", enc, nil, "encrypted: give the session's TOKEN"},
		{"encrypted, token 00", enc, []byte{0}, "the TOKEN given is 00"},
		{"encrypted, wrong token", enc, wrong, "MAC does not match"},
		{"plain, a token", plain, token, "not encrypted, but the session's TOKEN says it should be"},
	} {
		got, err := OpenBSMSRecord(tc.data, tc.token)
		switch {
		case tc.err == "" && (err != nil || !bytes.Equal(got, plain)):
			t.Errorf("%s: OpenBSMSRecord = %q, %v; want the plain record", tc.name, got, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: OpenBSMSRecord error = %v; want one containing %q", tc.name, err, tc.err)
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{string(enc), true},
		{string(plain), false},
		{"wsh(sortedmulti(2,[00000000/48'/1'/0'/2']tpub...))", false},
		{strings.Repeat("ab", 32), false}, // a MAC alone
		{strings.Repeat("ab", 33) + "a", false},
	} {
		if got := LooksEncryptedBSMS([]byte(tc.in)); got != tc.want {
			t.Errorf("LooksEncryptedBSMS(%.20q…) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

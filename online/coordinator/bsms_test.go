package coordinator

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"

	"airsign/psbt/descriptor"
)

// bsmsSigner is a signer's BIP48 key, made here from a fixed seed the way a
// kiosk derives it, with the record it signs.
type bsmsSigner struct {
	origin descriptor.KeyOrigin
	key    *hdkeychain.ExtendedKey
	priv   *hdkeychain.ExtendedKey
}

func newBSMSSigner(t testing.TB, seedByte byte, params *chaincfg.Params, purpose uint32) bsmsSigner {
	t.Helper()
	master, err := hdkeychain.NewMaster(bytes.Repeat([]byte{seedByte}, 32), params)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := master.ECPubKey()
	var o descriptor.KeyOrigin
	copy(o.Fingerprint[:], btcutil.Hash160(pub.SerializeCompressed())[:4])
	k := master
	coin := uint32(1)
	if params == &chaincfg.MainNetParams {
		coin = 0
	}
	for _, step := range []uint32{purpose, coin, 0, 2} {
		if k, err = k.Derive(step + descriptor.Hardened); err != nil {
			t.Fatal(err)
		}
		o.Path = append(o.Path, step+descriptor.Hardened)
	}
	neuter, err := k.Neuter()
	if err != nil {
		t.Fatal(err)
	}
	return bsmsSigner{origin: o, key: neuter, priv: k}
}

func (s bsmsSigner) record(t testing.TB, token []byte, desc string) []byte {
	t.Helper()
	priv, err := s.priv.ECPrivKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := descriptor.NewBSMSKeyRecord(token, s.origin, s.key, desc, priv)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) == 1 {
		return r
	}
	enc, err := descriptor.EncryptBSMS(token, r)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestBSMSSessionRound(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, encrypt := range []bool{false, true} {
		s, err := NewBSMSSession(2, 3, descriptor.Regtest, encrypt, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Encrypted(); got != encrypt || (encrypt && len(s.Token) != 16) {
			t.Fatalf("encrypt=%v: Encrypted() = %v, Token %q", encrypt, got, s.Token)
		}
		token, _ := hex.DecodeString(s.Token)
		signers := []bsmsSigner{
			newBSMSSigner(t, 1, &chaincfg.RegressionNetParams, 48),
			newBSMSSigner(t, 2, &chaincfg.RegressionNetParams, 48),
			newBSMSSigner(t, 3, &chaincfg.RegressionNetParams, 48),
		}
		if _, err := s.Descriptor(); err == nil {
			t.Errorf("encrypt=%v: Descriptor() with no keys succeeded", encrypt)
		}
		for i, sg := range signers {
			k, err := s.AddKeyRecord(sg.record(t, token, "station "+string(rune('a'+i))), now)
			if err != nil {
				t.Fatalf("encrypt=%v: AddKeyRecord(signer %d): %v", encrypt, i+1, err)
			}
			if want := "[" + sg.origin.String() + "]" + sg.key.String(); k.Key != want {
				t.Errorf("key %d = %s; want %s", i+1, k.Key, want)
			}
		}
		rec, err := s.Record()
		if err != nil {
			t.Fatal(err)
		}
		plain := rec
		if encrypt {
			if bytes.HasPrefix(rec, []byte("BSMS")) {
				t.Fatalf("encrypted session wrote a plain record")
			}
			if plain, err = descriptor.DecryptBSMS(token, rec); err != nil {
				t.Fatal(err)
			}
		}
		r, err := descriptor.ParseBSMSForNetwork(plain, descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := s.Descriptor()
		if got, want := r.Descriptor.String(), d.String(); got != want || d.Threshold != 2 || len(d.Keys) != 3 || d.Script != descriptor.P2WSHMulti {
			t.Errorf("the record's descriptor = %s; want %s, 2 of 3 wsh", got, want)
		}
		if _, err := s.AddKeyRecord(newBSMSSigner(t, 4, &chaincfg.RegressionNetParams, 48).record(t, token, "late"), now); err == nil {
			t.Errorf("encrypt=%v: a fourth key was added to a 2-of-3 session", encrypt)
		}
	}
}

func TestBSMSSessionRefuses(t *testing.T) {
	now := time.Now()
	reg := &chaincfg.RegressionNetParams
	enc, _ := NewBSMSSession(2, 3, descriptor.Regtest, true, now)
	token, _ := hex.DecodeString(enc.Token)
	other, _ := NewBSMSSession(2, 3, descriptor.Regtest, true, now)
	otherToken, _ := hex.DecodeString(other.Token)
	a := newBSMSSigner(t, 1, reg, 48)
	tampered := bytes.Replace(a.record(t, []byte{0}, "station a"), []byte("station a"), []byte("station x"), 1)
	for _, tc := range []struct {
		name    string
		encrypt bool
		first   []byte // a record added before, when set
		record  []byte
		want    string
	}{
		{"plain record, encrypted session", true, nil, a.record(t, []byte{0}, "a"), "not encrypted"},
		{"encrypted record, plain session", false, nil, a.record(t, token, "a"), "encrypted, but the session has no TOKEN"},
		{"another session's token", true, nil, a.record(t, otherToken, "a"), "MAC"},
		{"plain record with a token, plain session", false, nil, func() []byte {
			r, _ := descriptor.DecryptBSMS(token, a.record(t, token, "a"))
			return r
		}(), "not this session's 00"},
		{"altered description", false, nil, tampered, "signature"},
		{"BIP84 path", false, nil, newBSMSSigner(t, 5, reg, 84).record(t, []byte{0}, "a"), "not a BIP48 P2WSH key"},
		{"mainnet key", false, nil, newBSMSSigner(t, 6, &chaincfg.MainNetParams, 48).record(t, []byte{0}, "a"), "not a BIP48 P2WSH key"},
		{"the same key twice", false, a.record(t, []byte{0}, "a"), a.record(t, []byte{0}, "a again"), "already key 1"},
		{"not a record", false, nil, []byte("hello"), "not a BSMS key record"},
		{"not a record, encrypted session", true, nil, []byte("hello"), "not hexadecimal"},
	} {
		s, _ := NewBSMSSession(2, 3, descriptor.Regtest, tc.encrypt, now)
		if tc.encrypt {
			s.Token = enc.Token
		}
		if tc.first != nil {
			if _, err := s.AddKeyRecord(tc.first, now); err != nil {
				t.Fatalf("%s: the first record: %v", tc.name, err)
			}
		}
		n := len(s.Keys)
		_, err := s.AddKeyRecord(tc.record, now)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: AddKeyRecord error = %v; want one containing %q", tc.name, err, tc.want)
		}
		if len(s.Keys) != n {
			t.Errorf("%s: a refused record was added", tc.name)
		}
	}
	for _, tc := range []struct{ m, n int }{{0, 3}, {4, 3}, {1, 1}, {2, 16}} {
		if _, err := NewBSMSSession(tc.m, tc.n, descriptor.Regtest, false, now); err == nil {
			t.Errorf("NewBSMSSession(%d, %d) succeeded", tc.m, tc.n)
		}
	}
}

// FuzzAddKeyRecord feeds hostile scans to a session: it must never panic,
// and a record it accepts must carry a key it can build the wallet from.
func FuzzAddKeyRecord(f *testing.F) {
	reg := &chaincfg.RegressionNetParams
	token := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	f.Add(newBSMSSigner(f, 1, reg, 48).record(f, []byte{0}, "a"), false)
	f.Add(newBSMSSigner(f, 2, reg, 48).record(f, token, "b"), true)
	f.Add([]byte("BSMS 1.0\n00\n[00000000/48'/1'/0'/2']tpub\nx\nsig"), false)
	f.Fuzz(func(t *testing.T, data []byte, encrypt bool) {
		s := &BSMSSession{Token: "00", Threshold: 1, Signers: 2, Network: "regtest"}
		if encrypt {
			s.Token = hex.EncodeToString(token)
		}
		k, err := s.AddKeyRecord(data, time.Time{})
		if err != nil {
			if len(s.Keys) != 0 {
				t.Fatalf("a refused record was added: %v", err)
			}
			return
		}
		if len(s.Keys) != 1 || s.Keys[0] != k {
			t.Fatalf("accepted, but the session holds %v", s.Keys)
		}
		s.Keys = append(s.Keys, BSMSKey{Key: newBSMSSignerKey(t)})
		if _, err := s.Descriptor(); err != nil {
			t.Fatalf("an accepted key does not build a wallet: %v", err)
		}
	})
}

func newBSMSSignerKey(t *testing.T) string {
	s := newBSMSSigner(t, 9, &chaincfg.RegressionNetParams, 48)
	return "[" + s.origin.String() + "]" + s.key.String()
}

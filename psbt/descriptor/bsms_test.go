package descriptor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

type bip129Signer struct {
	Fingerprint, Path string
	PrivateKey        string `json:"private_key"`
	Key, Token        string
	Record, Dat       string
}

type bip129Vector struct {
	Name             string
	Mode             string
	M, N             int
	Signers          []bip129Signer
	DescriptorRecord string                        `json:"descriptor_record"`
	FirstAddress     string                        `json:"first_address"`
	DescriptorDat    []struct{ Token, Dat string } `json:"descriptor_dat"`
}

func bip129Vectors(t testing.TB) []bip129Vector {
	t.Helper()
	var v struct{ Vectors []bip129Vector }
	readJSON(t, "bip129-vectors.json", &v)
	if len(v.Vectors) != 4 {
		t.Fatalf("got %d BIP129 vectors; want 4", len(v.Vectors))
	}
	return v.Vectors
}

func TestBIP129KeyRecords(t *testing.T) {
	n := 0
	for _, vec := range bip129Vectors(t) {
		for i, s := range vec.Signers {
			n++
			r, err := ParseBSMSKey([]byte(s.Record))
			if err != nil {
				t.Errorf("%s, signer %d: ParseBSMSKey: %v", vec.Name, i+1, err)
				continue
			}
			if got := hex.EncodeToString(r.Token); got != s.Token {
				t.Errorf("%s, signer %d: Token = %s; want %s", vec.Name, i+1, got, s.Token)
			}
			if got, want := FormatPath(r.Origin.Path), s.Path; got != want || hex.EncodeToString(r.Origin.Fingerprint[:]) != s.Fingerprint {
				t.Errorf("%s, signer %d: Origin = %s; want %s%s", vec.Name, i+1, r.Origin, s.Fingerprint, want[1:])
			}
			switch {
			case r.Key != nil && r.Key.String() != s.Key:
				t.Errorf("%s, signer %d: Key = %s; want %s", vec.Name, i+1, r.Key, s.Key)
			case r.Key == nil && hex.EncodeToString(r.PublicKey.SerializeCompressed()) != s.Key:
				t.Errorf("%s, signer %d: PublicKey = %x; want %s", vec.Name, i+1, r.PublicKey.SerializeCompressed(), s.Key)
			}
			if want := "Signer " + string(rune('1'+i)) + " key"; r.Description != want {
				t.Errorf("%s, signer %d: Description = %q; want %q", vec.Name, i+1, r.Description, want)
			}
			// The vector's private key is the key the record carries.
			wif, err := btcutil.DecodeWIF(s.PrivateKey)
			if err != nil || !wif.PrivKey.PubKey().IsEqual(r.PublicKey) {
				t.Errorf("%s, signer %d: the record's key is not the vector's private key's (%v)", vec.Name, i+1, err)
			}
		}
	}
	if n != 9 {
		t.Errorf("checked %d key records; want BIP129's 9", n)
	}
}

func TestBSMSKeyRecordErrors(t *testing.T) {
	vecs := bip129Vectors(t)
	rec := vecs[1].Signers[0].Record
	other := vecs[1].Signers[1].Record
	lines := strings.Split(rec, "\n")
	sig2 := strings.Split(other, "\n")[4]
	with := func(i int, s string) string {
		l := append([]string(nil), lines...)
		l[i] = s
		return strings.Join(l, "\n")
	}
	tests := []struct {
		name, record string
		is           error
		want         string
	}{
		{"changed description", with(3, "Signer 3 key"), ErrBSMSSignature, "another key"},
		{"another signer's signature", with(4, sig2), ErrBSMSSignature, "another key"},
		{"changed token", with(1, "a54044308ceac9b7"), ErrBSMSSignature, ""},
		{"signature not base64", with(4, "not base64!"), ErrBSMSSignature, "not base64"},
		{"BIP322 signature", with(4, "AkcwRAIgM2gBAQqvZX15ZiysmKmQpDrG83avLIT492QBzLnQIxYCIBaTpOaD20qRlEylyxFSeEA2ba9YOixpX8z46TSDtS40ASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI="), ErrBSMSSignature, "BIP322"},
		{"wrong version", with(0, "BSMS 2.0"), nil, "airsign reads BSMS 1.0"},
		{"bad token", with(1, "0"), nil, "TOKEN"},
		{"private key", with(2, "[deadbeef/0']xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"), nil, "xprv"},
		{"missing origin", with(2, strings.TrimPrefix(lines[2], "[1cf0bf7e/48'/0'/0'/2']")), ErrMissingOrigin, ""},
		{"origin of another key", with(2, strings.Replace(lines[2], "/2']", "/1']", 1)), nil, "ends in 1'"},
		{"long description", with(3, strings.Repeat("x", 81)), nil, "81 characters"},
		{"four lines", strings.Join(lines[:4], "\n"), nil, "4 lines, not 5"},
		{"descriptor record", vecs[1].DescriptorRecord, nil, "4 lines, not 5"},
	}
	for _, tt := range tests {
		r, err := ParseBSMSKey([]byte(tt.record))
		if err == nil {
			t.Errorf("%s: ParseBSMSKey = %+v, nil; want an error", tt.name, r)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: error = %q; want %q", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %q; want it to say %q", tt.name, err, tt.want)
		}
	}
	// CRLF line endings and a final newline are read as LF.
	if _, err := ParseBSMSKey([]byte(strings.ReplaceAll(rec, "\n", "\r\n") + "\r\n")); err != nil {
		t.Errorf("ParseBSMSKey(CRLF record): %v", err)
	}
}

func TestBIP129DescriptorRecords(t *testing.T) {
	for _, vec := range bip129Vectors(t) {
		r, err := ParseBSMS([]byte(vec.DescriptorRecord))
		switch vec.Name {
		case "NO_ENCRYPTION with public keys":
			// Plain keys make a one-address wallet, which airsign does
			// not register; TestBIP129PublicKeyAddress checks the
			// vector's address.
			if err == nil || !strings.Contains(err.Error(), "single public key") {
				t.Errorf("%s: ParseBSMS error = %v; want a refusal of single public keys", vec.Name, err)
			}
			continue
		case "EXTENDED encryption":
			// sh(wsh(multi(...))) is unsorted; TestBIP129NestedUnsorted
			// checks the vector's address.
			if err == nil || !strings.Contains(err.Error(), "unsorted multi") {
				t.Errorf("%s: ParseBSMS error = %v; want a refusal of unsorted multi", vec.Name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParseBSMS: %v", vec.Name, err)
			continue
		}
		d := r.Descriptor
		if got := r.FirstAddress.EncodeAddress(); got != vec.FirstAddress || r.FirstBranch != 0 {
			t.Errorf("%s: FirstAddress = %s at branch %d; want %s at 0", vec.Name, got, r.FirstBranch, vec.FirstAddress)
		}
		if d.Threshold != vec.M || len(d.Keys) != vec.N || d.Script != P2WSHMulti || d.Network != Mainnet {
			t.Errorf("%s: %v %d-of-%d on %v; want p2wsh-sortedmulti %d-of-%d on mainnet", vec.Name, d.Script, d.Threshold, len(d.Keys), d.Network, vec.M, vec.N)
		}
		if strings.Join(r.PathRestrictions, ",") != "/0/*,/1/*" {
			t.Errorf("%s: PathRestrictions = %q; want [/0/* /1/*]", vec.Name, r.PathRestrictions)
		}
		// Every signer finds its own key, at its position, and it is
		// exactly the key of its key record.
		for i, s := range vec.Signers {
			var fp [4]byte
			copy(fp[:], mustHex(t, s.Fingerprint))
			j, ok := d.KeyFor(fp)
			if !ok || j != i || d.Keys[j].Key.String() != s.Key {
				t.Errorf("%s: KeyFor(%s) = %d, %v; want %d with key %s", vec.Name, s.Fingerprint, j, ok, i, s.Key)
			}
		}
		// The record writer gives back the same wallet and text.
		out, err := d.BSMS()
		if err != nil || strings.TrimSuffix(string(out), "\n") != vec.DescriptorRecord {
			t.Errorf("%s: BSMS() = %q, %v; want %q", vec.Name, out, err, vec.DescriptorRecord)
		}
	}
}

// TestBIP129PublicKeyAddress checks the first address of BIP129's vector
// with plain public keys with this package's sorted multisig script.
func TestBIP129PublicKeyAddress(t *testing.T) {
	vec := bip129Vectors(t)[0]
	var keys [][]byte
	for _, s := range vec.Signers {
		keys = append(keys, mustHex(t, s.Key))
	}
	ws, err := multisigScript(vec.M, sortKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	program := p2wshProgram(ws)
	addr, err := btcutil.NewAddressWitnessScriptHash(program[2:], &chaincfg.MainNetParams)
	if err != nil || addr.EncodeAddress() != vec.FirstAddress {
		t.Errorf("first address = %v, %v; want %s", addr, err, vec.FirstAddress)
	}
	// Its checksum is BIP380's.
	desc := strings.Split(vec.DescriptorRecord, "\n")[1]
	if _, err := StripChecksum(desc); err != nil {
		t.Errorf("StripChecksum(%s): %v", desc, err)
	}
}

func TestBIP129Decrypt(t *testing.T) {
	n := 0
	for _, vec := range bip129Vectors(t) {
		for i, s := range vec.Signers {
			if s.Dat == "" {
				continue
			}
			n++
			token := mustHex(t, s.Token)
			got, err := DecryptBSMS(token, []byte(s.Dat))
			if err != nil || string(got) != s.Record {
				t.Errorf("%s, signer %d: DecryptBSMS = %q, %v; want %q", vec.Name, i+1, got, err, s.Record)
			}
			wrong := append([]byte(nil), token...)
			wrong[0] ^= 1
			if _, err := DecryptBSMS(wrong, []byte(s.Dat)); !errors.Is(err, ErrBSMSMAC) {
				t.Errorf("%s, signer %d: DecryptBSMS with a wrong token: error = %v; want ErrBSMSMAC", vec.Name, i+1, err)
			}
		}
		for i, dd := range vec.DescriptorDat {
			n++
			got, err := DecryptBSMS(mustHex(t, dd.Token), []byte(dd.Dat))
			if err != nil || string(got) != vec.DescriptorRecord {
				t.Errorf("%s, descriptor record %d: DecryptBSMS = %q, %v; want %q", vec.Name, i+1, got, err, vec.DescriptorRecord)
			}
			altered := []byte(dd.Dat)
			altered[len(altered)-1] ^= 1 // a hex digit changed
			if _, err := DecryptBSMS(mustHex(t, dd.Token), altered); err == nil {
				t.Errorf("%s, descriptor record %d: DecryptBSMS of an altered record succeeded", vec.Name, i+1)
			}
		}
	}
	if n != 9 {
		t.Errorf("decrypted %d records; want BIP129's 9", n)
	}
	if _, err := DecryptBSMS([]byte{0}, []byte("00")); err == nil {
		t.Error("DecryptBSMS with the NO_ENCRYPTION token succeeded; want an error")
	}
}

func TestBSMSErrors(t *testing.T) {
	vecs := bip129Vectors(t)
	rec := vecs[1].DescriptorRecord
	lines := strings.Split(rec, "\n")
	with := func(i int, s string) string {
		l := append([]string(nil), lines...)
		l[i] = s
		return strings.Join(l, "\n")
	}
	concrete := strings.ReplaceAll(lines[1], "/**", "/<0;1>/*")
	d, err := Parse(concrete)
	if err != nil {
		t.Fatal(err)
	}
	change, err := d.Address(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := d.WitnessScript(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(ws)
	onTestnet, err := btcutil.NewAddressWitnessScriptHash(hash[:], &chaincfg.TestNet3Params)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, record string
		is           error
		want         string
	}{
		{"first address of another wallet", with(3, vecs[2].FirstAddress), ErrBSMSFirstAddress, "do not register this wallet"},
		{"first address of the change branch", with(3, change.EncodeAddress()), ErrBSMSFirstAddress, "do not register this wallet"},
		{"first address on testnet", with(3, onTestnet.EncodeAddress()), ErrBSMSFirstAddress, "not a mainnet address"},
		{"first address mistyped", with(3, strings.Replace(vecs[1].FirstAddress, "q", "p", 2)), ErrBSMSFirstAddress, "not a mainnet address"},
		{"wrong version", with(0, "BSMS 1.1"), nil, "airsign reads BSMS 1.0"},
		{"not BSMS", with(0, "Coldcard Multisig setup file"), nil, "not a BSMS record"},
		{"encrypted", vecs[2].DescriptorDat[0].Dat, nil, "encrypted BSMS record"},
		{"bad checksum", with(1, withChecksum(concrete)[:len(withChecksum(concrete))-1]+"q"), ErrChecksum, ""},
		{"template without restrictions", with(2, "No path restrictions"), nil, "needs restrictions"},
		{"receive-only restriction", with(2, "/0/*"), nil, "reads only /0/*,/1/*"},
		{"restrictions without template", with(1, concrete), nil, "not a template"},
		{"unsorted multi", with(1, strings.Replace(lines[1], "sortedmulti", "multi", 1)), nil, "only sortedmulti"},
		{"single-sig", "BSMS 1.0\n" + bip86Account(t).String() + "\nNo path restrictions\nbc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr", nil, "single-sig"},
		{"three lines", strings.Join(lines[:3], "\n"), nil, "3 lines, not 4"},
		{"blank line", strings.Replace(rec, "\n", "\n\n", 1), nil, "5 lines, not 4"},
		{"empty", "", nil, "empty"},
		{"too long", "BSMS 1.0\n" + strings.Repeat("x", maxBSMSRecordLen), nil, "more than"},
	}
	for _, tt := range tests {
		r, err := ParseBSMS([]byte(tt.record))
		if err == nil {
			t.Errorf("%s: ParseBSMS = %+v, nil; want an error", tt.name, r)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: error = %q; want %q", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %q; want it to say %q", tt.name, err, tt.want)
		}
	}
}

func TestBSMSForms(t *testing.T) {
	vec := bip129Vectors(t)[1]
	lines := strings.Split(vec.DescriptorRecord, "\n")
	concrete := strings.ReplaceAll(lines[1], "/**", "/<0;1>/*")
	d, err := Parse(concrete)
	if err != nil {
		t.Fatal(err)
	}
	change, err := d.Address(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		record string
		branch uint32
		addr   string
	}{
		{"multipath with checksum", "BSMS 1.0\n" + d.String() + "\nNo path restrictions\n" + vec.FirstAddress, 0, vec.FirstAddress},
		{"receive branch", "BSMS 1.0\n" + d.Branch(0) + "\nNo path restrictions\n" + vec.FirstAddress, 0, vec.FirstAddress},
		{"change branch", "BSMS 1.0\n" + d.Branch(1) + "\nNo path restrictions\n" + change.EncodeAddress(), 1, change.EncodeAddress()},
		{"template with spaces in the restrictions", strings.Replace(vec.DescriptorRecord, "/0/*,/1/*", "/0/*, /1/*", 1), 0, vec.FirstAddress},
		{"upper-case address", strings.Replace(vec.DescriptorRecord, vec.FirstAddress, strings.ToUpper(vec.FirstAddress), 1), 0, vec.FirstAddress},
	}
	for _, tt := range tests {
		r, err := ParseBSMS([]byte(tt.record))
		if err != nil {
			t.Errorf("%s: ParseBSMS: %v", tt.name, err)
			continue
		}
		if r.FirstBranch != tt.branch || r.FirstAddress.EncodeAddress() != tt.addr || r.Descriptor.String() != d.String() {
			t.Errorf("%s: got %s at branch %d, %s; want %s at %d, %s", tt.name, r.FirstAddress, r.FirstBranch, r.Descriptor, tt.addr, tt.branch, d)
		}
	}
	// Regtest records name bcrt1 addresses, which only
	// ParseBSMSForNetwork reads.
	rd, err := ParseForNetwork(multiDesc(t, 2, 3, Testnet), Regtest)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rd.BSMS()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ParseBSMSForNetwork(rec, Regtest); err != nil || r.Descriptor.String() != rd.String() {
		t.Errorf("ParseBSMSForNetwork(regtest record) = %v, %v; want %s", r, err, rd)
	}
	if _, err := ParseBSMS(rec); !errors.Is(err, ErrBSMSFirstAddress) {
		t.Errorf("ParseBSMS(regtest record) error = %v; want ErrBSMSFirstAddress (read as testnet)", err)
	}
	if _, err := bip86Account(t).BSMS(); err == nil {
		t.Error("BSMS() of a single-sig descriptor succeeded; want an error")
	}
}

func FuzzParseBSMS(f *testing.F) {
	for _, vec := range bip129Vectors(f) {
		f.Add([]byte(vec.DescriptorRecord))
		for _, s := range vec.Signers {
			f.Add([]byte(s.Record))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseBSMSKey(b); err != nil {
			_ = err // a key record has no writer here: parsing must only not panic
		}
		r, err := ParseBSMS(b)
		if err != nil {
			return
		}
		out, err := r.Descriptor.BSMS()
		if err != nil {
			t.Fatalf("BSMS() of parsed %q: %v", b, err)
		}
		r2, err := ParseBSMSForNetwork(out, r.Descriptor.Network)
		if err != nil {
			t.Fatalf("ParseBSMS(%q) failed on the output of BSMS for %q: %v", out, b, err)
		}
		if r2.Descriptor.String() != r.Descriptor.String() {
			t.Fatalf("BSMS round trip changed the wallet: %s then %s", r.Descriptor, r2.Descriptor)
		}
	})
}

// TestBIP129Sign signs each of BIP129's key records again with the
// vector's private key; RFC 6979 makes the record come out byte for byte.
func TestBIP129Sign(t *testing.T) {
	n := 0
	for _, vec := range bip129Vectors(t) {
		for i, s := range vec.Signers {
			r, err := ParseBSMSKey([]byte(s.Record))
			if err != nil || r.Key == nil {
				continue // a plain public key: airsign never writes those
			}
			n++
			wif, err := btcutil.DecodeWIF(s.PrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			got, err := NewBSMSKeyRecord(r.Token, r.Origin, r.Key, r.Description, wif.PrivKey)
			if err != nil || strings.TrimSuffix(string(got), "\n") != strings.TrimSuffix(s.Record, "\n") {
				t.Errorf("%s, signer %d: NewBSMSKeyRecord =\n%s, %v\nwant\n%s", vec.Name, i+1, got, err, s.Record)
			}
			other, _ := btcutil.DecodeWIF(vec.Signers[(i+1)%len(vec.Signers)].PrivateKey)
			if _, err := NewBSMSKeyRecord(r.Token, r.Origin, r.Key, r.Description, other.PrivKey); err == nil {
				t.Errorf("%s, signer %d: NewBSMSKeyRecord with another signer's private key succeeded", vec.Name, i+1)
			}
		}
	}
	if n == 0 {
		t.Fatal("no BIP129 vector has an extended key")
	}
}

func TestNewBSMSKeyRecordRefuses(t *testing.T) {
	vec := bip129Vectors(t)[1]
	s := vec.Signers[0]
	r, err := ParseBSMSKey([]byte(s.Record))
	if err != nil || r.Key == nil {
		t.Fatalf("vector 2 signer 1: %v", err)
	}
	wif, _ := btcutil.DecodeWIF(s.PrivateKey)
	for _, tc := range []struct {
		name  string
		token []byte
		desc  string
	}{
		{"token of 3 bytes", []byte{1, 2, 3}, "key"},
		{"token 01", []byte{1}, "key"},
		{"empty description", r.Token, ""},
		{"description of 81 characters", r.Token, strings.Repeat("x", 81)},
		{"description with a newline", r.Token, "a\nb"},
		{"description with a space around it", r.Token, " a"},
	} {
		if got, err := NewBSMSKeyRecord(tc.token, r.Origin, r.Key, tc.desc, wif.PrivKey); err == nil {
			t.Errorf("%s: NewBSMSKeyRecord = %q; want an error", tc.name, got)
		}
	}
}

// TestBIP129Encrypt encrypts BIP129's plain records and gets its .dat files.
func TestBIP129Encrypt(t *testing.T) {
	n := 0
	for _, vec := range bip129Vectors(t) {
		for i, s := range vec.Signers {
			if s.Dat == "" {
				continue
			}
			n++
			got, err := EncryptBSMS(mustHex(t, s.Token), []byte(s.Record))
			if err != nil || string(got) != strings.ToLower(strings.TrimSpace(s.Dat)) {
				t.Errorf("%s, signer %d: EncryptBSMS = %s, %v; want %s", vec.Name, i+1, got, err, s.Dat)
			}
		}
		for i, dd := range vec.DescriptorDat {
			n++
			got, err := EncryptBSMS(mustHex(t, dd.Token), []byte(vec.DescriptorRecord))
			if err != nil || string(got) != strings.ToLower(strings.TrimSpace(dd.Dat)) {
				t.Errorf("%s, descriptor record %d: EncryptBSMS = %s, %v; want %s", vec.Name, i+1, got, err, dd.Dat)
			}
		}
	}
	if n != 9 {
		t.Errorf("encrypted %d records; want BIP129's 9", n)
	}
	if _, err := EncryptBSMS([]byte{0}, []byte("BSMS 1.0")); err == nil {
		t.Error("EncryptBSMS with the NO_ENCRYPTION token succeeded; want an error")
	}
}

package shamir

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tyler-smith/go-bip39"
)

const docPath = "../docs/share-format.md"

// fencedBlock returns the body of the first block fenced as ```info.
func fencedBlock(t *testing.T, doc []byte, info string) []byte {
	t.Helper()
	start := bytes.Index(doc, []byte("```"+info+"\n"))
	if start < 0 {
		t.Fatalf("%s has no ```%s block", docPath, info)
	}
	body := doc[start+len(info)+4:]
	end := bytes.Index(body, []byte("```"))
	if end < 0 {
		t.Fatalf("%s: ```%s block is not closed", docPath, info)
	}
	return body[:end]
}

// TestDocExample checks every value of the worked example in
// docs/share-format.md, so that the document cannot rot.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	var keys []string
	sc := bufio.NewScanner(bytes.NewReader(fencedBlock(t, doc, "share-example")))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("example line %q has no colon", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		kv[k] = v
		keys = append(keys, k)
	}
	checked := map[string]bool{}
	get := func(k string) string {
		t.Helper()
		v, ok := kv[k]
		if !ok {
			t.Fatalf("example has no %q line", k)
		}
		checked[k] = true
		return v
	}
	getHex := func(k string) []byte {
		t.Helper()
		return mustHex(t, strings.ReplaceAll(get(k), " ", ""))
	}
	want := func(k, got string) {
		t.Helper()
		if v := get(k); v != got {
			t.Errorf("example %q = %q, want %q", k, v, got)
		}
	}

	entropy := getHex("entropy")
	mnemonic, err := bip39.NewMnemonic(entropy)
	if err != nil {
		t.Fatal(err)
	}
	want("mnemonic", mnemonic)
	fp, err := masterFingerprint(entropy)
	if err != nil {
		t.Fatal(err)
	}
	want("fingerprint", fmt.Sprintf("%x", fp))
	h := sha256.Sum256([]byte("airsign share-format example"))
	a1 := getHex("a1 = first 16 bytes of SHA-256(\"airsign share-format example\")")
	if !bytes.Equal(a1, h[:16]) {
		t.Errorf("example a1 = %x, want %x", a1, h[:16])
	}

	var shares []*Share
	for x := 1; x <= 3; x++ {
		y := make([]byte, len(entropy))
		for j := range y {
			y[j] = entropy[j] ^ gfMul(a1[j], byte(x))
		}
		s := &Share{SetID: 0x7f3a, Threshold: 2, Total: 3, Index: x, X: byte(x), Fingerprint: fp, Y: y}
		shares = append(shares, s)
		name := fmt.Sprintf("share %d ", x)
		if got := getHex(name + "bytes"); !bytes.Equal(got, s.Bytes()) {
			t.Errorf("example %sbytes = %x, want %x", name, got, s.Bytes())
		}
		want(name+"words", string(s.Words()))
		want(name+"qr", string(s.QRText()))
		for _, form := range []string{"bytes", "words", "qr"} {
			text := []byte(kv[name+form])
			var p *Share
			if form == "bytes" {
				p, err = ParseBytes(getHex(name + form))
			} else {
				p, err = Parse(text)
			}
			if err != nil || !p.Equal(s) {
				t.Errorf("parsing example %s%s = %+v, %v; want %+v", name, form, p, err, s)
			}
		}
	}
	want("set id", shares[0].SetName())
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		got, err := Combine([]*Share{shares[pair[0]], shares[pair[1]]}, masterFingerprint)
		if err != nil || !bytes.Equal(got, entropy) {
			t.Errorf("Combine(example shares %d, %d) = %x, %v; want %x", pair[0]+1, pair[1]+1, got, err, entropy)
		}
	}

	// The hand computation of one byte from shares 1 and 2.
	var j int
	if _, err := fmt.Sscan(get("byte j"), &j); err != nil {
		t.Fatal(err)
	}
	y1, y2 := shares[0].Y[j], shares[1].Y[j]
	x1, x2 := shares[0].X, shares[1].X
	l1, l2 := gfDiv(x2, x1^x2), gfDiv(x1, x2^x1)
	hexb := func(b byte) string { return fmt.Sprintf("%02x", b) }
	want("y1[j]", hexb(y1))
	want("y2[j]", hexb(y2))
	want("x1 + x2", hexb(x1^x2))
	want("1 / (x1 + x2)", hexb(gfInv(x1^x2)))
	want("l1 = x2 / (x1 + x2)", hexb(l1))
	want("l2 = x1 / (x1 + x2)", hexb(l2))
	want("l1 * y1[j]", hexb(gfMul(l1, y1)))
	want("l2 * y2[j]", hexb(gfMul(l2, y2)))
	want("s[j] = l1*y1[j] + l2*y2[j]", hexb(gfMul(l1, y1)^gfMul(l2, y2)))
	if got := gfMul(l1, y1) ^ gfMul(l2, y2); got != entropy[j] {
		t.Errorf("hand computation gives %02x, want entropy byte %02x", got, entropy[j])
	}
	for _, k := range keys {
		if !checked[k] {
			t.Errorf("example line %q is not checked by this test", k)
		}
	}

	// The file form shown is exactly what File makes for share 1.
	file := fencedBlock(t, doc, "share-file-example")
	created := time.Date(2025, 11, 25, 14, 3, 0, 0, time.UTC)
	if got := shares[0].File("Alice Example", created); !bytes.Equal(file, got) {
		t.Errorf("example file form differs from File():\n got:\n%s\nwant:\n%s", file, got)
	}
}

func TestGFMatchesVault(t *testing.T) {
	// Two points of a line through (0, s) at x = 1 and x = 2 for every
	// s and slope; vault's Combine must agree with gfMul's field.
	for s := range 256 {
		a := byte(s*7 + 3)
		parts := [][]byte{{byte(s) ^ gfMul(a, 1), 1}, {byte(s) ^ gfMul(a, 2), 2}}
		got, err := combineParts([]*Share{{Y: parts[0][:1], X: 1}, {Y: parts[1][:1], X: 2}})
		if err != nil || got[0] != byte(s) {
			t.Fatalf("vault Combine of a line through (0, %02x) = %x, %v", s, got, err)
		}
	}
	if got := hex.EncodeToString([]byte{gfMul(0x57, 0x83)}); got != "c1" {
		t.Errorf("57 * 83 = %s, want c1 (FIPS-197 example)", got)
	}
}

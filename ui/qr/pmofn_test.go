package qr

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPMofNRoundTrip(t *testing.T) {
	text := strings.Repeat("cHNidP8BAHECAAAAAf", 50)
	parts, err := splitPMofN(text, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(parts), 9; got != want {
		t.Fatalf("%d parts, want %d", got, want)
	}
	r := rand.New(rand.NewPCG(1, 1))
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	var d pmofnDecoder
	done := false
	for i, p := range append(parts, parts[0]) {
		if !isPMofN(p) {
			t.Fatalf("part %q not recognised", p)
		}
		if done, err = d.add(p); err != nil {
			t.Fatal(err)
		}
		if i < len(parts)-1 && done {
			t.Fatal("done early")
		}
	}
	got, err := d.result()
	if !done || err != nil || got != text {
		t.Errorf("done %v err %v, text equal %v", done, err, got == text)
	}
}

func TestPMofNRefusals(t *testing.T) {
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"p0of3 x"}, "part 0 of 3, which does not exist"},
		{[]string{"p4of3 x"}, "part 4 of 3"},
		{[]string{"p1of1001 x"}, "1 to 1000"},
		{[]string{"p1of3 "}, "carries no data"},
		{[]string{"p1of3 a", "p2of4 b"}, "another transfer of 4 parts than this one of 3"},
		{[]string{"p1of3 a", "p1of3 b"}, "two transfers are mixed"},
	}
	for _, tt := range tests {
		var d pmofnDecoder
		var err error
		for _, p := range tt.parts {
			if _, err = d.add(p); err != nil {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.parts, err, tt.want)
		}
	}
	for _, not := range []string{"ur:bytes/1-2/x", "B$ZP0100", "pof1 x", "p1of x", "hello world"} {
		if isPMofN(not) {
			t.Errorf("%q taken for pMofN", not)
		}
	}
}

package miniscript

import (
	"strings"
	"testing"
)

func TestPaths(t *testing.T) {
	tests := []struct {
		ms   string
		ctx  Context
		want []string
	}{
		{"or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560)))", Wsh, []string{
			"2 of @0/**, @1/**, @2/**",
			"@3/**, 52560 blocks (about 365 days) after the coin confirms",
		}},
		{"thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))", Wsh, []string{
			"A and B and C",
			"A and B, 4032 blocks (about 28 days) after the coin confirms",
			"A and C, 4032 blocks (about 28 days) after the coin confirms",
			"B and C, 4032 blocks (about 28 days) after the coin confirms",
		}},
		{"or_i(and_v(v:pk(A),after(1700000000)),and_v(v:pk(B),older(4194500)))", Wsh, []string{
			"A, from 2023-11-14 22:13 UTC",
			"B, 196 × 512 seconds (about 1.2 days) after the coin confirms",
		}},
		{"and_v(v:pk(A),sha256(ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5))", Wsh, []string{
			"A, revealing the preimage of sha256(ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5)",
		}},
		// A path needing a height and a time lock at once cannot be taken.
		{"or_i(and_b(after(100),a:after(1000000000)),pk(A))", Wsh, []string{"A"}},
		{"sortedmulti_a(2,A,B,C)", Tapscript, []string{"2 of A, B, C"}},
	}
	for _, tc := range tests {
		n, err := Parse(tc.ms, tc.ctx)
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.ms, err)
		}
		paths, err := n.Paths()
		if err != nil {
			t.Fatalf("Paths(%s): %v", tc.ms, err)
		}
		var got []string
		for _, p := range paths {
			got = append(got, p.String())
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("Paths(%s)\n got %q\nwant %q", tc.ms, got, tc.want)
		}
	}
}

func TestPathsCap(t *testing.T) {
	// thresh(10 of 20) has 184756 paths: refused, not enumerated.
	ms := "thresh(10,pk(K0)"
	for i := 1; i < 20; i++ {
		ms += ",s:pk(K" + string(rune('a'+i)) + ")"
	}
	ms += ")"
	n, err := Parse(ms, Wsh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Paths(); err == nil || !strings.Contains(err.Error(), "more than 1000 spending paths") {
		t.Errorf("Paths() error = %v, want the cap", err)
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("n", MaxDepth+1) + ":pk(A)"
	deepNested := strings.Repeat("and_v(v:1,", MaxDepth) + "pk(B)" + strings.Repeat(")", MaxDepth)
	tests := []struct {
		ms   string
		ctx  Context
		want string
	}{
		{"", Wsh, "at offset 0: expected a fragment, but the expression ends"},
		{"pk(A", Wsh, "at offset 4: expected ')', but the expression ends"},
		{"pk(A))", Wsh, `at offset 5: unexpected ")" after the expression`},
		{"foo(A)", Wsh, `at offset 0: unknown fragment "foo"`},
		{"x:pk(A)", Wsh, `at offset 0: unknown wrapper 'x'`},
		{"and_v(pk(A),pk(B))", Wsh, "at offset 0: and_v: the first argument must be V (and_v runs X for its effect only), but is B"},
		{"and_b(pk(A),pk(B))", Wsh, "and_b: the second argument must be W (use a: or s: to wrap it), but is B"},
		{"or_d(pk(A),v:pk(B))", Wsh, "or_d: the second argument must be B"},
		{"pk_k(A)", Wsh, "the whole expression must be type B, but is K"},
		{"older(0)", Wsh, "older(0): the value must be at least 1 and below 2^31"},
		{"older(01)", Wsh, "older takes a decimal number below 2^32 without sign or leading zeros"},
		{"after(-1)", Wsh, "after takes a decimal number"},
		{"multi(+1,A)", Wsh, "multi takes a decimal number"},
		{"thresh(3,pk(A),s:pk(B))", Wsh, "thresh: the threshold 3 must be between 1 and the number of arguments (2)"},
		{"multi(2,A)", Wsh, "multi: the threshold 2 must be between 1 and the number of keys (1)"},
		{"multi_a(1,A)", Wsh, "multi_a is for tapscript leaves; a wsh script uses multi"},
		{"multi(1,A)", Tapscript, "multi is for wsh scripts; a tapscript leaf uses multi_a"},
		{"and_v(v:pk(A),sortedmulti_a(1,B))", Tapscript, "sortedmulti_a is a whole tapscript leaf"},
		{"sha256(abcd)", Wsh, "sha256 takes a 32-byte hash as 64 hex digits"},
		{"pk(A B)", Wsh, "a key cannot contain ' '"},
		{"pk()", Wsh, "expected a key"},
		{deep, Wsh, "nested more than 1000 levels deep"},
		{deepNested, Tapscript, "nested more than 1000 levels deep"},
		{strings.Repeat(" ", MaxInputLen+1), Wsh, "at most 65536 are accepted"},
		// d: is not u in wsh, so it cannot be a thresh argument there.
		{"thresh(3,c:pk_k(A),sc:pk_k(B),sc:pk_k(C),sdv:older(32))", Wsh, "thresh: argument 4 must be Wdu"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.ms, tc.ctx)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%.40s) error = %v, want it to contain %q", tc.ms, err, tc.want)
		}
	}
}

func TestSane(t *testing.T) {
	tests := []struct {
		ms   string
		want string // "" for sane
	}{
		{"or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))", ""},
		{"thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))", ""},
		{"and_v(v:pk(A),pk(A))", "key A appears more than once"},
		{"or_b(c:pk_k(A),ac:pk_h(A))", "key A appears more than once"},
		{"or_d(pk(A),older(10))", "can be spent without any signature"},
		{"or_i(and_b(after(1),a:after(1000000000)),pk(A))", "at offset 5: and_b(after(1),a:after(1000000000)) mixes height and time locks"},
		{"or_d(sha256(ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5),and_n(un:after(499999999),older(4194305)))", "is malleable"},
	}
	for _, tc := range tests {
		n, err := Parse(tc.ms, Wsh)
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.ms, err)
		}
		err = n.Sane()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Sane(%s) = %v, want sane", tc.ms, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Sane(%s) = %v, want it to contain %q", tc.ms, err, tc.want)
		}
	}
}

func TestSaneResourceLimits(t *testing.T) {
	// 61 keys joined by and_b: 61 CHECKSIGs, 60 BOOLANDs and 60 pairs of
	// alt-stack moves are 241 opcodes, over consensus's 201, in a script
	// of 2315 bytes, under P2WSH's 3600.
	var b strings.Builder
	b.WriteString("and_b(pk(K0)")
	for i := 1; i < 60; i++ {
		b.WriteString(",a:and_b(pk(K" + itoa(i) + ")")
	}
	b.WriteString(",a:pk(Klast)")
	b.WriteString(strings.Repeat(")", 60))
	n, err := Parse(b.String(), Wsh)
	if err != nil {
		t.Fatal(err)
	}
	if ops, _ := n.Ops(); ops != 241 {
		t.Errorf("Ops() = %d, want 241", ops)
	}
	if err := n.Sane(); err == nil || !strings.Contains(err.Error(), "241 opcodes; consensus allows 201") {
		t.Errorf("Sane() = %v, want the ops limit", err)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestTypesPerFragment pins the type of each fragment alone (BIP-379's
// tables), including Bitcoin Core's m and x and the timelock letters.
func TestTypesPerFragment(t *testing.T) {
	tests := []struct {
		ms   string
		ctx  Context
		want string
	}{
		{"0", Wsh, "Bzudesmxk"},
		{"1", Wsh, "Bzufmxk"},
		{"pk(A)", Wsh, "Bonduesmk"},
		{"pkh(A)", Wsh, "Bnduesmk"},
		{"older(144)", Wsh, "Bzfmxhk"},
		{"older(4194305)", Wsh, "Bzfmxgk"},
		{"after(100)", Wsh, "Bzfmxjk"},
		{"after(500000000)", Wsh, "Bzfmxik"},
		{"sha256(ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5)", Wsh, "Bondumk"},
		{"multi(1,A,B)", Wsh, "Bnduesmk"},
		{"multi_a(1,A,B)", Tapscript, "Budesmk"},
		{"and_v(v:pk(A),pk(B))", Wsh, "Bnufsmk"},
		{"and_b(pk(A),s:pk(B))", Wsh, "Bnduesmxk"},
		{"or_b(pk(A),s:pk(B))", Wsh, "Bduesmxk"},
		{"or_d(pk(A),pk(B))", Wsh, "Bduesmxk"},
		{"t:or_c(pk(A),v:pk(B))", Wsh, "Bufsmxk"},
		{"or_i(pk(A),pk(B))", Wsh, "Bdusmxk"},
		{"andor(pk(A),pk(B),pk(C))", Wsh, "Bduesmxk"},
		{"thresh(2,pk(A),s:pk(B),s:pk(C))", Wsh, "Bduesmk"},
		{"n:pk(A)", Wsh, "Bonduesmxk"},
		{"j:pk(A)", Wsh, "Bondusmxk"},
		{"dv:older(1)", Wsh, "Bondemxhk"},
		{"dv:older(1)", Tapscript, "Bonduemxhk"},
	}
	for _, tc := range tests {
		n, err := Parse(tc.ms, tc.ctx)
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.ms, err)
		}
		if got := sortedLetters(n.Type().String()); got != sortedLetters(tc.want) {
			t.Errorf("type of %s in %s = %s, want %s", tc.ms, tc.ctx, n.Type(), tc.want)
		}
	}
}

func sortedLetters(s string) string {
	b := []byte(s)
	for i := range b {
		for j := i + 1; j < len(b); j++ {
			if b[j] < b[i] {
				b[i], b[j] = b[j], b[i]
			}
		}
	}
	return string(b)
}

func TestStringCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"c:pk_k(A)", "pk(A)"},
		{"c:pk_h(A)", "pkh(A)"},
		{"and_b(pk(B),a:n:c:pk_k(A))", "and_b(pk(B),an:pk(A))"},
		{"andor(pk(A),pk(B),0)", "and_n(pk(A),pk(B))"},
		{"and_v(v:pk(A),1)", "tv:pk(A)"},
		{"or_i(0,pk(A))", "l:pk(A)"},
		{"or_i(pk(A),0)", "u:pk(A)"},
		{"sha256(EC4916DD28FC4C10D78E287CA5D9CC51EE1AE73CBFDE08C6B37324CBFAAC8BC5)", "sha256(ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5)"},
	}
	for _, tc := range tests {
		n, err := Parse(tc.in, Wsh)
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.in, err)
		}
		if got := n.String(); got != tc.want {
			t.Errorf("String(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestTemplatesSane checks the wallet shapes issue 23's templates use, at
// their largest (up to 15 keys in wsh, 20 in a tapscript leaf): each is
// sane, so never malleable, never spendable without a signature, within
// P2WSH's standardness limits.
func TestTemplatesSane(t *testing.T) {
	keys := func(prefix string, n int) string {
		var k []string
		for i := range n {
			k = append(k, prefix+itoa(i))
		}
		return strings.Join(k, ",")
	}
	tests := []struct {
		ms  string
		ctx Context
	}{
		{"or_d(multi(2," + keys("P", 3) + "),and_v(v:pkh(R),older(52560)))", Wsh},
		{"or_d(multi(11," + keys("P", 15) + "),and_v(v:pkh(R),older(52560)))", Wsh},
		{"or_d(multi(3," + keys("P", 5) + "),and_v(v:multi(2," + keys("R", 3) + "),older(65535)))", Wsh},
		{"thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))", Wsh},
		{"or_d(multi(3," + keys("P", 3) + "),and_v(v:multi(2," + keys("Q", 3) + "),older(4032)))", Wsh},
		{"andor(multi(2," + keys("P", 3) + "),older(4194500),multi(3," + keys("Q", 3) + "))", Wsh},
		{"multi_a(2," + keys("P", 3) + ")", Tapscript},
		{"sortedmulti_a(14," + keys("P", 20) + ")", Tapscript},
		{"and_v(v:pk(R),older(52560))", Tapscript},
		{"and_v(v:multi_a(2," + keys("R", 3) + "),older(52560))", Tapscript},
	}
	for _, tc := range tests {
		n, err := Parse(tc.ms, tc.ctx)
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.ms, err)
		}
		if err := n.Sane(); err != nil {
			t.Errorf("Sane(%s) = %v", tc.ms, err)
		}
		if !n.Type().Has(PropM | PropS | PropK) {
			t.Errorf("%s has type %s, want m, s and k", tc.ms, n.Type())
		}
	}
}

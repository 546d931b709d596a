package miniscript

import (
	"encoding/hex"
	"testing"
)

// FuzzParse feeds hostile text to Parse in both contexts. Whatever parses
// prints to a string that parses to the same node (same string, same type),
// compiles to exactly ScriptSize bytes, and can be checked, analysed and
// satisfied without panicking.
func FuzzParse(f *testing.F) {
	for _, v := range loadCoreVectors(f).Vectors {
		f.Add(v.Miniscript, false)
		f.Add(v.Miniscript, true)
	}
	for _, s := range []string{
		"or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560)))",
		"thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))",
		"sortedmulti_a(2,A,B,C)",
		"and_v(v:pk([d34db33f/48h/0h/0h/2h]xpub/<0;1>/*),older(144))",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	wshKeys, tapKeys := newTestKeys(Wsh), newTestKeys(Tapscript)
	f.Fuzz(func(t *testing.T, s string, tap bool) {
		ctx, tk := Wsh, wshKeys
		if tap {
			ctx, tk = Tapscript, tapKeys
		}
		n, err := Parse(s, ctx)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse error %v is not an *Error", err)
			}
			return
		}
		again, err := Parse(n.String(), ctx)
		if err != nil {
			t.Fatalf("Parse(%q) = %v, from String() of %q", n.String(), err, s)
		}
		if again.String() != n.String() || again.Type() != n.Type() {
			t.Fatalf("round trip changed %s (%s) to %s (%s)", n, n.Type(), again, again.Type())
		}
		if len(n.Keys()) > 8 {
			return // keep each input cheap: key derivation dominates
		}
		script, err := n.Script(tk.pub)
		if err != nil {
			t.Fatalf("Script(%s): %v", n, err)
		}
		if len(script) != n.ScriptSize() {
			t.Fatalf("Script(%s) is %d bytes, ScriptSize says %d", n, len(script), n.ScriptSize())
		}
		_ = n.Sane()
		_, _ = n.Paths()
		sigs := map[string][]byte{}
		for i, k := range n.Keys() {
			if i%2 == 0 {
				sigs[k] = make([]byte, 72)
			}
		}
		_, _ = n.Satisfy(tk.pub, Spend{
			Signature: func(k string) ([]byte, bool) { s, ok := sigs[k]; return s, ok },
			Preimage:  testPreimage, TxVersion: 2, LockTime: 1000, Sequence: 144,
		})
	})
}

// FuzzDecode feeds hostile scripts to Decode: it never panics, and what it
// accepts prints to an expression that parses to the same node.
func FuzzDecode(f *testing.F) {
	for _, v := range loadCoreVectors(f).Vectors {
		if v.Wsh.Script != "" {
			b, _ := hex.DecodeString(v.Wsh.Script)
			f.Add(b, false)
		}
		if v.Tapscript.Script != "" {
			b, _ := hex.DecodeString(v.Tapscript.Script)
			f.Add(b, true)
		}
	}
	f.Fuzz(func(t *testing.T, script []byte, tap bool) {
		ctx := Wsh
		if tap {
			ctx = Tapscript
		}
		n, err := Decode(script, ctx, nil)
		if err != nil {
			return
		}
		again, err := Parse(n.String(), ctx)
		if err != nil || again.String() != n.String() {
			t.Fatalf("Decode(%x) = %s, which parses to %v (%v)", script, n, again, err)
		}
	})
}

package miniscript

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
)

// coreVectors is testdata/miniscript-core.json: Bitcoin Core's fixed
// miniscript test table, as data.
type coreVectors struct {
	Vectors []struct {
		Miniscript string
		Wsh        coreExpect
		Tapscript  coreExpect
	}
}

type coreExpect struct {
	Valid          bool
	Script         string
	NonMalleable   bool `json:"nonmalleable"`
	NeedsSignature bool `json:"needs_signature"`
	TimelockMix    bool `json:"timelock_mix"`
	Ops            *int
	StackSize      *int `json:"stack_size"`
	MaxWitnessSize *int `json:"max_witness_size"`
}

func loadCoreVectors(t testing.TB) coreVectors {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "miniscript-core.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v coreVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) < 90 {
		t.Fatalf("only %d vectors in miniscript-core.json", len(v.Vectors))
	}
	return v
}

// hexKeys resolves keys written as hex public keys, as the vectors write
// them; tapscript uses their x-only form, as Bitcoin Core's tests do.
func hexKeys(ctx Context) KeyFunc {
	return func(name string) ([]byte, error) {
		b, err := hex.DecodeString(name)
		if err != nil {
			return nil, fmt.Errorf("not hex: %w", err)
		}
		if ctx == Tapscript && len(b) == 33 {
			return b[1:], nil
		}
		return b, nil
	}
}

func TestCoreVectors(t *testing.T) {
	for _, v := range loadCoreVectors(t).Vectors {
		for _, c := range []struct {
			ctx  Context
			want coreExpect
		}{{Wsh, v.Wsh}, {Tapscript, v.Tapscript}} {
			t.Run(c.ctx.String()+"/"+v.Miniscript, func(t *testing.T) {
				checkCoreVector(t, v.Miniscript, c.ctx, c.want)
			})
		}
	}
}

func checkCoreVector(t *testing.T, ms string, ctx Context, want coreExpect) {
	n, err := Parse(ms, ctx)
	if !want.Valid {
		if err == nil {
			t.Fatalf("Parse(%s) = %s (type %s), want an error", ms, n, n.Type())
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	script, err := n.Script(hexKeys(ctx))
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	if got := len(script); got != n.ScriptSize() {
		t.Errorf("ScriptSize() = %d, compiled script is %d bytes", n.ScriptSize(), got)
	}
	if want.Script != "" && hex.EncodeToString(script) != want.Script {
		t.Errorf("script\n got %x\nwant %s", script, want.Script)
	}
	typ := n.Type()
	if got := typ.Has(PropM); got != want.NonMalleable {
		t.Errorf("non-malleable = %v, want %v (type %s)", got, want.NonMalleable, typ)
	}
	if got := typ.Has(PropS); got != want.NeedsSignature {
		t.Errorf("needs signature = %v, want %v (type %s)", got, want.NeedsSignature, typ)
	}
	if got := !typ.Has(PropK); got != want.TimelockMix {
		t.Errorf("timelock mix = %v, want %v (type %s)", got, want.TimelockMix, typ)
	}
	if want.Ops != nil {
		if got, _ := n.Ops(); got != *want.Ops {
			t.Errorf("Ops() = %d, want %d", got, *want.Ops)
		}
	}
	if want.StackSize != nil {
		if got, _ := n.StackSize(); got != *want.StackSize {
			t.Errorf("StackSize() = %d, want %d", got, *want.StackSize)
		}
	}
	if want.MaxWitnessSize != nil {
		if got, _ := n.MaxWitnessSize(); got != *want.MaxWitnessSize {
			t.Errorf("MaxWitnessSize() = %d, want %d", got, *want.MaxWitnessSize)
		}
	}
	again, err := Parse(n.String(), ctx)
	if err != nil {
		t.Fatalf("Parse(String()) = %v; String() = %s", err, n)
	}
	if again.String() != n.String() {
		t.Errorf("round trip: %s became %s", n, again)
	}
}

// vectorKeyNames names the keys of Bitcoin Core's vectors (the keys 1 to
// 255) by their hex, as the vectors write them.
type vectorKeyNames struct{ tk *testKeys }

func (v vectorKeyNames) KeyName(pub []byte) (string, bool) {
	for name := range v.tk.priv {
		if p, _ := v.tk.pub(name); bytes.Equal(p, pub) {
			return name, true
		}
	}
	return "", false
}

func (v vectorKeyNames) KeyByHash(h []byte) (string, []byte, bool) {
	for name := range v.tk.priv {
		if p, _ := v.tk.pub(name); bytes.Equal(btcutil.Hash160(p), h) {
			return name, p, true
		}
	}
	return "", nil, false
}

// TestDecodeCoreVectors decodes every valid vector's script: the result
// compiles to the same script (Decode checks this itself) and agrees on
// being B, non-malleable and signed.
func TestDecodeCoreVectors(t *testing.T) {
	for _, v := range loadCoreVectors(t).Vectors {
		for _, c := range []struct {
			ctx  Context
			want coreExpect
		}{{Wsh, v.Wsh}, {Tapscript, v.Tapscript}} {
			if !c.want.Valid {
				continue
			}
			t.Run(c.ctx.String()+"/"+v.Miniscript, func(t *testing.T) {
				tk := newTestKeys(c.ctx)
				n, err := Parse(v.Miniscript, c.ctx)
				if err != nil {
					t.Fatal(err)
				}
				script, err := n.Script(tk.pub)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Decode(script, c.ctx, vectorKeyNames{tk})
				if err != nil {
					t.Fatalf("Decode(%x): %v", script, err)
				}
				again, err := got.Script(tk.pub)
				if err != nil || !bytes.Equal(again, script) {
					t.Fatalf("decoded %s compiles to %x (%v), want %x", got, again, err, script)
				}
				if got.Type().Has(TypeB) != n.Type().Has(TypeB) || got.Type().Has(PropM) != n.Type().Has(PropM) || got.Type().Has(PropS) != n.Type().Has(PropS) {
					t.Errorf("decoded %s has type %s, parsed %s has %s", got, got.Type(), n, n.Type())
				}
			})
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, script string
		ctx          Context
	}{
		// Bitcoin Core's misc cases.
		{"non-minimal push", "0000210232780000feff00ffffffffffff21ff005f00ae21ae00000000060602060406564c2102320000060900fe00005f00ae21ae00100000060606060606000000000000000000000000000000000000000000000000000000000000000000", Wsh},
		{"non-minimal push in tapscript", "0000210232780000feff00ffffffffffff21ff005f00ae21ae00000000060602060406564c2102320000060900fe00005f00ae21ae00100000060606060606000000000000000000000000000000000000000000000000000000000000000000", Tapscript},
		{"CHECKSIG VERIFY instead of CHECKSIGVERIFY", "2103a0434d9e47f3c86235477c7b1ae6ae5d3442d49b1943c2b752a68e2a47e247c7ac6951", Wsh},
		{"multi_a without keys", "ac519c", Tapscript},
		{"multi_a without its first key", "ba20c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5ba519c", Tapscript},
		{"multi_a without the key of its CHECKSIG", "ac2079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac20c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5ba519c", Tapscript},
		{"empty", "", Wsh},
		{"bare OP_RETURN", "6a", Wsh},
		{"a number where a key belongs", "0101ac", Wsh},
		{"IF without ENDIF", "635168", Wsh},
	}
	for _, tc := range tests {
		script, err := hex.DecodeString(tc.script)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := Decode(script, tc.ctx, nil); err == nil {
			t.Errorf("%s: Decode = %s, want an error", tc.name, n)
		}
	}
}

// TestDecodeTemplates decodes the wallet templates' scripts back to the
// very expressions they were compiled from.
func TestDecodeTemplates(t *testing.T) {
	tests := []struct {
		ms  string
		ctx Context
	}{
		{"or_d(multi(2,A,B,C),and_v(v:pkh(D),older(52560)))", Wsh},
		{"thresh(3,pk(A),s:pk(B),s:pk(C),sln:older(4032))", Wsh},
		{"andor(pk(A),older(1000),pk(B))", Wsh},
		{"or_i(and_v(v:pk(A),after(800000)),multi(2,B,C))", Wsh},
		{"multi_a(2,A,B,C)", Tapscript},
		{"and_v(v:pk(D),older(144))", Tapscript},
		{"and_v(v:multi_a(2,A,B,C),older(52560))", Tapscript},
	}
	for _, tc := range tests {
		tk := newTestKeys(tc.ctx)
		n, err := Parse(tc.ms, tc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		script, err := n.Script(tk.pub)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(script, tc.ctx, vectorKeyNames{tk})
		if err != nil {
			t.Fatalf("Decode(%s): %v", tc.ms, err)
		}
		if got.String() != n.String() {
			t.Errorf("Decode(Script(%s)) = %s", n, got)
		}
	}
}

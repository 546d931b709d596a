package miniscript

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
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

// coreKeyHex is the compressed public key of private key i (31 zero bytes
// then i), the keys Bitcoin Core's generated vectors use.
func coreKeyHex(i int) string {
	var b [32]byte
	b[31] = byte(i)
	_, pub := btcec.PrivKeyFromBytes(b[:])
	return hex.EncodeToString(pub.SerializeCompressed())
}

// TestCoreGeneratedVectors carries over Bitcoin Core's vectors that are
// built in code: a multi_a of 21 keys (more than CHECKMULTISIG's 20), and
// and_b chains of 99, 110 and 200 keys that exceed P2WSH's limits but not
// tapscript's.
func TestCoreGeneratedVectors(t *testing.T) {
	var keys []string
	for i := 1; i <= 21; i++ {
		keys = append(keys, coreKeyHex(i))
	}
	ms := "multi_a(1," + strings.Join(keys, ",") + ")"
	n, err := Parse(ms, Tapscript)
	if err != nil {
		t.Fatal(err)
	}
	script, err := n.Script(hexKeys(Tapscript))
	if err != nil {
		t.Fatal(err)
	}
	const want = "2079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac20c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5ba20f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9ba20e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13ba202f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4ba20fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556ba205cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bcba202f01e5e15cca351daff3843fb70f3c2f0a1bdd05e5af888a67784ef3e10a2a01ba20acd484e2f0c7f65309ad178a9f559abde09796974c57e714c35f110dfc27ccbeba20a0434d9e47f3c86235477c7b1ae6ae5d3442d49b1943c2b752a68e2a47e247c7ba20774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cbba20d01115d548e7561b15c38f004d734633687cf4419620095bc5b0f47070afe85aba20f28773c2d975288bc7d1d205c3748651b075fbc6610e58cddeeddf8f19405aa8ba20499fdf9e895e719cfd64e67f07d38e3226aa7b63678949e6e49b241a60e823e4ba20d7924d4f7d43ea965a465ae3095ff41131e5946f3c85f79e44adbcf8e27e080eba20e60fce93b59e9ec53011aabc21c23e97b2a31369b87a5ae9c44ee89e2a6dec0aba20defdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34ba205601570cb47f238d2b0286db4a990fa0f3ba28d1a319f5e7cf55c2a2444da7ccba202b4ea0a797a443d293ef5cff444f4979f06acfebd7e86d277475656138385b6cba204ce119c96e2fa357200b559b2f7dd5a5f02d5290aff74b03f3e471b273211c97ba20352bbf4a4cdd12564f93fa332ce333301d9ad40271f8107181340aef25be59d5ba519c"
	if hex.EncodeToString(script) != want {
		t.Errorf("multi_a of 21 keys:\n got %x\nwant %s", script, want)
	}
	if ops, _ := n.Ops(); ops != 22 {
		t.Errorf("multi_a of 21 keys: Ops() = %d, want 22", ops)
	}
	if st, _ := n.StackSize(); st != 21 {
		t.Errorf("multi_a of 21 keys: StackSize() = %d, want 21", st)
	}
	if _, err := Parse(ms, Wsh); err == nil {
		t.Errorf("multi_a parsed in wsh")
	}

	for _, count := range []int{99, 110, 200} {
		var b strings.Builder
		for i := 1; i < count; i++ {
			b.WriteString("and_b(pk(" + coreKeyHex(i) + "),a:")
		}
		b.WriteString("pk(" + coreKeyHex(count) + ")" + strings.Repeat(")", count-1))
		if _, err := Parse(b.String(), Wsh); err == nil || !strings.Contains(err.Error(), "P2WSH allows at most 3600") {
			t.Errorf("%d keys in wsh: error %v, want the script size limit", count, err)
		}
		n, err := Parse(b.String(), Tapscript)
		if err != nil {
			t.Fatalf("%d keys in tapscript: %v", count, err)
		}
		ops, _ := n.Ops()
		st, _ := n.StackSize()
		if ops != count+(count-1)*3 || st != count {
			t.Errorf("%d keys: ops, stack = %d, %d; want %d, %d", count, ops, st, count+(count-1)*3, count)
		}
		if err := n.Sane(); err != nil {
			t.Errorf("%d keys in tapscript: Sane() = %v", count, err)
		}
	}
}

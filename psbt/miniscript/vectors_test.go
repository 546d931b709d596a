package miniscript

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
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

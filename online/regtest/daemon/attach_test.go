package daemon

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/txscript"
)

func TestAttach(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node")
	if _, err := Attach(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Attach before any launch: got %v, want ErrNotRunning", err)
	}
	owner, err := Launch(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Stop()
	a, err := Attach(dir)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := txscript.PayToAddrScript(HarnessAddress(3))
	if err != nil {
		t.Fatal(err)
	}
	op, _, err := a.Fund(pk, 50_000)
	if err != nil {
		t.Fatalf("Fund through an attached client: %v", err)
	}
	if _, err := a.Generate(2); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("Stop of an attached client: %v", err)
	}
	// The owner still runs, sees the blocks, and keeps them over a restart.
	h, err := owner.Height()
	if err != nil {
		t.Fatalf("the owner stopped with the attached client: %v", err)
	}
	if err := owner.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := Attach(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Attach after Stop: got %v, want ErrNotRunning", err)
	}
	again, err := Launch(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Stop()
	if h2, _ := again.Height(); h2 != h {
		t.Fatalf("after restart height %d, want %d (blocks mined through Attach kept)", h2, h)
	}
	if out, err := again.Client().GetTxOut(&op.Hash, op.Index, false); err != nil || out == nil {
		t.Fatalf("the funded output is gone after restart: %v %v", out, err)
	}
}

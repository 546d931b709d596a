package auditlog

import (
	"bytes"
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func auditorKeys(t *testing.T) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "auditor-jane")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// An auditor's cosigned checkpoint, imported into the kiosk, makes a later
// rollback or rewrite of the log fail at Open, even when the kiosk key
// re-signed the rewritten log.
func TestWitnessPinsTheLog(t *testing.T) {
	dir := t.TempDir()
	l, path := newLogAt(t, dir, 5, 0)
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	auditor, auditorKey := auditorKeys(t)
	cosigned, err := Cosign(cp.Note, vkey(t), auditor)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cosigned, []byte("— auditor-jane ")) {
		t.Fatalf("no auditor signature in %s", cosigned)
	}
	// A checkpoint not signed by the device is not cosigned.
	otherV, _ := VerifierKey(otherKey.PublicKey())
	if _, err := Cosign(cp.Note, otherV, auditor); err == nil {
		t.Fatal("cosigned a checkpoint with the wrong device key")
	}
	// Imported with the wrong auditor key: refused.
	_, wrong := auditorKeys(t)
	if _, err := l.AddWitness(cosigned, wrong); err == nil {
		t.Fatal("a witness by another auditor was accepted")
	}
	if _, err := l.AddWitness(cosigned, auditorKey); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3, 100)
	if _, err := Open(path, origin, devKey); err != nil {
		t.Fatalf("growing past the witness: %v", err)
	}

	// Rollback: both files replaced by a 3-entry log the device key
	// signed (whoever holds the kiosk can do that); the witness remains.
	witness := read(t, WitnessPath(path))
	other := t.TempDir()
	_, opath := newLogAt(t, other, 3, 0)
	write(t, path, read(t, opath))
	write(t, CheckpointsPath(path), read(t, CheckpointsPath(opath)))
	if _, err := Open(path, origin, devKey); err == nil || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("rolled-back log: got %v, want a rollback error", err)
	}
	// Rewrite: a different 8-entry log, re-signed; its first 5 differ.
	_, opath = newLogAt(t, t.TempDir(), 8, 7)
	write(t, path, read(t, opath))
	write(t, CheckpointsPath(path), read(t, CheckpointsPath(opath)))
	if _, err := Open(path, origin, devKey); err == nil || !strings.Contains(err.Error(), "fork") {
		t.Fatalf("rewritten log: got %v, want a fork error", err)
	}
	// An edited witness file is refused too.
	write(t, WitnessPath(path), bytes.Replace(witness, []byte("\n5\n"), []byte("\n4\n"), 1))
	if _, err := Open(path, origin, devKey); err == nil {
		t.Fatal("an edited witness file was accepted")
	}
	os.Remove(WitnessPath(path))
}

package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"golang.org/x/mod/sumdb/note"

	"airsign/psbt/approval"
)

// A kiosk's signed checkpoint rides in every PSBT it signs, and the
// coordinator hands the latest it received back in every PSBT it builds
// for that wallet. The kiosk then refuses to sign on a log shorter than, or
// different from, what it already showed the world: a log cut back on its
// disk (which needs no key: a prefix of the log with the matching prefix
// of its checkpoints verifies) is caught at the next signing.
//
// The field is PSBT_GLOBAL_PROPRIETARY with identifier "airsign", subtype
// 0x02, key data the note key name of the device key ("airsign-<key id>"),
// and value the device's note verifier key, a newline, and the signed
// checkpoint note. The name is the first 8 bytes of SHA-256 of the public
// key in the verifier key, so the field certifies itself: a coordinator
// keeps only checkpoints that verify under the key their name commits to,
// and a forged one is not kept.

// MaxCarriedBytes bounds a carried checkpoint's value: a verifier key and
// a three-line note with one signature take under 400 bytes.
const MaxCarriedBytes = 1024

// Carried is a checkpoint found in a PSBT, verified under VerifierKey.
type Carried struct {
	VerifierKey string
	Checkpoint
}

// Carry puts the log's latest checkpoint, signed by the key of verifierKey,
// into p, replacing one of the same key.
func Carry(p *btcpsbt.Packet, verifierKey string, cp Checkpoint) error {
	if p == nil {
		return errors.New("carry: no PSBT")
	}
	name, _, err := parseVerifierKey(verifierKey)
	if err != nil {
		return err
	}
	value := append([]byte(verifierKey+"\n"), cp.Note...)
	if len(value) > MaxCarriedBytes {
		return fmt.Errorf("carry: the checkpoint takes %d bytes, over %d", len(value), MaxCarriedBytes)
	}
	approval.SetField(p, approval.SubtypeCheckpoint, []byte(name), value)
	return nil
}

// CarriedCheckpoints returns the checkpoints p carries that verify under
// the key their field names, and an error for each field that does not
// (malformed, too large, a key other than the one named, a signature that
// does not verify). Other fields are left alone.
func CarriedCheckpoints(p *btcpsbt.Packet) ([]Carried, []error) {
	if p == nil {
		return nil, nil
	}
	var out []Carried
	var errs []error
	for _, f := range approval.Fields(p, approval.SubtypeCheckpoint) {
		c, err := openCarried(string(f.Data), f.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errs
}

// OpenCarried checks a carried checkpoint kept apart from its PSBT: the
// note must verify under the verifier key, whose name is its key's.
func OpenCarried(verifierKey string, signedNote []byte) (Carried, error) {
	name, _, _ := strings.Cut(verifierKey, "+")
	return openCarried(name, append([]byte(verifierKey+"\n"), signedNote...))
}

func openCarried(name string, value []byte) (Carried, error) {
	if len(value) > MaxCarriedBytes {
		return Carried{}, fmt.Errorf("the checkpoint carried for %.40q takes %d bytes, over %d", name, len(value), MaxCarriedBytes)
	}
	vkey, msg, ok := bytes.Cut(value, []byte("\n"))
	if !ok {
		return Carried{}, fmt.Errorf("the checkpoint carried for %.40q has no verifier key line", name)
	}
	keyName, v, err := parseVerifierKey(string(vkey))
	if err != nil {
		return Carried{}, fmt.Errorf("the checkpoint carried for %.40q: %w", name, err)
	}
	if keyName != name {
		return Carried{}, fmt.Errorf("the checkpoint carried for %.40q comes with the key of %q", name, keyName)
	}
	cp, err := OpenCheckpoint(msg, v)
	if err != nil {
		return Carried{}, fmt.Errorf("the checkpoint carried for %s: %w", name, err)
	}
	return Carried{VerifierKey: string(vkey), Checkpoint: cp}, nil
}

// parseVerifierKey reads an ed25519 note verifier key and checks that its
// name is the one KeyName gives its public key.
func parseVerifierKey(vkey string) (string, note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", nil, fmt.Errorf("verifier key: %v", err)
	}
	parts := strings.SplitN(vkey, "+", 3) // name+hash+key: the key's base64 may hold a "+"
	if len(parts) != 3 {
		return "", nil, errors.New("verifier key: not name+hash+key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return "", nil, errors.New("verifier key: not an ed25519 key")
	}
	if want := KeyName(ed25519.PublicKey(raw[1:])); v.Name() != want {
		return "", nil, fmt.Errorf("verifier key: named %q, but its key's name is %q", v.Name(), want)
	}
	return v.Name(), v, nil
}

// ErrRolledBack means the log is shorter than, or not an extension of, a
// checkpoint it signed earlier.
var ErrRolledBack = errors.New("the audit log is behind a checkpoint it signed earlier")

// CheckSigned checks a checkpoint this log signed earlier (and showed
// outside, as a carried checkpoint) against the log as it is now: it must
// verify under the log's key, and the log must still begin with the
// entries it covered. A log cut back below it, or rewritten, is
// ErrRolledBack.
func (l *Log) CheckSigned(c Carried) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.VerifierKey != l.vkey {
		return fmt.Errorf("the checkpoint is signed by %s, not by this log's key", strings.SplitN(c.VerifierKey, "+", 2)[0])
	}
	st, err := l.lockedLoad(tailRead)
	if err != nil {
		return err
	}
	if err := containedIn(c.Checkpoint, l.origin, int64(len(st.lines)), hashSlice(st.hashes), "the checkpoint it signed and handed out earlier"); err != nil {
		return fmt.Errorf("%w: %v", ErrRolledBack, err)
	}
	return nil
}

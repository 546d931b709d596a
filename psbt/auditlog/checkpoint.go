package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Signer is a device identity that signs checkpoints. *home.Home and
// policy.Signer have this shape. Sign must be ed25519 over msg.
type Signer interface {
	Sign(msg []byte) []byte
	PublicKey() ed25519.PublicKey
}

// MaxSize bounds the number of records a log or an export may claim, so that
// index arithmetic on hostile input stays far from overflow.
const MaxSize = 1 << 40

// KeyName is the sumdb/note key name of an ed25519 device key:
// "airsign-" and the first 8 bytes of SHA-256 of the public key in hex (the
// kiosk's key id).
func KeyName(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "airsign-" + hex.EncodeToString(sum[:8])
}

// VerifierKey is the sumdb/note verifier key of an ed25519 device key,
// "airsign-<key id>+<key hash>+<base64 key>". An auditor records it at the
// ceremony and verifies exports with it, and with nothing else.
func VerifierKey(pub ed25519.PublicKey) (string, error) {
	if len(pub) != ed25519.PublicKeySize {
		return "", errors.New("not an ed25519 public key")
	}
	return note.NewEd25519VerifierKey(KeyName(pub), pub)
}

// NoteSigner adapts a Signer to note.Signer, so that checkpoints are signed
// with the device key without the private key leaving its holder.
func NoteSigner(s Signer) (note.Signer, note.Verifier, error) {
	vkey, err := VerifierKey(s.PublicKey())
	if err != nil {
		return nil, nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, err
	}
	return &noteSigner{s: s, name: v.Name(), hash: v.KeyHash()}, v, nil
}

type noteSigner struct {
	s    Signer
	name string
	hash uint32
}

func (n *noteSigner) Name() string                    { return n.name }
func (n *noteSigner) KeyHash() uint32                 { return n.hash }
func (n *noteSigner) Sign(msg []byte) ([]byte, error) { return n.s.Sign(msg), nil }

// Checkpoint is the signed statement "the log named Origin has Size records
// and its RFC 6962 tree hash is Root". Its note text is the Go checksum
// database's tree format with the log's own origin line:
//
//	<origin>\n<size>\n<base64 root hash>\n
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Note is the whole signed note as it was read or written.
	Note []byte
}

// CheckpointText is the note text of a checkpoint.
func CheckpointText(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// checkOrigin says whether s can be a checkpoint's first line.
func checkOrigin(s string) error {
	if s == "" || strings.TrimSpace(s) != s {
		return fmt.Errorf("log origin %q is empty or has leading or trailing space", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("log origin %q has a control character", s)
		}
	}
	return nil
}

func signCheckpoint(s note.Signer, origin string, size int64, root tlog.Hash) ([]byte, error) {
	return note.Sign(&note.Note{Text: CheckpointText(origin, size, root)}, s)
}

// OpenCheckpoint checks a signed checkpoint note with v and parses it. The
// text must be exactly three lines: origin, size in decimal, base64 root.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var ie *note.InvalidSignatureError
		var ue *note.UnverifiedNoteError
		switch {
		case errors.As(err, &ie):
			return Checkpoint{}, fmt.Errorf("its signature by %s does not verify: it was changed or forged", v.Name())
		case errors.As(err, &ue):
			return Checkpoint{}, fmt.Errorf("it is not signed by key %s", v.Name())
		}
		return Checkpoint{}, fmt.Errorf("it is not a signed note: %v", err)
	}
	if err := canonicalSigs(msg); err != nil {
		return Checkpoint{}, err
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	c.Note = append([]byte(nil), msg...)
	return c, nil
}

func parseCheckpointText(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Checkpoint{}, errors.New("its text is not three lines (origin, size, root)")
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	if err := checkOrigin(origin); err != nil {
		return Checkpoint{}, err
	}
	sizeText := strings.TrimSuffix(lines[1], "\n")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || size > MaxSize || strconv.FormatInt(size, 10) != sizeText {
		return Checkpoint{}, fmt.Errorf("its size %q is not a number from 0 to %d", sizeText, int64(MaxSize))
	}
	rootText := strings.TrimSuffix(lines[2], "\n")
	raw, err := base64.StdEncoding.DecodeString(rootText)
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != rootText { // canonical only
		return Checkpoint{}, fmt.Errorf("its root %q is not a base64 SHA-256 hash", rootText)
	}
	var root tlog.Hash
	copy(root[:], raw)
	return Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// splitNotes splits a checkpoints file: signed notes, each followed by one
// blank line. A checkpoint's text has no blank line and its signature block
// none either, so "\n\n" separates text from signatures and notes from
// each other.
func splitNotes(data []byte) ([][]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if !bytes.HasSuffix(data, []byte("\n\n")) {
		return nil, errors.New("it does not end with a complete checkpoint and a blank line (a write was cut short or the file was edited)")
	}
	pieces := bytes.Split(data[:len(data)-2], []byte("\n\n"))
	if len(pieces)%2 != 0 {
		return nil, errors.New("its notes are not text and signature pairs separated by blank lines")
	}
	var notes [][]byte
	for i := 0; i < len(pieces); i += 2 {
		var b []byte
		b = append(b, pieces[i]...)
		b = append(b, "\n\n"...)
		b = append(b, pieces[i+1]...)
		b = append(b, '\n')
		notes = append(notes, b)
	}
	return notes, nil
}

// canonicalSigs refuses signature lines whose base64 is not canonical, so
// that no byte of a checkpoint can change without the checkpoint being
// refused (base64 decoders ignore the unused bits of the last character).
func canonicalSigs(msg []byte) error {
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return errors.New("it is not a signed note")
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(msg[split+2:]), "\n"), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return errors.New("it has a malformed signature line")
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(line[i+1:]); err != nil {
			return errors.New("it has a signature whose base64 is not canonical: it was changed")
		}
	}
	return nil
}

// decodeHashes decodes base64 hashes strictly.
func decodeHashes(list []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, s := range list {
		raw, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
		}
		out = append(out, tlog.Hash(raw))
	}
	return out, nil
}

func encodeHashes(list []tlog.Hash) []string {
	var out []string
	for _, h := range list {
		out = append(out, base64.StdEncoding.EncodeToString(h[:]))
	}
	return out
}

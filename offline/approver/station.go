// Package approver is the approver station: a treasury approver's own
// offline computer, which holds the approver's ed25519 approval key (sealed
// under the approver's passphrase) and the watch-only descriptors of the
// wallets the approver approves for. It reads the unsigned PSBT of a
// withdrawal request, computes from the PSBT and the wallet's descriptor
// (never from what the coordinator says) what the transaction pays and
// which outputs are proven change, and signs the approval message
// (psbt/approval) the kiosk counts, so that a compromised coordinator can
// neither capture the key nor have the approver approve something else than
// what the station showed.
//
// A station is a folder:
//
//	DIR/station.json   the approver's name and public key (station:ed25519:HEX)
//	DIR/station.key    the private key's seed, sealed (argon2id and
//	                   XChaCha20-Poly1305) under the passphrase, mode 0600
//	DIR/wallets.json   the watch-only wallets: name, network, descriptor
//	DIR/approvals.log  one JSON line per approval made (Record), for the
//	                   approver and an auditor; each holds the approval itself
//
// Nothing in it is secret but the sealed key. Randomness and the clock are
// passed in (Init's rand, Station.Now); the QR codes that carry PSBTs in and
// approvals out are the command's (cmd/airsign-kiosk approver).
package approver

import (
	"crypto/ed25519"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unicode"
	"unicode/utf8"

	"airsign/psbt/approval"
	"airsign/psbt/fileio"
)

// File names inside a station folder.
const (
	stationFile   = "station.json"
	keyFile       = "station.key"
	walletsFile   = "wallets.json"
	approvalsFile = "approvals.log"
)

// maxFileBytes caps what the station reads of its own small files.
const maxFileBytes = 1 << 20

// ErrNotInitialized is returned by Open for a folder that holds no station.
var ErrNotInitialized = errors.New("no approver station here")

// Station is an opened approver station folder. Opening it needs no
// passphrase: only Approve opens the key.
type Station struct {
	dir  string
	name string
	key  approval.Key
	// Now is the station's clock, for reviews, expiry times and the log;
	// nil means time.Now.
	Now func() time.Time
}

// stationRecord is station.json.
type stationRecord struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	Key     string `json:"key"` // approval.Key.String: station:ed25519:HEX
}

func (s *Station) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Dir is the station's folder.
func (s *Station) Dir() string { return s.dir }

// Name is the approver's name, which approvals carry as their label (the
// kiosk names approvers by the name it enrolled them under).
func (s *Station) Name() string { return s.name }

// Key is the station's public approval key, of kind approval.KindStation:
// what the kiosk's `approvers add` enrolls.
func (s *Station) Key() approval.Key { return s.key }

// CheckName refuses an approver's name that an approval cannot carry: empty,
// longer than approval.MaxApproverLen characters, not UTF-8, or holding
// control or format characters that could disguise it on a screen.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("the approver's name is empty: give the name the kiosk will enroll the key under")
	case !utf8.ValidString(name):
		return fmt.Errorf("the approver's name %q is not UTF-8", name)
	case utf8.RuneCountInString(name) > approval.MaxApproverLen || len(name) > 255:
		return fmt.Errorf("the approver's name %q is longer than %d characters", name, approval.MaxApproverLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("the approver's name %q holds the control or format character %U", name, r)
		}
	}
	return nil
}

// Init makes a new station in dir (created if needed, mode 0700) for the
// approver name: an ed25519 key from rand, whose seed is sealed under
// passphrase (at least MinPassphrase bytes) with argon2id at kdf (zero:
// DefaultKDF). It refuses a folder that already holds a station: its key
// would be lost, and with it every enrolment of it. The private key is
// wiped before Init returns; the caller wipes the passphrase.
func Init(dir, name string, passphrase []byte, rand io.Reader, kdf KDFParams) (approval.Key, error) {
	if err := CheckName(name); err != nil {
		return approval.Key{}, err
	}
	if len(passphrase) < MinPassphrase {
		return approval.Key{}, fmt.Errorf("a passphrase of %d characters is too short to seal the station's key: use at least %d", len(passphrase), MinPassphrase)
	}
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF
	}
	if err := kdf.Check(); err != nil {
		return approval.Key{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return approval.Key{}, fmt.Errorf("creating the approver station: %w", err)
	}
	for _, f := range []string{stationFile, keyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return approval.Key{}, fmt.Errorf("%s already holds an approver station (%s); its key is kept: choose another folder", dir, f)
		}
	}
	seed := make([]byte, ed25519.SeedSize)
	defer clear(seed)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return approval.Key{}, fmt.Errorf("generating the station's key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := ed25519.PublicKey(append([]byte(nil), priv[ed25519.SeedSize:]...))
	clear(priv)
	key := approval.Key{Kind: approval.KindStation, Ed25519: pub}
	sealed, err := seal(seed, pub, passphrase, rand, kdf)
	if err != nil {
		return approval.Key{}, err
	}
	rec, err := json.MarshalIndent(stationRecord{Version: 1, Name: name, Key: key.String()}, "", "  ")
	if err != nil {
		return approval.Key{}, err
	}
	if err := writeNew(filepath.Join(dir, keyFile), sealed, 0o600); err != nil {
		return approval.Key{}, err
	}
	if err := writeNew(filepath.Join(dir, stationFile), append(rec, '\n'), 0o644); err != nil {
		os.Remove(filepath.Join(dir, keyFile))
		return approval.Key{}, err
	}
	return key, nil
}

// Open opens the station in dir. It checks that the sealed key file is
// there and is the key station.json names, without opening it.
func Open(dir string) (*Station, error) {
	data, err := readLimited(filepath.Join(dir, stationFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: make one with `airsign-kiosk approver init`", ErrNotInitialized, dir)
	}
	if err != nil {
		return nil, err
	}
	var rec stationRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stationFile), err)
	}
	if rec.Version != 1 {
		return nil, fmt.Errorf("%s is of version %d; this station reads version 1: update it", filepath.Join(dir, stationFile), rec.Version)
	}
	if err := CheckName(rec.Name); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stationFile), err)
	}
	key, err := approval.ParseKey(rec.Key, approval.KindStation)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stationFile), err)
	}
	s := &Station{dir: dir, name: rec.Name, key: key}
	if _, err := s.readKeyBlock(); err != nil {
		return nil, err
	}
	return s, nil
}

// readKeyBlock reads the sealed key file and checks it seals the key
// station.json names.
func (s *Station) readKeyBlock() (*pem.Block, error) {
	path := filepath.Join(s.dir, keyFile)
	data, err := readLimited(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the station's key file %s is missing: restore it from the station's backup; without it the station cannot approve", path)
	}
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != keyBlockType || len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%s is not a sealed approver station key", path)
	}
	if got := block.Headers["Public-Key"]; got != fmt.Sprintf("%x", []byte(s.key.Ed25519)) {
		return nil, fmt.Errorf("%s seals key %.16s…, but %s names key %s: the station's files were changed or mixed up", path, got, stationFile, s.key.Fingerprint())
	}
	return block, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// readLimited reads one of the station's own files.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s is more than %d bytes; it is not a station file", path, maxFileBytes)
	}
	return data, nil
}

// writeNew writes a new file, never replacing one, synced with its folder;
// on failure nothing is left behind.
func writeNew(path string, data []byte, perm os.FileMode) error {
	if err := fileio.WriteNew(path, data, perm); err != nil {
		return err
	}
	return fileio.SyncDir(filepath.Dir(path))
}

// replaceFile writes path anew by rename, so that a crash leaves the old
// file or the new one.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".new"
	os.Remove(tmp)
	if err := writeNew(tmp, data, perm); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return fileio.SyncDir(filepath.Dir(path))
}

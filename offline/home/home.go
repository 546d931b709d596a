// Package home is the kiosk's home folder: its ed25519 device identity, the
// wallets it knows (descriptors only, never a secret), the transcripts of the
// ceremonies it ran, and its audit log.
//
//	HOME/identity.key        device private key (PKCS#8 PEM, mode 0600), or
//	                         sealed under the operator's passphrase (seal.go)
//	HOME/identity.pub        device public key and key id
//	HOME/audit.log           audit log: a tlog Merkle log, one JSON entry a line
//	HOME/audit.checkpoints   its signed checkpoints (sumdb/note, device key)
//	HOME/audit.lock          held while an entry is appended (psbt/auditlog)
//	HOME/audit.witnessed     checkpoints an auditor cosigned, once imported
//	HOME/wallets/NAME.json   registered wallets
//	HOME/transcripts/ID.json signed ceremony transcripts
//
// The spending policies, approvers and ledgers live in HOME/policy, kept by
// offline/policy.
package home

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
	"airsign/psbt/fileio"
)

// Home is an initialized kiosk home folder.
type Home struct {
	dir    string
	key    ed25519.PrivateKey
	log    *auditlog.Log
	sealed bool
}

// Options are Init's and Open's choices about the device key.
type Options struct {
	// Passphrase seals the device key (Init) or opens it (Open); empty
	// leaves it in plain PEM. The caller wipes it.
	Passphrase []byte
	// KDF is argon2id's cost for sealing; zero is DefaultKDF.
	KDF KDFParams
}

// ErrNotInitialized is returned by Open for a folder without an identity.
var ErrNotInitialized = errors.New("kiosk home is not initialized")

// Init creates the device identity key and an empty audit log in dir,
// creating dir if needed. It refuses a folder that already has an identity:
// replacing a device key would orphan every signature made with it.
func Init(dir string, rand io.Reader, now time.Time) (*Home, error) {
	return InitWith(dir, rand, now, Options{})
}

// InitWith is Init with options: a passphrase seals the device key.
func InitWith(dir string, rand io.Reader, now time.Time, opt Options) (*Home, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating kiosk home: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "identity.key")); err == nil {
		return nil, fmt.Errorf("kiosk home %s is already initialized; its identity is kept", dir)
	}
	for _, sub := range []string{"wallets", "transcripts"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("creating kiosk home: %w", err)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("generating device key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if len(opt.Passphrase) > 0 {
		if opt.KDF == (KDFParams{}) {
			opt.KDF = DefaultKDF
		}
		if keyPEM, err = sealKey(der, opt.Passphrase, rand, opt.KDF); err != nil {
			return nil, err
		}
	}
	clear(der)
	if err := writeNew(filepath.Join(dir, "identity.key"), keyPEM, 0o600); err != nil {
		return nil, err
	}
	h := &Home{dir: dir, key: priv, sealed: len(opt.Passphrase) > 0}
	pubLine := fmt.Sprintf("airsign-kiosk %s %s\n", h.KeyID(), base64.StdEncoding.EncodeToString(pub))
	if err := writeNew(filepath.Join(dir, "identity.pub"), []byte(pubLine), 0o644); err != nil {
		return nil, err
	}
	log, err := auditlog.Create(filepath.Join(dir, "audit.log"), LogOrigin(h.KeyID()), h)
	if err != nil {
		return nil, err
	}
	h.log = log
	if err := log.Append("init", map[string]any{"device_key_id": h.KeyID(), "device_public_key": base64.StdEncoding.EncodeToString(pub), "sealed": h.sealed}, now); err != nil {
		return nil, err
	}
	return h, nil
}

// Open loads an initialized home and verifies its audit log. A sealed
// device key needs OpenWith and its passphrase.
func Open(dir string) (*Home, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options: the passphrase of a sealed device key.
func OpenWith(dir string, opt Options) (*Home, error) {
	keyPEM, err := os.ReadFile(filepath.Join(dir, "identity.key"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no device identity; run: airsign-kiosk --home %s init", ErrNotInitialized, dir, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("reading device key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	var priv ed25519.PrivateKey
	switch {
	case block != nil && block.Type == sealedKeyType:
		if len(opt.Passphrase) == 0 {
			return nil, fmt.Errorf("%w: %s/identity.key opens only with the operator's passphrase: give it with --passphrase-file FILE (or - to type it)", ErrSealed, dir)
		}
		if priv, err = openKey(block, opt.Passphrase); err != nil {
			return nil, fmt.Errorf("%s/identity.key: %w", dir, err)
		}
	case block != nil && block.Type == "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s/identity.key: %w", dir, err)
		}
		var ok bool
		if priv, ok = k.(ed25519.PrivateKey); !ok {
			return nil, fmt.Errorf("%s/identity.key is not an ed25519 key", dir)
		}
	default:
		return nil, fmt.Errorf("%s/identity.key is not a PEM private key", dir)
	}
	h := &Home{dir: dir, key: priv, sealed: block.Type == sealedKeyType}
	log, err := auditlog.Open(filepath.Join(dir, "audit.log"), LogOrigin(h.KeyID()), h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v; the kiosk will not sign until an auditor has looked at it", ErrLogDoesNotVerify, err)
	}
	h.log = log
	return h, nil
}

// ErrLogDoesNotVerify is returned by Open when the audit log or its signed
// checkpoints fail verification.
var ErrLogDoesNotVerify = errors.New("the audit log does not verify")

// LogOrigin names a kiosk's audit log in its signed checkpoints.
func LogOrigin(keyID string) string { return "airsign kiosk " + keyID }

// VerifierKey is the sumdb/note verifier key of the device key, which
// checks the audit log's checkpoints; an auditor records it.
func (h *Home) VerifierKey() string {
	k, _ := auditlog.VerifierKey(h.PublicKey()) // an ed25519 key always has one
	return k
}

// Dir is the home folder's path.
func (h *Home) Dir() string { return h.dir }

// PublicKey is the device's ed25519 public key.
func (h *Home) PublicKey() ed25519.PublicKey { return h.key.Public().(ed25519.PublicKey) }

// KeyID names the device key: the first 8 bytes of SHA-256 of the public key,
// in hex.
func (h *Home) KeyID() string { return KeyID(h.PublicKey()) }

// KeyID names an ed25519 public key as the kiosk does.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign signs msg with the device key.
func (h *Home) Sign(msg []byte) []byte { return ed25519.Sign(h.key, msg) }

// Log is the kiosk's audit log.
func (h *Home) Log() *auditlog.Log { return h.log }

// Wallet is a registered wallet: what the kiosk needs to recognise its own
// inputs and change, and which share set activates it. No secret.
type Wallet struct {
	Name             string    `json:"name"`
	Network          string    `json:"network"`
	Script           string    `json:"script"`
	Fingerprint      string    `json:"master_fingerprint"`
	Descriptor       string    `json:"descriptor"`
	AccountXpub      string    `json:"account_xpub"`
	Cosigner         string    `json:"bip48_cosigner,omitempty"`
	ShareSet         string    `json:"share_set"`
	Threshold        int       `json:"threshold"`
	Total            int       `json:"total"`
	CeremonyID       string    `json:"ceremony_id,omitempty"`
	TranscriptSHA256 string    `json:"transcript_sha256,omitempty"`
	Created          time.Time `json:"created"`
	// Multisig is set for a multisig wallet this kiosk is one cosigner of;
	// Fingerprint, ShareSet, Threshold and Total are then those of the
	// kiosk's own key.
	Multisig *Multisig `json:"multisig,omitempty"`
	// Policy is set for a wallet with spending paths (wsh miniscript,
	// taproot tree), registered as a BIP-388 wallet policy: Descriptor is
	// then that policy written out with its keys, Script is "wsh" or "tr",
	// and Fingerprint, ShareSet, Threshold and Total are this kiosk's own
	// key's, as for a multisig.
	Policy *ScriptPolicy `json:"policy,omitempty"`

	// read is the network and descriptor as read when the wallet was
	// loaded (Home.Wallet, Home.Wallets): the kiosk parses a registered
	// wallet once, however often it uses it. Nil for a wallet made in
	// memory, which Parsed reads when asked.
	read *readWallet
}

// ScriptPolicy is a registered wallet's BIP-388 policy and what the kiosk
// recorded of it at registration.
type ScriptPolicy struct {
	descriptor.WalletPolicy
	// Hash is descriptor.ScriptWallet.PolicyHash in hex: what the audit
	// log's registration entry records and the other signers compare.
	Hash string `json:"policy_hash"`
	// Ours are this kiosk's keys in the policy (0-based placeholders @i).
	Ours []int `json:"our_keys"`
}

// ErrScriptWallet means a wallet with spending paths was asked for as a
// plain descriptor (Parsed): its model is ScriptWallet.
var ErrScriptWallet = errors.New("the wallet has spending paths (a BIP-388 policy), not a single-path descriptor")

// readWallet is a wallet's network and descriptor as parsed, with the
// texts they were parsed from: a wallet whose fields were changed after
// loading is read again rather than answered from a stale parse.
type readWallet struct {
	network, text string
	script        bool
	net           descriptor.Network
	netErr        error
	desc          *descriptor.Descriptor
	sw            *descriptor.ScriptWallet
	err           error // netErr, or the descriptor's
}

func readWalletFields(network, text string, script bool) *readWallet {
	r := &readWallet{network: network, text: text, script: script}
	if r.net, r.netErr = descriptor.ParseNetwork(network); r.netErr != nil {
		r.err = r.netErr
		return r
	}
	if script {
		r.sw, r.err = descriptor.ParseScriptWallet(text, r.net)
		return r
	}
	r.desc, r.err = descriptor.ParseForNetwork(text, r.net)
	return r
}

// readNow parses the wallet's fields as they are now.
func (w *Wallet) readNow() *readWallet {
	return readWalletFields(w.Network, w.Descriptor, w.Policy != nil)
}

// loaded returns the wallet's parse made at loading, if it still holds.
func (w *Wallet) loaded() *readWallet {
	if r := w.read; r != nil && r.network == w.Network && r.text == w.Descriptor && r.script == (w.Policy != nil) {
		return r
	}
	return nil
}

// IsScriptWallet says whether the wallet has spending paths (Policy set).
func (w *Wallet) IsScriptWallet() bool { return w.Policy != nil }

// ScriptWallet is a wallet with spending paths, parsed for the wallet's
// network, as Parsed is for the others; the same rules hold.
func (w *Wallet) ScriptWallet() (*descriptor.ScriptWallet, error) {
	if w.Policy == nil {
		return nil, fmt.Errorf("wallet %q is a single-path descriptor, not a BIP-388 policy", w.Name)
	}
	r := w.loaded()
	if r == nil {
		r = w.readNow()
	}
	return r.sw, r.err
}

// Net is the wallet's network, parsed.
func (w *Wallet) Net() (descriptor.Network, error) {
	if r := w.loaded(); r != nil {
		return r.net, r.netErr
	}
	return descriptor.ParseNetwork(w.Network)
}

// Parsed is the wallet's descriptor, parsed for the wallet's network (an
// unknown network is Net's error). A registered wallet's is parsed once,
// when Home.Wallet or Home.Wallets loads it; a wallet whose descriptor
// does not parse still loads, and the error comes here, where the wallet
// is used. Callers must not change the descriptor: copies of the wallet
// share it.
func (w *Wallet) Parsed() (*descriptor.Descriptor, error) {
	if w.Policy != nil {
		return nil, fmt.Errorf("wallet %q: %w", w.Name, ErrScriptWallet)
	}
	r := w.loaded()
	if r == nil {
		r = w.readNow()
	}
	return r.desc, r.err
}

// Multisig describes a registered multisig wallet.
type Multisig struct {
	Threshold int `json:"threshold"` // signatures needed
	Keys      int `json:"keys"`      // cosigners
	Us        int `json:"us"`        // this kiosk's key, 1-based, in descriptor order
}

var walletName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckWalletName says whether name can name a wallet: 1 to 64 letters,
// digits, dots, dashes and underscores, not starting with a dot or dash, so
// that it is also a safe file name.
func CheckWalletName(name string) error {
	if !walletName.MatchString(name) {
		return fmt.Errorf("wallet name %q is not allowed: use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit", name)
	}
	return nil
}

// Wallet returns the wallet registered under name.
func (h *Home) Wallet(name string) (*Wallet, error) {
	if err := CheckWalletName(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(h.dir, "wallets", name+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no wallet named %q is registered; list them with: airsign-kiosk --home %s wallets", name, h.dir)
	}
	if err != nil {
		return nil, err
	}
	var w Wallet
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("wallet %q: %w", name, err)
	}
	if err := w.checkFileName(name); err != nil {
		return nil, err
	}
	w.read = w.readNow()
	return &w, nil
}

// ErrWalletFile means a wallet file does not name the wallet its file name
// does: it was edited or renamed outside the kiosk. Policies, ledgers and
// approvers are found by the wallet's name, so such a file would slip out
// from under its own controls.
var ErrWalletFile = errors.New("a wallet file was edited")

func (w *Wallet) checkFileName(file string) error {
	if w.Name != file {
		return fmt.Errorf("%w: wallets/%s.json names wallet %q; the custodians and the auditor must compare it with the audit log", ErrWalletFile, file, w.Name)
	}
	return nil
}

// WalletFileSHA256 is the SHA-256 of the wallet's file as it is on disk,
// which its registration's audit entry records.
func (h *Home) WalletFileSHA256(name string) (string, error) {
	if err := CheckWalletName(name); err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(h.dir, "wallets", name+".json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// Wallets lists the registered wallets by name.
func (h *Home) Wallets() ([]Wallet, error) {
	files, err := filepath.Glob(filepath.Join(h.dir, "wallets", "*.json"))
	if err != nil {
		return nil, err
	}
	var ws []Wallet
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var w Wallet
		if err := json.Unmarshal(data, &w); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := w.checkFileName(strings.TrimSuffix(filepath.Base(f), ".json")); err != nil {
			return nil, err
		}
		w.read = w.readNow()
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Name < ws[j].Name })
	return ws, nil
}

// ShareSetsInUse lists the share set ids of the registered wallets (for a
// multisig wallet, this kiosk's own key's set): a new ceremony takes
// another.
func (h *Home) ShareSetsInUse() ([]uint16, error) {
	ws, err := h.Wallets()
	if err != nil {
		return nil, err
	}
	var ids []uint16
	for _, w := range ws {
		id, err := strconv.ParseUint(w.ShareSet, 16, 16)
		if err != nil {
			continue // a wallet without a set of this kiosk's
		}
		ids = append(ids, uint16(id))
	}
	return ids, nil
}

// CheckNewWallet says whether w could be registered: its name is free and
// its descriptor is not registered under another name, so one wallet is
// never known twice. A ceremony asks before it writes any share.
// ErrNameTaken means a wallet of that name is registered already.
var ErrNameTaken = errors.New("wallet name taken")

func (h *Home) CheckNewWallet(w Wallet) error {
	if err := CheckWalletName(w.Name); err != nil {
		return err
	}
	existing, err := h.Wallets()
	if err != nil {
		return err
	}
	// What the wallet is comes before what it is called: a copy of a
	// registered wallet is refused as a copy, whatever its name.
	id, err := w.Identity()
	if err != nil {
		return fmt.Errorf("wallet %q: %w", w.Name, err)
	}
	for _, e := range existing {
		if e.Descriptor == w.Descriptor {
			return fmt.Errorf("this wallet is already registered as %q", e.Name)
		}
		eid, err := e.Identity()
		if err != nil {
			return fmt.Errorf("registered wallet %q: %w", e.Name, err)
		}
		if eid == id {
			return fmt.Errorf("this wallet is already registered as %q: the same keys, threshold and script type pay to the same addresses, however the descriptor is written (a second copy would have a policy of its own)", e.Name)
		}
	}
	for _, e := range existing {
		if e.Name == w.Name {
			return fmt.Errorf("%w: a wallet named %q is already registered: choose another name (--name)", ErrNameTaken, w.Name)
		}
	}
	return nil
}

// IdentityDigest is a short name for the wallet's identity: the first 16
// bytes of its SHA-256, in hex. Approvers are kept under it.
func (w Wallet) IdentityDigest() (string, error) {
	id, err := w.Identity()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16]), nil
}

// Identity is what the wallet pays to (descriptor.Identity): the same for
// every spelling of the same wallet's descriptor.
func (w Wallet) Identity() (string, error) {
	if w.Policy != nil {
		// What a policy pays to, not how it is written: its scripts at
		// the first receive and change addresses. The same keys under
		// other claimed origins, or in another order where the script
		// sorts them (sortedmulti_a), pay there too and are the same
		// wallet; a copy would have a policy of its own.
		sw, err := w.ScriptWallet()
		if err != nil {
			return "", err
		}
		id := sw.Network.String() + " spending paths"
		for branch := range uint32(2) {
			d, err := sw.Derive(branch, 0)
			if err != nil {
				return "", err
			}
			id += " " + hex.EncodeToString(d.PkScript)
		}
		return id, nil
	}
	d, err := w.Parsed()
	if err != nil {
		return "", err
	}
	return d.Identity()
}

// AddWallet registers w, if CheckNewWallet allows it.
func (h *Home) AddWallet(w Wallet) error {
	if err := h.CheckNewWallet(w); err != nil {
		return err
	}
	data, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := writeNew(filepath.Join(h.dir, "wallets", w.Name+".json"), data, 0o644); err != nil {
		return err
	}
	// The log records the file as written: a wallet file that is missing,
	// extra or different is tampering (kiosk.CheckState).
	sum := sha256.Sum256(data)
	when := w.Created
	if when.IsZero() {
		when = time.Now()
	}
	entry := map[string]any{"wallet": w.Name, "descriptor": w.Descriptor, "wallet_sha256": hex.EncodeToString(sum[:])}
	if w.Policy != nil {
		entry["policy_hash"] = w.Policy.Hash
	}
	return h.log.Append("wallet-registered", entry, when)
}

// SaveTranscript keeps a copy of a signed ceremony transcript.
func (h *Home) SaveTranscript(ceremonyID string, data []byte) error {
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(ceremonyID) {
		return fmt.Errorf("ceremony id %q is not 32 hex digits", ceremonyID)
	}
	return writeNew(filepath.Join(h.dir, "transcripts", ceremonyID+".json"), data, 0o644)
}

// writeNew writes a file that must not exist yet, through a temporary file
// and a rename, so a crash leaves either nothing or the whole file.
func writeNew(path string, data []byte, perm os.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists; it is not overwritten", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil { // link, unlike rename, never replaces
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return fileio.SyncDir(filepath.Dir(path))
}

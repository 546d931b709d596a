package home

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// A sealed device key is the PKCS#8 key encrypted with XChaCha20-Poly1305
// under a key derived from the operator's passphrase with argon2id, so that
// a copy of the kiosk's disk alone cannot re-sign its audit log. It is a PEM
// block of type sealedKeyType whose headers carry the KDF's parameters, its
// salt and the AEAD nonce.
const sealedKeyType = "AIRSIGN SEALED PRIVATE KEY"

// sealAAD binds the ciphertext to its purpose.
var sealAAD = []byte("airsign kiosk device key v1")

// KDFParams are argon2id's parameters for sealing the device key.
type KDFParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultKDF is argon2id at 3 passes over 64 MiB with 2 lanes, the
// coordinator's approval keys' parameters: about a second here.
var DefaultKDF = KDFParams{Time: 3, Memory: 64 << 10, Threads: 2}

// ErrSealed means the device key is sealed and no passphrase was given.
var ErrSealed = errors.New("the device key is sealed")

// ErrPassphrase means the passphrase does not open the sealed device key.
var ErrPassphrase = errors.New("the passphrase does not open the device key")

// MinPassphrase is the shortest passphrase a device key is sealed under.
const MinPassphrase = 12

func sealKey(der, passphrase []byte, rand io.Reader, p KDFParams) ([]byte, error) {
	if len(passphrase) < MinPassphrase {
		return nil, fmt.Errorf("a passphrase of %d characters is too short to seal the device key: use at least %d", len(passphrase), MinPassphrase)
	}
	return SealPEM(sealedKeyType, der, passphrase, sealAAD, nil, rand, p)
}

// openKey opens a sealed device key with passphrase.
func openKey(block *pem.Block, passphrase []byte) (ed25519.PrivateKey, error) {
	der, err := OpenPEM(block, passphrase, sealAAD, "the sealed device key")
	if errors.Is(err, ErrWrongPassphrase) {
		return nil, ErrPassphrase
	}
	if err != nil {
		return nil, err
	}
	defer clear(der)
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("the sealed device key: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("the sealed device key is not an ed25519 key")
	}
	return priv, nil
}

// Limits on the KDF a sealed file may ask for, so that a damaged or hostile
// file cannot make the reader allocate without bound.
const (
	maxKDFTime    = 64
	maxKDFMemory  = 1 << 20 // KiB: 1 GiB
	maxKDFThreads = 64
)

// Check refuses parameters OpenPEM would refuse to read back, or too weak
// to be worth a passphrase.
func (p KDFParams) Check() error {
	if p.Time < 1 || p.Time > maxKDFTime || p.Memory < 8 || p.Memory > maxKDFMemory || p.Threads < 1 || p.Threads > maxKDFThreads {
		return fmt.Errorf("argon2id parameters time %d, memory %d KiB, threads %d: use time 1 to %d, memory 8 to %d KiB, threads 1 to %d",
			p.Time, p.Memory, p.Threads, maxKDFTime, maxKDFMemory, maxKDFThreads)
	}
	return nil
}

// ErrWrongPassphrase is OpenPEM's error for a passphrase that does not
// open the block (or a block altered after sealing: the two look the same).
var ErrWrongPassphrase = errors.New("the passphrase does not open it")

// SealPEM encrypts plain with XChaCha20-Poly1305 under a key derived from
// passphrase with argon2id (parameters p, a 16-byte salt from rand), bound
// to aad, as a PEM block of type blockType whose headers carry the KDF's
// parameters, the salt, the nonce and extra. The kiosk's device key and an
// approver station's key are sealed this way.
func SealPEM(blockType string, plain, passphrase, aad []byte, extra map[string]string, rand io.Reader, p KDFParams) ([]byte, error) {
	salt := make([]byte, 16)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, err
	}
	k := argon2.IDKey(passphrase, salt, p.Time, p.Memory, p.Threads, chacha20poly1305.KeySize)
	defer clear(k)
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, err
	}
	headers := map[string]string{
		"KDF": "argon2id", "Time": strconv.Itoa(int(p.Time)), "Memory": strconv.Itoa(int(p.Memory)),
		"Threads": strconv.Itoa(int(p.Threads)), "Salt": base64.StdEncoding.EncodeToString(salt),
		"Nonce": base64.StdEncoding.EncodeToString(nonce),
	}
	for k, v := range extra {
		headers[k] = v
	}
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Headers: headers, Bytes: aead.Seal(nil, nonce, plain, aad)}), nil
}

// OpenPEM opens a block SealPEM wrote with passphrase and aad, refusing KDF
// parameters past sane limits before deriving anything; what names the
// block in errors. A passphrase that does not open it gives
// ErrWrongPassphrase. The caller clears the result.
func OpenPEM(block *pem.Block, passphrase, aad []byte, what string) ([]byte, error) {
	num := func(name string, limit int) (int, error) {
		n, err := strconv.Atoi(block.Headers[name])
		if err != nil || n < 1 || n > limit {
			return 0, fmt.Errorf("%s's %s %q is not a number from 1 to %d", what, name, block.Headers[name], limit)
		}
		return n, nil
	}
	if block.Headers["KDF"] != "argon2id" {
		return nil, fmt.Errorf("%s uses KDF %q, not argon2id", what, block.Headers["KDF"])
	}
	t, err := num("Time", maxKDFTime)
	if err != nil {
		return nil, err
	}
	m, err := num("Memory", maxKDFMemory)
	if err != nil {
		return nil, err
	}
	th, err := num("Threads", maxKDFThreads)
	if err != nil {
		return nil, err
	}
	salt, err1 := base64.StdEncoding.DecodeString(block.Headers["Salt"])
	nonce, err2 := base64.StdEncoding.DecodeString(block.Headers["Nonce"])
	if err1 != nil || err2 != nil || len(salt) < 16 || len(nonce) != chacha20poly1305.NonceSizeX {
		return nil, fmt.Errorf("%s's salt or nonce is malformed", what)
	}
	k := argon2.IDKey(passphrase, salt, uint32(t), uint32(m), uint8(th), chacha20poly1305.KeySize)
	defer clear(k)
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nonce, block.Bytes, aad)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return plain, nil
}

// Sealed says whether the device key is sealed under a passphrase.
func (h *Home) Sealed() bool { return h.sealed }

// Seal seals a plain device key under passphrase, in place: the sealed file
// replaces the plain one by rename, so a crash leaves one or the other. It
// is logged. (The plain key may still be on the disk's free blocks: seal at
// init on a new kiosk, or wipe the medium.)
func (h *Home) Seal(passphrase []byte, rand io.Reader, now time.Time, p KDFParams) error {
	if h.sealed {
		return errors.New("the device key is already sealed")
	}
	if p == (KDFParams{}) {
		p = DefaultKDF
	}
	der, err := x509.MarshalPKCS8PrivateKey(h.key)
	if err != nil {
		return err
	}
	defer clear(der)
	sealed, err := sealKey(der, passphrase, rand, p)
	if err != nil {
		return err
	}
	path := filepath.Join(h.dir, "identity.key")
	tmp := path + ".sealing"
	os.Remove(tmp)
	if err := writeNew(tmp, sealed, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	h.sealed = true
	return h.log.Append("device-key-sealed", map[string]any{"kdf": "argon2id", "time": p.Time, "memory_kib": p.Memory, "threads": p.Threads}, now)
}

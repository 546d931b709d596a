package approver

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"airsign/offline/home"
)

// The station's key file is the ed25519 key's 32-byte seed encrypted with
// XChaCha20-Poly1305 under a key derived from the approver's passphrase
// with argon2id, as the kiosk seals its device key (offline/home): a PEM
// block of type keyBlockType whose headers carry the KDF's parameters, its
// salt, the AEAD nonce and the public key, which the ciphertext is also
// bound to.
const keyBlockType = "AIRSIGN APPROVER STATION KEY"

// sealAAD starts the associated data: the purpose, then the public key.
const sealAAD = "airsign approver station key v1\n"

// KDFParams are argon2id's parameters for sealing the station's key, as
// for the kiosk's device key.
type KDFParams = home.KDFParams

// DefaultKDF is the kiosk's: about a second on a laptop.
var DefaultKDF = home.DefaultKDF

// MinPassphrase is the shortest passphrase, in bytes, a station key is
// sealed under.
const MinPassphrase = 12

// ErrPassphrase means the passphrase does not open the station's key.
var ErrPassphrase = errors.New("the passphrase does not open the station's key")

func aad(pub ed25519.PublicKey) []byte { return append([]byte(sealAAD), pub...) }

// seal encrypts seed under passphrase, bound to pub.
func seal(seed []byte, pub ed25519.PublicKey, passphrase []byte, rand io.Reader, p KDFParams) ([]byte, error) {
	return home.SealPEM(keyBlockType, seed, passphrase, aad(pub), map[string]string{"Public-Key": hex.EncodeToString(pub)},
		rand, home.KDFParams(p))
}

// openSeal opens a sealed key with passphrase and returns the private key,
// after checking it is pub's. The caller clears it.
func openSeal(block *pem.Block, pub ed25519.PublicKey, passphrase []byte) (ed25519.PrivateKey, error) {
	seed, err := home.OpenPEM(block, passphrase, aad(pub), "the station's key file")
	if errors.Is(err, home.ErrWrongPassphrase) {
		return nil, ErrPassphrase
	}
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("the station's key file holds %d bytes, not an ed25519 seed", len(seed))
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !pub.Equal(priv.Public()) {
		clear(priv)
		return nil, errors.New("the station's key file opens, but to another key than the station's: the station's files were mixed up")
	}
	return priv, nil
}

package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"airsign/online/coordinator"
)

// The password policy is the coordinator's, for sign-in passwords as for
// approval keys: one length rule and one set of argon2id bounds.
const (
	MinPasswordLen = coordinator.MinPasswordLen
	MaxPasswordLen = coordinator.MaxPasswordLen
)

// PasswordParams are the argon2id parameters of a new password hash. They
// are written into the hash, so hashes made under other parameters still
// verify.
type PasswordParams = coordinator.KDFParams

// DefaultPasswordParams are the approval keys' (RFC 9106's second option
// with three passes): 64 MiB, about a tenth of a second a guess.
var DefaultPasswordParams = coordinator.DefaultKDFParams

const (
	saltLen = 16
	keyLen  = 32
)

// CheckPassword says what is wrong with a new password, if anything.
func CheckPassword(pw []byte) error { return coordinator.CheckPassword(pw) }

// HashPassword returns the PHC-style encoded argon2id hash of pw under p:
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>, base64 without padding.
func HashPassword(pw []byte, p PasswordParams) ([]byte, error) {
	if err := CheckPassword(pw); err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Appendf(nil, "$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// passwordHash is a parsed encoded hash.
type passwordHash struct {
	params PasswordParams
	salt   []byte
	key    []byte
}

var errBadHash = errors.New("the stored password hash is not an airsign argon2id hash")

// parsePasswordHash reads HashPassword's encoding, refusing anything else,
// parameters out of bounds included. The stored hash is the store's, not
// the user's, but a database edited by hand must fail closed, not run
// argon2 with whatever it says.
func parsePasswordHash(s []byte) (passwordHash, error) {
	if len(s) > 256 {
		return passwordHash{}, errBadHash
	}
	// Printable ASCII only: Go's base64 decoders skip \r and \n, so a salt
	// with a line break inside would parse as another hash than it says.
	for _, c := range s {
		if c < 0x21 || c > 0x7e {
			return passwordHash{}, errBadHash
		}
	}
	parts := strings.Split(string(s), "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return passwordHash{}, errBadHash
	}
	var h passwordHash
	var m, t, p uint64
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return passwordHash{}, errBadHash
	}
	for i, want := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(fields[i], want)
		if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
			return passwordHash{}, errBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return passwordHash{}, errBadHash
		}
		switch i {
		case 0:
			m = n
		case 1:
			t = n
		case 2:
			p = n
		}
	}
	if p > 255 { // Threads is a uint8; Check bounds it further
		return passwordHash{}, errBadHash
	}
	h.params = PasswordParams{Time: uint32(t), Memory: uint32(m), Threads: uint8(p)}
	if err := h.params.Check(); err != nil {
		return passwordHash{}, errBadHash
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(h.salt) != saltLen {
		return passwordHash{}, errBadHash
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(h.key) != keyLen {
		return passwordHash{}, errBadHash
	}
	return h, nil
}

func (h passwordHash) encode() []byte {
	enc := base64.RawStdEncoding
	return fmt.Appendf(nil, "$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.params.Memory, h.params.Time, h.params.Threads,
		enc.EncodeToString(h.salt), enc.EncodeToString(h.key))
}

// kdf bounds how many argon2id runs go at once: each takes its memory
// parameter (64 MiB by default), so a burst of sign-ins must queue rather
// than exhaust the machine.
type kdf struct{ slots chan struct{} }

func newKDF(n int) *kdf { return &kdf{slots: make(chan struct{}, n)} }

var errBusy = errors.New("too many sign-ins at once")

// verify reports whether pw matches the encoded hash, waiting for a slot
// until ctx ends.
func (k *kdf) verify(ctx context.Context, encoded, pw []byte) (bool, error) {
	h, err := parsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	select {
	case k.slots <- struct{}{}:
	case <-ctx.Done():
		return false, errBusy
	}
	defer func() { <-k.slots }()
	got := argon2.IDKey(pw, h.salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

// dummyHash is verified against when the user does not exist or has no
// web password, so such sign-ins take as long as a wrong password.
func dummyHash(p PasswordParams) []byte {
	h := passwordHash{params: p, salt: bytes.Repeat([]byte{1}, saltLen), key: bytes.Repeat([]byte{2}, keyLen)}
	return h.encode()
}

// Package hd is the kiosk's HD-wallet core: BIP39 mnemonics, BIP32 master
// keys and the account, cosigner and signing keys derived from them.
//
// Secrets (entropy, mnemonic, seed, private keys) live only in byte slices
// and key types that can be wiped, never in a Go string, which is immutable
// and stays in memory until the garbage collector reuses it. That is why
// BIP39 is implemented here on []byte with go-bip39's English word list
// rather than through go-bip39's string API. Errors never contain secret
// material: a wrong word is named by its position, not its text.
//
// Wiping is best effort: what this package allocates it clears, but the Go
// runtime, crypto/hmac and btcd's big-number code make transient copies that
// no Go program can reach. Locking memory against swap, where the OS
// allows it, is the kiosk command's (cmd/airsign-kiosk, before any command
// that holds a seed or shares).
package hd

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/tyler-smith/go-bip39/wordlists"
)

// Wipe overwrites b with zeros. Call it (usually deferred) on every buffer
// that held a secret, as soon as the secret is no longer needed.
func Wipe(b []byte) {
	clear(b)
}

// Errors of the BIP39 functions, for errors.Is.
var (
	// ErrChecksum reports a mnemonic whose words are all valid but whose
	// checksum fails: usually two words swapped or one wrong word that
	// happens to be in the list.
	ErrChecksum = errors.New("the mnemonic's checksum does not match: check every word and their order")
	// ErrNonASCIIPassphrase reports a passphrase with non-ASCII bytes.
	// BIP39 hashes the passphrase after Unicode NFKD normalization, which
	// the standard library does not provide; rather than risk a seed that
	// other wallets would not reproduce, airsign accepts ASCII only.
	ErrNonASCIIPassphrase = errors.New("the passphrase contains non-ASCII characters: airsign accepts ASCII passphrases only, so that every BIP39 wallet derives the same seed")
)

// WordError reports a word that is not in the BIP39 English list, by its
// position (1-based) only, so that the error can be shown and logged without
// revealing part of the mnemonic.
type WordError struct {
	Position int
}

// Error names the word by position only.
func (e *WordError) Error() string {
	return fmt.Sprintf("word %d is not in the BIP39 English list", e.Position)
}

// WordCountError reports a mnemonic with a word count BIP39 does not define.
type WordCountError struct {
	Words int
}

// Error says how many words there were and how many BIP39 allows.
func (e *WordCountError) Error() string {
	return fmt.Sprintf("the mnemonic has %d words; a BIP39 mnemonic has 12, 15, 18, 21 or 24: check for missing or merged words", e.Words)
}

// englishWords is go-bip39's English list. wordlists.English is used rather
// than bip39.GetWordList, which returns whatever list some other package last
// set with bip39.SetWordList.
var englishWords = wordlists.English

// wordIndex maps each English word to its 11-bit value. It is built once and
// never changed; lookups with m[string(b)] do not allocate a string.
var wordIndex = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, len(englishWords))
	for i, w := range englishWords {
		m[w] = uint16(i)
	}
	return m
})

// maxWordLen is the length of the longest English word; longer input words
// are rejected without lookup.
const maxWordLen = 8

func checkEntropyLen(n int) error {
	switch n {
	case 16, 20, 24, 28, 32:
		return nil
	}
	return fmt.Errorf("entropy has %d bytes; BIP39 needs 16, 20, 24, 28 or 32 bytes (12 to 24 words)", n)
}

// NewMnemonic encodes entropy as BIP39 English words joined by single
// spaces. The result is the caller's to wipe.
func NewMnemonic(entropy []byte) ([]byte, error) {
	if err := checkEntropyLen(len(entropy)); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(entropy)
	defer clear(sum[:])
	entBits := len(entropy) * 8
	words := (entBits + entBits/32) / 11
	bit := func(i int) uint16 {
		if i < entBits {
			return uint16(entropy[i/8]>>(7-i%8)) & 1
		}
		i -= entBits
		return uint16(sum[i/8]>>(7-i%8)) & 1
	}
	var idx [24]uint16
	defer clear(idx[:])
	size := words - 1
	for w := range words {
		for b := range 11 {
			idx[w] = idx[w]<<1 | bit(w*11+b)
		}
		size += len(englishWords[idx[w]])
	}
	// Allocated at its final size so that append never leaves a copy of
	// the mnemonic behind in a discarded array.
	out := make([]byte, 0, size)
	for w := range words {
		if w > 0 {
			out = append(out, ' ')
		}
		out = append(out, englishWords[idx[w]]...)
	}
	return out, nil
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// forEachWord calls f with each whitespace-separated word of m.
func forEachWord(m []byte, f func(word []byte) error) error {
	for i := 0; i < len(m); {
		for i < len(m) && isSpace(m[i]) {
			i++
		}
		start := i
		for i < len(m) && !isSpace(m[i]) {
			i++
		}
		if i > start {
			if err := f(m[start:i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// MnemonicToEntropy decodes a BIP39 English mnemonic. It tolerates what
// people and scanners add: upper case, extra spaces, tabs and line breaks.
// It checks the word count, every word (a WordError names the first unknown
// word by position) and the checksum (ErrChecksum). The entropy is the
// caller's to wipe.
func MnemonicToEntropy(mnemonic []byte) ([]byte, error) {
	words := 0
	_ = forEachWord(mnemonic, func([]byte) error { words++; return nil })
	switch words {
	case 12, 15, 18, 21, 24:
	default:
		return nil, &WordCountError{Words: words}
	}
	totalBits := words * 11
	entBits := totalBits * 32 / 33
	var bits [33]byte // 24 words: 32 bytes of entropy and 8 checksum bits
	defer clear(bits[:])
	var lower [maxWordLen]byte
	defer clear(lower[:])
	index := wordIndex()
	pos := 0
	err := forEachWord(mnemonic, func(word []byte) error {
		pos++
		if len(word) > maxWordLen {
			return &WordError{Position: pos}
		}
		for i, c := range word {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		v, ok := index[string(lower[:len(word)])]
		if !ok {
			return &WordError{Position: pos}
		}
		for b := range 11 {
			if v>>(10-b)&1 != 0 {
				n := (pos-1)*11 + b
				bits[n/8] |= 1 << (7 - n%8)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	entropy := make([]byte, entBits/8)
	copy(entropy, bits[:])
	sum := sha256.Sum256(entropy)
	defer clear(sum[:])
	csBits := uint(entBits / 32)
	if sum[0]>>(8-csBits) != bits[entBits/8]>>(8-csBits) {
		Wipe(entropy)
		return nil, ErrChecksum
	}
	return entropy, nil
}

// CanonicalMnemonic returns the mnemonic as BIP39 wallets hash it: lowercase
// words joined by single spaces. Seeds must be computed from this form, or
// a mnemonic typed with a capital letter would silently give another wallet.
func CanonicalMnemonic(mnemonic []byte) ([]byte, error) {
	entropy, err := MnemonicToEntropy(mnemonic)
	if err != nil {
		return nil, err
	}
	defer Wipe(entropy)
	return NewMnemonic(entropy)
}

// unsafeString lets crypto/pbkdf2, whose password parameter is a string,
// read the mnemonic without copying it into an immutable string that could
// never be wiped. pbkdf2.Key does not retain the string.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func seed(mnemonic, passphrase []byte) ([]byte, error) {
	salt := make([]byte, 0, len("mnemonic")+len(passphrase))
	salt = append(salt, "mnemonic"...)
	salt = append(salt, passphrase...)
	defer Wipe(salt)
	s, err := pbkdf2.Key(sha512.New, unsafeString(mnemonic), salt, 2048, 64)
	if err != nil {
		return nil, fmt.Errorf("computing the BIP39 seed: %w", err)
	}
	return s, nil
}

// SeedFromMnemonic computes the 64-byte BIP39 seed, PBKDF2-HMAC-SHA512 with
// 2048 rounds and salt "mnemonic"+passphrase, over the bytes exactly as
// given. BIP39 first normalizes both to Unicode NFKD; for ASCII that changes
// nothing, and airsign accepts ASCII passphrases only. A non-ASCII
// passphrase is hashed as given, which other wallets may not reproduce:
// take passphrases from people through NewSeed, which refuses them and
// canonicalizes the mnemonic. SeedFromMnemonic returns nil only when the
// platform refuses PBKDF2 with an 8-byte salt (GODEBUG=fips140=only). The
// seed is the caller's to wipe.
func SeedFromMnemonic(mnemonic, passphrase []byte) []byte {
	s, err := seed(mnemonic, passphrase)
	if err != nil {
		return nil
	}
	return s
}

// NewSeed is SeedFromMnemonic for input from people: it checks the
// mnemonic, hashes its canonical form (so case and spacing do not matter)
// and refuses non-ASCII passphrases with ErrNonASCIIPassphrase.
func NewSeed(mnemonic, passphrase []byte) ([]byte, error) {
	for _, c := range passphrase {
		if c >= 0x80 {
			return nil, ErrNonASCIIPassphrase
		}
	}
	canonical, err := CanonicalMnemonic(mnemonic)
	if err != nil {
		return nil, err
	}
	defer Wipe(canonical)
	return seed(canonical, passphrase)
}

// Package shamir is airsign's seed share format around
// github.com/hashicorp/vault/shamir: it splits BIP39 entropy into k-of-n
// shares, wraps each in a checksummed envelope naming its set, threshold,
// index and the wallet's master fingerprint, writes and reads the envelope
// as BIP39 words, QR text or a custodian's file, and recombines shares only
// after verifying them, so that a wrong, mixed or missing share is a clear
// error and never a silently wrong seed.
//
// docs/share-format.md specifies the format byte-exact, so the shares can
// be recombined with an independent tool.
package shamir

import (
	"cmp"
	crand "crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"slices"

	vaultshamir "github.com/hashicorp/vault/shamir"
)

// Split splits BIP39 entropy (16, 20, 24, 28 or 32 bytes) into total shares,
// any threshold of which recombine it; 2 <= threshold <= total <= 16.
// fingerprint is the wallet's BIP32 master key fingerprint, which every
// share carries as a commitment that Combine checks. The set id is read from
// rand (crypto/rand if nil); the polynomial coefficients and x coordinates
// come from hashicorp/vault/shamir, which uses crypto/rand.
func Split(entropy []byte, threshold, total int, fingerprint [4]byte, rand io.Reader) ([]*Share, error) {
	if !validEntropyLen(len(entropy)) {
		return nil, fmt.Errorf("shamir: %w, not %d", ErrEntropyLength, len(entropy))
	}
	if threshold < 2 || threshold > total || total > maxShares {
		return nil, fmt.Errorf("shamir: %w; asked for %d of %d", ErrSplitParams, threshold, total)
	}
	if rand == nil {
		rand = crand.Reader
	}
	var id [2]byte
	if _, err := io.ReadFull(rand, id[:]); err != nil {
		return nil, fmt.Errorf("shamir: reading a random set id: %w", err)
	}
	parts, err := vaultshamir.Split(entropy, total, threshold)
	if err != nil {
		return nil, fmt.Errorf("shamir: %w", err)
	}
	shares := make([]*Share, len(parts))
	for i, p := range parts {
		shares[i] = &Share{
			SetID:       uint16(id[0])<<8 | uint16(id[1]),
			Threshold:   threshold,
			Total:       total,
			Index:       i + 1,
			X:           p[len(entropy)],
			Fingerprint: fingerprint,
			Y:           append([]byte(nil), p[:len(entropy)]...),
		}
		wipe(p)
	}
	// Belt and braces: refuse to hand out shares that do not pass our own
	// checks or do not give the entropy back.
	if err := check(shares); err == nil {
		err = selfCheck(shares, entropy)
	}
	if err != nil {
		wipeAll(shares)
		return nil, fmt.Errorf("shamir: split failed its self-check: %w", err)
	}
	return shares, nil
}

// selfCheck recombines the first and the last threshold shares.
func selfCheck(shares []*Share, entropy []byte) error {
	k := shares[0].Threshold
	for _, sub := range [][]*Share{shares[:k], shares[len(shares)-k:]} {
		got, err := combineParts(sub)
		if err != nil {
			return err
		}
		same := subtle.ConstantTimeCompare(got, entropy) == 1
		wipe(got)
		if !same {
			return fmt.Errorf("shares do not recombine to the entropy")
		}
	}
	return nil
}

func wipeAll(shares []*Share) {
	for _, s := range shares {
		s.Wipe()
	}
}

// FingerprintFunc returns the BIP32 master key fingerprint of the wallet
// whose BIP39 entropy is given (mnemonic from entropy, seed with an empty
// passphrase, master key, first 4 bytes of hash160 of its compressed
// public key). It is passed in because it needs secp256k1, which this
// package does not import.
type FingerprintFunc func(entropy []byte) ([4]byte, error)

// maxFingerprintTries bounds the subsets Combine recombines to find
// inconsistent shares: a fingerprint costs a PBKDF2 of 2048 rounds.
const maxFingerprintTries = 256

// Combine recombines the entropy from shares, verifying before it returns:
// every share valid, all of the same set, threshold, total, wallet
// fingerprint and length, no index or x given twice, at least threshold
// shares, and finally that fingerprint(entropy) equals the fingerprint the
// shares commit to. More than threshold shares must be consistent: every
// share after the first threshold lies on the polynomials through them;
// when they are not, Combine refuses them, recombining subsets to name the
// shares that do not fit.
// Intermediate values are wiped; on error the result is nil. The caller
// owns the returned entropy and wipes it when done.
func Combine(shares []*Share, fingerprint FingerprintFunc) ([]byte, error) {
	if fingerprint == nil {
		return nil, ErrNoFingerprintFunc
	}
	if err := check(shares); err != nil {
		return nil, err
	}
	ref := shares[0]
	// More than threshold shares must all lie on the polynomials through
	// the first threshold ones; a share that does not is refused and
	// named, never outvoted or ignored.
	fits, err := consistent(shares)
	if err != nil {
		return nil, fmt.Errorf("shamir: %w", err)
	}
	if !fits {
		if err := findInconsistent(shares, fingerprint); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("shamir: set %s: %w", ref.SetName(), ErrInconsistent)
	}
	secret, err := combineParts(shares[:ref.Threshold])
	if err != nil {
		return nil, fmt.Errorf("shamir: %w", err)
	}
	got, err := fingerprint(secret)
	if err != nil {
		wipe(secret)
		return nil, fmt.Errorf("shamir: computing the wallet fingerprint: %w", err)
	}
	if got == ref.Fingerprint {
		return secret, nil
	}
	wipe(secret)
	return nil, &FingerprintError{SetID: ref.SetID, Got: got, Want: ref.Fingerprint}
}

// consistent reports whether every share after the first threshold lies
// on the polynomials through the first threshold shares. It evaluates them
// at x_e with vault's Combine, which evaluates at 0: in GF(2^8) the points
// (x_i + x_e, y_i) lie on g(t) = f(t + x_e), and g(0) = f(x_e). The x are
// distinct (check), so the shifted x are distinct and non-zero.
func consistent(shares []*Share) (bool, error) {
	k := shares[0].Threshold
	fits := true
	for _, e := range shares[k:] {
		shifted := make([]*Share, k)
		for i, s := range shares[:k] {
			shifted[i] = &Share{Y: s.Y, X: s.X ^ e.X}
		}
		y, err := combineParts(shifted)
		if err != nil {
			return false, err
		}
		if subtle.ConstantTimeCompare(y, e.Y) != 1 {
			fits = false
		}
		wipe(y)
	}
	return fits, nil
}

// headerKey is what all shares of one set have in common.
type headerKey struct {
	setID            uint16
	threshold, total int
	fingerprint      [4]byte
	length           int
}

func keyOf(s *Share) headerKey {
	return headerKey{s.SetID, s.Threshold, s.Total, s.Fingerprint, len(s.Y)}
}

// check verifies everything about shares that can be known before
// combining. Its reference is the majority (set id first, then the rest of
// the header), so the odd share is the one named.
func check(shares []*Share) error {
	if len(shares) == 0 {
		return &CountError{}
	}
	for i, s := range shares {
		if s == nil {
			return fmt.Errorf("shamir: share at position %d: %w", i+1, ErrNilShare)
		}
		if err := s.validate(); err != nil {
			return err
		}
	}
	setVotes := map[uint16]int{}
	keyVotes := map[headerKey]int{}
	for _, s := range shares {
		setVotes[s.SetID]++
		keyVotes[keyOf(s)]++
	}
	var ref *Share
	for _, s := range shares {
		if ref == nil || setVotes[s.SetID] > setVotes[ref.SetID] ||
			s.SetID == ref.SetID && keyVotes[keyOf(s)] > keyVotes[keyOf(ref)] {
			ref = s
		}
	}
	for _, s := range shares {
		if s.SetID != ref.SetID {
			return &MixedSetError{SetID: s.SetID, Index: s.Index, Want: ref.SetID}
		}
	}
	for _, s := range shares {
		mismatch := func(field, got, want string) error {
			return &MismatchError{SetID: s.SetID, Index: s.Index, Field: field, Got: got, Want: want}
		}
		switch {
		case s.Fingerprint != ref.Fingerprint:
			return mismatch("wallet fingerprint", fmt.Sprintf("%x", s.Fingerprint), fmt.Sprintf("%x", ref.Fingerprint))
		case s.Threshold != ref.Threshold:
			return mismatch("threshold", fmt.Sprint(s.Threshold), fmt.Sprint(ref.Threshold))
		case s.Total != ref.Total:
			return mismatch("total", fmt.Sprint(s.Total), fmt.Sprint(ref.Total))
		case len(s.Y) != len(ref.Y):
			return mismatch("secret length", fmt.Sprintf("%d bytes", len(s.Y)), fmt.Sprintf("%d bytes", len(ref.Y)))
		}
	}
	byIndex := map[int]bool{}
	byX := map[byte]int{}
	for _, s := range shares {
		if byIndex[s.Index] {
			return &DuplicateError{SetID: s.SetID, Index: s.Index}
		}
		byIndex[s.Index] = true
		if other, ok := byX[s.X]; ok {
			return &DuplicateXError{SetID: s.SetID, Index: s.Index, Other: other}
		}
		byX[s.X] = s.Index
	}
	if len(shares) < ref.Threshold {
		return &CountError{Have: len(shares), Need: ref.Threshold}
	}
	return nil
}

// combineParts hands the shares to hashicorp/vault/shamir as Y||X parts.
func combineParts(shares []*Share) ([]byte, error) {
	parts := make([][]byte, len(shares))
	for i, s := range shares {
		parts[i] = append(append(make([]byte, 0, len(s.Y)+1), s.Y...), s.X)
	}
	defer func() {
		for _, p := range parts {
			wipe(p)
		}
	}()
	return vaultshamir.Combine(parts)
}

// findInconsistent looks for the smallest set of shares whose removal
// leaves shares that recombine to the committed fingerprint, removing one
// share, then two, and so on, within maxFingerprintTries. It returns an
// InconsistentShareError naming them, nil if it finds none, or the error
// of the fingerprint function.
func findInconsistent(shares []*Share, fingerprint FingerprintFunc) error {
	k, m := shares[0].Threshold, len(shares)
	want := shares[0].Fingerprint
	tries := 0
	var result error
	for r := 1; m-r >= k && result == nil && tries < maxFingerprintTries; r++ {
		combinations(m, r, func(removed []int) bool {
			if tries >= maxFingerprintTries {
				return false
			}
			tries++
			var keep, out []*Share
			for i, s := range shares {
				if slices.Contains(removed, i) {
					out = append(out, s)
				} else {
					keep = append(keep, s)
				}
			}
			secret, err := combineParts(keep)
			if err != nil {
				result = fmt.Errorf("shamir: %w", err)
				return false
			}
			defer wipe(secret)
			got, err := fingerprint(secret)
			if err != nil {
				result = fmt.Errorf("shamir: computing the wallet fingerprint: %w", err)
				return false
			}
			if got != want {
				return true
			}
			// keep is good. A removed share is inconsistent if k-1 good
			// shares and it recombine to something else.
			e := &InconsistentShareError{SetID: shares[0].SetID}
			for _, s := range keep {
				e.Good = append(e.Good, s.Index)
			}
			for _, s := range out {
				other, err := combineParts(append(slices.Clone(keep[:k-1]), s))
				if err != nil {
					result = fmt.Errorf("shamir: %w", err)
					return false
				}
				if subtle.ConstantTimeCompare(other, secret) != 1 {
					e.Indexes = append(e.Indexes, s.Index)
				}
				wipe(other)
			}
			if len(e.Indexes) > 0 {
				slices.Sort(e.Indexes)
				slices.SortFunc(e.Good, cmp.Compare)
				result = e
			}
			return false
		})
	}
	return result
}

// combinations calls f with every r-subset of 0..n-1 in lexicographic order
// until f returns false.
func combinations(n, r int, f func([]int) bool) {
	c := make([]int, r)
	for i := range c {
		c[i] = i
	}
	for {
		if !f(c) {
			return
		}
		i := r - 1
		for i >= 0 && c[i] == n-r+i {
			i--
		}
		if i < 0 {
			return
		}
		c[i]++
		for j := i + 1; j < r; j++ {
			c[j] = c[j-1] + 1
		}
	}
}

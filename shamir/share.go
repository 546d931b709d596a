package shamir

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The envelope, byte-exact (docs/share-format.md is the specification):
//
//	off  len  field
//	0    1    version, 0x01
//	1    2    set id, big-endian
//	3    1    threshold-1 (high nibble), total-1 (low nibble)
//	4    1    index-1 (high nibble), (len(y)-16)/4 (low nibble)
//	5    1    x, never 0
//	6    4    wallet master fingerprint
//	10   L    y
//	10+L 4    CRC-32 (IEEE) of bytes 0..10+L-1, little-endian
//
// The CRC is little-endian because CRC-32/IEEE is a bit-reflected code: in
// that order the whole envelope is one codeword, so every error confined to
// 32 consecutive bits — hence to 4 consecutive bytes — is detected.
// Stored big-endian, one 4-byte window (the last y byte and three CRC
// bytes) would not have that guarantee.
const (
	version    = 0x01
	headerLen  = 10
	crcLen     = 4
	overhead   = headerLen + crcLen
	maxShares  = 16
	minEntropy = 16
	maxEntropy = 32
)

// Share is one airsign seed share: a hashicorp/vault Shamir part (Y and X)
// with the header that names its set and lets Combine verify it.
type Share struct {
	SetID       uint16
	Threshold   int
	Total       int
	Index       int // 1..Total, for people
	X           byte
	Fingerprint [4]byte // commitment: master fingerprint of the wallet
	Y           []byte  // secret share value
}

// validEntropyLen reports whether n is a BIP39 entropy length.
func validEntropyLen(n int) bool {
	return n >= minEntropy && n <= maxEntropy && n%4 == 0
}

// SetName returns the set id as four lowercase hex digits, e.g. "7f3a".
func (s *Share) SetName() string {
	return fmt.Sprintf("%04x", s.SetID)
}

// Name returns how people and errors call the share, e.g.
// "share 2 of set 7f3a".
func (s *Share) Name() string {
	return shareName(s.SetID, s.Index)
}

// Bytes returns the envelope bytes of s. The result holds the secret share
// value: wipe it when done.
func (s *Share) Bytes() []byte {
	b := make([]byte, 0, overhead+len(s.Y))
	b = append(b, version)
	b = binary.BigEndian.AppendUint16(b, s.SetID)
	b = append(b,
		byte((s.Threshold-1)&0xf)<<4|byte((s.Total-1)&0xf),
		byte((s.Index-1)&0xf)<<4|byte(((len(s.Y)-minEntropy)/4)&0xf),
		s.X)
	b = append(b, s.Fingerprint[:]...)
	b = append(b, s.Y...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// Digest returns the SHA-256 of s.Bytes(). The ceremony transcript records
// it so that an auditor can check a presented share without combining.
func (s *Share) Digest() [32]byte {
	b := s.Bytes()
	d := sha256.Sum256(b)
	wipe(b)
	return d
}

// Wipe zeroes the secret share value Y.
func (s *Share) Wipe() {
	wipe(s.Y)
}

// Clone returns a deep copy of s.
func (s *Share) Clone() *Share {
	c := *s
	c.Y = append([]byte(nil), s.Y...)
	return &c
}

// Equal reports whether s and t are the same share, in constant time over Y.
func (s *Share) Equal(t *Share) bool {
	if s.SetID != t.SetID || s.Threshold != t.Threshold || s.Total != t.Total ||
		s.Index != t.Index || s.X != t.X || s.Fingerprint != t.Fingerprint || len(s.Y) != len(t.Y) {
		return false
	}
	var d byte
	for i := range s.Y {
		d |= s.Y[i] ^ t.Y[i]
	}
	return d == 0
}

func wipe(b []byte) {
	clear(b)
}

// validate checks the header fields of a share, as ParseBytes does for the
// envelope, so that hand-made Share values get the same errors.
func (s *Share) validate() error {
	bad := func(err error) error {
		return &InvalidShareError{SetID: s.SetID, Index: s.Index, Total: s.Total, Err: err}
	}
	// The order of the documented field rules; only hand-made values can
	// fail ErrSplitParams or ErrIndexRange.
	switch {
	case s.Threshold < 2:
		return bad(ErrThresholdRange)
	case s.Threshold > s.Total:
		return bad(ErrThresholdAboveTotal)
	case s.Total > maxShares:
		return bad(ErrSplitParams)
	case s.Index < 1:
		return bad(ErrIndexRange)
	case s.Index > s.Total:
		return bad(ErrIndexAboveTotal)
	case s.X == 0:
		return bad(ErrZeroX)
	case !validEntropyLen(len(s.Y)):
		return bad(ErrLengthCode)
	}
	return nil
}

// minEnvelope is the shortest input that holds a version byte and a CRC.
const minEnvelope = 1 + crcLen

// ParseBytes parses the envelope bytes of a share and checks, in the
// documented order, its CRC, version, length, length code and header
// fields. It does not keep b.
func ParseBytes(b []byte) (*Share, error) {
	// Every version starts with the version byte and ends with the CRC,
	// so the CRC is checked first, then the version; the length is known
	// only for version 1.
	if len(b) < minEnvelope {
		return nil, &LengthError{Len: len(b)}
	}
	return parseChecked(b, false)
}

// parseChecked verifies the CRC and decodes b, whose length is known to be
// that of a version 1 share if its version is 1.
func parseChecked(b []byte, words bool) (*Share, error) {
	n := len(b) - crcLen
	if crc32.ChecksumIEEE(b[:n]) != binary.LittleEndian.Uint32(b[n:]) {
		return nil, &ChecksumError{Words: words}
	}
	return decode(b)
}

// decode reads the header of b, whose CRC is good, and validates it.
func decode(b []byte) (*Share, error) {
	if b[0] != version {
		return nil, &VersionError{Version: b[0]}
	}
	if !validEntropyLen(len(b) - overhead) {
		return nil, &LengthError{Len: len(b)}
	}
	s := &Share{
		SetID:     binary.BigEndian.Uint16(b[1:3]),
		Threshold: int(b[3]>>4) + 1,
		Total:     int(b[3]&0xf) + 1,
		Index:     int(b[4]>>4) + 1,
		X:         b[5],
	}
	copy(s.Fingerprint[:], b[6:10])
	code := int(b[4] & 0xf)
	l := len(b) - overhead
	if code > (maxEntropy-minEntropy)/4 || minEntropy+4*code != l {
		return nil, &InvalidShareError{SetID: s.SetID, Index: s.Index, Total: s.Total, Err: ErrLengthCode}
	}
	s.Y = append([]byte(nil), b[headerLen:headerLen+l]...)
	if err := s.validate(); err != nil {
		s.Wipe()
		return nil, err
	}
	return s, nil
}

package descriptor

import (
	"errors"
	"fmt"
	"strings"
)

// BIP380 character sets. The order of inputCharset matters: its three groups
// of 32 make case errors and common substitutions single symbol errors.
const (
	inputCharset    = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ "
	checksumCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	checksumLen     = 8
)

// ErrChecksum reports a descriptor whose checksum does not match its text.
// The expected checksum is deliberately not shown: a person who copies it
// over would defeat the check.
var ErrChecksum = errors.New("the descriptor's checksum does not match its text: it was changed or mistyped; copy it again from its source")

func polymod(c uint64, val uint64) uint64 {
	c0 := c >> 35
	c = (c&0x7ffffffff)<<5 ^ val
	if c0&1 != 0 {
		c ^= 0xf5dee51989
	}
	if c0&2 != 0 {
		c ^= 0xa9fdca3312
	}
	if c0&4 != 0 {
		c ^= 0x1bab10e32d
	}
	if c0&8 != 0 {
		c ^= 0x3706b1677a
	}
	if c0&16 != 0 {
		c ^= 0x644d626ffd
	}
	return c
}

// Checksum returns the BIP380 checksum of desc, which must not itself carry
// one. It fails only on characters outside the descriptor character set.
func Checksum(desc string) (string, error) {
	c := uint64(1)
	cls, clsCount := uint64(0), 0
	for i, r := range desc {
		pos := strings.IndexRune(inputCharset, r)
		if r >= 0x80 || pos < 0 {
			return "", fmt.Errorf("character %q at position %d is not allowed in a descriptor: descriptors are plain ASCII", r, i+1)
		}
		c = polymod(c, uint64(pos&31))
		cls = cls*3 + uint64(pos>>5)
		if clsCount++; clsCount == 3 {
			c = polymod(c, cls)
			cls, clsCount = 0, 0
		}
	}
	if clsCount > 0 {
		c = polymod(c, cls)
	}
	for range checksumLen {
		c = polymod(c, 0)
	}
	c ^= 1
	var sum [checksumLen]byte
	for j := range sum {
		sum[j] = checksumCharset[(c>>(5*(7-j)))&31]
	}
	return string(sum[:]), nil
}

// StripChecksum verifies the "#checksum" suffix of desc when there is one and
// returns the descriptor without it. A descriptor without a checksum is
// returned unchanged: BIP380 makes the checksum optional, and wallets that
// want it mandatory can compare the lengths.
func StripChecksum(desc string) (string, error) {
	i := strings.LastIndexByte(desc, '#')
	if i < 0 {
		if _, err := Checksum(desc); err != nil {
			return "", err
		}
		return desc, nil
	}
	body, sum := desc[:i], desc[i+1:]
	switch {
	case len(sum) == 0:
		return "", errors.New("the descriptor ends with '#' but no checksum: add the 8-character checksum or remove the '#'")
	case len(sum) != checksumLen:
		return "", fmt.Errorf("the descriptor's checksum has %d characters, not %d: copy it again from its source", len(sum), checksumLen)
	}
	for _, r := range sum {
		if !strings.ContainsRune(checksumCharset, r) {
			return "", fmt.Errorf("the descriptor's checksum contains %q, which no checksum can contain: copy it again from its source", r)
		}
	}
	want, err := Checksum(body)
	if err != nil {
		return "", err
	}
	if sum != want {
		return "", ErrChecksum
	}
	return body, nil
}

// withChecksum appends "#" and the checksum of a descriptor this package
// built, whose characters are known to be valid.
func withChecksum(desc string) string {
	sum, err := Checksum(desc)
	if err != nil {
		return desc
	}
	return desc + "#" + sum
}

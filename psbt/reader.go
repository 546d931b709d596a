package psbt

import (
	"encoding/binary"
	"fmt"
)

// reader reads the PSBT wire format from a byte slice. Every length it
// reads is checked against what remains before any slice is taken, so no
// declared length can make the decoder allocate or read past the input.
// Offsets in its errors are absolute: base is the offset of b[0] in the
// whole PSBT.
type reader struct {
	b     []byte
	off   int
	base  int
	where string
}

func (r *reader) pos() int       { return r.base + r.off }
func (r *reader) remaining() int { return len(r.b) - r.off }

// compactSize reads a Bitcoin compact size unsigned integer, which BIP174
// requires to be minimally encoded.
func (r *reader) compactSize(what string) (uint64, error) {
	start := r.pos()
	if r.remaining() < 1 {
		return 0, errAt(ErrTruncated, r.where, start, "the data ends where the compact size of %s should be"+advice, what)
	}
	first := r.b[r.off]
	var n uint64
	var size int
	switch first {
	case 0xfd:
		size = 2
	case 0xfe:
		size = 4
	case 0xff:
		size = 8
	default:
		r.off++
		return uint64(first), nil
	}
	if r.remaining() < 1+size {
		return 0, errAt(ErrTruncated, r.where, start, "the data ends inside the compact size of %s"+advice, what)
	}
	p := r.b[r.off+1 : r.off+1+size]
	var min uint64
	switch size {
	case 2:
		n, min = uint64(binary.LittleEndian.Uint16(p)), 0xfd
	case 4:
		n, min = uint64(binary.LittleEndian.Uint32(p)), 0x10000
	case 8:
		n, min = binary.LittleEndian.Uint64(p), 0x100000000
	}
	if n < min {
		return 0, errAt(ErrInvalidField, r.where, start, "the compact size of %s (%d) is not minimally encoded, which BIP174 requires"+advice, what, n)
	}
	r.off += 1 + size
	return n, nil
}

// take returns the next n bytes, refusing a length larger than what
// remains (and so never allocating for it).
func (r *reader) take(n uint64, what string) ([]byte, error) {
	if n > uint64(r.remaining()) {
		return nil, errAt(ErrTruncated, r.where, r.pos(), "%s claims %d bytes but only %d remain"+advice, what, n, r.remaining())
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

// varBytes reads a compact size length and that many bytes.
func (r *reader) varBytes(what string) ([]byte, error) {
	n, err := r.compactSize("the length of " + what)
	if err != nil {
		return nil, err
	}
	return r.take(n, what)
}

func (r *reader) uint32(what string) (uint32, error) {
	b, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// count reads a compact size count of items of at least minSize bytes
// each, refusing a count that the remaining bytes cannot hold or that
// exceeds limit (when limit > 0). It is what stops a nine-byte prefix from
// making a parser allocate millions of elements.
func (r *reader) count(what string, minSize, limit int) (int, error) {
	start := r.pos()
	n, err := r.compactSize("the number of " + what)
	if err != nil {
		return 0, err
	}
	if limit > 0 && n > uint64(limit) {
		return 0, errAt(ErrTooLarge, r.where, start, "%d %s, more than airsign's limit of %d; split the transaction into smaller ones", n, what, limit)
	}
	if n > uint64(r.remaining()/minSize) {
		return 0, errAt(ErrTruncated, r.where, start, "%d %s claimed, but the %d remaining bytes cannot hold them"+advice, n, what, r.remaining())
	}
	return int(n), nil
}

func (r *reader) errf(err error, format string, args ...any) *DecodeError {
	return errAt(err, r.where, r.pos(), format, args...)
}

func hexKey(key []byte) string {
	const max = 12
	if len(key) > max {
		return fmt.Sprintf("0x%x… (%d bytes)", key[:max], len(key))
	}
	return fmt.Sprintf("0x%x", key)
}

package approval

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// TransferPrefix starts the text form of one approval as it leaves an
// approver station, by QR code or file.
const TransferPrefix = "AIRSIGN-APPROVAL-V1:"

// MaxTransferLen caps the text form, checked before decoding.
const MaxTransferLen = len(TransferPrefix) + (MaxValueBytes+64)*4/3 + 4

// MarshalTransfer returns the text form of a: TransferPrefix, then base64url
// without padding of the approval's PSBT field serialized as BIP174
// serializes a key-value pair (compact-size key length, key, compact-size
// value length, value). A coordinator attaches it to the request's PSBT as
// it is, so what the station signed is what the kiosk reads.
func MarshalTransfer(a Approval) string {
	key := append(fieldPrefix(subtypeApproval), a.PublicKey...)
	value := a.marshalValue()
	b := appendCompactSize(nil, uint64(len(key)))
	b = append(b, key...)
	b = appendCompactSize(b, uint64(len(value)))
	b = append(b, value...)
	return TransferPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseTransfer reads an approval's text form, refusing anything
// MarshalTransfer would not have written, and checks its signature.
func ParseTransfer(s string) (Approval, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxTransferLen {
		return Approval{}, fmt.Errorf("approval: the text is %d characters, more than an approval's %d: %w", len(s), MaxTransferLen, ErrMalformed)
	}
	enc, ok := strings.CutPrefix(s, TransferPrefix)
	if !ok {
		start := s
		if len(start) > 24 {
			start = start[:24]
		}
		if !utf8.ValidString(start) {
			start = "binary data"
		}
		return Approval{}, fmt.Errorf("approval: %q is not an approval from an approver station (an approval's text starts with %s): %w", start, TransferPrefix, ErrMalformed)
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Approval{}, fmt.Errorf("approval: the approval's text is damaged (not base64url): scan or copy it again: %w", ErrMalformed)
	}
	key, rest, err := readCompactBytes(b, "key")
	if err != nil {
		return Approval{}, err
	}
	value, rest, err := readCompactBytes(rest, "value")
	if err != nil {
		return Approval{}, err
	}
	if len(rest) != 0 {
		return Approval{}, fmt.Errorf("approval: %d bytes follow the approval: %w", len(rest), ErrMalformed)
	}
	p := &btcpsbt.Packet{Unknowns: []*btcpsbt.Unknown{{Key: key, Value: value}}}
	as, err := Extract(p)
	if err != nil {
		return Approval{}, err
	}
	if len(as) != 1 {
		return Approval{}, fmt.Errorf("approval: the text holds an airsign field that is not an approval: %w", ErrMalformed)
	}
	if err := as[0].Verify(); err != nil {
		return Approval{}, err
	}
	return as[0], nil
}

func appendCompactSize(b []byte, n uint64) []byte {
	switch {
	case n < 0xfd:
		return append(b, byte(n))
	case n <= 0xffff:
		return append(b, 0xfd, byte(n), byte(n>>8))
	default:
		return append(b, 0xfe, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
}

func readCompactBytes(b []byte, what string) ([]byte, []byte, error) {
	n, rest, err := compactSize(b, "the "+what+"'s length")
	if err != nil {
		return nil, nil, fmt.Errorf("approval: %w", err)
	}
	if n > uint64(len(rest)) || n > MaxValueBytes {
		return nil, nil, fmt.Errorf("approval: the %s claims %d bytes but %d follow: %w", what, n, len(rest), ErrMalformed)
	}
	return rest[:n], rest[n:], nil
}

// SetRequest names the withdrawal request p is for, in a global
// proprietary field (key 0xfc 0x07 "airsign" 0x04, value the id in UTF-8),
// so that an approver station can show it. It is a label: what an
// approval approves is the transaction.
func SetRequest(p *btcpsbt.Packet, id string) error {
	if err := checkText("request id", id, MaxFieldLen); err != nil {
		return fmt.Errorf("approval: %w", err)
	}
	putField(p, fieldPrefix(subtypeRequest), []byte(id))
	return nil
}

// RequestOf returns the request p names, or "" when it names none.
func RequestOf(p *btcpsbt.Packet) (string, error) {
	key := string(fieldPrefix(subtypeRequest))
	for _, u := range p.Unknowns {
		if u != nil && string(u.Key) == key {
			if err := checkText("request id", string(u.Value), MaxFieldLen); err != nil {
				return "", fmt.Errorf("approval: the PSBT's request id: %w", err)
			}
			return string(u.Value), nil
		}
	}
	return "", nil
}

package coordinator

import (
	"fmt"
	"strconv"

	"airsign/psbt"
)

// PSBTInVersion writes a request's PSBT, stored in version 0 (BIP-174), in
// version v: 0 as stored, 2 as BIP-370, for wallets that read only version
// 2. The transaction is the same either way, and Finalize takes signed
// PSBTs back in both.
func PSBTInVersion(stored []byte, v int) ([]byte, error) {
	switch v {
	case 0:
		return stored, nil
	case 2:
	default:
		return nil, fmt.Errorf("%w: PSBT version %d: airsign writes versions 0 (BIP-174) and 2 (BIP-370)", ErrInvalid, v)
	}
	p, err := psbt.Decode(stored)
	if err != nil {
		return nil, err
	}
	return psbt.EncodeForm(p, psbt.Form{Version: 2})
}

// ParsePSBTVersion reads a PSBT version as a flag or a query gives it:
// empty (0), 0 or 2.
func ParsePSBTVersion(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || (v != 0 && v != 2) {
		return 0, fmt.Errorf("%w: PSBT version %q: give 0 (BIP-174, the default) or 2 (BIP-370)", ErrInvalid, s)
	}
	return v, nil
}

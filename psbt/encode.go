package psbt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// Encode writes p as a binary BIP174 version 0 PSBT. It refuses a packet
// that Decode would refuse to read back, so what the kiosk writes the
// coordinator can read. Like btcd's Serialize, it sorts p's keyed fields in
// place.
//
// Decode, Encode and Decode again give the same packet, and Encode then
// writes the same bytes: Encode is canonical for what Decode returns. The
// first Encode of a decoded PSBT may differ from its input, since btcd writes
// known fields in its own order and leaves out what BIP174's finalizer
// clears.
func Encode(p *btcpsbt.Packet) ([]byte, error) {
	switch {
	case p == nil || p.UnsignedTx == nil:
		return nil, errors.New("psbt: cannot encode a packet without an unsigned transaction")
	case len(p.Inputs) != len(p.UnsignedTx.TxIn):
		return nil, fmt.Errorf("psbt: cannot encode: the packet has %d input maps for %d transaction inputs", len(p.Inputs), len(p.UnsignedTx.TxIn))
	case len(p.Outputs) != len(p.UnsignedTx.TxOut):
		return nil, fmt.Errorf("psbt: cannot encode: the packet has %d output maps for %d transaction outputs", len(p.Outputs), len(p.UnsignedTx.TxOut))
	}
	for i := range p.Inputs {
		// btcd's comparator for script-path signatures is not a strict
		// order; sorting by the full key first makes its output
		// independent of the order the fields arrived in.
		sigs := p.Inputs[i].TaprootScriptSpendSig
		sort.SliceStable(sigs, func(a, b int) bool {
			if c := bytes.Compare(sigs[a].XOnlyPubKey, sigs[b].XOnlyPubKey); c != 0 {
				return c < 0
			}
			return bytes.Compare(sigs[a].LeafHash, sigs[b].LeafHash) < 0
		})
	}
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		return nil, fmt.Errorf("psbt: encoding: %w", err)
	}
	if b.Len() > MaxPSBTBytes {
		return nil, fmt.Errorf("psbt: the packet encodes to %d bytes, more than the %d bytes (MaxPSBTBytes) airsign reads: %w", b.Len(), MaxPSBTBytes, ErrTooLarge)
	}
	if _, err := scan(b.Bytes()); err != nil {
		return nil, fmt.Errorf("psbt: the packet would encode to a PSBT that airsign itself refuses to read: %w", err)
	}
	return b.Bytes(), nil
}

// EncodeBase64 is Encode in the base64 form most wallets exchange as text.
func EncodeBase64(p *btcpsbt.Packet) (string, error) {
	b, err := Encode(p)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

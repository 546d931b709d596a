package interop

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/bip322"
)

// bip322Cases: a message the kiosk signs (BIP-322, simple encoding) with
// its P2WPKH and P2TR wallets verifies with bip322-js, an implementation
// that shares no code with airsign's, and a changed message does not.
func (s *suite) bip322Cases() {
	for _, script := range []string{"wpkh", "tr"} {
		s.run("bip322-message/"+script, "bip322-js", func() error {
			message := "airsign interop: this address is the treasury's"
			address, sig, err := s.kioskSignsMessage(script, message)
			if err != nil {
				return err
			}
			for _, c := range []struct {
				message string
				want    bool
			}{{message, true}, {message + ".", false}} {
				var ok bool
				if err := s.js.call("bip322Verify", map[string]any{"address": address, "message": c.message, "signature": sig}, &ok); err != nil {
					return err
				}
				if ok != c.want {
					return fmt.Errorf("bip322-js says %v for the kiosk's signature of %q by %s, want %v", ok, c.message, address, c.want)
				}
			}
			return nil
		})
	}
}

// kioskSignsMessage has the kiosk wallet of script sign message with its
// receive address 0/7, as the coordinator asks it to, and returns the
// address and the simple signature.
func (s *suite) kioskSignsMessage(script, message string) (string, string, error) {
	kw := s.w.wallets[script]
	d := kw.desc
	const branch, index = 0, 7
	pk, err := d.PkScript(branch, index)
	if err != nil {
		return "", "", err
	}
	p, err := bip322.ToSignPSBT([]byte(message), bip322.Script{PkScript: pk})
	if err != nil {
		return "", "", err
	}
	pub, err := d.PublicKey(branch, index)
	if err != nil {
		return "", "", err
	}
	fp := binary.LittleEndian.Uint32(d.Origin.Fingerprint[:])
	if script == "tr" {
		x := schnorr.SerializePubKey(pub)
		p.Inputs[0].TaprootInternalKey = x
		p.Inputs[0].TaprootBip32Derivation = []*btcpsbt.TaprootBip32Derivation{{XOnlyPubKey: x, MasterKeyFingerprint: fp, Bip32Path: d.Path(branch, index)}}
	} else {
		p.Inputs[0].Bip32Derivation = []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: fp, Bip32Path: d.Path(branch, index)}}
	}
	approval.SetField(p, approval.SubtypeMessage, nil, []byte(message))
	raw, err := psbt.Encode(p)
	if err != nil {
		return "", "", err
	}
	pr, err := kiosk.LoadProof(s.w.home, raw, "interop", t0)
	if err != nil {
		return "", "", err
	}
	signed, err := s.w.station().SignProof(pr, kiosk.SignRequest{Shares: kw.shares})
	if err != nil {
		return "", "", err
	}
	sig, ok := kiosk.Finished(signed)
	if !ok || sig.Simple == "" {
		return "", "", errors.New("the kiosk's signature did not finish to a simple BIP-322 signature")
	}
	return pr.Address, sig.Simple, nil
}

package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"

	"airsign/online/coordinator"
	"airsign/online/regtest"
	"airsign/psbt"
)

// foreignSeed is the BIP32 seed a foreign signer holds in a case: fixed,
// one per tool, never a kiosk's.
func foreignSeed(tool string) []byte {
	return bytes.Repeat([]byte{byte(len(tool)), 's', 'e', 'e', 'd', byte(tool[0]), byte(tool[len(tool)-1]), 0x5a}, 4)
}

// vprvVersion is SLIP-132's testnet P2WPKH private key version: what
// Electrum restores a native segwit wallet from.
var vprvVersion = []byte{0x04, 0x5f, 0x18, 0xbc}

func (s *suite) coordinatorCases() {
	for _, tool := range []string{"bitcoinjs", "bitcoinerlab"} {
		s.run("coordinator-to-signer/wpkh", tool, func() error {
			var acct struct{ Xpub, Fingerprint, Path string }
			if err := s.js.call("xpub", map[string]any{"seed": hex.EncodeToString(foreignSeed(tool)), "path": "m/84'/1'/0'"}, &acct); err != nil {
				return err
			}
			desc := fmt.Sprintf("wpkh([%s/84'/1'/0']%s/<0;1>/*)", acct.Fingerprint, acct.Xpub)
			return s.coordinatorSpend("signer-"+tool, desc, func(unsigned []byte) ([]byte, error) {
				var signed string
				if err := s.js.call("sign", map[string]any{"tool": tool, "seed": hex.EncodeToString(foreignSeed(tool)),
					"psbt": base64.StdEncoding.EncodeToString(unsigned)}, &signed); err != nil {
					return nil, err
				}
				return base64.StdEncoding.DecodeString(signed)
			})
		})
	}
	s.run("coordinator-to-signer/wpkh", "electrum", func() error {
		desc, wallet, err := s.electrumSigner()
		if err != nil {
			return err
		}
		return s.coordinatorSpend("signer-electrum", desc, func(unsigned []byte) ([]byte, error) {
			out, err := s.el.run("-w", wallet, "signtransaction", base64.StdEncoding.EncodeToString(unsigned))
			return []byte(out), err
		})
	})
	// An Electrum cosigner's user who copies the transaction once it is
	// complete (Electrum's export of a complete transaction) hands the
	// coordinator a raw signed transaction, not a PSBT.
	s.run("coordinator-raw-tx-back/wpkh", "electrum", func() error {
		_, wallet, err := s.electrumSigner()
		if err != nil {
			return err
		}
		return s.coordinatorSpend("signer-electrum", "", func(unsigned []byte) ([]byte, error) {
			out, err := s.el.run("-w", wallet, "signtransaction", base64.StdEncoding.EncodeToString(unsigned))
			if err != nil {
				return nil, err
			}
			tx, err := parseTx(out)
			if err != nil {
				if tx, err = finalizeWithBtcd(out); err != nil {
					return nil, err
				}
			}
			return []byte(txHex(tx)), nil
		})
	})
}

// electrumSigner restores (once) an Electrum wallet from the vprv of a
// foreign seed's BIP84 account, as an Electrum cosigner has it, and gives
// the descriptor the coordinator registers for it.
func (s *suite) electrumSigner() (desc, wallet string, err error) {
	fp, acct, err := accountKey(foreignSeed("electrum"), 84, 1, 0)
	if err != nil {
		return "", "", err
	}
	pub, err := acct.Neuter()
	if err != nil {
		return "", "", err
	}
	desc = fmt.Sprintf("wpkh([%x/84'/1'/0']%s/<0;1>/*)", fp, pub)
	wallet = filepath.Join(s.el.dir, "signer")
	if _, err := os.Stat(wallet); err == nil {
		return desc, wallet, nil
	}
	vprv, err := acct.CloneWithVersion(vprvVersion)
	if err != nil {
		return "", "", err
	}
	_, err = s.el.run("restore", vprv.String(), "-w", wallet)
	return desc, wallet, err
}

func mustPub(k *hdkeychain.ExtendedKey) []byte {
	p, err := k.ECPubKey()
	if err != nil {
		panic(err)
	}
	return p.SerializeCompressed()
}

// coordinatorSpend registers desc as a coordinator wallet (an empty desc
// spends again from a wallet registered before), deposits to it,
// requests a withdrawal, has sign (the foreign signer) sign the
// coordinator's PSBT, and has the coordinator finalize and broadcast what
// comes back.
func (s *suite) coordinatorSpend(name, desc string, sign func(unsigned []byte) ([]byte, error)) error {
	if desc != "" {
		if err := s.addCoordinatorWallet(name, desc); err != nil {
			return err
		}
	}
	wd, unsigned, err := s.coordinatorRequest(name)
	if err != nil {
		return err
	}
	signed, err := sign(unsigned)
	if err != nil {
		return fmt.Errorf("the signer refused the coordinator's PSBT: %v", err)
	}
	return s.coordinatorFinalize(wd, signed)
}

// addCoordinatorWallet registers desc on the coordinator as name.
func (s *suite) addCoordinatorWallet(name, desc string) error {
	if _, err := s.w.coord.AddWallet(context.Background(), name, desc, s.w.node.Height(s.t)); err != nil {
		return fmt.Errorf("the coordinator refused the wallet: %v", err)
	}
	return nil
}

// coordinatorRequest deposits one coin to the coordinator wallet name and
// requests a withdrawal of half of it: the request and its unsigned PSBT.
func (s *suite) coordinatorRequest(name string) (*coordinator.Withdrawal, []byte, error) {
	ctx := context.Background()
	c := s.w.coord
	if err := s.w.sync(); err != nil {
		return nil, nil, err
	}
	addr, err := c.Receive(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	a, err := btcutil.DecodeAddress(addr.Address, regtest.Params)
	if err != nil {
		return nil, nil, err
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return nil, nil, err
	}
	s.w.node.Fund(s.t, script, coinValue)
	s.w.node.Generate(s.t, 1)
	if err := s.w.sync(); err != nil {
		return nil, nil, err
	}
	wd, err := c.Withdraw(ctx, coordinator.WithdrawRequest{Wallet: name, To: s.w.node.MiningAddress().String(),
		Amount: coinValue / 2, FeeRate: 2, Requester: "interop"})
	if err != nil {
		return nil, nil, fmt.Errorf("withdraw: %v", err)
	}
	unsigned, err := psbt.Encode(wd.Packet)
	return wd, unsigned, err
}

// coordinatorFinalize has the coordinator finalize the request from what
// the signers handed back (signed PSBTs, or a final raw transaction) and
// broadcast it; the transaction must then be in the node's mempool.
func (s *suite) coordinatorFinalize(wd *coordinator.Withdrawal, signed ...[]byte) error {
	res, err := s.w.coord.Finalize(context.Background(), wd.ID, true, signed...)
	if err != nil {
		return fmt.Errorf("finalize: %v", err)
	}
	pool, err := s.w.node.Client().GetRawMempool()
	if err != nil {
		return err
	}
	for _, h := range pool {
		if *h == res.TxID {
			return nil
		}
	}
	return fmt.Errorf("the broadcast transaction %s is not in the mempool", res.TxID)
}

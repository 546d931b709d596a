package interop

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"airsign/offline/kiosk"
	"airsign/online/coordinator"
	"airsign/online/regtest"
	"airsign/psbt/descriptor"
)

// The 2-of-3 multisig of issue 21: one key on the airsign kiosk, one held
// by a bitcoinjs signer, one by an Electrum cosigner, with airsign's
// coordinator watching it and making the requests. It is set up twice,
// once from a descriptor and once by BSMS (BIP129), each with its own keys
// (the kiosk's BIP48 key of another of its wallets, the foreign signers'
// next BIP48 account), so that the two wallets share no address.
type multisigSetup struct {
	name    string // the setup, and the wallet's name on the kiosk and the coordinator
	kiosk   string // the kiosk wallet whose BIP48 key is in it
	account uint32 // the foreign cosigners' BIP48 account
}

var multisigSetups = []multisigSetup{{"descriptor", "wpkh", 0}, {"bsms", "tr", 1}}

// multisigSpends are the pairs that sign and who finalizes: each pair
// once per setup, each finalizer once per setup, so that over both setups
// every pair is finalized by two sides.
var multisigSpends = map[string][]struct {
	pair  [2]string
	final string
}{
	"descriptor": {{[2]string{"airsign", "bitcoinjs"}, "airsign"}, {[2]string{"airsign", "electrum"}, "electrum"}, {[2]string{"bitcoinjs", "electrum"}, "bitcoinjs"}},
	"bsms":       {{[2]string{"airsign", "bitcoinjs"}, "bitcoinjs"}, {[2]string{"airsign", "electrum"}, "airsign"}, {[2]string{"bitcoinjs", "electrum"}, "electrum"}},
}

// bsmsNoToken is BIP129's TOKEN of a session without encryption: the
// records are plain, so that a run is the same every time.
var bsmsNoToken = []byte{0}

// multisig is a set-up 2-of-3 as its cosigners hold it.
type multisig struct {
	name string
	desc *descriptor.Descriptor
	kw   *kioskWallet
	// xpubs are the three account tpubs, for the tools that take keys;
	// jsKey is the bitcoinjs cosigner's.
	xpubs []string
	jsKey cosignerKey
	// electrumWallet is the Electrum cosigner's wallet file: airsign's
	// Electrum export of the multisig with its own keystore's xprv added.
	electrumWallet string
	elFingerprint  string
}

// cosignerKey is a foreign cosigner's BIP48 key as a descriptor writes it.
type cosignerKey struct {
	seed        []byte
	fingerprint string
	path        string // 48'/1'/account'/2'
	xpub        string
}

func (k cosignerKey) String() string { return fmt.Sprintf("[%s/%s]%s", k.fingerprint, k.path, k.xpub) }

// bip48Path is a regtest BIP48 P2WSH account path as descriptors write it.
func bip48Path(account uint32) string { return fmt.Sprintf("48'/1'/%d'/2'", account) }

// multisigSeed is a foreign cosigner's seed for the multisig: not the one
// of its single-sig cases, so a mix-up of the two shows.
func multisigSeed(tool string) []byte { return foreignSeed(tool + "-multisig") }

// jsCosigner is the bitcoinjs cosigner's BIP48 key, as bip32 derives it.
func (s *suite) jsCosigner(account uint32) (cosignerKey, error) {
	k := cosignerKey{seed: multisigSeed("bitcoinjs"), path: bip48Path(account)}
	var acct struct{ Xpub, Fingerprint string }
	err := s.js.call("xpub", map[string]any{"seed": hex.EncodeToString(k.seed), "path": "m/" + k.path}, &acct)
	k.xpub, k.fingerprint = acct.Xpub, acct.Fingerprint
	return k, err
}

// electrumCosigner is the Electrum cosigner's BIP48 key and its private
// account key (which goes into its wallet file).
func electrumCosigner(account uint32) (cosignerKey, *hdkeychain.ExtendedKey, error) {
	k := cosignerKey{seed: multisigSeed("electrum"), path: bip48Path(account)}
	fp, acct, err := accountKey(k.seed, 48, 1, account, 2)
	if err != nil {
		return k, nil, err
	}
	pub, err := acct.Neuter()
	if err != nil {
		return k, nil, err
	}
	k.fingerprint, k.xpub = hex.EncodeToString(fp), pub.String()
	return k, acct, nil
}

func (s *suite) multisigCases() {
	for _, setup := range multisigSetups {
		var ms *multisig
		switch setup.name {
		case "descriptor":
			s.run("multisig-setup/descriptor", "bitcoinjs+electrum", func() (err error) {
				ms, err = s.multisigByDescriptor(setup)
				return err
			})
		case "bsms":
			ms = s.multisigByBSMS(setup)
		}
		s.multisigAddressCases(setup.name, ms)
		for _, sp := range multisigSpends[setup.name] {
			var foreign []string
			for _, who := range sp.pair {
				if who != "airsign" {
					foreign = append(foreign, who)
				}
			}
			name := fmt.Sprintf("multisig-spend/%s/%s+%s/final-%s", setup.name, sp.pair[0], sp.pair[1], sp.final)
			s.run(name, strings.Join(foreign, "+"), func() error { return s.multisigSpend(ms, sp.pair, sp.final) })
		}
	}
}

// multisigKeys gathers the cosigners' keys of a setup: the kiosk wallet's BIP48
// key, as its ceremony exported it, and the foreign cosigners'.
func (s *suite) multisigKeys(setup multisigSetup) (*multisig, cosignerKey, *hdkeychain.ExtendedKey, error) {
	ms := &multisig{name: "ms-" + setup.name, kw: s.w.wallets[setup.kiosk]}
	var err error
	if ms.jsKey, err = s.jsCosigner(setup.account); err != nil {
		return nil, cosignerKey{}, nil, err
	}
	el, elPriv, err := electrumCosigner(setup.account)
	if err != nil {
		return nil, cosignerKey{}, nil, err
	}
	ms.elFingerprint = el.fingerprint
	kioskKey := ms.kw.extra.Cosigner
	_, kioskXpub, _ := strings.Cut(kioskKey, "]")
	ms.xpubs = []string{kioskXpub, ms.jsKey.xpub, el.xpub}
	return ms, el, elPriv, nil
}

// multisigByDescriptor sets the multisig up from its descriptor text, as
// a coordinator's operator hands it around: the kiosk registers it with
// its shares, the coordinator watches it, and the Electrum cosigner opens
// airsign's Electrum wallet file of it with its own xprv added.
func (s *suite) multisigByDescriptor(setup multisigSetup) (*multisig, error) {
	ms, el, elPriv, err := s.multisigKeys(setup)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("wsh(sortedmulti(2,%s/<0;1>/*,%s/<0;1>/*,%s/<0;1>/*))", ms.kw.extra.Cosigner, ms.jsKey, el)
	if ms.desc, err = descriptor.ParseForNetwork(text, descriptor.Regtest); err != nil {
		return nil, err
	}
	return ms, s.registerMultisig(ms, []byte(text), elPriv)
}

// multisigByBSMS sets the multisig up by a BIP129 session on the
// coordinator, without encryption (TOKEN 00): Round 1 key records from the
// kiosk, from the bitcoinjs signer and from Electrum's signmessage, each a
// case; Round 2's descriptor record checked by bitcoinerlab, then
// registered by the kiosk from the record and by the coordinator. Electrum
// reads no BSMS record: its user opens airsign's wallet file of it.
func (s *suite) multisigByBSMS(setup multisigSetup) *multisig {
	ms, el, elPriv, setupErr := s.multisigKeys(setup)
	var session *coordinator.BSMSSession
	if setupErr == nil {
		session, setupErr = coordinator.NewBSMSSession(2, 3, descriptor.Regtest, false, t0)
	}
	if setupErr == nil {
		setupErr = s.kioskKeyRecord(session, ms)
	}
	s.run("multisig-bsms/key-record", "bitcoinjs", func() error {
		if setupErr != nil {
			return fmt.Errorf("no session: %v", setupErr)
		}
		var record string
		if err := s.js.call("bsmsKeyRecord", map[string]any{"seed": hex.EncodeToString(ms.jsKey.seed), "path": "m/" + ms.jsKey.path,
			"token": hex.EncodeToString(bsmsNoToken), "description": "bitcoinjs cosigner"}, &record); err != nil {
			return err
		}
		_, err := session.AddKeyRecord([]byte(record), t0)
		return err
	})
	s.run("multisig-bsms/key-record", "electrum", func() error {
		if setupErr != nil {
			return fmt.Errorf("no session: %v", setupErr)
		}
		record, err := s.electrumKeyRecord(el, elPriv)
		if err != nil {
			return err
		}
		_, err = session.AddKeyRecord(record, t0)
		return err
	})
	var record []byte
	s.run("multisig-bsms/record", "bitcoinerlab", func() error {
		if setupErr != nil {
			return fmt.Errorf("no session: %v", setupErr)
		}
		d, err := session.Descriptor()
		if err != nil {
			return err
		}
		want, err := ourAddresses(d, comparedPaths)
		if err != nil {
			return err
		}
		if record, err = session.Record(); err != nil {
			return err
		}
		var got []string
		if err := s.js.call("bsmsRecord", map[string]any{"record": string(record), "xpub": ms.jsKey.xpub, "paths": comparedPaths}, &got); err != nil {
			return err
		}
		return sameAddresses(got, want, comparedPaths)
	})
	var done *multisig
	s.run("multisig-setup/bsms", "bitcoinjs+electrum", func() error {
		if record == nil {
			return errors.New("no BSMS descriptor record (see the cases above)")
		}
		var err error
		if ms.desc, err = session.Descriptor(); err != nil {
			return err
		}
		if err := s.registerMultisig(ms, record, elPriv); err != nil {
			return err
		}
		done = ms
		return nil
	})
	return done
}

// kioskKeyRecord is the kiosk's Round 1: its wallet's BIP48 key signed
// with its shares, which the coordinator takes first.
func (s *suite) kioskKeyRecord(session *coordinator.BSMSSession, ms *multisig) error {
	w, err := s.w.home.Wallet(ms.kw.name)
	if err != nil {
		return err
	}
	record, err := s.w.station().BSMSKeyRecord(w, ms.kw.shares, bsmsNoToken, "")
	if err != nil {
		return fmt.Errorf("the kiosk's key record: %v", err)
	}
	if _, err := session.AddKeyRecord(record, t0); err != nil {
		return fmt.Errorf("the coordinator refused the kiosk's key record: %v", err)
	}
	return nil
}

// electrumKeyRecord is the Electrum cosigner's Round 1. Electrum has no
// BSMS; its user signs the record's first four lines with Tools > Sign
// Message on a wallet of the BIP48 key alone (here its command line's
// signmessage on an imported-key wallet), and the record is those lines
// and the signature.
func (s *suite) electrumKeyRecord(el cosignerKey, acct *hdkeychain.ExtendedKey) ([]byte, error) {
	priv, err := acct.ECPrivKey()
	if err != nil {
		return nil, err
	}
	wif, err := btcutil.NewWIF(priv, regtest.Params, true)
	if err != nil {
		return nil, err
	}
	wallet := filepath.Join(s.el.dir, "bsms-key-"+el.fingerprint)
	if _, err := s.el.run("restore", "p2pkh:"+wif.String(), "-w", wallet); err != nil {
		return nil, err
	}
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(priv.PubKey().SerializeCompressed()), regtest.Params)
	if err != nil {
		return nil, err
	}
	body := strings.Join([]string{"BSMS 1.0", hex.EncodeToString(bsmsNoToken), el.String(), "Electrum cosigner"}, "\n")
	sig, err := s.el.run("-w", wallet, "signmessage", addr.EncodeAddress(), body)
	if err != nil {
		return nil, err
	}
	return []byte(body + "\n" + sig + "\n"), nil
}

// registerMultisig has the kiosk register the multisig from text (its
// descriptor or BSMS record) with its shares, the coordinator watch it,
// and writes the Electrum cosigner's wallet file; the kiosk's first
// address must be airsign's.
func (s *suite) registerMultisig(ms *multisig, text []byte, elPriv *hdkeychain.ExtendedKey) error {
	r, err := kiosk.PrepareMultisig(s.w.home, text, ms.name, t0)
	if err != nil {
		return fmt.Errorf("the kiosk refused the multisig: %v", err)
	}
	if err := s.w.station().Register(r, ms.kw.shares); err != nil {
		return fmt.Errorf("the kiosk did not register the multisig: %v", err)
	}
	first, err := ms.desc.Address(0, 0)
	if err != nil {
		return err
	}
	if r.FirstAddress != first.String() {
		return fmt.Errorf("the kiosk's first address is %s, the descriptor's %s", r.FirstAddress, first)
	}
	if err := s.addCoordinatorWallet(ms.name, ms.desc.String()); err != nil {
		return err
	}
	ms.electrumWallet, err = s.electrumMultisigWallet(ms, elPriv)
	return err
}

// vprvMultisigVersion is SLIP-132's testnet P2WSH multisig private key
// version (Vprv): what Electrum's keystore of such a wallet holds.
var vprvMultisigVersion = []byte{0x02, 0x57, 0x50, 0x48}

// electrumMultisigWallet writes airsign's Electrum wallet file of the
// multisig, with the Electrum cosigner's xprv added to its own keystore,
// as that cosigner's wallet.
func (s *suite) electrumMultisigWallet(ms *multisig, acct *hdkeychain.ExtendedKey) (string, error) {
	raw, err := ms.desc.ElectrumWallet()
	if err != nil {
		return "", err
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(raw, &file); err != nil {
		return "", err
	}
	xprv, err := acct.CloneWithVersion(vprvMultisigVersion)
	if err != nil {
		return "", err
	}
	own := false
	for i := 1; i <= len(ms.desc.Keys); i++ {
		var ks map[string]any
		name := fmt.Sprintf("x%d/", i)
		if err := json.Unmarshal(file[name], &ks); err != nil {
			return "", fmt.Errorf("airsign's Electrum file, keystore %s: %v", name, err)
		}
		if ks["root_fingerprint"] != ms.elFingerprint {
			continue
		}
		ks["xprv"], own = xprv.String(), true
		if file[name], err = json.Marshal(ks); err != nil {
			return "", err
		}
	}
	if !own {
		return "", fmt.Errorf("airsign's Electrum file has no keystore of fingerprint %s", ms.elFingerprint)
	}
	out, err := json.Marshal(file)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.el.dir, ms.name)
	return path, os.WriteFile(path, out, 0o600)
}

// multisigAddressCases compare the multisig's addresses 0/0…0/4 and 1/0 in
// every tool with airsign's: bitcoinjs and Caravan from the three account
// keys, bitcoinerlab from the descriptor (the BSMS setup's bitcoinerlab
// case checks the record), Electrum from its wallet file.
func (s *suite) multisigAddressCases(setup string, ms *multisig) {
	name := "multisig-addresses/" + setup
	tools := []string{"electrum"}
	if setup == "descriptor" {
		tools = []string{"bitcoinjs", "caravan-btc", "bitcoinerlab", "electrum"}
	}
	for _, tool := range tools {
		s.run(name, tool, func() error {
			if ms == nil {
				return errors.New("the multisig was not set up (see its setup case)")
			}
			want, err := ourAddresses(ms.desc, comparedPaths)
			if err != nil {
				return err
			}
			var got []string
			if tool == "electrum" {
				got, err = s.el.addresses(ms.electrumWallet)
			} else {
				err = s.js.call("multisigAddresses", map[string]any{"tool": tool, "required": ms.desc.Threshold, "xpubs": ms.xpubs,
					"descriptor": ms.desc.String(), "paths": comparedPaths}, &got)
			}
			if err != nil {
				return err
			}
			return sameAddresses(got, want, comparedPaths)
		})
	}
}

// multisigSpend has the coordinator request a withdrawal from the
// multisig, the pair sign it, and final finalize it: the coordinator from
// both signed PSBTs (each signer signs the coordinator's PSBT), or a
// foreign finalizer, which signs second, on the first signer's PSBT, and
// hands the final transaction to the coordinator, which broadcasts it.
func (s *suite) multisigSpend(ms *multisig, pair [2]string, final string) error {
	if ms == nil {
		return errors.New("the multisig was not set up (see its setup case)")
	}
	wd, unsigned, err := s.coordinatorRequest(ms.name)
	if err != nil {
		return err
	}
	if final == "airsign" {
		var signed [][]byte
		for _, who := range pair {
			p, err := s.multisigSign(ms, who, unsigned)
			if err != nil {
				return err
			}
			signed = append(signed, p)
		}
		return s.coordinatorFinalize(wd, signed...)
	}
	first := pair[0]
	if first == final {
		first = pair[1]
	}
	partial, err := s.multisigSign(ms, first, unsigned)
	if err != nil {
		return err
	}
	var txHex string
	switch final {
	case "electrum":
		// With the second signature Electrum completes the transaction
		// and answers it finalized, as its Export does once complete.
		out, err := s.el.run("-w", ms.electrumWallet, "signtransaction", base64.StdEncoding.EncodeToString(partial))
		if err != nil {
			return fmt.Errorf("electrum refused %s's PSBT: %v", first, err)
		}
		if _, err := parseTx(out); err != nil {
			return fmt.Errorf("electrum did not finalize the transaction with both signatures: %v", err)
		}
		txHex = out
	case "bitcoinjs":
		signed, err := s.multisigSign(ms, "bitcoinjs", partial)
		if err != nil {
			return err
		}
		if err := s.js.call("finalize", map[string]any{"tool": "bitcoinjs", "psbt": base64.StdEncoding.EncodeToString(signed)}, &txHex); err != nil {
			return fmt.Errorf("bitcoinjs could not finalize: %v", err)
		}
	default:
		return fmt.Errorf("no finalizer %q", final)
	}
	return s.coordinatorFinalize(wd, []byte(txHex))
}

// multisigSign is one cosigner's signature on a PSBT: the kiosk with its
// shares, bitcoinjs from its seed, Electrum from its wallet file. The
// answer is the PSBT with the signature added, in binary.
func (s *suite) multisigSign(ms *multisig, who string, data []byte) ([]byte, error) {
	switch who {
	case "airsign":
		return s.w.kioskSign(ms.name, data, ms.kw.shares)
	case "bitcoinjs":
		var signed string
		if err := s.js.call("sign", map[string]any{"tool": "bitcoinjs", "seed": hex.EncodeToString(ms.jsKey.seed),
			"psbt": base64.StdEncoding.EncodeToString(data)}, &signed); err != nil {
			return nil, fmt.Errorf("bitcoinjs refused to sign: %v", err)
		}
		return base64.StdEncoding.DecodeString(signed)
	case "electrum":
		out, err := s.el.run("-w", ms.electrumWallet, "signtransaction", base64.StdEncoding.EncodeToString(data))
		if err != nil {
			return nil, fmt.Errorf("electrum refused to sign: %v", err)
		}
		b, err := base64.StdEncoding.DecodeString(out)
		if err != nil {
			return nil, fmt.Errorf("electrum's answer with one signature of two is not a PSBT in base64 (%.60s…): %v", out, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no cosigner %q", who)
}

// accountKey derives the account key at the hardened path steps from seed,
// with the master key's fingerprint.
func accountKey(seed []byte, steps ...uint32) (fingerprint []byte, acct *hdkeychain.ExtendedKey, err error) {
	master, err := hdkeychain.NewMaster(seed, regtest.Params)
	if err != nil {
		return nil, nil, err
	}
	acct = master
	for _, step := range steps {
		if acct, err = acct.Derive(hdkeychain.HardenedKeyStart + step); err != nil {
			return nil, nil, err
		}
	}
	return btcutil.Hash160(mustPub(master))[:4], acct, nil
}

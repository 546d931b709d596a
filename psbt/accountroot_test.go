package psbt

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

// rootAtAccount rewrites every derivation of the key of master fingerprint
// master as a wallet that imported only the account xpub writes it (Electrum
// 4.3 from a zpub): the account key's own fingerprint, and the path below
// the account key.
func rootAtAccount(t *testing.T, p *btcpsbt.Packet, master uint32, account *hdkeychain.ExtendedKey, depth int, path func([]uint32) []uint32) {
	t.Helper()
	fp, err := keyFingerprint(account)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(ds []*btcpsbt.Bip32Derivation, tds []*btcpsbt.TaprootBip32Derivation) {
		for _, d := range ds {
			if d.MasterKeyFingerprint == master {
				d.MasterKeyFingerprint, d.Bip32Path = fp, path(d.Bip32Path[depth:])
			}
		}
		for _, d := range tds {
			if d.MasterKeyFingerprint == master {
				d.MasterKeyFingerprint, d.Bip32Path = fp, path(d.Bip32Path[depth:])
			}
		}
	}
	for i := range p.Inputs {
		rewrite(p.Inputs[i].Bip32Derivation, p.Inputs[i].TaprootBip32Derivation)
	}
	for o := range p.Outputs {
		rewrite(p.Outputs[o].Bip32Derivation, p.Outputs[o].TaprootBip32Derivation)
	}
}

func samePath(p []uint32) []uint32 { return p }

// An input or change output whose derivation is rooted at the account key
// is the wallet's when the script re-derived there is the one it spends or
// pays: single-sig of every type and a multisig cosigner alike. Before,
// such a PSBT was refused with "no input spends a coin of wallet …".
func TestAnalyzeAccountRooted(t *testing.T) {
	type wallet struct {
		name    string
		signer  *hd.Master
		d       *descriptor.Descriptor
		pol     Policy
		account *hdkeychain.ExtendedKey
		origin  descriptor.KeyOrigin
	}
	var wallets []wallet
	for _, st := range allScripts {
		m, d := testWallet(t, st, descriptor.Regtest)
		wallets = append(wallets, wallet{st.String(), m, d, DefaultPolicy, d.Key, d.Origin})
	}
	ms, md := multisigWallet(t, descriptor.P2WSHMulti, 2)
	wallets = append(wallets, wallet{"2-of-3 cosigner 2", ms[1], md, cosigner(DefaultPolicy, ms[1]), md.Keys[1].Key, md.Keys[1].Origin})
	for _, w := range wallets {
		t.Run(w.name, func(t *testing.T) {
			build := func() *btcpsbt.Packet {
				return buildPSBT(t, w.d, []spend{{branch: 0, index: 0, amount: 60_000}, {branch: 0, index: 1, amount: 50_000}}, []pay{{amount: 70_000, script: foreignScript(t, 9)}, {amount: 38_000, branch: 1, index: 0}})
			}
			p := build()
			rootAtAccount(t, p, fingerprintUint32(w.origin.Fingerprint), w.account, len(w.origin.Path), samePath)
			s, err := Sign(p, w.d, w.pol, w.signer)
			if err != nil {
				t.Fatalf("Sign: %v (refusals %v)", err, s.Refusals)
			}
			if !s.AccountRooted {
				t.Error("AccountRooted = false, want true")
			}
			for i, in := range s.Inputs {
				if !in.Ours || in.Branch != 0 || in.AddrIndex != uint32(i) {
					t.Errorf("input %d: ours %v at %d/%d, want ours at 0/%d", i, in.Ours, in.Branch, in.AddrIndex, i)
				}
			}
			if got := s.Outputs[1].Kind; got != Change {
				t.Errorf("output 1 is %v, want change", got)
			}
			if got, want := s.Spent, btcutil.Amount(72_000); got != want {
				t.Errorf("spent %d, want %d", got, want)
			}
			if n, err := VerifySignatures(p); err != nil || n != 2 {
				t.Errorf("VerifySignatures: %d signatures, %v; want 2, nil", n, err)
			}

			// a master-rooted PSBT says nothing of the kind
			if s, err := Analyze(build(), w.d, w.pol); err != nil || s.AccountRooted || !s.Signable() {
				t.Errorf("master-rooted: AccountRooted %v, signable %v, err %v; want false, true, nil", s.AccountRooted, s.Signable(), err)
			}
		})
	}
}

// The script is re-derived from the account key all the same: an
// account-rooted path that names another address than the one spent, or a
// path that is not branch/index, is refused.
func TestAnalyzeAccountRootedRefusals(t *testing.T) {
	_, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	fp := fingerprintUint32(d.Origin.Fingerprint)
	depth := len(d.Origin.Path)
	for _, tt := range []struct {
		name string
		path func([]uint32) []uint32
		want Code
	}{
		{"another index", func(p []uint32) []uint32 { return []uint32{p[0], p[1] + 1} }, CodeInputNotOurs},
		{"three steps", func(p []uint32) []uint32 { return append([]uint32{0}, p...) }, CodePathOutsideWallet},
		{"branch 2", func(p []uint32) []uint32 { return []uint32{2, p[1]} }, CodePathOutsideWallet},
		{"hardened index", func(p []uint32) []uint32 { return []uint32{p[0], p[1] | descriptor.Hardened} }, CodePathOutsideWallet},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
			rootAtAccount(t, p, fp, d.Key, depth, tt.path)
			s, err := Analyze(p, d, DefaultPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if s.Signable() || len(s.Refusals) == 0 || s.Refusals[0].Code != tt.want {
				t.Errorf("refusals %v, want first %s", s.Refusals, tt.want)
			}
		})
	}
}

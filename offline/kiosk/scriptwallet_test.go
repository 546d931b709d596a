package kiosk

import (
	"bytes"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// testKeys are n BIP48 cosigner keys of test seeds, as a policy lists them.
func testKeys(t *testing.T, n int) []string {
	t.Helper()
	var keys []string
	for i := range n {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(i + 1)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		o, k, err := m.CosignerKey(0)
		m.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, "["+o.String()+"]"+k.String())
	}
	return keys
}

// Every template at a few shapes is recognised as itself; policies of
// other shapes are not taken for a template.
func TestMatchTemplate(t *testing.T) {
	keys := testKeys(t, 6)
	for _, want := range []descriptor.Template{
		{Kind: descriptor.TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:4], After: 52560},
		{Kind: descriptor.TemplateRecovery, Threshold: 3, Keys: keys[:4], Recovery: keys[4:6], RecoveryThreshold: 2, After: 144},
		{Kind: descriptor.TemplateRecovery, Threshold: 1, Keys: keys[:2], Recovery: keys[2:5], RecoveryThreshold: 1, After: 10},
		{Kind: descriptor.TemplateDecaying, Threshold: 3, Keys: keys[:5], After: 4320},
		{Kind: descriptor.TemplateTaproot, Threshold: 2, Keys: keys[:3]},
		{Kind: descriptor.TemplateTaprootRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:4], After: 4320},
		{Kind: descriptor.TemplateTaprootRecovery, Threshold: 2, Keys: keys[:2], Recovery: keys[2:5], RecoveryThreshold: 2, After: 4320},
	} {
		sw, err := want.Policy(descriptor.Regtest)
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		got, ok := matchTemplate(sw)
		if !ok || got.Kind != want.Kind || got.Threshold != want.Threshold || len(got.Recovery) != len(want.Recovery) || max(got.RecoveryThreshold, 1) != max(want.RecoveryThreshold, 1) || got.After != want.After {
			t.Errorf("matchTemplate(%s) = %+v, %v; want %+v", sw.Template(), got, ok, want)
		}
	}
	for _, policy := range []string{
		"wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),after(800000))))",                   // an absolute lock
		"wsh(or_d(pk(@0/**),and_v(v:pkh(@1/**),and_v(v:pk(@2/**),and_v(v:pk(@3/**),older(144))))))", // no multi
		"tr(" + descriptor.NUMS + ",{multi_a(2,@0/**,@1/**,@2/**),pk(@3/**)})",                      // a leaf without lock
		"wsh(andor(pk(@0/**),older(144),multi(2,@1/**,@2/**,@3/**)))",                               // another shape
		"tr(" + descriptor.NUMS + ",{sortedmulti_a(2,@0/**,@1/**,@2/**),pk(@3/**)})",                // a recovery leaf without lock
		"wsh(or_d(multi(2,@0/**,@1/**),and_v(v:multi(2,@2/**,@3/**),older(144))))",                  // two of two recovery keys: a template
	} {
		sw, err := descriptor.ParseWalletPolicy(descriptor.WalletPolicy{Template: policy, Keys: keys[:4]}, descriptor.Regtest)
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		_, ok := matchTemplate(sw)
		if want := policy == "wsh(or_d(multi(2,@0/**,@1/**),and_v(v:multi(2,@2/**,@3/**),older(144))))"; ok != want {
			t.Errorf("matchTemplate(%s) = %v, want %v", policy, ok, want)
		}
	}
}

// Hostile or mistaken policies are refused with what is wrong, before
// anything is shown for registration.
func TestPrepareScriptWalletRefuses(t *testing.T) {
	s := newStation(t)
	own := s.wallet.Cosigner
	others := testKeys(t, 3)
	policy := func(template string, keys ...string) []byte {
		return []byte(`{"descriptor_template":"` + template + `","keys_info":["` + strings.Join(keys, `","`) + `"]}`)
	}
	const tmpl = "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))"
	for _, tc := range []struct {
		name string
		text []byte
		want string
	}{
		{"too long", bytes.Repeat([]byte{'{'}, maxPolicyText+1), "bytes; a wallet policy of at most 20 keys"},
		{"not JSON", []byte(`{"descriptor_template":`), "the wallet policy is not JSON"},
		{"an unknown field", []byte(`{"descriptor_template":"x","keys_info":[],"extra":1}`), "unknown field"},
		{"no key of this kiosk", policy(tmpl, others[0], others[1], others[2], testKeys(t, 4)[3]), "none of the policy's keys is this kiosk's"},
		{"placeholders out of order", policy("wsh(or_d(multi(2,@1/**,@0/**,@2/**),and_v(v:pkh(@3/**),older(52560))))", others[0], others[1], others[2], own), "BIP-388 numbers keys in the order they first appear"},
		{"a key listed twice", policy(tmpl, others[0], others[0], others[2], own), "appears more than once"},
		{"a malleable script", policy("wsh(or_i(pk(@0/**),older(144)))", own), "can be spent without any signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PrepareScriptWallet(s.h, tc.text, "", t0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// A kiosk holding only a wallet's recovery key, shown a transaction that
// sets none of the recovery path's locks, says the transaction spends by
// the primary path, which its key is not part of, and that it signs by
// the recovery path; a recovery spend made too early keeps the words that
// name the lock it waits for.
func TestExplainOtherPath(t *testing.T) {
	keys := testKeys(t, 4)
	const locked = "input 0: no spending path through this kiosk's key is open yet: the lock has not matured"
	const nothing = "no input spends a coin of wallet 01020304: there is nothing for this wallet to sign"
	for _, tc := range []struct {
		name, template string
		version        int32
		lockTime, seq  uint32
		want           []string // in the input's refusal; none: unchanged
	}{
		{"a primary spend, final", "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))", 2, 0, 0xfffffffd,
			[]string{"input 0: this transaction spends the coin by the primary path (primary: 2 of key 1 (", "), which this kiosk's key is not part of: the signers of that path sign it, not this kiosk. This kiosk signs only by the recovery path (RECOVERY: key 4 (", ") [THIS KIOSK], 52560 blocks", "it sets no lock that path would wait for (lock time 0, input sequence 0xfffffffd, version 2)"}},
		{"a recovery spend too early", "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))", 2, 0, 52559, nil},
		{"a relative lock in version 1, not in force", "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))", 1, 0, 52560,
			[]string{"by the primary path (", "(lock time 0, input sequence 0xcd50, version 1)"}},
		{"a relative lock in seconds for a lock in blocks", "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))", 2, 0, 1<<22 | 60000,
			[]string{"by the primary path ("}},
		{"an absolute lock not set", "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),after(800000))))", 2, 0, 0xfffffffd,
			[]string{"by the primary path (", "This kiosk signs only by the recovery path (RECOVERY: key 4 ("}},
		{"an absolute lock set, too low", "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),after(800000))))", 2, 799_000, 0xfffffffd, nil},
		{"a taproot primary leaf", "tr(" + descriptor.NUMS + ",{sortedmulti_a(2,@0/**,@1/**,@2/**),and_v(v:pk(@3/**),older(4320))})", 2, 0, 0xfffffffd,
			[]string{"by the primary path (primary (leaf 1): 2 of key 1 (", "the recovery path (RECOVERY (leaf 2): key 4 ("}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw, err := descriptor.ParseWalletPolicy(descriptor.WalletPolicy{Template: tc.template, Keys: keys}, descriptor.Regtest)
			if err != nil {
				t.Fatal(err)
			}
			tx := wire.NewMsgTx(tc.version)
			tx.LockTime = tc.lockTime
			tx.AddTxIn(&wire.TxIn{Sequence: tc.seq})
			s := &psbt.Summary{Refusals: []psbt.Finding{
				{Code: psbt.CodeRecoveryLocked, Input: 0, Output: -1, Message: locked},
				{Code: psbt.CodeNothingOurs, Input: -1, Output: -1, Message: nothing},
			}}
			if err := explainOtherPath(&btcpsbt.Packet{UnsignedTx: tx}, sw, []int{3}, s); err != nil {
				t.Fatal(err)
			}
			got, gotNothing := s.Refusals[0].Message, s.Refusals[1].Message
			if tc.want == nil {
				if got != locked || gotNothing != nothing {
					t.Errorf("refusals rewritten: %q, %q", got, gotNothing)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("refusal %q lacks %q", got, w)
				}
			}
			if want := "no input is spent by a path of this kiosk's key: there is nothing for this kiosk to sign"; gotNothing != want {
				t.Errorf("second refusal %q, want %q", gotNothing, want)
			}
		})
	}
}

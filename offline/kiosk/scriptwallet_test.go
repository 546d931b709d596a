package kiosk

import (
	"bytes"
	"testing"

	"airsign/offline/hd"
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

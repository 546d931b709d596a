package web

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/offline/hd"
	"airsign/online/regtest"
	"airsign/psbt/descriptor"
)

// A wallet with a recovery path shows its policy, and each unspent output
// when its recovery path opens; other wallets' pages have no such column.
func TestWalletPageShowsRecovery(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	var keys []string
	for i := range 4 {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(70 + i)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		origin, key, err := m.CosignerKey(0)
		m.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, "["+origin.String()+"]"+key.String())
	}
	w, err := descriptor.Template{Kind: descriptor.TemplateTaprootRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:], After: 144}.Policy(descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.AddPolicyWallet(ctx, "vault", w.String(), f.node.Height(t)); err != nil {
		t.Fatal(err)
	}
	a, err := f.c.Receive(ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.DecodeAddress(a.Address, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := txscript.PayToAddrScript(addr)
	f.node.Fund(t, script, 300_000)
	if _, err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	alice := f.browser(t)
	alice.signIn("alice")
	page := alice.get("/wallets/vault")
	if page.status != 200 || !strings.Contains(page.body, `id="policy"`) || !strings.Contains(page.body, "opens 144 blocks after each coin confirms") {
		t.Fatalf("the page does not show the policy and its lock:\n%s", page.body)
	}
	if !regexp.MustCompile(`<td class="recovery">opens at block \d+, in 143 blocks \(about 24 hours, about \d{4}-\d\d-\d\d\)</td>`).MatchString(page.body) {
		t.Errorf("the unspent output does not say when its recovery path opens:\n%s", page.body)
	}
	if !strings.Contains(page.body, `id="refresh-soon">1 coin(s) open their recovery path within 4320 blocks`) {
		t.Errorf("no refresh warning for a coin 143 blocks from its recovery path:\n%s", page.body)
	}
	if other := alice.get("/wallets/treasury"); strings.Contains(other.body, "Recovery path opens") || strings.Contains(other.body, `id="policy"`) || strings.Contains(other.body, `id="refresh-soon"`) {
		t.Errorf("a single-sig wallet's page shows a recovery path")
	}
}

package policy

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
)

const (
	addrA = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"                     // p2wpkh
	addrB = "bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqc8gma6" // p2tr
	addrC = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"                               // p2pkh
)

func script(t *testing.T, a string) []byte {
	t.Helper()
	addr, err := btcutil.DecodeAddress(a, descriptor.Regtest.Params())
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// summary is a reviewed transaction paying amounts to addresses, with
// change and a fee.
func summary(t *testing.T, fee btcutil.Amount, rate float64, pays map[string]btcutil.Amount, change btcutil.Amount) *psbt.Summary {
	t.Helper()
	s := &psbt.Summary{Fee: fee, FeeKnown: true, FeeRate: rate, Spent: fee}
	i := 0
	for _, a := range []string{addrA, addrB, addrC} {
		amt, ok := pays[a]
		if !ok {
			continue
		}
		s.Outputs = append(s.Outputs, psbt.Output{Index: i, Amount: amt, Kind: psbt.Payment, Address: a, Script: script(t, a)})
		s.Spent += amt
		i++
	}
	if change > 0 {
		s.Outputs = append(s.Outputs, psbt.Output{Index: i, Amount: change, Kind: psbt.Change})
	}
	return s
}

func rule(v Verdict, name string) (Rule, bool) {
	for _, r := range v.Rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}

// Each limit at, just below and just above it: at the limit passes.
func TestLimits(t *testing.T) {
	const limit = 1_000_000
	for _, tc := range []struct {
		name   string
		pol    Policy
		rule   string
		fee    btcutil.Amount
		rate   float64
		pay    btcutil.Amount
		spent  btcutil.Amount // in the last 24 h
		ok     bool
		detail string
	}{
		{"max-tx below", Policy{MaxTx: limit}, "max per transaction", 1000, 2, limit - 1001, 0, true, "takes 0.00999999 BTC out of the wallet; the limit is 0.01000000 BTC"},
		{"max-tx at", Policy{MaxTx: limit}, "max per transaction", 1000, 2, limit - 1000, 0, true, "takes 0.01000000 BTC out of the wallet; the limit is 0.01000000 BTC"},
		{"max-tx above", Policy{MaxTx: limit}, "max per transaction", 1000, 2, limit - 999, 0, false, "takes 0.01000001 BTC out of the wallet; the limit is 0.01000000 BTC"},
		{"24h below", Policy{Max24h: 100_000_000}, "24-hour limit", 0, 2, 19_999_999, 80_000_000, true, "would bring the last 24 h to 0.99999999 BTC; the limit is 1.00000000 BTC"},
		{"24h at", Policy{Max24h: 100_000_000}, "24-hour limit", 0, 2, 20_000_000, 80_000_000, true, "would bring the last 24 h to 1.00000000 BTC; the limit is 1.00000000 BTC"},
		{"24h above", Policy{Max24h: 100_000_000}, "24-hour limit", 0, 2, 40_000_000, 80_000_000, false, "would bring the last 24 h to 1.20000000 BTC; the limit is 1.00000000 BTC"},
		{"fee below", Policy{MaxFee: 5000}, "max fee", 4999, 2, 10_000, 0, true, "fee 0.00004999 BTC; the limit is 0.00005000 BTC"},
		{"fee at", Policy{MaxFee: 5000}, "max fee", 5000, 2, 10_000, 0, true, "fee 0.00005000 BTC; the limit is 0.00005000 BTC"},
		{"fee above", Policy{MaxFee: 5000}, "max fee", 5001, 2, 10_000, 0, false, "fee 0.00005001 BTC; the limit is 0.00005000 BTC"},
		{"rate below", Policy{MaxFeeRate: 50}, "max fee rate", 1000, 49.9, 10_000, 0, true, "fee rate 49.9 sat/vB; the limit is 50 sat/vB"},
		{"rate at", Policy{MaxFeeRate: 50}, "max fee rate", 1000, 50, 10_000, 0, true, "fee rate 50.0 sat/vB; the limit is 50 sat/vB"},
		{"rate above", Policy{MaxFeeRate: 50}, "max fee rate", 1000, 50.1, 10_000, 0, false, "fee rate 50.1 sat/vB; the limit is 50 sat/vB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(tc.pol, summary(t, tc.fee, tc.rate, map[string]btcutil.Amount{addrA: tc.pay}, 5000), tc.spent, Approvals{})
			r, found := rule(v, tc.rule)
			if !found {
				t.Fatalf("no %q rule in %+v", tc.rule, v.Rules)
			}
			if r.OK != tc.ok || r.Detail != tc.detail || v.OK() != tc.ok {
				t.Fatalf("got ok=%v %q (verdict ok=%v)\nwant ok=%v %q", r.OK, r.Detail, v.OK(), tc.ok, tc.detail)
			}
		})
	}
}

func TestDestinationsAndScripts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pol    Policy
		pays   map[string]btcutil.Amount
		ok     bool
		detail string
	}{
		{"allowed", Policy{Allow: []string{addrA, addrB}}, map[string]btcutil.Amount{addrA: 1000, addrB: 1000}, true, "every payment goes to an allowed address"},
		{"not allowed", Policy{Allow: []string{addrA}}, map[string]btcutil.Amount{addrA: 1000, addrB: 1000}, false, "output 1 pays " + addrB + ", which is not on the allow-list"},
		{"script ok", Policy{Scripts: []string{"p2wpkh", "p2tr"}}, map[string]btcutil.Amount{addrA: 1000, addrB: 1000}, true, "every payment uses an allowed script type (p2wpkh, p2tr)"},
		{"script refused", Policy{Scripts: []string{"p2wpkh", "p2tr"}}, map[string]btcutil.Amount{addrA: 1000, addrC: 1000}, false, "output 1 is p2pkh; allowed are p2wpkh, p2tr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(tc.pol, summary(t, 500, 2, tc.pays, 0), 0, Approvals{})
			if len(v.Rules) != 1 || v.Rules[0].OK != tc.ok || v.Rules[0].Detail != tc.detail {
				t.Fatalf("got %+v\nwant ok=%v %q", v.Rules, tc.ok, tc.detail)
			}
		})
	}
}

func TestApprovalsRule(t *testing.T) {
	pol := Policy{RequireApprovals: 2, ApprovalsAbove: 50_000}
	small := summary(t, 1000, 2, map[string]btcutil.Amount{addrA: 49_000}, 0) // takes exactly 50,000
	big := summary(t, 1000, 2, map[string]btcutil.Amount{addrA: 49_001}, 0)
	for _, tc := range []struct {
		name   string
		s      *psbt.Summary
		a      Approvals
		ok     bool
		need   int
		detail string
	}{
		{"at the threshold none are needed", small, Approvals{}, true, 0, "none needed for 0.00050000 BTC (needed above 0.00050000 BTC)"},
		{"above it, none given", big, Approvals{}, false, 2, "0 of 2 required approvals"},
		{"one short", big, Approvals{Valid: []string{"alice"}, Problems: []string{"approval by carol has expired"}}, false, 2, "1 of 2 required approvals (alice); not counted: approval by carol has expired"},
		{"enough", big, Approvals{Valid: []string{"alice", "bob"}}, true, 2, "2 of 2 required approvals (alice, bob)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(pol, tc.s, 0, tc.a)
			r, _ := rule(v, "approvals")
			if r.OK != tc.ok || r.Detail != tc.detail || v.Approvals != tc.need {
				t.Fatalf("got ok=%v %q need %d\nwant ok=%v %q need %d", r.OK, r.Detail, v.Approvals, tc.ok, tc.detail, tc.need)
			}
		})
	}
}

func TestSuspension(t *testing.T) {
	pol := Policy{Suspended: true, Recovery: []string{addrB}}
	for _, tc := range []struct {
		name   string
		s      *psbt.Summary
		ok     bool
		detail string
	}{
		{"sweep", summary(t, 1000, 2, map[string]btcutil.Amount{addrB: 90_000}, 0), true, "the wallet is suspended: only a sweep to its recovery addresses is signed"},
		{"elsewhere", summary(t, 1000, 2, map[string]btcutil.Amount{addrA: 90_000}, 0), false, "the wallet is suspended; output 0 pays " + addrA + ", which is not a recovery address"},
		{"with change", summary(t, 1000, 2, map[string]btcutil.Amount{addrB: 90_000}, 5000), false, "the wallet is suspended; output 1 returns change, and a sweep takes everything to the recovery addresses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(pol, tc.s, 0, Approvals{})
			r, _ := rule(v, "suspension")
			if r.OK != tc.ok || r.Detail != tc.detail {
				t.Fatalf("got ok=%v %q\nwant ok=%v %q", r.OK, r.Detail, tc.ok, tc.detail)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		pol  Policy
		want string // "" ok
	}{
		{Policy{MaxTx: 1, Allow: []string{addrA}, Scripts: []string{"p2tr"}}, ""},
		{Policy{Allow: []string{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}}, "is not a regtest address"},
		{Policy{Scripts: []string{"p2xx"}}, `script type "p2xx"`},
		{Policy{MaxTx: -1}, "cannot be negative"},
		{Policy{ApprovalsAbove: 5}, "needs a number of approvals"},
		{Policy{Suspended: true}, "needs a recovery address"},
	} {
		err := tc.pol.Validate(descriptor.Regtest)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.pol, err, tc.want)
		}
	}
}

type keySigner struct{ k ed25519.PrivateKey }

func (s keySigner) Sign(m []byte) []byte         { return ed25519.Sign(s.k, m) }
func (s keySigner) PublicKey() ed25519.PublicKey { return s.k.Public().(ed25519.PublicKey) }

func newStore(t *testing.T) (*Store, string) {
	dir := t.TempDir()
	return NewStore(dir, keySigner{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))}), dir
}

func TestStoreSignedAndTamperEvident(t *testing.T) {
	st, dir := newStore(t)
	if p, err := st.Policy("vault"); err != nil || !p.Empty() {
		t.Fatalf("unset policy: %+v, %v", p, err)
	}
	want := Policy{MaxTx: 5, Allow: []string{addrA}}
	if err := st.SetPolicy("vault", want); err != nil {
		t.Fatal(err)
	}
	got, err := st.Policy("vault")
	if err != nil || got.MaxTx != 5 || len(got.Allow) != 1 {
		t.Fatalf("Policy = %+v, %v", got, err)
	}
	// Raise the limit by editing the file: the kiosk notices.
	path := filepath.Join(dir, "policy", "wallets", "vault.json")
	data, _ := os.ReadFile(path)
	edited := bytes.Replace(data, []byte(`"max_tx_sat": 5`), []byte(`"max_tx_sat": 9`), 1)
	if bytes.Equal(edited, data) {
		t.Fatalf("the test's edit did not apply to %s", data)
	}
	os.WriteFile(path, edited, 0o600)
	if _, err := st.Policy("vault"); !errors.Is(err, ErrTampered) {
		t.Fatalf("edited policy: got %v, want ErrTampered", err)
	}
	// Another kiosk's file does not verify either.
	other := NewStore(dir, keySigner{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))})
	if err := other.SetPolicy("vault", want); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Policy("vault"); !errors.Is(err, ErrTampered) {
		t.Fatalf("another device's policy: got %v, want ErrTampered", err)
	}
}

// The 24-hour window with an injected clock: an entry exactly 24 h old no
// longer counts.
func TestLedgerWindow(t *testing.T) {
	st, dir := newStore(t)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i, amt := range []btcutil.Amount{100, 200, 400} {
		if err := st.Record("vault", "tx", amt, t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		now  time.Time
		want btcutil.Amount
	}{
		{t0.Add(2 * time.Hour), 700},
		{t0.Add(Window - time.Second), 700},
		{t0.Add(Window), 600},
		{t0.Add(Window + time.Hour), 400},
		{t0.Add(Window + 2*time.Hour), 0},
	} {
		got, err := st.Since("vault", tc.now.Add(-Window))
		if err != nil || got != tc.want {
			t.Errorf("at %s: Since = %d, %v; want %d", tc.now.Sub(t0), got, err, tc.want)
		}
	}
	if got, _ := st.Since("other", t0); got != 0 {
		t.Fatalf("empty ledger sums to %d", got)
	}
	// A ledger edited to hide a spend stops signing. (The chain catches
	// an edit before the last line; the last line itself and truncation
	// need the signed checkpoints of the audit-log issue.)
	path := filepath.Join(dir, "policy", "ledger", "vault.log")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(data, []byte(`"spent_sat":200`), []byte(`"spent_sat":2`), 1), 0o600)
	if _, err := st.Since("vault", t0); err == nil {
		t.Fatal("an edited ledger was summed")
	}
}

func TestRetired(t *testing.T) {
	st, _ := newStore(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := st.CheckRetired("ab12"); err != nil {
		t.Fatal(err)
	}
	if err := st.Retire("ab12", "replaced by set cd34 after a re-ceremony", now); err != nil {
		t.Fatal(err)
	}
	err := st.CheckRetired("ab12")
	if !errors.Is(err, ErrRetired) || !strings.Contains(err.Error(), "replaced by set cd34") {
		t.Fatalf("CheckRetired = %v", err)
	}
	if err := st.Retire("ab12", "again", now); err == nil {
		t.Fatal("retiring twice succeeded")
	}
}

func TestApprovers(t *testing.T) {
	st, _ := newStore(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	alice := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey)
	bob := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)).Public().(ed25519.PublicKey)
	const vault, spare = "9f1c0aa1b2c3d4e5f60718293a4b5c6d", "0123456789abcdef0123456789abcdef"
	if err := st.AddApprover(vault, "alice", approval.StationKey(alice), now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		wallet, name string
		key          ed25519.PublicKey
		want         string
	}{
		{vault, "alice", bob, "already enrolled"},
		{vault, "carol", alice, "already enrolled as alice"},
		{vault, "dave", alice[:31], "32-byte ed25519 public key, not 31 bytes"},
		{vault, "", bob, "use 1 to 64 characters"},
		{"", "erin", bob, "enrolled for a wallet"},
	} {
		if err := st.AddApprover(tc.wallet, tc.name, approval.StationKey(tc.key), now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddApprover(%q) = %v, want %q", tc.name, err, tc.want)
		}
	}
	// The same person may approve for another wallet, enrolled with its
	// quorum; each wallet counts only its own.
	if err := st.AddApprover(spare, "alice", approval.StationKey(alice), now); err != nil {
		t.Fatalf("alice for a second wallet: %v", err)
	}
	if err := st.RemoveApprover(spare, "alice", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if as, err := st.Approvers(vault); err != nil || len(as) != 1 || as[0].Removed != nil {
		t.Fatalf("vault's approvers after removing spare's alice: %+v, %v", as, err)
	}
	if err := st.RemoveApprover(vault, "alice", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.AddApprover(vault, "alice", approval.StationKey(alice), now.Add(2*time.Hour)); err != nil {
		t.Fatalf("re-enrolling a removed approver: %v", err)
	}
	as, err := st.Approvers(vault)
	if err != nil || len(as) != 2 || as[0].Removed == nil || as[1].Removed != nil {
		t.Fatalf("Approvers = %+v, %v", as, err)
	}
	if err := st.RemoveApprover(vault, "zed", now); err == nil {
		t.Fatal("removing an unknown approver succeeded")
	}
	if as, err := st.Approvers(""); err != nil || len(as) != 0 {
		t.Fatalf("approvers of no wallet: %+v, %v", as, err)
	}
}

// A spend by a wallet's recovery path is judged by the policy's
// recovery-path rules, refused when the policy has rules but none for that
// path, and the verdict names the path first; the primary path is judged by
// the wallet's rules; a wallet of one path gets no path rule.
func TestPerPath(t *testing.T) {
	const primary, recovery = "primary: 2 of 36a4b81c, 6f817883, 74942dfc", "RECOVERY: 2c37ea48, 52560 blocks (about 365 days) after the coin confirms"
	capped := Policy{MaxTx: 100_000, RequireApprovals: 2}
	withRecovery := capped
	withRecovery.RecoveryPath = &Policy{MaxTx: 1_000_000, Allow: []string{addrA}}
	suspended := withRecovery
	suspended.Suspended, suspended.Recovery = true, []string{addrB}
	for _, tc := range []struct {
		name     string
		pol      Policy
		path     string
		recovery bool
		pay      string
		wantPath string // the path rule's verdict: "" none, "pass", "fail"
		wantOK   bool
		wantRule string // a rule that must be in the verdict
	}{
		{"one path, no path rule", capped, "", false, addrA, "", false, "approvals"},
		{"primary, wallet's rules", capped, primary, false, addrA, "pass", false, "approvals"},
		{"recovery, no recovery rules: refused", capped, recovery, true, addrA, "fail", false, "max per transaction"},
		{"recovery, no policy at all", Policy{}, recovery, true, addrA, "pass", true, PathRule},
		{"recovery rules: larger cap, no approvals", withRecovery, recovery, true, addrA, "pass", true, "destination allow-list"},
		{"recovery rules: allow-list", withRecovery, recovery, true, addrC, "pass", false, "destination allow-list"},
		{"primary path ignores recovery rules", withRecovery, primary, false, addrA, "pass", false, "approvals"},
		{"suspension holds on the recovery path", suspended, recovery, true, addrA, "pass", false, "suspension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summary(t, 1_000, 2, map[string]btcutil.Amount{tc.pay: 500_000}, 0)
			s.Path, s.Recovery = tc.path, tc.recovery
			v := Evaluate(tc.pol, s, 0, Approvals{})
			path, ok := rule(v, PathRule)
			switch {
			case tc.wantPath == "" && ok:
				t.Errorf("got path rule %+v, want none", path)
			case tc.wantPath != "" && (!ok || v.Rules[0].Name != PathRule):
				t.Errorf("got rules %+v, want the path rule first", v.Rules)
			case tc.wantPath != "" && path.OK != (tc.wantPath == "pass"):
				t.Errorf("got path rule %+v, want %s", path, tc.wantPath)
			case tc.wantPath != "" && !strings.Contains(path.Detail, tc.path):
				t.Errorf("got path rule detail %q, want it to name %q", path.Detail, tc.path)
			}
			if v.OK() != tc.wantOK {
				t.Errorf("got OK %v, want %v: %+v", v.OK(), tc.wantOK, v.Rules)
			}
			if _, ok := rule(v, tc.wantRule); !ok {
				t.Errorf("got rules %+v, want one named %q", v.Rules, tc.wantRule)
			}
		})
	}
}

// Validate refuses wallet-wide rules inside the recovery path's section,
// and checks the section's own rules.
func TestValidateRecoveryPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Policy
		want string
	}{
		{"caps", Policy{MaxTx: 5, RequireApprovals: 1}, ""},
		{"suspension", Policy{Suspended: true, Recovery: []string{addrA}}, "suspension, foreign inputs and the change index are the wallet's"},
		{"foreign inputs", Policy{AllowForeignInputs: true}, "are the wallet's"},
		{"nested", Policy{RecoveryPath: &Policy{}}, "are the wallet's"},
		{"bad address", Policy{Allow: []string{"nope"}}, "recovery path: policy: \"nope\" is not a regtest address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			err := Policy{RecoveryPath: &r}.Validate(descriptor.Regtest)
			if got := errString(err); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

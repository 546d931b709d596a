package descriptor

import (
	"strings"
	"testing"
	"time"

	"airsign/psbt/miniscript"
)

// templateKeys are n distinct account keys on net, from seeds first..first+n-1.
func templateKeys(t testing.TB, first, n int, net Network) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i], _ = cosigner(t, byte(first+i), net)
	}
	return out
}

var templateNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestTemplatePolicies(t *testing.T) {
	keys := templateKeys(t, 1, 4, Testnet)
	fp := keyNames(keys)
	tests := []struct {
		tmpl     Template
		template string
		paths    []string
		locks    []uint32
		describe string
	}{
		{
			Template{Kind: TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:], After: 52560},
			"wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))",
			[]string{"2 of " + fp[0] + ", " + fp[1] + ", " + fp[2], fp[3] + ", 52560 blocks (about 365 days) after the coin confirms"},
			[]uint32{52560},
			"2 of " + fp[0] + ", " + fp[1] + ", " + fp[2] + " sign at any time. Once a coin has not moved for 52560 blocks (about 365 days at 10 minutes a block; for a coin received now, about 2027-12-07), the recovery key " + fp[3] + " alone can also spend it. Coins that move start the wait again.",
		},
		{
			Template{Kind: TemplateRecovery, Threshold: 1, Keys: keys[:1], Recovery: keys[1:], RecoveryThreshold: 2, After: 144},
			"wsh(or_d(multi(1,@0/**),and_v(v:multi(2,@1/**,@2/**,@3/**),older(144))))",
			[]string{fp[0], "2 of " + fp[1] + ", " + fp[2] + ", " + fp[3] + ", 144 blocks (about 24 hours) after the coin confirms"},
			[]uint32{144},
			"Key " + fp[0] + " sign at any time. Once a coin has not moved for 144 blocks (about 24 hours at 10 minutes a block; for a coin received now, about 2026-12-08), 2 of " + fp[1] + ", " + fp[2] + ", " + fp[3] + " (recovery keys) can also spend it. Coins that move start the wait again.",
		},
		{
			Template{Kind: TemplateDecaying, Threshold: 3, Keys: keys[:3], After: 4320},
			"wsh(thresh(3,pk(@0/**),s:pk(@1/**),s:pk(@2/**),sln:older(4320)))",
			[]string{
				fp[0] + " and " + fp[1] + " and " + fp[2],
				fp[0] + " and " + fp[1] + ", 4320 blocks (about 30 days) after the coin confirms",
				fp[0] + " and " + fp[2] + ", 4320 blocks (about 30 days) after the coin confirms",
				fp[1] + " and " + fp[2] + ", 4320 blocks (about 30 days) after the coin confirms",
			},
			[]uint32{4320},
			"All 3 of " + fp[0] + ", " + fp[1] + ", " + fp[2] + " sign at any time. Once a coin has not moved for 4320 blocks (about 30 days at 10 minutes a block; for a coin received now, about 2027-01-06), 2 of " + fp[0] + ", " + fp[1] + ", " + fp[2] + " can spend it. Coins that move start the wait again.",
		},
		{
			Template{Kind: TemplateTaproot, Threshold: 2, Keys: keys[:3]},
			"tr(" + NUMS + ",sortedmulti_a(2,@0/**,@1/**,@2/**))",
			[]string{"2 of " + fp[0] + ", " + fp[1] + ", " + fp[2]},
			nil,
			"Taproot: 2 of " + fp[0] + ", " + fp[1] + ", " + fp[2] + " sign at any time, through a script leaf; the key path is disabled (its internal key is BIP-341's unspendable NUMS point).",
		},
		{
			Template{Kind: TemplateTaprootRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:], After: 10},
			"tr(" + NUMS + ",{sortedmulti_a(2,@0/**,@1/**,@2/**),and_v(v:pk(@3/**),older(10))})",
			[]string{"2 of " + fp[0] + ", " + fp[1] + ", " + fp[2], fp[3] + ", 10 blocks (about 100 minutes) after the coin confirms"},
			[]uint32{10},
			"Taproot: 2 of " + fp[0] + ", " + fp[1] + ", " + fp[2] + " sign at any time, through a script leaf; the key path is disabled (its internal key is BIP-341's unspendable NUMS point). Once a coin has not moved for 10 blocks (about 100 minutes at 10 minutes a block; for a coin received now, about 2026-12-07), the recovery key " + fp[3] + " alone can also spend it. Coins that move start the wait again.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			w, err := tt.tmpl.Policy(Testnet)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Template(); got != tt.template {
				t.Errorf("template = %s; want %s", got, tt.template)
			}
			p := w.Policy()
			if got, want := strings.Join(p.Keys, " "), strings.Join(append(append([]string(nil), tt.tmpl.Keys...), tt.tmpl.Recovery...), " "); got != want {
				t.Errorf("keys = %s; want %s", got, want)
			}
			paths, err := w.Paths()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(paths, "\n"), strings.Join(tt.paths, "\n"); got != want {
				t.Errorf("paths:\n%s\nwant:\n%s", got, want)
			}
			locks, err := w.RecoveryLocks()
			if err != nil {
				t.Fatal(err)
			}
			if len(locks) != len(tt.locks) || (len(locks) > 0 && locks[0] != tt.locks[0]) {
				t.Errorf("RecoveryLocks = %v; want %v", locks, tt.locks)
			}
			if got := tt.tmpl.Describe(templateNow); got != tt.describe {
				t.Errorf("Describe:\n%s\nwant:\n%s", got, tt.describe)
			}
			// What the template builds is what a kiosk registers from
			// the policy file.
			if _, err := ParseWalletPolicy(p, Testnet); err != nil {
				t.Errorf("the template's policy does not parse back: %v", err)
			}
		})
	}
}

// TestTemplatesStandard builds every template at every size up to its
// limit and checks each script is one airsign may receive coins on: sane
// (BIP-379's m, s and k: never malleable, always a signature, no lock mix),
// within P2WSH's standardness (3600-byte script, 201 opcodes, 100 witness
// elements) or tapscript's 1000-element stack, its paths listable, and
// derivable at a receive and a change index.
func TestTemplatesStandard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every template size")
	}
	keys := templateKeys(t, 1, MaxTemplateKeys+MaxRecoveryKeys, Regtest)
	check := func(t *testing.T, tmpl Template) {
		w, err := tmpl.Policy(Regtest)
		if err != nil {
			t.Fatalf("%s %d of %d, %d recovery: %v", tmpl.Kind, tmpl.Threshold, len(tmpl.Keys), len(tmpl.Recovery), err)
		}
		for _, n := range w.Scripts() {
			if err := n.Sane(); err != nil {
				t.Errorf("%s: %v", w.Template(), err)
			}
			if !n.Type().Has(miniscript.PropM | miniscript.PropS | miniscript.PropK) {
				t.Errorf("%s has type %s; want m, s and k", n, n.Type())
			}
			stack, ok := n.StackSize()
			if !ok {
				t.Errorf("%s cannot be satisfied", n)
			}
			if w.IsTaproot() {
				if stack > 1000 {
					t.Errorf("%s needs %d stack elements; tapscript allows 1000", n, stack)
				}
				continue
			}
			ops, _ := n.Ops()
			if n.ScriptSize() > 3600 || ops > 201 || stack > 100 {
				t.Errorf("%s: %d bytes, %d ops, %d witness elements; P2WSH standardness allows 3600, 201, 100", n, n.ScriptSize(), ops, stack)
			}
		}
		for _, at := range [][2]uint32{{0, 0}, {1, 7}} {
			d, err := w.Derive(at[0], at[1])
			if err != nil {
				t.Fatal(err)
			}
			if w.IsTaproot() {
				if len(d.Leaves) != len(w.Scripts()) {
					t.Errorf("%s: %d leaves", w.Template(), len(d.Leaves))
				}
			} else if len(d.WitnessScript) != w.Scripts()[0].ScriptSize() {
				t.Errorf("%s: script of %d bytes; miniscript says %d", w.Template(), len(d.WitnessScript), w.Scripts()[0].ScriptSize())
			}
		}
	}
	for _, kind := range TemplateKinds {
		t.Run(string(kind), func(t *testing.T) {
			maxN := MaxTemplateKeys
			if kind == TemplateDecaying {
				maxN = MaxDecayingKeys
			}
			for n := 1; n <= maxN; n++ {
				for k := 1; k <= n; k++ {
					tmpl := Template{Kind: kind, Threshold: k, Keys: keys[:n], After: MaxTemplateLock}
					switch kind {
					case TemplateTaproot:
						tmpl.After = 0
					case TemplateDecaying:
						if k < 2 {
							continue
						}
					case TemplateRecovery, TemplateTaprootRecovery:
						// Every count of recovery keys at the
						// largest primary sizes, one key elsewhere.
						tmpl.Recovery = keys[n : n+1]
						if n >= maxN-1 {
							r := 1 + k%MaxRecoveryKeys
							tmpl.Recovery = keys[n : n+r]
							tmpl.RecoveryThreshold = 1 + k%r
						}
					}
					check(t, tmpl)
				}
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	keys := templateKeys(t, 1, MaxTemplateKeys+MaxRecoveryKeys+1, Testnet)
	mainnet, _ := cosigner(t, 40, Mainnet)
	tests := []struct {
		name string
		tmpl Template
		want string
	}{
		{"unknown kind", Template{Kind: "sortedmulti", Threshold: 1, Keys: keys[:1]}, `unknown template "sortedmulti"`},
		{"no keys", Template{Kind: TemplateTaproot, Threshold: 1}, "needs its primary keys"},
		{"threshold 0", Template{Kind: TemplateTaproot, Threshold: 0, Keys: keys[:2]}, "a threshold of 0 does not fit 2 primary keys"},
		{"threshold above n", Template{Kind: TemplateRecovery, Threshold: 4, Keys: keys[:3], Recovery: keys[3:4], After: 10}, "a threshold of 4 does not fit 3"},
		{"too many keys", Template{Kind: TemplateTaproot, Threshold: 2, Keys: keys[:MaxTemplateKeys+1]}, "at most 15 primary keys, not 16"},
		{"decaying too many", Template{Kind: TemplateDecaying, Threshold: 2, Keys: keys[:MaxDecayingKeys+1], After: 10}, "at most 11 primary keys"},
		{"lock 0", Template{Kind: TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:4]}, "lock of 0 blocks is outside 1 to 65535"},
		{"lock too long", Template{Kind: TemplateDecaying, Threshold: 2, Keys: keys[:3], After: 65536}, "lock of 65536 blocks"},
		{"taproot with lock", Template{Kind: TemplateTaproot, Threshold: 2, Keys: keys[:3], After: 10}, "has no lock"},
		{"no recovery key", Template{Kind: TemplateTaprootRecovery, Threshold: 2, Keys: keys[:3], After: 10}, "needs a recovery key"},
		{"recovery key for decaying", Template{Kind: TemplateDecaying, Threshold: 2, Keys: keys[:3], Recovery: keys[3:4], After: 10}, "has no recovery key"},
		{"too many recovery keys", Template{Kind: TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3 : 4+MaxRecoveryKeys], After: 10}, "at most 5 recovery keys, not 6"},
		{"recovery threshold", Template{Kind: TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:5], RecoveryThreshold: 3, After: 10}, "recovery threshold of 3 does not fit 2"},
		{"decaying to nobody", Template{Kind: TemplateDecaying, Threshold: 1, Keys: keys[:3], After: 10}, "threshold is at least 2"},
		{"a key twice", Template{Kind: TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[2:3], After: 10}, "recovery template: "},
		{"mainnet key", Template{Kind: TemplateTaproot, Threshold: 1, Keys: []string{keys[0], mainnet}}, "taproot template: key @1"},
		{"not a key", Template{Kind: TemplateTaproot, Threshold: 1, Keys: []string{keys[0], "pk(x)"}}, "key @1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.tmpl.Policy(Testnet)
			if err == nil {
				t.Fatalf("Policy = %s; want an error with %q", w.Template(), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseTemplateKind(t *testing.T) {
	for _, k := range TemplateKinds {
		got, err := ParseTemplateKind(string(k))
		if err != nil || got != k {
			t.Errorf("ParseTemplateKind(%s) = %s, %v", k, got, err)
		}
	}
	if _, err := ParseTemplateKind("Recovery"); err == nil || !strings.Contains(err.Error(), "recovery, decaying, taproot, taproot-recovery") {
		t.Errorf("ParseTemplateKind(Recovery) error = %v", err)
	}
}

func TestApproxDuration(t *testing.T) {
	tests := []struct {
		blocks uint32
		want   string
	}{
		{1, "about 10 minutes"},
		{11, "about 110 minutes"},
		{12, "about 2 hours"},
		{144, "about 24 hours"},
		{288, "about 2 days"},
		{52560, "about 365 days"},
		{65535, "about 455 days"},
	}
	for _, tt := range tests {
		if got := ApproxDuration(tt.blocks); got != tt.want {
			t.Errorf("ApproxDuration(%d) = %s; want %s", tt.blocks, got, tt.want)
		}
	}
	if got, want := ApproxDate(52560, templateNow).Format(time.RFC3339), "2027-12-07T12:00:00Z"; got != want {
		t.Errorf("ApproxDate = %s; want %s", got, want)
	}
}

package coordinator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"airsign/online/coinselect"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

func TestMemoAndFeePresets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.addWallet(t, "treasury", descriptor.P2WPKH, 1)
	for range 3 {
		f.deposit(t, "treasury", 200_000)
	}
	to := foreignAddress(t, 8)

	// Each preset asks the node for its own target (btcd answers its
	// estimatefee, or the fallback before it has seen blocks).
	estimate := map[string]int64{}
	var targets []int
	for _, o := range f.c.FeeOptions(ctx) {
		targets = append(targets, o.Blocks)
		if o.Err != nil || o.Rate < 1 || o.Source == "" {
			t.Errorf("preset %s: %v sat/vB from %q, %v; want a rate and where it came from", o.Name, o.Rate, o.Source, o.Err)
		}
		r, err := coinselect.FeeRateFromSatPerVB(o.Rate)
		if err != nil {
			t.Fatal(err)
		}
		estimate[o.Name] = int64(r)
	}
	if want := []int{24, 6, 2}; !slices.Equal(targets, want) {
		t.Errorf("preset targets %v, want %v", targets, want)
	}

	for _, c := range []struct {
		name       string
		preset     string
		rate       float64
		memo       string
		wantPreset string
		wantRate   int64 // sat/kvB; 0: the preset's estimate
		wantErr    string
	}{
		{"no preset, no rate", "", 0, "", FeeNormal, 0, ""},
		{"economy", FeeEconomy, 0, "March payroll — Acme Ltd", FeeEconomy, 0, ""},
		{"priority", FeePriority, 0, "", FeePriority, 0, ""},
		{"a rate alone is custom", "", 7.5, "", FeeCustom, 7500, ""},
		{"custom", FeeCustom, 4, "", FeeCustom, 4000, ""},
		{"custom without a rate", FeeCustom, 0, "", "", 0, "custom fee needs a rate"},
		{"preset and rate", FeePriority, 9, "", "", 0, "give one of them"},
		{"unknown preset", "fast", 0, "", "", 0, `fee preset "fast": choose economy, normal, priority`},
		{"memo on two lines", "", 0, "line one\nline two", "", 0, "control character U+000A"},
		{"memo with a bidi override", "", 0, "pay \u202eevil", "", 0, "control character U+202E"},
		{"memo too long", "", 0, strings.Repeat("é", MaxLabel+1), "", 0, "256 characters; at most 255"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := WithdrawRequest{Wallet: "treasury", To: to, Amount: 10_000, FeeRate: c.rate, FeePreset: c.preset, Memo: c.memo, Requester: "alice"}
			if c.wantErr != "" {
				if _, err := f.c.Preview(ctx, req); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Preview: %v, want ErrInvalid saying %q", err, c.wantErr)
				}
				if _, err := f.c.Withdraw(ctx, req); !errors.Is(err, ErrInvalid) {
					t.Fatalf("Withdraw: %v, want ErrInvalid", err)
				}
				return
			}
			p, err := f.c.Preview(ctx, req)
			if err != nil {
				t.Fatalf("Preview: %v", err)
			}
			if p.FeePreset != c.wantPreset {
				t.Fatalf("Preview: preset %q, %v; want %q", p.FeePreset, err, c.wantPreset)
			}
			wd, err := f.c.Withdraw(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.c.Cancel(ctx, wd.ID); err != nil {
				t.Fatal(err)
			}
			if c.wantRate == 0 {
				c.wantRate = estimate[c.wantPreset]
			}
			got, err := f.c.Get(ctx, wd.ID)
			if err != nil || got.Memo != c.memo || got.FeePreset != c.wantPreset || got.FeeRate != c.wantRate {
				t.Fatalf("stored: memo %q preset %q rate %d (%v); want %q %q %d", got.Memo, got.FeePreset, got.FeeRate, err, c.memo, c.wantPreset, c.wantRate)
			}
		})
	}
}

func TestAddressBookAndLabels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 1)
	f.deposit(t, "treasury", 300_000)
	acme := foreignAddress(t, 8)

	// The address book: names checked, addresses of this network only,
	// one name per address.
	if _, err := f.c.AddPayee(ctx, store.Payee{Label: "Acme Ltd", Address: strings.ToUpper(acme), Note: "invoices", AddedBy: "alice"}); err != nil {
		t.Fatalf("AddPayee: %v", err)
	}
	for _, c := range []struct {
		name string
		p    store.Payee
		want string
	}{
		{"mainnet address", store.Payee{Label: "Main", Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", AddedBy: "a"}, "is not a regtest address"},
		{"no name", store.Payee{Label: "  ", Address: foreignAddress(t, 9), AddedBy: "a"}, "give the payee a name"},
		{"name with a tab", store.Payee{Label: "a\tb", Address: foreignAddress(t, 9), AddedBy: "a"}, "control character"},
		{"long name", store.Payee{Label: strings.Repeat("x", MaxPayeeName+1), Address: foreignAddress(t, 9), AddedBy: "a"}, "at most 64"},
		{"address named twice", store.Payee{Label: "Acme again", Address: acme, AddedBy: "a"}, `already in the address book as "Acme Ltd"`},
	} {
		if _, err := f.c.AddPayee(ctx, c.p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	p, err := f.c.Payee(ctx, "acme ltd")
	if err != nil || p.Address != acme || p.Note != "invoices" {
		t.Fatalf("Payee: %+v, %v; want the address in lower case %s", p, err, acme)
	}

	// Own records: an address the wallet derived, its deposit, one output.
	own, err := f.c.Receive(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	utxos, err := f.c.UTXOs(ctx, "treasury")
	if err != nil || len(utxos) != 1 {
		t.Fatalf("UTXOs: %v, %v", utxos, err)
	}
	deposit := utxos[0].OutPoint
	for _, c := range []struct{ ref, label string }{
		{own.Address, "for Acme's refunds"},
		{deposit.String(), "seed capital"},
		{deposit.Hash.String(), "funding round"},
	} {
		if _, err := f.c.SetLabel(ctx, "treasury", c.ref, c.label, "alice"); err != nil {
			t.Fatalf("SetLabel(%s): %v", c.ref, err)
		}
	}
	for _, c := range []struct{ name, ref, want string }{
		{"someone else's address", acme, "is not one wallet \"treasury\" derived"},
		{"someone else's output", deposit.Hash.String() + ":7", "is not one of wallet"},
		{"unknown transaction", strings.Repeat("ab", 32), "neither paid"},
		{"not an output", "xyz:1", "give it as txid:index"},
	} {
		if _, err := f.c.SetLabel(ctx, "treasury", c.ref, "x", "alice"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", c.name, err, c.want)
		}
	}
	names, err := f.c.Names(ctx)
	if err != nil || names[acme] != "Acme Ltd" || names[own.Address] != "for Acme's refunds" {
		t.Fatalf("Names: %v, %v", names, err)
	}

	// A request with a memo, paid to the payee.
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: acme, Amount: 50_000, Memo: "invoice 2026-117", FeePreset: FeeEconomy, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := f.c.ExportLabels(ctx, &buf, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	recs := checkBIP329(t, buf.Bytes())
	// wpkh([fingerprint/84'/1'/0']tpub…/<0;1>/*)#checksum, without the key
	org := d.String()[:strings.Index(d.String(), "]")+1] + ")"
	want := []LabelRecord{
		{Type: "addr", Ref: own.Address, Label: "for Acme's refunds"},
		{Type: "output", Ref: deposit.String(), Label: "seed capital"},
		{Type: "tx", Ref: deposit.Hash.String(), Label: "funding round", Origin: org},
		{Type: "tx", Ref: wd.UnsignedTxID.String(), Label: "invoice 2026-117", Origin: org},
		{Type: "addr", Ref: acme, Label: "Acme Ltd"},
	}
	if n != len(want) || !reflect.DeepEqual(recs, want) {
		t.Fatalf("export (%d lines):\n%s\nwant %+v", n, buf.String(), want)
	}

	// Import: own records are taken, others said or ignored; a payee is
	// never added by a file.
	other := foreignAddress(t, 10)
	file := strings.Join([]string{
		`{"type":"addr","ref":"` + own.Address + `","label":"refunds, relabelled"}`,
		`{"type":"addr","ref":"` + other + `","label":"not ours"}`,
		`{"type":"xpub","ref":"tpubD6NzVbkrYhZ4X","label":"ignored type"}`,
		`{"type":"output","ref":"` + deposit.String() + `","label":"` + strings.Repeat("y", 300) + `","spendable":false}`,
		`{"type":"tx","ref":"` + deposit.Hash.String() + `"}`,
		`not json`,
		`{"type":"tx","ref":"` + deposit.Hash.String() + `","label":"bell\u0007"}`,
		``,
	}, "\n")
	rep, err := f.c.ImportLabels(ctx, "treasury", strings.NewReader(file), "bob")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range rep.Problems {
		lines = append(lines, p.Line)
	}
	if rep.Imported != 2 || rep.Truncated != 1 || rep.Ignored != 2 || !slices.Equal(lines, []int{6, 2, 7}) {
		t.Fatalf("import: %+v; want 2 imported, 1 truncated, 2 ignored, problems on lines 6, 2, 7", rep)
	}
	ls, _ := f.c.Labels(ctx, "treasury")
	got := map[string]string{}
	for _, l := range ls {
		got[l.Ref] = l.Label
	}
	if got[own.Address] != "refunds, relabelled" || got[deposit.String()] != strings.Repeat("y", MaxLabel) || got[deposit.Hash.String()] != "funding round" {
		t.Fatalf("labels after import: %v", got)
	}
	if ps, _ := f.c.Payees(ctx); len(ps) != 1 {
		t.Fatalf("payees after import: %+v; want only Acme", ps)
	}
	if err := f.c.RemovePayee(ctx, "ACME LTD", "alice"); err != nil {
		t.Fatal(err)
	}
}

// checkBIP329 checks an export against BIP-329's rules and returns its
// records: UTF-8 lines ended by \n, each one JSON object with type and
// ref, a known type, origin on tx records only and spendable on output
// records only.
func checkBIP329(t *testing.T, export []byte) []LabelRecord {
	t.Helper()
	if len(export) > 0 && export[len(export)-1] != '\n' {
		t.Errorf("the export does not end with a line break")
	}
	var recs []LabelRecord
	sc := bufio.NewScanner(bytes.NewReader(export))
	for n := 1; sc.Scan(); n++ {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", n, err, sc.Bytes())
		}
		typ, _ := obj["type"].(string)
		if ref, _ := obj["ref"].(string); ref == "" || !slices.Contains([]string{"tx", "addr", "pubkey", "input", "output", "xpub"}, typ) {
			t.Errorf("line %d: type %q ref %q", n, typ, ref)
		}
		if _, ok := obj["origin"]; ok && typ != "tx" {
			t.Errorf("line %d: origin on a %s record", n, typ)
		}
		if _, ok := obj["spendable"]; ok && typ != "output" {
			t.Errorf("line %d: spendable on a %s record", n, typ)
		}
		if len(obj) < 2 || len(obj) > 4 {
			t.Errorf("line %d has %d keys; BIP-329 has 2 to 4 (type, ref, label, origin or spendable)", n, len(obj))
		}
		var r LabelRecord
		json.Unmarshal(sc.Bytes(), &r)
		recs = append(recs, r)
	}
	return recs
}

func FuzzParseLabels(f *testing.F) {
	f.Add([]byte(`{"type":"tx","ref":"f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd","label":"Transaction","origin":"wpkh([d34db33f/84'/0'/0'])"}` + "\n" +
		`{ "type": "output", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:1", "label": "Output", "spendable": false }`))
	f.Add([]byte("{\"type\":\"addr\"}\n\xff\n[1,2]\n{\"type\":\"addr\",\"ref\":\"x\",\"label\":7}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, problems, err := ParseLabels(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("an input under the cap was refused whole: %v", err)
		}
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if len(recs)+len(problems) != lines {
			t.Fatalf("%d records and %d problems from %d lines", len(recs), len(problems), lines)
		}
		for _, r := range recs {
			if r.Type == "" || r.Ref == "" {
				t.Fatalf("a record without type or ref: %+v", r)
			}
		}
		// What was read writes back to lines that read the same.
		var buf bytes.Buffer
		if err := WriteLabels(&buf, recs); err != nil {
			t.Fatal(err)
		}
		again, problems, err := ParseLabels(&buf)
		if err != nil || len(problems) > 0 || !reflect.DeepEqual(again, recs) {
			t.Fatalf("round trip: %+v, %v, %v; want %+v", again, problems, err, recs)
		}
	})
}

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/online/coordinator"
	"airsign/psbt"
	"airsign/ui/qr"
)

// samePayment says how a PSBT's packet differs from the request's: its
// unsigned transaction (txid, every input's outpoint and sequence, every
// output) and what each input carries for the signer (the coin it spends,
// its key paths), or "" when it does not.
func samePayment(got, want *btcpsbt.Packet) string {
	if g, w := got.UnsignedTx.TxHash(), want.UnsignedTx.TxHash(); g != w {
		return fmt.Sprintf("unsigned txid %s, want %s", g, w)
	}
	if !reflect.DeepEqual(got.UnsignedTx, want.UnsignedTx) {
		return "the unsigned transaction differs"
	}
	if len(got.Inputs) != len(want.Inputs) || len(got.Outputs) != len(want.Outputs) {
		return fmt.Sprintf("%d inputs and %d outputs, want %d and %d", len(got.Inputs), len(got.Outputs), len(want.Inputs), len(want.Outputs))
	}
	for i := range want.Inputs {
		g, w := got.Inputs[i], want.Inputs[i]
		if !reflect.DeepEqual(g.WitnessUtxo, w.WitnessUtxo) || !reflect.DeepEqual(g.Bip32Derivation, w.Bip32Derivation) {
			return fmt.Sprintf("input %d: its coin or key paths differ", i)
		}
	}
	for i := range want.Outputs {
		if !reflect.DeepEqual(got.Outputs[i].Bip32Derivation, want.Outputs[i].Bip32Derivation) {
			return fmt.Sprintf("output %d: its key paths differ", i)
		}
	}
	return ""
}

// readFrames feeds a request's frames at query, 1 to count.json's loop, to
// a fresh decoder and returns what they carry.
func readFrames(t *testing.T, b *browser, reqPath, query string) []byte {
	t.Helper()
	r := b.get(reqPath + "/frames/count.json?" + query)
	var c frameCountReply
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &c) != nil || c.Frames < 1 {
		t.Fatalf("count.json?%s: %d %s", query, r.status, r.body)
	}
	d := qr.NewDecoder()
	for n := 1; n <= c.Frames; n++ {
		fr := b.get(fmt.Sprintf("%s/frames/%d.png?%s", reqPath, n, query))
		if fr.status != http.StatusOK {
			t.Fatalf("frame %d?%s: %d %s", n, query, fr.status, fr.body)
		}
		text, err := qr.DecodeFile([]byte(fr.body))
		if err != nil {
			t.Fatalf("frame %d?%s: %v", n, query, err)
		}
		if _, err := d.Add(string(text)); err != nil {
			t.Fatalf("frame %d?%s: %v", n, query, err)
		}
	}
	p, err := d.Result()
	if err != nil {
		t.Fatalf("the %d frames?%s left the transfer at %.0f%%: %v", c.Frames, query, 100*d.Progress(), err)
	}
	return p.Data
}

// The request page hands out its unsigned PSBT as a file, for wallets that
// move PSBTs by file (Sparrow, Electrum, a hardware wallet's SD card), in
// version 0 or, for wallets that read only BIP-370, version 2; the frames
// and the GIF follow the same choice. Either version is the request's
// transaction with what the signer needs of each input.
func TestUnsignedPSBTDownload(t *testing.T) {
	f, alice, reqPath := newRequestPage(t)
	id := strings.TrimPrefix(reqPath, "/requests/")
	wd, err := f.c.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	download := func(b *browser, query string) resp {
		t.Helper()
		return b.get(reqPath + "/unsigned.psbt" + query)
	}
	checkFile := func(r resp, query string) {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("unsigned.psbt%s: %d %s", query, r.status, r.body)
		}
		if got := r.header.Get("Content-Type"); got != "application/octet-stream" {
			t.Errorf("unsigned.psbt%s: Content-Type %q, want application/octet-stream", query, got)
		}
		if got, want := r.header.Get("Content-Disposition"), `attachment; filename="`+id+`-unsigned.psbt"`; got != want {
			t.Errorf("unsigned.psbt%s: Content-Disposition %q, want %q", query, got, want)
		}
	}

	// Version 0, the default: the stored PSBT as it is, which btcd reads.
	for _, query := range []string{"", "?psbt_version=0"} {
		r := download(alice, query)
		checkFile(r, query)
		if !bytes.Equal([]byte(r.body), wd.PSBT) {
			t.Errorf("unsigned.psbt%s: %d bytes, not the request's PSBT (%d bytes)", query, len(r.body), len(wd.PSBT))
		}
		p, err := btcpsbt.NewFromRawBytes(strings.NewReader(r.body), false)
		if err != nil {
			t.Fatalf("unsigned.psbt%s: btcd cannot read it: %v", query, err)
		}
		if diff := samePayment(p, wd.Packet); diff != "" {
			t.Errorf("unsigned.psbt%s: %s", query, diff)
		}
	}

	// Version 2: no unsigned transaction in it (btcd, which reads only
	// version 0, refuses it); airsign's reader rebuilds the same one.
	r := download(alice, "?psbt_version=2")
	checkFile(r, "?psbt_version=2")
	v2 := []byte(r.body)
	if _, err := btcpsbt.NewFromRawBytes(bytes.NewReader(v2), false); err == nil {
		t.Error("btcd reads the version 2 download: it is not version 2")
	}
	p, form, err := psbt.DecodeForm(v2)
	if err != nil {
		t.Fatalf("the version 2 download does not decode: %v", err)
	}
	if form.Version != 2 {
		t.Errorf("the version 2 download is version %d", form.Version)
	}
	if diff := samePayment(p, wd.Packet); diff != "" {
		t.Errorf("the version 2 download: %s", diff)
	}
	if again, err := psbt.Encode(p); err != nil || !bytes.Equal(again, wd.PSBT) {
		t.Errorf("the version 2 download read back as version 0 is not the request's PSBT (%v): a field was lost", err)
	}

	// The frames carry the same bytes as the file, in both versions.
	if got := readFrames(t, alice, reqPath, "psbt_version=2"); !bytes.Equal(got, v2) {
		t.Errorf("frames?psbt_version=2 carry %d bytes, not the version 2 download (%d)", len(got), len(v2))
	}
	if got := readFrames(t, alice, reqPath, "psbt_version=2&format=ur&density=low"); !bytes.Equal(got, v2) {
		t.Errorf("UR frames?psbt_version=2 carry %d bytes, not the version 2 download (%d)", len(got), len(v2))
	}
	if got := readFrames(t, alice, reqPath, ""); !bytes.Equal(got, wd.PSBT) {
		t.Errorf("frames carry %d bytes, not the request's PSBT (%d)", len(got), len(wd.PSBT))
	}
	gif := alice.get(reqPath + "/animated.gif?psbt_version=2")
	if gif.status != http.StatusOK {
		t.Fatalf("animated.gif?psbt_version=2: %d %s", gif.status, gif.body)
	}
	d := qr.NewDecoder()
	results, err := qr.DecodeFrames([]byte(gif.body))
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range results {
		if fr.Err == nil {
			d.Add(string(fr.Text))
		}
	}
	if got, err := d.Result(); err != nil || !bytes.Equal(got.Data, v2) {
		t.Errorf("animated.gif?psbt_version=2: not the version 2 download (%v)", err)
	}

	// A viewer may take it; someone signed out is sent to sign in.
	vic := f.browser(t)
	vic.signIn("victor")
	// The PSBT carries the coordinator's audit checkpoint, which victor's
	// sign-in moved on: what he gets is the request's PSBT as it is now.
	now, err := f.c.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	want, err := coordinator.PSBTInVersion(now.PSBT, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r := download(vic, "?psbt_version=2"); r.status != http.StatusOK || !bytes.Equal([]byte(r.body), want) {
		t.Errorf("a viewer's download: %d, %d bytes, want the %d of the version 2 file", r.status, len(r.body), len(want))
	}
	anon := f.browser(t)
	if r := download(anon, ""); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") || strings.Contains(r.body, string(wd.PSBT[:5])) {
		t.Errorf("signed out: %d to %q, want a redirect to sign in", r.status, r.header.Get("Location"))
	}
}

// The page's PSBT version control shows the version asked for, and the
// frame, the frame count, the GIF and the file the page offers are in it.
func TestRequestPagePSBTVersion(t *testing.T) {
	_, alice, reqPath := newRequestPage(t)
	selected := regexp.MustCompile(`<option value="(\d)" selected>`)
	frameSrc := regexp.MustCompile(`id="qr-frame" src="([^"]*)"`)
	link := func(id string) *regexp.Regexp { return regexp.MustCompile(`href="([^"]*)"[^>]*id="` + id + `"`) }
	frameCount := regexp.MustCompile(`data-count="(\d+)"`)
	versionSelect := regexp.MustCompile(`(?s)<select name="psbt_version" id="qr-psbt-version">(.*?)</select>`)
	for _, c := range []struct {
		query, want string
	}{
		{"", "0"},
		{"?psbt_version=2", "2"},
		{"?psbt_version=2&density=low", "2"},
		{"?psbt_version=0", "0"},
		// A version airsign does not write: the page shows what it
		// offers instead (the frames and the file refuse it in words).
		{"?psbt_version=7", "0"},
	} {
		page := alice.get(reqPath + c.query)
		if page.status != http.StatusOK {
			t.Fatalf("%s: %d", c.query, page.status)
		}
		sel := versionSelect.FindStringSubmatch(page.body)
		if sel == nil {
			t.Fatalf("%s: no PSBT version control\n%s", c.query, page.body)
		}
		if m := selected.FindAllStringSubmatch(sel[1], -1); len(m) != 1 || m[0][1] != c.want {
			t.Errorf("%s: the control selects %v, want %s", c.query, m, c.want)
		}
		want := "psbt_version=" + c.want
		for name, re := range map[string]*regexp.Regexp{"frame": frameSrc, "GIF": link("qr-download"), "PSBT file": link("psbt-download")} {
			m := re.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatalf("%s: no %s link", c.query, name)
			}
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Query().Get("psbt_version") != c.want {
				t.Errorf("%s: the %s's address %s lacks %s", c.query, name, m[1], want)
			}
		}
		// The count the page starts with is the count of that version.
		density := "high"
		if strings.Contains(c.query, "density=low") {
			density = "low"
		}
		r := alice.get(reqPath + "/frames/count.json?density=" + density + "&" + want)
		var fc frameCountReply
		if err := json.Unmarshal([]byte(r.body), &fc); err != nil {
			t.Fatal(err)
		}
		m := frameCount.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("%s: no frame count", c.query)
		}
		if m[1] != fmt.Sprint(fc.Frames) {
			t.Errorf("%s: the page starts with %s frames, count.json says %d", c.query, m[1], fc.Frames)
		}
	}
}

// A version airsign does not write, a request that is no longer pending
// and an unknown request are refused alike by the file and the frames,
// in words.
func TestUnsignedPSBTRefusals(t *testing.T) {
	_, alice, reqPath := newRequestPage(t)
	things := []string{"/unsigned.psbt", "/frames/1.png", "/frames/count.json", "/animated.gif"}
	for _, thing := range things {
		for _, v := range []string{"1", "3", "x", "02 ", "2.0"} {
			r := alice.get(reqPath + thing + "?psbt_version=" + url.QueryEscape(v))
			if r.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.body), "give 0 (BIP-174, the default) or 2 (BIP-370)") {
				t.Errorf("%s?psbt_version=%q: %d, want 400 saying which versions there are\n%s", thing, v, r.status, r.body)
			}
		}
		if r := alice.get("/requests/no-such-request" + thing); r.status != http.StatusNotFound {
			t.Errorf("%s of an unknown request: %d, want 404", thing, r.status)
		}
	}

	// Cancelled: its PSBT is no longer one to sign.
	if r := alice.post(reqPath+"/cancel", url.Values{"reason": {"test"}}); r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	for _, thing := range things {
		for _, q := range []string{"", "?psbt_version=2"} {
			r := alice.get(reqPath + thing + q)
			if r.status != http.StatusConflict || !strings.Contains(html.UnescapeString(r.body), "is cancelled: its QR codes and unsigned PSBT are offered only while it is pending") {
				t.Errorf("%s%s of a cancelled request: %d, want 409 saying why\n%.300q", thing, q, r.status, r.body)
			}
		}
	}
	if page := alice.get(reqPath); strings.Contains(page.body, "unsigned.psbt") {
		t.Error("a cancelled request's page offers its PSBT")
	}
}

// The page's Format control follows the address too (the page reloads
// with its controls when an approval comes in): UR chosen shows UR in the
// control, the first frame, the GIF and the frame count.
func TestRequestPageFormat(t *testing.T) {
	_, alice, reqPath := newRequestPage(t)
	formatSelect := regexp.MustCompile(`(?s)<select name="format" id="qr-format">(.*?)</select>`)
	selected := regexp.MustCompile(`<option value="(\w+)" selected>`)
	frameSrc := regexp.MustCompile(`id="qr-frame" src="([^"]*)"`)
	gif := regexp.MustCompile(`href="([^"]*)"[^>]*id="qr-download"`)
	frameCount := regexp.MustCompile(`data-count="(\d+)"`)
	for _, c := range []struct{ query, want string }{
		{"", "bbqr"},
		{"?format=ur", "ur"},
		{"?format=ur&density=low&psbt_version=2", "ur"},
		{"?format=qr-of-something-else", "bbqr"},
	} {
		page := alice.get(reqPath + c.query)
		if page.status != http.StatusOK {
			t.Fatalf("%s: %d", c.query, page.status)
		}
		sel := formatSelect.FindStringSubmatch(page.body)
		if sel == nil {
			t.Fatalf("%s: no Format control", c.query)
		}
		if m := selected.FindAllStringSubmatch(sel[1], -1); len(m) != 1 || m[0][1] != c.want {
			t.Errorf("%s: the control selects %v, want %s", c.query, m, c.want)
		}
		var frame *url.URL
		for name, re := range map[string]*regexp.Regexp{"frame": frameSrc, "GIF": gif} {
			m := re.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatalf("%s: no %s address", c.query, name)
			}
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Query().Get("format") != c.want {
				t.Errorf("%s: the %s's address %s does not ask for %s", c.query, name, m[1], c.want)
			}
			if name == "frame" {
				frame = u
			}
		}
		r := alice.get(reqPath + "/frames/count.json?" + frame.RawQuery)
		var fc frameCountReply
		if err := json.Unmarshal([]byte(r.body), &fc); err != nil {
			t.Fatal(err)
		}
		if m := frameCount.FindStringSubmatch(page.body); m == nil || m[1] != fmt.Sprint(fc.Frames) {
			t.Errorf("%s: the page starts with %v frames, count.json says %d", c.query, m, fc.Frames)
		}
	}
}

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"airsign/ui/qr"
)

// newRequestPage creates a withdrawal as alice and returns her browser and
// the request's path.
func newRequestPage(t *testing.T) (*fixture, *browser, string) {
	t.Helper()
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}, "amount": {"0.1"}, "unit": {"btc"}, "action": {"create"}}
	r := alice.post("/withdraw", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	return f, alice, strings.TrimSuffix(r.header.Get("Location"), "?done=created")
}

type frameCountReply struct {
	Frames  int    `json:"frames"`
	Endless bool   `json:"endless"`
	Period  int    `json:"period"`
	Format  string `json:"format"`
}

// The page's frames: BBQr by default (the airsign kiosk reads it, in the
// fewest frames), a loop of its parts; UR on request, an endless stream of
// fresh fountain parts numbered past the loop, which a page from before
// the stream (fetching 1..frames) and a late joiner both read.
func TestFrameStream(t *testing.T) {
	f, alice, reqPath := newRequestPage(t)
	id := strings.TrimPrefix(reqPath, "/requests/")
	wd, err := f.c.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	count := func(query string) frameCountReply {
		t.Helper()
		r := alice.get(reqPath + "/frames/count.json?" + query)
		var got frameCountReply
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &got) != nil {
			t.Fatalf("count.json?%s: %d %s", query, r.status, r.body)
		}
		return got
	}
	// read feeds frames numbered ns of a query to a fresh decoder and
	// says whether they gave the request's PSBT.
	read := func(query string, ns []int) error {
		t.Helper()
		d := qr.NewDecoder()
		for _, n := range ns {
			r := alice.get(fmt.Sprintf("%s/frames/%d.png?%s", reqPath, n, query))
			if r.status != http.StatusOK {
				return fmt.Errorf("frame %d: %d %s", n, r.status, r.body)
			}
			text, err := qr.DecodeFile([]byte(r.body))
			if err != nil {
				return fmt.Errorf("frame %d: %v", n, err)
			}
			if done, err := d.Add(string(text)); err != nil {
				return fmt.Errorf("frame %d: %v", n, err)
			} else if done {
				p, err := d.Result()
				if err != nil || !bytes.Equal(p.Data, wd.PSBT) {
					return fmt.Errorf("frames %v gave %d bytes (%v), not the request's PSBT", ns, len(p.Data), err)
				}
				return nil
			}
		}
		return fmt.Errorf("frames %v left the transfer at %.0f%%", ns, 100*d.Progress())
	}
	span := func(from, n int) []int {
		var ns []int
		for i := from; i < from+n; i++ {
			ns = append(ns, i)
		}
		return ns
	}

	for _, density := range []string{"", "low"} {
		bb := count("density=" + density)
		if bb.Format != "bbqr" || bb.Endless || bb.Frames < 1 || bb.Period != bb.Frames {
			t.Fatalf("density %q: %+v, want a BBQr loop", density, bb)
		}
		if err := read("density="+density, span(1, bb.Frames)); err != nil {
			t.Errorf("BBQr, density %q: %v", density, err)
		}
		if r := alice.get(fmt.Sprintf("%s/frames/%d.png?density=%s", reqPath, bb.Frames+1, density)); r.status != http.StatusNotFound {
			t.Errorf("BBQr, density %q: frame %d of %d: %d, want 404", density, bb.Frames+1, bb.Frames, r.status)
		}
	}

	u := count("format=ur&density=low")
	if u.Format != "ur" || !u.Endless || u.Period != qr.EndlessPeriod || u.Frames < 6 {
		t.Fatalf("UR frames: %+v, want an endless stream", u)
	}
	seqLen := u.Frames / 3
	// A page from before endless streams loops frames 1..frames; a camera
	// missing every other one reads the odd frames, then (the loop is
	// odd) the even ones on the next round.
	if u.Frames%2 == 0 {
		t.Fatalf("UR loop of %d frames: a receiver at half the rate would never see half of them", u.Frames)
	}
	var old []int
	for k := range u.Frames {
		old = append(old, 2*k%u.Frames+1)
	}
	if err := read("format=ur&density=low", old); err != nil {
		t.Errorf("UR, the loop with every other frame lost: %v", err)
	}
	// A receiver joining late reads only mixed parts, far past the loop.
	if err := read("format=ur&density=low", span(qr.EndlessPeriod-4*seqLen, 4*seqLen)); err != nil {
		t.Errorf("UR, a late joiner: %v", err)
	}
	if r := alice.get(fmt.Sprintf("%s/frames/%d.png?format=ur", reqPath, qr.EndlessPeriod+1)); r.status != http.StatusNotFound {
		t.Errorf("UR frame %d: %d, want 404", qr.EndlessPeriod+1, r.status)
	}
	// The GIF loops the UR stream's first frames.
	r := alice.get(reqPath + "/animated.gif?format=ur&density=low")
	if r.status != http.StatusOK {
		t.Fatalf("GIF: %d %s", r.status, r.body)
	}
	frames, err := qr.DecodeFrames([]byte(r.body))
	if err != nil || len(frames) != u.Frames {
		t.Fatalf("GIF: %d frames (%v), want %d", len(frames), err, u.Frames)
	}
}

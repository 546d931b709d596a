package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/online/regtest"
	"airsign/ui/qr"
)

// The script tests drive airsign-coordinator as a treasury operator would,
// against a real btcd regtest node (started by the scripts with `regtest
// start`) and the real airsign-kiosk on the other side of the air gap,
// carrying every PSBT as QR images: testdata/script/*.txtar.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"airsign-coordinator": func() {
			ctx, stop := signalContext()
			code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd and builds airsign-kiosk")
	}
	bin := t.TempDir()
	build := exec.Command(goCommand(), "build", "-tags", "nogui", "-o", bin, "airsign/cmd/airsign-kiosk", "airsign/cmd/airsign-audit")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building airsign-kiosk: %v\n%s", err, out)
	}
	// The scripts run outside the module, where `go tool btcd` cannot
	// find btcd: resolve it here.
	btcd, err := regtest.BtcdPath()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("USER", "alice")
			env.Setenv("AIRSIGN_BTCD", btcd)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitnode":   waitnode,
			"flip":       flip,
			"servedport": servedport,
			"api":        apiCall,
			"jsonenv":    jsonenv,
			"camera":     camera,
		},
	})
}

// waitnode DATADIR waits until `regtest start` has written DATADIR's
// rpc.json, that is until the node answers with segwit active.
func waitnode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitnode DATADIR")
	}
	path := filepath.Join(ts.MkAbs(args[0]), "regtest", "rpc.json")
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear in 5 minutes: the regtest node did not start", path)
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// servedport FILE NAME waits until `serve --addr-file FILE` has written the
// address it listens on, and sets $NAME to its port. serve listens on port 0,
// so no other process can hold the port between choosing and binding it.
func servedport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: servedport FILE NAME")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if b, err := os.ReadFile(path); err == nil {
			_, port, err := net.SplitHostPort(strings.TrimSpace(string(b)))
			ts.Check(err)
			ts.Setenv(args[1], port)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear in 5 minutes: serve did not start listening", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// api USERJSON METHOD PATH [BODY] calls the API served on $PORT with the
// token in USERJSON (the --json output of `user add`; "none" sends no
// token) and prints the status code and the body. It waits up to 30 s for
// the server to listen.
func apiCall(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: api USERJSON METHOD PATH [BODY]")
	}
	var body io.Reader
	if len(args) == 4 {
		body = strings.NewReader(args[3])
	}
	req, err := http.NewRequest(args[1], "http://127.0.0.1:"+ts.Getenv("PORT")+args[2], body)
	ts.Check(err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if args[0] != "none" {
		var u struct{ Token string }
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &u))
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	var resp *http.Response
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err = http.DefaultClient.Do(req)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
		if len(args) == 4 {
			req.Body = io.NopCloser(strings.NewReader(args[3]))
		}
	}
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, b)
}

// flip IN OLD NEW OUT writes IN with the first OLD replaced by NEW to OUT,
// and fails if OLD is not there.
func flip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: flip IN OLD NEW OUT")
	}
	data := ts.ReadFile(args[0])
	if !strings.Contains(data, args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(strings.Replace(data, args[1], args[2], 1)), 0o644))
}

// jsonenv VAR FILE FIELD sets VAR to the string FIELD of the JSON object in
// FILE (a command's --json output), so a later command can be given it.
func jsonenv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: jsonenv VAR FILE FIELD")
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &obj); err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	v, ok := obj[args[2]].(string)
	if !ok {
		ts.Fatalf("%s has no string field %q", args[1], args[2])
	}
	ts.Setenv(args[0], v)
}

// camera DIR OUT.gif DROP SEED records what a camera pointed at DIR's
// animated QR frames (frame-NNN.png, shown in a loop) catches until the
// transfer is complete, as an operator holds the camera up until the
// station has it all: each frame shown is missed with probability DROP
// (0.3 for 30%), drawn from a fixed SEED. The frames caught are written, in
// order, as the animated GIF OUT.gif, which the receiving command reads
// like a recording; it prints how many frames were shown and missed.
func camera(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 || neg {
		ts.Fatalf("usage: camera DIR OUT.gif DROP SEED")
	}
	paths, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "frame-*.png"))
	if err != nil || len(paths) == 0 {
		ts.Fatalf("no frame-*.png in %s", args[0])
	}
	drop, err1 := strconv.ParseFloat(args[2], 64)
	seed, err2 := strconv.ParseInt(args[3], 10, 64)
	if err1 != nil || err2 != nil || drop < 0 || drop >= 1 {
		ts.Fatalf("camera: DROP in [0, 1), SEED an integer")
	}
	frames := make([]*image.Paletted, len(paths))
	texts := make([]string, len(paths))
	bw := color.Palette{color.White, color.Black}
	for i, p := range paths {
		data, err := os.ReadFile(p)
		ts.Check(err)
		text, err := qr.DecodeFile(data)
		ts.Check(err)
		texts[i] = string(text)
		img, err := png.Decode(bytes.NewReader(data))
		ts.Check(err)
		pal := image.NewPaletted(img.Bounds(), bw)
		draw.Draw(pal, pal.Bounds(), img, img.Bounds().Min, draw.Src)
		frames[i] = pal
	}
	rng := rand.New(rand.NewSource(seed))
	anim := &gif.GIF{}
	dec := qr.NewDecoder()
	shown, dropped, done := 0, 0, false
	for loop := 0; loop < 50 && !done; loop++ {
		for i, fr := range frames {
			shown++
			if rng.Float64() < drop {
				dropped++
				continue
			}
			anim.Image = append(anim.Image, fr)
			anim.Delay = append(anim.Delay, 20)
			if done, err = dec.Add(texts[i]); err != nil {
				ts.Fatalf("camera: frame %d: %v", i+1, err)
			}
			if done {
				break
			}
		}
	}
	if !done {
		ts.Fatalf("camera: the transfer was not complete after 50 loops")
	}
	out, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	ts.Check(gif.EncodeAll(out, anim))
	ts.Check(out.Close())
	fmt.Fprintf(ts.Stdout(), "%d frames in the loop; %d shown until complete, %d missed (%.0f%%), %d caught\n",
		len(frames), shown, dropped, 100*float64(dropped)/float64(shown), len(anim.Image))
}

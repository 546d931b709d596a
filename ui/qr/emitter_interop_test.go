package qr

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// interopDir holds the npm packages of the interop suite (npm ci there).
const interopDir = "../../testdata/interop"

// bcURDecode is @ngraveio/bc-ur's URDecoder fed parts until complete, as a
// wallet's scanner is: it prints the message's payload in hex, or fails.
const bcURDecode = `
import { URDecoder } from '@ngraveio/bc-ur';
import { readFileSync } from 'node:fs';
const dec = new URDecoder();
for (const p of JSON.parse(readFileSync(0, 'utf8'))) {
  dec.receivePart(p);
  if (dec.isComplete()) break;
}
if (!dec.isComplete()) throw new Error('the parts did not complete the message');
if (!dec.isSuccess()) throw new Error(dec.resultError());
process.stdout.write(dec.resultUR().decodeCBOR().toString('hex'));
`

// Another UR wallet reads the endless stream: @ngraveio/bc-ur (the
// reference's JavaScript port, which Keystone's and others' scanners use)
// completes from parts numbered far past SeqLen, with frames lost.
func TestBcURReadsEndlessStream(t *testing.T) {
	_, errNode := exec.LookPath("node")
	_, errModules := os.Stat(filepath.Join(interopDir, "node_modules", "@ngraveio", "bc-ur"))
	if errNode != nil || errModules != nil {
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatalf("node or @ngraveio/bc-ur missing (npm ci in testdata/interop): %v %v", errNode, errModules)
		}
		t.Skip("node or @ngraveio/bc-ur missing (npm ci in testdata/interop)")
	}
	psbt := withdrawalPSBT(t, 10, 1)
	e, err := NewEmitter(psbt, EncodeOptions{Format: FormatUR})
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []int{1, 40 * 11, EndlessPeriod - 60} {
		var parts []string
		for n := start; len(parts) < 60; n++ {
			if n%3 != 0 { // a camera that misses every third frame
				parts = append(parts, e.Frame((n-1)%EndlessPeriod+1))
			}
		}
		in, _ := json.Marshal(parts)
		cmd := exec.Command("node", "--input-type=module", "-e", bcURDecode)
		cmd.Dir = interopDir
		cmd.Stdin = bytes.NewReader(in)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("from frame %d: bc-ur: %v: %s", start, err, stderr.String())
		}
		if got := string(out); got != hex.EncodeToString(psbt) {
			t.Errorf("from frame %d: bc-ur read %d bytes, want the %d-byte PSBT", start, len(got)/2, len(psbt))
		}
	}
}

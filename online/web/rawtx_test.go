package web

import (
	"bytes"
	"encoding/hex"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"airsign/psbt"
	"airsign/ui/qr"
)

// A cosigner's wallet that finalizes itself gives the signed transaction:
// its file (hex) uploaded on the request page, or its QR code scanned, is
// checked against the request and broadcast; one of another request is
// refused in words, and the request stays as it was.
func TestReturnRawTransaction(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	f.fund(t, 30_000_000) // a second coin, for the second request
	pathA, pathB := createRequest(t, alice, "0.1"), createRequest(t, alice, "0.2")
	rawHex := func(path string) string {
		p, err := psbt.Decode(signedPSBT(t, f, strings.TrimPrefix(path, "/requests/")))
		if err != nil {
			t.Fatal(err)
		}
		tx, err := psbt.Finalize(p)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tx.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b.Bytes())
	}
	txA, txB := rawHex(pathA), rawHex(pathB)
	upload := func(path, name, content string) resp {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", alice.csrf)
		fw, _ := mw.CreateFormFile("frames", name)
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", f.srv.URL+path+"/upload", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return alice.do(req)
	}

	if r := upload(pathA, "b.txn", txB+"\n"); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "the raw transaction is request "+strings.TrimPrefix(pathB, "/requests/")+"&#39;s, not") {
		t.Fatalf("request B's transaction on A's page: %d\n%s", r.status, r.body)
	}
	if r := upload(pathA, "a.txn", txA+"\n"); r.status != http.StatusSeeOther || r.header.Get("Location") != pathA+"?done=broadcast" {
		t.Fatalf("request A's transaction as a hex file: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}

	// B's, as the wallet's QR code (hex text) scanned by the camera.
	pngs, err := qr.FramePNGs([]string{strings.ToUpper(txB)}, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	if err != nil {
		t.Fatal(err)
	}
	status, reply := alice.scanImage(pathB, pngs[0])
	if status != http.StatusOK || reply.Error || reply.Redirect != pathB+"?done=broadcast" {
		t.Fatalf("request B's transaction scanned: %d %+v", status, reply)
	}
	for _, path := range []string{pathA, pathB} {
		if page := alice.get(path); !strings.Contains(page.body, "broadcast") {
			t.Fatalf("%s after its raw transaction: not broadcast\n%s", path, page.body)
		}
	}
}

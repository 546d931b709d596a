package web

import (
	"bytes"
	"errors"
	"mime/multipart"
	"testing"
)

// FuzzReadUpload feeds readUpload hostile multipart bodies: it must never
// panic, never return more files or bytes than its caps, and never accept
// a body whose csrf field is not the expected token before the files.
func FuzzReadUpload(f *testing.F) {
	const boundary = "airsignboundary"
	seed := func(fields ...[2]string) []byte {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary(boundary)
		for _, fl := range fields {
			if fl[0] == "frames" {
				w, _ := mw.CreateFormFile("frames", "f.png")
				w.Write([]byte(fl[1]))
			} else {
				mw.WriteField(fl[0], fl[1])
			}
		}
		mw.Close()
		return b.Bytes()
	}
	f.Add(seed([2]string{"csrf", "tok"}, [2]string{"frames", "\x89PNG..."}))
	f.Add(seed([2]string{"frames", "x"}, [2]string{"csrf", "tok"}))
	f.Add(seed([2]string{"csrf", "tok"}, [2]string{"csrf", "tok"}))
	f.Add(seed([2]string{"csrf", "tok"}, [2]string{"other", "x"}))
	f.Add([]byte("--airsignboundary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--airsignboundary--"))
	f.Fuzz(func(t *testing.T, body []byte) {
		files, err := readUpload(bytes.NewReader(body), boundary, "tok")
		if err != nil {
			if files != nil {
				t.Fatal("files returned with an error")
			}
			return
		}
		if len(files) == 0 || len(files) > maxUploadFiles {
			t.Fatalf("%d files accepted", len(files))
		}
		// Accepted: the first part must have been the right token.
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		p, perr := mr.NextPart()
		if perr != nil || p.FormName() != "csrf" {
			t.Fatalf("accepted a body whose first part is not csrf (%v)", perr)
		}
		for _, file := range files {
			if len(file) == 0 {
				t.Fatal("an empty file was returned")
			}
		}
	})
}

// FuzzParsePasswordHash: parse → encode round trip, and parameters
// within bounds for anything accepted.
func FuzzParsePasswordHash(f *testing.F) {
	good, err := HashPassword([]byte("a long enough password"), testParams)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(dummyHash(DefaultPasswordParams))
	f.Add([]byte("$argon2id$v=19$m=99999999999,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	f.Add([]byte("$argon2i$v=19$m=64,t=1,p=1$x$y"))
	f.Fuzz(func(t *testing.T, s []byte) {
		h, err := parsePasswordHash(s)
		if err != nil {
			if !errors.Is(err, errBadHash) {
				t.Fatalf("error %v is not errBadHash", err)
			}
			return
		}
		if h.params.Check() != nil {
			t.Fatalf("accepted out-of-bounds parameters %+v", h.params)
		}
		if !bytes.Equal(h.encode(), s) {
			t.Fatalf("round trip: %q → %q", s, h.encode())
		}
	})
}

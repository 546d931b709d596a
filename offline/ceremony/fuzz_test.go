package ceremony

import "testing"

// Transcripts reach the auditor's machine from outside: reading one must
// never panic, and nothing but the genuine body verifies under the test key.
func FuzzVerifyTranscript(f *testing.F) {
	res, err := Run(params(), detRand(1), t0, newSigner(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(res.TranscriptFile)
	f.Add([]byte(`{"transcript":{},"signature":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := VerifyTranscript(data, nil)
		if err != nil {
			return
		}
		if tr.Format != TranscriptFormat {
			t.Errorf("verified a transcript of format %q", tr.Format)
		}
		if tr.DevicePublicKey == res.Transcript.DevicePublicKey && tr.CeremonyID != res.Transcript.CeremonyID {
			t.Errorf("a transcript with another ceremony id verified under the test key")
		}
	})
}

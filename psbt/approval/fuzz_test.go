package approval

import (
	"bytes"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// FuzzExtract feeds arbitrary proprietary keys and values to Extract and
// Check, which read what crossed the air gap. They must never panic, and
// what Extract accepts must encode back to the same bytes: one approval
// has one encoding.
func FuzzExtract(f *testing.F) {
	p := testPacket(f, 0x11)
	a := Sign(testMessage(f, p), "alice", testKey(1))
	good := a.marshalValue()
	key := approvalKey(a.PublicKey)
	f.Add(key[1:], good)
	f.Add(key[1:], good[:len(good)-1])
	f.Add(key[1:], append(bytes.Clone(good), 0))
	f.Add(key[1:], []byte{})
	f.Add(key[1:], []byte{1, 0xff, 0xff, 0xff, 0xff})
	f.Add(key[1:len(key)-1], good)
	f.Add([]byte{0xfd, 7, 0}, good)
	f.Add([]byte{3, 'x', 'y', 'z', 0}, good)
	f.Fuzz(func(t *testing.T, k, v []byte) {
		p := testPacket(t, 0x11)
		p.Unknowns = []*btcpsbt.Unknown{{Key: append([]byte{0xfc}, k...), Value: v}}
		as, err := Extract(p)
		if err != nil {
			if as != nil {
				t.Errorf("Extract returned approvals with an error")
			}
			return
		}
		for _, a := range as {
			_ = a.Verify()
			if got := a.marshalValue(); !bytes.Equal(got, v) {
				t.Errorf("Extract accepted a value that encodes back differently:\ngot  %x\nwant %x", got, v)
			}
			q := testPacket(t, 0x11)
			put(q, &a)
			if !bytes.Equal(q.Unknowns[0].Key, p.Unknowns[0].Key) {
				t.Errorf("Extract accepted a key that encodes back differently: got %x, want %x", q.Unknowns[0].Key, p.Unknowns[0].Key)
			}
		}
		_, _, _ = Check(p, "treasury", testFee, testNow, testEnrolled(), 2)
	})
}

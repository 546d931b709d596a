package kiosk

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"airsign/offline/policy"
	"airsign/psbt/approval"
)

// The sign entry lists the approvals it counted by approver name, then key,
// whatever order the PSBT carries them in (by public key), so two logs of
// the same signing compare line by line.
func TestSignEntryApprovalsSorted(t *testing.T) {
	s := newStation(t)
	s.setPolicy(t, policy.Policy{RequireApprovals: 2})
	id, err := s.wallet.IdentityDigest()
	if err != nil {
		t.Fatal(err)
	}
	keys := []ed25519.PrivateKey{
		ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x41}, 32)),
		ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32)),
	}
	// The PSBT carries approvals in the order of their public keys: the
	// first there is named "zoe", so its order is the names' reversed.
	if bytes.Compare(keys[0].Public().(ed25519.PublicKey), keys[1].Public().(ed25519.PublicKey)) > 0 {
		keys[0], keys[1] = keys[1], keys[0]
	}
	names := []string{"zoe", "amy"}
	st := policy.NewStore(s.h.Dir(), s.h)
	for i, k := range keys {
		if err := st.AddApprover(id, names[i], approval.StationKey(k.Public().(ed25519.PublicKey)), t0); err != nil {
			t.Fatal(err)
		}
	}
	s.logApprovers(t)
	l, _ := s.approvedWithdrawal(t, names, keys)
	var carried []string
	r, err := ReviewPSBT(s.h, l, s.now)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Approvals {
		carried = append(carried, a.Approver)
	}
	if want := []string{"zoe", "amy"}; !slices.Equal(carried, want) {
		t.Fatalf("the PSBT carries approvals %q, want %q (the test's premise)", carried, want)
	}

	station := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	if _, _, err := station.Sign(l, SignRequest{Shares: s.quorum(t, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	e := lastEntry(t, s.h)
	var d struct {
		Result    string              `json:"result"`
		Approvals []map[string]string `json:"approvals"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range d.Approvals {
		got = append(got, fmt.Sprintf("%s %s", a["name"], a["key"]))
	}
	want := []string{"amy approver station key", "zoe approver station key"}
	if e.Kind != "sign" || d.Result != "signed" || !slices.Equal(got, want) {
		t.Fatalf("entry %s %s approvals %q, want sign signed %q", e.Kind, d.Result, got, want)
	}
}

// approvedWithdrawal is a withdrawal of the station's wallet for request
// wd-1 carrying an approval by each key, made as names[i] and good for an
// hour, and the message they signed.
func (s *station) approvedWithdrawal(t *testing.T, names []string, keys []ed25519.PrivateKey) (*Loaded, approval.Message) {
	t.Helper()
	l, err := LoadPSBT(s.h, s.withdrawal(t, 150_000).Data, "w.psbt", "", s.now)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := approval.MessageFor(l.Packet, WalletID(l.Desc), "wd-1", l.Summary.Fee, s.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if err := approval.Attach(l.Packet, approval.Sign(msg, names[i], k)); err != nil {
			t.Fatal(err)
		}
	}
	return l, msg
}

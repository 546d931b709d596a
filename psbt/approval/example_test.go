package approval_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"

	"airsign/psbt"
	"airsign/psbt/approval"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

func Example() {
	// The coordinator builds a withdrawal of 0.5 BTC with a fee of 2000
	// satoshis from wallet "treasury".
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{1}, 0), nil, nil))
	tx.AddTxOut(wire.NewTxOut(50_000_000, append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0xab}, 20)...)))
	p, _ := btcpsbt.NewFromUnsignedTx(tx)
	p.Inputs[0].WitnessUtxo = wire.NewTxOut(50_002_000, append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0xcd}, 20)...))
	fee, _ := approval.FeeOf(p)
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	m, err := approval.MessageFor(p, "treasury", "W-1001", fee, now.Add(4*time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}

	// Two treasury approvers sign it, each on their own device; the
	// coordinator attaches their approvals.
	alice := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	bob := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	for _, a := range []approval.Approval{approval.Sign(m, "alice", alice), approval.Sign(m, "bob", bob)} {
		if err := approval.Attach(p, a); err != nil {
			fmt.Println(err)
			return
		}
	}
	data, _ := psbt.Encode(p)

	// The kiosk reads the PSBT, computes the fee itself and counts the
	// approvals of the approvers enrolled on it. Bob's key was removed.
	q, err := psbt.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	enrolled := []approval.Enrolled{
		{Name: "alice", Key: approval.SealedKey(alice.Public().(ed25519.PublicKey))},
		{Name: "bob", Key: approval.SealedKey(bob.Public().(ed25519.PublicKey)), Removed: true},
	}
	approvers, problems, err := approval.Check(q, "treasury", btcutil.Amount(2000), now.Add(time.Minute), enrolled, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("approved by:", approvers)
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// approved by: [alice]
	// approval by bob: key 8139770ea87d175f… removed on this kiosk
	// 1 of 2 approvals needed (alice); 1 more needed
}

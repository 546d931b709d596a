package approval

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Fixed values the tests share, so that golden files do not change.
var (
	testNow     = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	testExpires = testNow.Add(time.Hour)
	testFee     = btcutil.Amount(1000)
)

// testKey returns the ed25519 key with a seed of 32 bytes n.
func testKey(n byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, ed25519.SeedSize))
}

// p2wpkh returns a P2WPKH script paying to a hash of 20 bytes n.
func p2wpkh(n byte) []byte {
	return append([]byte{0x00, 0x14}, bytes.Repeat([]byte{n}, 20)...)
}

// testPacket returns a PSBT spending output 0 of a transaction whose id is
// 32 bytes prev, worth 1.1 BTC plus the fee, to 0.5 BTC and 0.6 BTC.
func testPacket(t testing.TB, prev byte, values ...int64) *btcpsbt.Packet {
	t.Helper()
	if len(values) == 0 {
		values = []int64{50_000_000, 60_000_000}
	}
	tx := wire.NewMsgTx(2)
	var h chainhash.Hash
	for i := range h {
		h[i] = prev
	}
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h, 0), nil, nil))
	var total int64
	for i, v := range values {
		tx.AddTxOut(wire.NewTxOut(v, p2wpkh(byte(0xa0+i))))
		total += v
	}
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	p.Inputs[0].WitnessUtxo = wire.NewTxOut(total+int64(testFee), p2wpkh(0x01))
	return p
}

// testMessage returns the message approving p for wallet "treasury".
func testMessage(t testing.TB, p *btcpsbt.Packet) Message {
	t.Helper()
	m, err := MessageFor(p, "treasury", "withdrawal-42", testFee, testExpires)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

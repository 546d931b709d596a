package daemon

// These helpers repeat a few of airsign/online/regtest's test helpers: a
// package only for them would be imported by two test files and nothing
// else.

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func testKey(label string) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte("airsign regtest_test " + label))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

func p2wpkhScript(t testing.TB, k *btcec.PrivateKey) []byte {
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(k.PubKey().SerializeCompressed()), Params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// spendTo builds a one-in, one-out spend of prev's output op.Index to
// pkScript, paying fee.
func spendTo(prev *wire.MsgTx, op wire.OutPoint, pkScript []byte, fee btcutil.Amount) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(prev.TxOut[op.Index].Value-int64(fee), pkScript))
	return tx
}

func signP2WPKH(t testing.TB, tx *wire.MsgTx, prevOut *wire.TxOut, k *btcec.PrivateKey) {
	fetcher := txscript.NewCannedPrevOutputFetcher(prevOut.PkScript, prevOut.Value)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	w, err := txscript.WitnessSignature(tx, hashes, 0, prevOut.Value, prevOut.PkScript, txscript.SigHashAll, k, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
}

func processGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

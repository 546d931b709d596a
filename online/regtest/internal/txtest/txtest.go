// Package txtest holds what the tests of the regtest launcher and of its
// harness both need: fixed keys, a P2WPKH spend built and signed, and
// checks that a process is gone. Only test files import it.
package txtest

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
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Key is a fixed key named by label.
func Key(label string) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte("airsign regtest_test " + label))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

// P2WPKHScript pays to k's P2WPKH address on net.
func P2WPKHScript(t testing.TB, k *btcec.PrivateKey, net *chaincfg.Params) []byte {
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(k.PubKey().SerializeCompressed()), net)
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SpendTo builds a one-in, one-out spend of prev's output op.Index to
// pkScript, paying fee.
func SpendTo(prev *wire.MsgTx, op wire.OutPoint, pkScript []byte, fee btcutil.Amount) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(prev.TxOut[op.Index].Value-int64(fee), pkScript))
	return tx
}

// SignP2WPKH signs input 0 of tx, which spends prevOut, with k.
func SignP2WPKH(t testing.TB, tx *wire.MsgTx, prevOut *wire.TxOut, k *btcec.PrivateKey) {
	fetcher := txscript.NewCannedPrevOutputFetcher(prevOut.PkScript, prevOut.Value)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	w, err := txscript.WitnessSignature(tx, hashes, 0, prevOut.Value, prevOut.PkScript, txscript.SigHashAll, k, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
}

// ProcessGone says whether no process has pid.
func ProcessGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// IsZombie says whether pid has exited and waits to be reaped.
func IsZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

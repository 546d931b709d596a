package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt"
	"airsign/psbt/bip322"
	"airsign/psbt/reserves"
)

// verifyReserves is `verify-reserves --proof FILE --challenge TEXT
// --snapshot FILE`: check a proof of reserves (BIP-322, the finalized PSBT
// the coordinator's finalize printed) for the auditor's challenge against
// a UTXO snapshot, and say the amount proven at the snapshot's block.
func (c *cli) verifyReserves(args []string) error {
	fs := newFlags("verify-reserves")
	proofPath := fs.String("proof", "", "")
	challenge := fs.String("challenge", "", "")
	snapPath := fs.String("snapshot", "", "")
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *proofPath == "" || *challenge == "" || *snapPath == "" {
		return usageError("verify-reserves --proof FILE --challenge TEXT --snapshot FILE [REPORT]")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	proof, err := qrfiles.ReadFileLimited(*proofPath, psbt.MaxPSBTBytes, "proof of reserves")
	if err != nil {
		return err
	}
	raw, err := qrfiles.ReadFileLimited(*snapPath, reserves.MaxBytes, "UTXO snapshot")
	if err != nil {
		return err
	}
	snap, err := reserves.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *snapPath, err)
	}
	r, verr := bip322.VerifyReserves(bytes.TrimSpace(proof), []byte(*challenge), snap)
	s := summary{Check: "verify-reserves", Subject: *proofPath + " against " + *snapPath, OK: verr == nil,
		Facts:   []fact{{"challenge", *challenge}, {"snapshot block", fmt.Sprintf("%d %v", snap.Height, snap.BlockHash)}},
		Columns: []string{"coin", "amount_sat"}}
	rep := map[string]any{"ok": verr == nil, "challenge": *challenge, "height": snap.Height, "block_hash": snap.BlockHash.String()}
	if verr != nil {
		s.Verdict = "PROBLEM: " + verr.Error()
		rep["problem"] = verr.Error()
	} else {
		s.Verdict = fmt.Sprintf("OK: %s in %d coin(s), controlled by the proof's signers and unspent at block %d (%v)", r.Amount, len(r.Coins), r.Height, r.BlockHash)
		s.Facts = append(s.Facts, fact{"commitment script", hex.EncodeToString(r.Commitment)}, fact{"amount", r.Amount.String()})
		var coins []map[string]any
		for _, op := range r.Coins {
			v := snap.Coins[op].Value
			s.Rows = append(s.Rows, []string{op.String(), strconv.FormatInt(v, 10)})
			coins = append(coins, map[string]any{"outpoint": op.String(), "amount_sat": v})
		}
		rep["amount_sat"], rep["coins"], rep["commitment_script"] = int64(r.Amount), coins, hex.EncodeToString(r.Commitment)
	}
	if err := c.report(o, rep, func() {
		for _, row := range s.Rows {
			fmt.Fprintf(c.stdout, "coin %s  %s sat\n", row[0], row[1])
		}
		fmt.Fprintln(c.stdout, s.Verdict)
	}, s); err != nil {
		return err
	}
	if verr != nil {
		return errProblem
	}
	return nil
}

// networks are the chains an address may be of; verify-message takes the
// one the address names.
var networks = []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.SigNetParams, &chaincfg.RegressionNetParams}

// verifyMessage is `verify-message --address A --message M --signature S`:
// check a BIP-322 signature (simple, full, or legacy for P2PKH).
func (c *cli) verifyMessage(args []string) error {
	fs := newFlags("verify-message")
	address := fs.String("address", "", "")
	message := fs.String("message", "", "")
	signature := fs.String("signature", "", "")
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *address == "" || *signature == "" {
		return usageError("verify-message --address A --message M --signature S [REPORT]")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	script, err := addressScript(*address)
	if err != nil {
		return err
	}
	v, verr := bip322.Verify(script, []byte(*message), *signature)
	s := summary{Check: "verify-message", Subject: *address, OK: verr == nil, Facts: []fact{{"address", *address}, {"message", strconv.Quote(*message)}}}
	rep := map[string]any{"ok": verr == nil, "address": *address, "message": *message}
	switch {
	case verr != nil:
		s.Verdict = "PROBLEM: " + verr.Error()
		rep["problem"] = verr.Error()
		if errors.Is(verr, bip322.ErrInconclusive) {
			rep["inconclusive"] = true
		}
	default:
		s.Verdict = fmt.Sprintf("OK: a valid BIP-322 signature (%s) of the message by %s", v.Format, *address)
		rep["format"] = v.Format.String()
	}
	if err := c.report(o, rep, func() { fmt.Fprintln(c.stdout, s.Verdict) }, s); err != nil {
		return err
	}
	if verr != nil {
		return errProblem
	}
	return nil
}

// addressScript is the scriptPubKey of an address of any chain.
func addressScript(address string) ([]byte, error) {
	for _, net := range networks {
		a, err := btcutil.DecodeAddress(address, net)
		if err == nil && a.IsForNet(net) {
			return txscript.PayToAddrScript(a)
		}
	}
	return nil, fmt.Errorf("%q is not a Bitcoin address of mainnet, testnet, testnet4, signet or regtest", address)
}

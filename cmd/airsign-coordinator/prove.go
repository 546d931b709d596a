package main

import (
	"encoding/base64"
	"fmt"
	"os"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/cmd/internal/qrfiles"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt"
)

// proveReserves builds a proof-of-reserves PSBT over the wallet's
// confirmed coins for the auditor's challenge, and writes the UTXO
// snapshot the auditor checks it against.
func (c *cli) proveReserves(args []string) error {
	fs := newFlags("prove-reserves")
	wallet := fs.String("wallet", "", "")
	challenge := fs.String("challenge", "", "")
	snapshot := fs.String("snapshot", "", "")
	out := addPSBTOutputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *wallet == "" || *challenge == "" || *snapshot == "" || (*out.out == "" && *out.qrOut == "") {
		return usageError("prove-reserves needs --wallet W, --challenge TEXT (the auditor's, exactly), --snapshot FILE and --out FILE or --qr-out DIR")
	}
	if err := c.checkWallet(*wallet); err != nil {
		return err
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	if _, err := os.Lstat(*snapshot); err == nil {
		return fmt.Errorf("--snapshot %s: it exists, and airsign never replaces a file: give a new name (nothing was created)", *snapshot)
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	p, snap, err := c.coord.ProveReserves(c.ctx, *wallet, []byte(*challenge))
	if err != nil {
		return err
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		return err
	}
	wrote, err := out.write(raw)
	if err != nil {
		return err
	}
	data, err := snap.Marshal()
	if err != nil {
		return err
	}
	if err := qrfiles.WriteExclusive(*snapshot, data); err != nil {
		return fmt.Errorf("--snapshot: %w", err)
	}
	var total int64
	for _, coin := range snap.Coins {
		total += coin.AmountSat
	}
	return c.emit(map[string]any{"wallet": *wallet, "coins": len(snap.Coins), "amount_sat": total, "height": snap.Height,
		"block_hash": snap.BlockHash, "snapshot": *snapshot, "psbt": wrote}, func() {
		fmt.Fprintf(c.stdout, "proof of reserves for wallet %q: %d coin(s), %s, unspent at block %d (%s)\n", *wallet, len(snap.Coins), btc(btcutil.Amount(total)), snap.Height, snap.BlockHash)
		fmt.Fprintf(c.stdout, "  PSBT for the kiosk: %v\n  UTXO snapshot for the auditor: %s\n", wrote, *snapshot)
		fmt.Fprintln(c.stdout, "  sign it at the kiosk, then: finalize SIGNED... (the proof is never broadcast)")
	})
}

// signMessage builds the PSBT in which one of the wallet's addresses signs
// a message (BIP-322).
func (c *cli) signMessage(args []string) error {
	fs := newFlags("sign-message")
	wallet := fs.String("wallet", "", "")
	address := fs.String("address", "", "")
	message := fs.String("message", "", "")
	out := addPSBTOutputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *wallet == "" || *address == "" || *message == "" || (*out.out == "" && *out.qrOut == "") {
		return usageError("sign-message needs --wallet W, --address A, --message M and --out FILE or --qr-out DIR")
	}
	if err := c.checkWallet(*wallet); err != nil {
		return err
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	p, err := c.coord.SignMessage(c.ctx, *wallet, *address, []byte(*message))
	if err != nil {
		return err
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		return err
	}
	wrote, err := out.write(raw)
	if err != nil {
		return err
	}
	return c.emit(map[string]any{"wallet": *wallet, "address": *address, "psbt": wrote}, func() {
		fmt.Fprintf(c.stdout, "message signature by %s (wallet %q): PSBT for the kiosk: %v\n", *address, *wallet, wrote)
		fmt.Fprintln(c.stdout, "  sign it at the kiosk, then: finalize SIGNED...")
	})
}

// isProof says whether the first signed PSBT carries a BIP-322 message:
// finalize then makes the signature or proof instead of a transaction.
func isProof(signed [][]byte) bool {
	if len(signed) == 0 {
		return false
	}
	p, err := psbt.Decode(signed[0])
	if err != nil {
		return false
	}
	_, ok := coordinator.ProofMessage(p)
	return ok
}

// finishProof combines the signed BIP-322 PSBTs and prints the signature
// (a message) or the proof (a proof of reserves: the finalized PSBT,
// base64, alone on standard output so that it can be redirected to a file
// for the auditor). Nothing is broadcast: to_sign spends a coin that does
// not exist.
func (c *cli) finishProof(signed [][]byte) error {
	s, message, err := coordinator.FinishProof(signed...)
	if err != nil {
		return err
	}
	p, err := psbt.Decode(s.PSBT)
	if err != nil {
		return err
	}
	if coins := len(p.UnsignedTx.TxIn) - 1; coins > 0 {
		proof := base64.StdEncoding.EncodeToString(s.PSBT)
		return c.emit(map[string]any{"kind": "proof-of-reserves", "challenge": string(message), "coins": coins, "proof": proof, "broadcast": false}, func() {
			fmt.Fprintln(c.stdout, proof)
			fmt.Fprintf(c.stderr, "proof of reserves for challenge %q over %d coin(s), never broadcast; the auditor checks it with airsign-audit verify-reserves --proof FILE --challenge TEXT --snapshot FILE\n", message, coins)
		})
	}
	sig, format := s.Simple, "simple"
	if sig == "" {
		sig, format = s.Full, "full"
	}
	return c.emit(map[string]any{"kind": "message", "message": string(message), "signature": sig, "format": format, "broadcast": false}, func() {
		fmt.Fprintln(c.stdout, sig)
		fmt.Fprintf(c.stderr, "BIP-322 signature (%s) of message %q, never broadcast; anyone checks it with airsign-audit verify-message --address A --message M --signature S\n", format, message)
	})
}

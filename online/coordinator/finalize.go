package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/chain"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/auditlog"
)

// The return path: what the kiosks signed comes back, is checked against
// its request, combined with the request's PSBT, finalized and broadcast.
// Each signed PSBT is decoded once, the combination verified once.

// FinalizeResult is what Finalize did.
type FinalizeResult struct {
	Withdrawal  *Withdrawal
	Tx          *wire.MsgTx
	TxID        chainhash.Hash
	Signatures  int
	Broadcast   bool
	AlreadySent bool // the node already had it
}

// DecodeError is Finalize's refusal of a signed PSBT that does not
// decode. It wraps ErrInvalid.
type DecodeError struct {
	PSBT int   // which of the PSBTs given, from 1
	Err  error // psbt.Decode's
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%v: PSBT %d: %v", ErrInvalid, e.PSBT, e.Err)
}

func (e *DecodeError) Unwrap() error { return ErrInvalid }

// WrongTxError is Finalize's refusal of a signed PSBT of another
// transaction than its request's. It wraps ErrWrongTx.
type WrongTxError struct {
	Request   string
	PSBT      int            // which of the PSBTs given, from 1
	Got, Want chainhash.Hash // the PSBT's unsigned transaction, the request's
}

func (e *WrongTxError) Error() string {
	if e.PSBT == 1 {
		return fmt.Sprintf("%v: PSBT 1 is for transaction %s, request %s for %s", ErrWrongTx, e.Got, e.Request, e.Want)
	}
	// PSBT 1 was found to be the request's.
	return fmt.Sprintf("%v: PSBT %d is for transaction %s, PSBT 1 for %s (request %s)", ErrWrongTx, e.PSBT, e.Got, e.Want, e.Request)
}

func (e *WrongTxError) Unwrap() error { return ErrWrongTx }

// Finalize takes the signed PSBTs the kiosk (or, for multisig, several
// kiosks) returned for request requestID, checks that they are that
// request's transaction and that every signature verifies, combines and
// finalizes them, and with broadcast sends the transaction to the node.
// An empty requestID, for a caller that does not know it (the CLI's
// finalize FILE..., the API), means the live request whose unsigned
// transaction the first PSBT is.
//
// Instead of PSBTs, signed may be one fully signed raw transaction, as
// wallets that finalize themselves return it (see ParseRawTx): it must be
// exactly the request's transaction, and every input's script must verify
// against the coin the request's PSBT says it spends.
// It is recorded in the audit log, refused or not.
func (c *Coordinator) Finalize(ctx context.Context, requestID string, broadcast bool, signed ...[]byte) (*FinalizeResult, error) {
	return c.FinalizeAs(ctx, requestID, "", broadcast, signed...)
}

// FinalizeAs is Finalize for a known person, by, whom the audit log names
// as the one who handed the signed transaction back.
func (c *Coordinator) FinalizeAs(ctx context.Context, requestID, by string, broadcast bool, signed ...[]byte) (*FinalizeResult, error) {
	data := map[string]any{"psbts": len(signed), "broadcast": broadcast}
	if requestID != "" {
		data["request"] = requestID
	}
	if by != "" {
		data["by"] = by
	}
	raw := len(signed) == 1 && !LooksLikePSBT(signed[0])
	if raw {
		data["form"] = "raw transaction"
		delete(data, "psbts")
	}
	kind := "finalize"
	if broadcast {
		kind = "broadcast"
	}
	return loggedValue(c, kind, data, func() (*FinalizeResult, error) {
		var res *FinalizeResult
		var err error
		if raw {
			res, err = c.finalizeRaw(ctx, requestID, signed[0], broadcast)
		} else {
			res, err = c.finalize(ctx, requestID, signed, broadcast, data)
		}
		c.notifyFinalized(ctx, res, err)
		if res != nil {
			data["txid"], data["signatures"] = res.TxID.String(), res.Signatures
			// What was sent, output by output, for the auditor to match
			// with the kiosk's sign entry and the chain.
			data["outputs"] = auditlog.TxOutputs(res.Tx, c.cfg.Network.Params())
			if res.Withdrawal != nil {
				data["request"] = res.Withdrawal.ID
			}
		}
		return res, err
	})
}

// finalize is Finalize without the audit record; what it learns of the
// kiosks' logs goes into evidence, the record's data.
func (c *Coordinator) finalize(ctx context.Context, requestID string, signed [][]byte, broadcast bool, evidence map[string]any) (*FinalizeResult, error) {
	if len(signed) == 0 {
		return nil, fmt.Errorf("%w: no PSBT given", ErrInvalid)
	}
	packets := make([]*btcpsbt.Packet, len(signed))
	for i, raw := range signed {
		if !LooksLikePSBT(raw) {
			return nil, fmt.Errorf("%w: item %d of %d is not a PSBT; a signed raw transaction is complete on its own: give it alone", ErrInvalid, i+1, len(signed))
		}
		p, err := psbt.Decode(raw)
		if err != nil {
			return nil, &DecodeError{PSBT: i + 1, Err: err}
		}
		packets[i] = p
	}
	sw, err := c.requestOf(ctx, requestID, packets[0].UnsignedTx)
	if err != nil {
		return nil, err
	}
	for i, p := range packets {
		if got := p.UnsignedTx.TxHash(); got != sw.UnsignedTxID {
			return nil, &WrongTxError{Request: sw.ID, PSBT: i + 1, Got: got, Want: sw.UnsignedTxID}
		}
	}
	if sw.Status != store.StatusPending && sw.Status != store.StatusBroadcast {
		return nil, fmt.Errorf("%w: request %s is %s", store.ErrState, sw.ID, sw.Status)
	}
	// Each kiosk's checkpoint, handed back in the wallet's next PSBTs,
	// before anything else can refuse: the kiosk has signed whatever
	// happens here. A kiosk log that went backwards or forked refuses.
	if err := c.keepCheckpoints(ctx, sw, packets, evidence); err != nil {
		return nil, err
	}
	// Combining with the PSBT we built makes the input data (amounts,
	// scripts, previous transactions) ours: a returned PSBT that changed
	// them conflicts and is refused.
	original, err := psbt.Decode(sw.PSBT)
	if err != nil {
		return nil, err
	}
	// The returned copies' approvals are the kiosk's business and may have
	// been renewed here since the kiosk signed, and each kiosk carries its
	// own checkpoints: they play no part in the final transaction, and the
	// stored PSBT's own stay, for the signatures kept below.
	for _, p := range packets {
		approval.Strip(p)
	}
	combined, err := psbt.Combine(append([]*btcpsbt.Packet{original}, packets...)...)
	if err != nil {
		return nil, fmt.Errorf("%w: request %s: %v", ErrWrongTx, sw.ID, err)
	}
	n, err := psbt.VerifySignatures(combined)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", sw.ID, err)
	}
	tx, err := c.finalizeFor(ctx, sw.Wallet, combined)
	if err != nil {
		kept, keepErr := c.keepSignatures(ctx, sw, original, packets, n)
		if keepErr != nil {
			return nil, fmt.Errorf("%w: request %s (%d valid signatures so far; keeping them failed: %v): %v", ErrNotFinal, sw.ID, n, keepErr, err)
		}
		if kept {
			return nil, fmt.Errorf("%w: request %s: %v; the %d valid signature(s) so far are kept in the request's PSBT: show it (QR) to the next cosigner's kiosk and bring its signed PSBT back",
				ErrNotFinal, sw.ID, err, n)
		}
		return nil, fmt.Errorf("%w: request %s (%d valid signatures so far): %v", ErrNotFinal, sw.ID, n, err)
	}
	return c.finish(ctx, sw, &FinalizeResult{Tx: tx, TxID: tx.TxHash(), Signatures: n}, broadcast)
}

// finish ends a finalize with the final transaction in res: with
// broadcast it asks the node whether it would accept it (testmempoolaccept;
// a node without it, as btcd, is not asked), sends it, and marks the
// request broadcast; then res gets the request as it now stands.
func (c *Coordinator) finish(ctx context.Context, sw store.Withdrawal, res *FinalizeResult, broadcast bool) (*FinalizeResult, error) {
	if broadcast {
		tx := res.Tx
		if ok, reason, err := c.cfg.Node.TestAccept(ctx, tx); err == nil && !ok && !alreadyKnown(reason) {
			return nil, fmt.Errorf("%w: request %s: %s", ErrBroadcast, sw.ID, reason)
		}
		if _, err := c.cfg.Node.Broadcast(ctx, tx); err != nil {
			if !isAlreadySent(err) {
				return nil, fmt.Errorf("%w: request %s: %v", ErrBroadcast, sw.ID, err)
			}
			res.AlreadySent = true
		}
		if err := c.st.MarkBroadcast(ctx, sw.ID, tx); err != nil {
			return nil, err
		}
		res.Broadcast = true
		// See our own transaction in the mempool right away.
		if _, err := c.Sync(ctx); err != nil {
			return nil, err
		}
	}
	var err error
	if res.Withdrawal, err = c.Get(ctx, sw.ID); err != nil {
		return nil, err
	}
	return res, nil
}

// requestOf is the request named id or, when id is empty, the live
// request whose unsigned transaction is tx.
func (c *Coordinator) requestOf(ctx context.Context, id string, tx *wire.MsgTx) (store.Withdrawal, error) {
	if id != "" {
		return c.st.Withdrawal(ctx, id)
	}
	txid := tx.TxHash()
	sw, err := c.st.WithdrawalByUnsignedTx(ctx, txid)
	if !errors.Is(err, store.ErrNotFound) {
		return sw, err
	}
	return store.Withdrawal{}, fmt.Errorf("%w: transaction %s matches no withdrawal request; it was not built by this coordinator, or its inputs or outputs were changed", ErrWrongTx, txid)
}

// signatureCount is the number of signatures psbt.VerifySignatures counts
// in p (a finalized input as one), without checking them: for a PSBT whose
// signatures were checked as part of a combination.
func signatureCount(p *btcpsbt.Packet) int {
	n := 0
	for _, in := range p.Inputs {
		if len(in.FinalScriptSig) > 0 || len(in.FinalScriptWitness) > 0 {
			n++
			continue
		}
		if len(in.TaprootKeySpendSig) > 0 {
			n++
		}
		n += len(in.PartialSigs)
	}
	return n
}

// alreadyKnown is testmempoolaccept's answer for a transaction the node
// has: a retried finalize, not a refusal.
func alreadyKnown(reason string) bool {
	return strings.Contains(reason, "already")
}

func isAlreadySent(err error) bool {
	return errors.Is(err, chain.ErrDoubleBroadcast)
}

// keepSignatures stores the verified partial signatures of a multisig
// request that is not final yet in the request's PSBT, so that cosigners
// can sign one after another, each from the PSBT the coordinator shows,
// and nothing one kiosk signed is lost while the next signs. It keeps
// them only for a pending request and when they add to what is stored
// (n is the count in the combination, all verified); the stored PSBT's
// approvals stay as they are. stored is the request's PSBT (sw.PSBT) as
// finalize decoded it, its signatures among the n verified: it is combined
// again, since psbt.Finalize changed the first combination.
func (c *Coordinator) keepSignatures(ctx context.Context, sw store.Withdrawal, stored *btcpsbt.Packet, packets []*btcpsbt.Packet, n int) (bool, error) {
	if sw.Status != store.StatusPending {
		return false, nil
	}
	have := signatureCount(stored)
	for attempt := 1; ; attempt++ {
		if have >= n {
			return false, nil
		}
		merged, err := psbt.Combine(append([]*btcpsbt.Packet{stored}, packets...)...)
		if err != nil {
			return false, err
		}
		raw, err := psbt.Encode(merged)
		if err != nil {
			return false, err
		}
		err = c.st.KeepSignatures(ctx, sw.ID, sw.PSBT, raw)
		if !errors.Is(err, store.ErrConflict) {
			return err == nil, err
		}
		// An approval landed meanwhile: add to the new PSBT.
		if sw, err = c.st.Withdrawal(ctx, sw.ID); err != nil {
			return false, err
		}
		if attempt == 3 {
			return false, fmt.Errorf("request %s kept changing", sw.ID)
		}
		if stored, err = psbt.Decode(sw.PSBT); err != nil {
			return false, err
		}
		if have, err = psbt.VerifySignatures(stored); err != nil {
			return false, err
		}
	}
}

// keepCheckpoints keeps the checkpoint each kiosk carried in its signed
// PSBT (auditlog.Carry), the largest per kiosk and wallet, and records
// each in evidence ("kiosk_checkpoints"). A field that does not verify
// under the key it names is not kept: the coordinator cannot be made to
// hand a kiosk a forged checkpoint in its own name. Its own checkpoint,
// which came back with the PSBT, is not a kiosk's.
//
// A checkpoint with another root at the size of the one kept is a forked
// kiosk log, and refused. A smaller one is refused when the request was
// made after the kept one arrived: every copy of the request carried it,
// and a kiosk signs only on a log that extends what it carries, so the
// kiosk's log was cut back. A request made before may have been signed
// before (PSBTs brought back out of order): its checkpoint is recorded,
// and the auditor's reconcile checks it against the kiosk's export.
func (c *Coordinator) keepCheckpoints(ctx context.Context, sw store.Withdrawal, packets []*btcpsbt.Packet, evidence map[string]any) error {
	kept, err := c.st.KioskCheckpoints(ctx, sw.Wallet)
	if err != nil {
		return err
	}
	var records []auditlog.CheckpointRecord
	defer func() {
		if len(records) > 0 {
			evidence["kiosk_checkpoints"] = records
		}
	}()
	for _, p := range packets {
		carried, _ := auditlog.CarriedCheckpoints(p)
		for _, cp := range carried {
			if c.cfg.Audit != nil && cp.VerifierKey == c.cfg.Audit.VerifierKey() {
				continue
			}
			rec := cp.Record()
			records = append(records, rec)
			for _, k := range kept {
				if k.KeyName != rec.Key {
					continue
				}
				vkey, note, _ := bytes.Cut(k.Value, []byte("\n"))
				prev, err := auditlog.OpenCarried(string(vkey), note)
				if err != nil {
					continue // kept before it was checked; never relied on
				}
				err = auditlog.CheckProgress([]auditlog.CheckpointRecord{prev.Record()}, rec)
				if errors.Is(err, auditlog.ErrLogBehind) && sw.Created.Before(k.Seen) {
					err = nil
				}
				if err != nil {
					return fmt.Errorf("%w: request %s: the kiosk's signed PSBT carries its audit-log checkpoint, and %v (kept since %s). Its log was cut back or replaced: the transaction is not sent. The custodians and the auditor must compare the kiosk's audit export with this coordinator's (airsign-audit reconcile)",
						ErrKioskLog, sw.ID, err, k.Seen.Format(time.RFC3339))
				}
			}
			if err := c.st.KeepKioskCheckpoint(ctx, store.KioskCheckpoint{Wallet: sw.Wallet, KeyName: rec.Key, Size: cp.Size,
				Value: append([]byte(cp.VerifierKey+"\n"), cp.Note...), Seen: c.cfg.Now().UTC()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// finalizeFor finalizes p for its wallet: by the miniscript satisfier for
// a wallet with spending paths (the path the transaction's locks open),
// else as psbt.Finalize does.
func (c *Coordinator) finalizeFor(ctx context.Context, wallet string, p *btcpsbt.Packet) (*wire.MsgTx, error) {
	w, err := c.Wallet(ctx, wallet)
	if err != nil {
		return nil, err
	}
	if w.Script != nil {
		return psbt.FinalizeScriptWallet(p, w.Script)
	}
	return psbt.Finalize(p)
}

package coordinator

import (
	"errors"
	"fmt"
	"maps"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/psbt/auditlog"
)

// The coordinator's audit log: every state change a person makes through
// it (wallet registrations and suspensions, requests, cancels, fee bumps,
// approval keys, approvals and their refusals, broadcasts) and every API
// refusal of credentials, in a Merkle log with checkpoints signed by the
// coordinator's identity key (psbt/auditlog, as on the kiosk). Entries hold
// no secret: no password, token or key.
//
// Each public method that changes state runs its action through logged
// (or loggedValue), so the log says what was asked before it is done.

// Record adds an entry to the audit log, when one is configured.
func (c *Coordinator) Record(kind string, data map[string]any) error {
	if c.cfg.Audit == nil {
		return nil
	}
	return c.cfg.Audit.Append(kind, data, c.cfg.Now())
}

// ErrAuditUnavailable means the audit log could not be written before an
// action, so the action was not taken.
var ErrAuditUnavailable = errors.New("the audit log cannot be written")

// logged runs do, the action kind asked with data, write-ahead: it first
// records that the action is about to be taken, with what it was asked
// ("started"), and if that entry cannot be written do does not run and
// the error wraps ErrAuditUnavailable. Then it records how the action
// ended: "done", or "refused" with the reason; do may add to data what
// the outcome entry should say. A failure to record the outcome is
// returned even when the action succeeded: evidence that could not be
// written is a failure the operator must see.
func (c *Coordinator) logged(kind string, data map[string]any, do func() error) error {
	started := maps.Clone(data)
	started["result"] = "started"
	if err := c.Record(kind, started); err != nil {
		return fmt.Errorf("%w: nothing was done (%s): %v", ErrAuditUnavailable, kind, err)
	}
	err := do()
	if err != nil {
		data["result"], data["reason"] = "refused", err.Error()
	} else {
		data["result"] = "done"
	}
	if rerr := c.Record(kind, data); rerr != nil && err == nil {
		return rerr
	}
	return err
}

// loggedValue is logged for an action with a result: the zero value when
// the action did not run.
func loggedValue[T any](c *Coordinator, kind string, data map[string]any, do func() (T, error)) (T, error) {
	var v T
	err := c.logged(kind, data, func() error {
		var err error
		v, err = do()
		return err
	})
	return v, err
}

// ErrKioskLog is the refusal of a signed PSBT whose kiosk checkpoint goes
// back on one the coordinator kept: the kiosk's log was cut back or
// forked. It wraps ErrInvalid.
var ErrKioskLog = fmt.Errorf("%w: the kiosk's audit log went back on a checkpoint it handed out", ErrInvalid)

// carryOwn puts the coordinator's latest signed checkpoint into p, which
// goes to a kiosk: the kiosk logs it and refuses one that goes back on a
// checkpoint it saw before, so every signing also witnesses this log.
func (c *Coordinator) carryOwn(p *btcpsbt.Packet) error {
	if c.cfg.Audit == nil {
		return nil
	}
	cp, err := c.cfg.Audit.Checkpoint()
	if err != nil {
		return fmt.Errorf("the coordinator's checkpoint for the PSBT: %w", err)
	}
	return auditlog.Carry(p, c.cfg.Audit.VerifierKey(), cp)
}

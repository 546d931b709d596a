package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Payee is a named destination in the treasury's address book. The
// coordinator checks the address against its network before it is stored.
type Payee struct {
	Label   string // unique, compared without case
	Address string // unique: one name per address
	Note    string
	AddedBy string
	Updated time.Time
}

// PutPayee records p, or replaces the payee of the same label. An address
// already named by another label is refused (ErrExists), as a destination
// must show one name.
func (s *Store) PutPayee(ctx context.Context, p Payee) error {
	if p.Label == "" || p.Address == "" || p.AddedBy == "" {
		return fmt.Errorf("store: payee %q: label, address and who adds it are required", p.Label)
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO payees (label, address, note, added_by, updated) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (label) DO UPDATE SET label = excluded.label, address = excluded.address, note = excluded.note,
	added_by = excluded.added_by, updated = excluded.updated`,
		p.Label, p.Address, p.Note, p.AddedBy, p.Updated.UnixNano())
	if err != nil && s.db.dialect.isDuplicate(err) {
		other, _ := s.payee(ctx, `address = ?`, p.Address)
		return fmt.Errorf("store: payee %q: %w: address %s is already in the address book as %q", p.Label, ErrExists, p.Address, other.Label)
	}
	if err != nil {
		return fmt.Errorf("store: payee %q: %w", p.Label, err)
	}
	return nil
}

// DeletePayee removes the payee of label (any case), or returns ErrNotFound.
func (s *Store) DeletePayee(ctx context.Context, label string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM payees WHERE label = ?`, label)
	if err != nil {
		return fmt.Errorf("store: remove payee %q: %w", label, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: remove payee %q: %w: no payee of that name", label, ErrNotFound)
	}
	return nil
}

// Payee returns the payee of label (any case), or ErrNotFound.
func (s *Store) Payee(ctx context.Context, label string) (Payee, error) {
	p, err := s.payee(ctx, `label = ?`, label)
	if err != nil {
		return Payee{}, fmt.Errorf("store: payee %q: %w", label, err)
	}
	return p, nil
}

func (s *Store) payee(ctx context.Context, where string, arg any) (Payee, error) {
	ps, err := s.payees(ctx, `WHERE `+where, arg)
	if err != nil {
		return Payee{}, err
	}
	if len(ps) == 0 {
		return Payee{}, ErrNotFound
	}
	return ps[0], nil
}

// Payees returns the address book, by label.
func (s *Store) Payees(ctx context.Context) ([]Payee, error) {
	ps, err := s.payees(ctx, ``)
	if err != nil {
		return nil, fmt.Errorf("store: payees: %w", err)
	}
	return ps, nil
}

func (s *Store) payees(ctx context.Context, where string, args ...any) ([]Payee, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT label, address, note, added_by, updated FROM payees `+where+` ORDER BY label`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []Payee
	for rows.Next() {
		var p Payee
		var updated int64
		if err := rows.Scan(&p.Label, &p.Address, &p.Note, &p.AddedBy, &updated); err != nil {
			return nil, err
		}
		p.Updated = time.Unix(0, updated).UTC()
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// LabelType is what a label names, as BIP-329 spells it.
type LabelType string

// The label types the coordinator keeps. BIP-329 defines more (pubkey,
// input, xpub); a watch-only treasury has nothing to hang them on.
const (
	LabelTx     LabelType = "tx"     // Ref: txid, hex
	LabelAddr   LabelType = "addr"   // Ref: address
	LabelOutput LabelType = "output" // Ref: txid:vout
)

// Label is a person's name for one of a wallet's own records. The
// coordinator checks that Ref is the wallet's before it is stored.
type Label struct {
	Wallet  string
	Type    LabelType
	Ref     string
	Label   string
	SetBy   string
	Updated time.Time
}

// SetLabel records l, replacing the label of the same record; an empty
// Label removes it.
func (s *Store) SetLabel(ctx context.Context, l Label) error {
	var err error
	if l.Label == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM labels WHERE wallet = ? AND type = ? AND ref = ?`, l.Wallet, string(l.Type), l.Ref)
	} else {
		_, err = s.db.ExecContext(ctx, `
INSERT INTO labels (wallet, type, ref, label, set_by, updated) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (wallet, type, ref) DO UPDATE SET label = excluded.label, set_by = excluded.set_by, updated = excluded.updated`,
			l.Wallet, string(l.Type), l.Ref, l.Label, l.SetBy, l.Updated.UnixNano())
	}
	if err != nil {
		return fmt.Errorf("store: label %s %s of wallet %q: %w", l.Type, l.Ref, l.Wallet, err)
	}
	return nil
}

// Labels returns the wallet's labels (every wallet's when wallet is
// empty), by wallet, type and reference.
func (s *Store) Labels(ctx context.Context, wallet string) ([]Label, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT wallet, type, ref, label, set_by, updated FROM labels
		WHERE ?1 = '' OR wallet = ?1 ORDER BY wallet, type, ref`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: labels of %q: %w", wallet, err)
	}
	defer rows.Close()
	var ls []Label
	for rows.Next() {
		var l Label
		var typ string
		var updated int64
		if err := rows.Scan(&l.Wallet, &typ, &l.Ref, &l.Label, &l.SetBy, &updated); err != nil {
			return nil, fmt.Errorf("store: labels of %q: %w", wallet, err)
		}
		l.Type, l.Updated = LabelType(typ), time.Unix(0, updated).UTC()
		ls = append(ls, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: labels of %q: %w", wallet, err)
	}
	return ls, nil
}

// HasAddress reports whether script is one of the wallet's derived
// addresses: what an address label may name.
func (s *Store) HasAddress(ctx context.Context, wallet string, script []byte) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM addresses WHERE wallet = ? AND script = ?`, wallet, script).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: address of %q: %w", wallet, err)
	}
	return n > 0, nil
}

// HasTx reports whether txid paid the wallet, spent from it, or is one of
// its requests' transactions: what a transaction label may name.
func (s *Store) HasTx(ctx context.Context, wallet string, txid []byte) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM utxos WHERE wallet = ?1 AND (txid = ?2 OR spent_by = ?2)) +
		(SELECT count(*) FROM withdrawals WHERE wallet = ?1 AND (unsigned_txid = ?2 OR txid = ?2))`, wallet, txid).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: transaction of %q: %w", wallet, err)
	}
	return n > 0, nil
}

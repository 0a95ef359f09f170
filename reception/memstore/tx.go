package memstore

import (
	"context"
	"errors"
	"sync"

	"github.com/uketsuke/uketsuke/reception"
)

// Tx is a transaction of a memstore Store, for check-ins under
// reception.WithTx (notify.Service.CheckInTx) in an application's tests:
// its check-ins become visible together at Commit, or never (Rollback).
// It holds uketsuke's writes only; there is no application data in
// memory to commit with them.
type Tx struct {
	st      *state
	mu      sync.Mutex
	pending []pendingVisit
	ended   bool
}

type pendingVisit struct {
	v       *reception.Visit
	entries []*reception.OutboxEntry
}

// errTxEnded is the error of a Tx used after Commit or Rollback.
var errTxEnded = errors.New("memstore: the transaction has ended")

// Begin begins a transaction.
func (s *Store) Begin() *Tx { return &Tx{st: s.d.st} }

// Commit stores the transaction's check-ins, all or none: one that
// conflicts with a check-in committed meanwhile fails the commit with
// ErrConflict and stores nothing.
func (tx *Tx) Commit() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.ended {
		return errTxEnded
	}
	tx.ended = true
	tx.st.mu.Lock()
	defer tx.st.mu.Unlock()
	for i, p := range tx.pending {
		if err := tx.st.checkVisit(p.v, p.entries, tx.pending[:i]); err != nil {
			return err
		}
	}
	for _, p := range tx.pending {
		tx.st.visits[key{p.v.OrgID, p.v.ID}] = p.v
		tx.st.addOutbox(p.entries)
	}
	return nil
}

// Rollback forgets the transaction's check-ins.
func (tx *Tx) Rollback() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.ended {
		return errTxEnded
	}
	tx.ended, tx.pending = true, nil
	return nil
}

// checkVisit checks a new visit and its entries against the store and
// the check-ins pending before it.
func (st *state) checkVisit(v *reception.Visit, entries []*reception.OutboxEntry, before []pendingVisit) error {
	if err := st.needOrg(v.OrgID); err != nil {
		return err
	}
	all := []*reception.OutboxEntry{}
	for _, p := range before {
		if p.v.OrgID == v.OrgID && p.v.ID == v.ID {
			return conflict("visit %q exists", v.ID)
		}
		all = append(all, p.entries...)
	}
	if _, dup := st.visits[key{v.OrgID, v.ID}]; dup {
		return conflict("visit %q exists", v.ID)
	}
	return st.checkOutbox(append(all, entries...))
}

// CreateVisitIn implements reception.TxDriver with a *Tx of this store's
// data: the check-in is checked now (a conflict leaves the transaction as
// it was) and stored at Commit.
func (d *driver) CreateVisitIn(_ context.Context, tx any, v *reception.Visit, entries []*reception.OutboxEntry) error {
	t, ok := tx.(*Tx)
	if !ok || t == nil || t.st != d.st {
		return reception.WrongTx("memstore", tx, "a *memstore.Tx of this store")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return errTxEnded
	}
	_, err := locked(d, func(st *state) (any, error) { return nil, st.checkVisit(v, entries, t.pending) })
	if err == nil {
		t.pending = append(t.pending, pendingVisit{v, entries})
	}
	return err
}

package reception

import (
	"context"
	"fmt"
)

// txKey is the context key of WithTx.
type txKey struct{}

// WithTx returns a context under which [Store.CheckIn] records the visit
// and its outbox entries inside tx, a transaction the application opened
// on the store's own database, instead of a transaction of its own: the
// application's rows and the queued notifications then commit, or roll
// back, together (the transactional outbox). tx is what the driver takes:
// a pgx.Tx for pgstore, a *sql.Tx begun on sqlitestore's Store.DB for
// sqlitestore, a *memstore.Tx (Store.Begin) in tests. A driver that cannot join the transaction, or a tx of the
// wrong type, makes CheckIn fail with ErrInvalid and store nothing.
//
// Nothing is sent before the application commits: the entries become
// visible to dispatchers with the commit. Only CheckIn honours the
// transaction; every other method ignores it.
func WithTx(ctx context.Context, tx any) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFrom returns the transaction WithTx put in ctx.
func TxFrom(ctx context.Context) (tx any, ok bool) {
	tx = ctx.Value(txKey{})
	return tx, tx != nil
}

// TxDriver is implemented by a [Driver] that can record a check-in inside
// a transaction of the application (see WithTx).
type TxDriver interface {
	// CreateVisitIn is VisitDriver.CreateVisit inside tx, which the driver
	// neither commits nor rolls back; a failure must leave tx usable (a
	// savepoint rolled back), so that the application can go on or roll
	// back as it chooses. A tx the driver does not take is ErrInvalid.
	CreateVisitIn(ctx context.Context, tx any, v *Visit, entries []*OutboxEntry) error
}

// createVisit stores a new visit with its entries: in the application's
// transaction when ctx carries one.
func (s *store) createVisit(ctx context.Context, v *Visit, entries []*OutboxEntry) error {
	tx, ok := TxFrom(ctx)
	if !ok {
		return s.d.CreateVisit(ctx, v, entries)
	}
	td, ok := s.d.(TxDriver)
	if !ok {
		return fmt.Errorf("%s: check in: the store cannot join the application's transaction: %w", s.name, ErrInvalid)
	}
	return td.CreateVisitIn(ctx, tx, v, entries)
}

// WrongTx is the error a TxDriver returns for a transaction it does not
// take: driver names it, want is the type it takes. It wraps ErrInvalid.
func WrongTx(driver string, tx any, want string) error {
	return fmt.Errorf("%s: check in: a transaction of type %T, not %s: %w", driver, tx, want, ErrInvalid)
}

package app

import (
	"context"
	"errors"

	"github.com/uketsuke/uketsuke/reception"
)

// SaveMode says how a button or staff member is saved.
type SaveMode int

const (
	// Create adds a new entity: an empty ID is generated, an ID in use is
	// a conflict.
	Create SaveMode = iota
	// Put creates or replaces the entity with the given ID.
	Put
)

// save is the part of saving a button or staff member that does not
// depend on which: the ID's check, the create-or-replace rule, and whether
// the entity is new. build validates the input and store stores it.
func save[T any](ctx context.Context, kind, id string, mode SaveMode,
	get func(ctx context.Context, id string) (*T, error), store func() (*T, error)) (saved *T, created bool, err error) {
	if err := NeedID("id", id); err != nil {
		return nil, false, err
	}
	_, err = get(ctx, id)
	exists := err == nil
	if err != nil && !errors.Is(err, reception.ErrNotFound) {
		return nil, false, err
	}
	if exists && mode == Create {
		return nil, false, &Error{Code: Conflict, Field: "id", Msg: "a " + kind + " " + id + " exists already; PUT it to change it"}
	}
	saved, err = store()
	if err != nil {
		return nil, false, err
	}
	return saved, !exists, nil
}

// idFor returns the ID an entity is saved under: a new one for Create
// without an ID.
func idFor(id string, mode SaveMode) string {
	if id == "" && mode == Create {
		return reception.NewID()
	}
	return id
}

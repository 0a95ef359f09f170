package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/uketsuke/uketsuke/reception"
)

// resource is one organization-scoped entity of the API (buttons, staff):
// its store calls and its JSON form, so the list, get, create, put and
// delete handlers — and their status codes and errors — are written once.
type resource[T any, J any] struct {
	a    *api
	kind string // for messages: "button", "staff member"
	list func(ctx context.Context, orgID string) ([]*T, error)
	get  func(ctx context.Context, orgID, id string) (*T, error)
	del  func(ctx context.Context, orgID, id string) error
	out  func(*T) J
	id   func(*J) *string
	// save builds the entity from its JSON (validating it) and stores it.
	save func(r *http.Request, orgID string, in *J) (*T, error)
}

func (rs resource[T, J]) listAll(w http.ResponseWriter, r *http.Request) error {
	org, err := rs.a.orgOf(r)
	if err != nil {
		return err
	}
	items, err := rs.list(r.Context(), org.ID)
	if err != nil {
		return err
	}
	out := make([]J, 0, len(items))
	for _, it := range items {
		out = append(out, rs.out(it))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (rs resource[T, J]) getOne(w http.ResponseWriter, r *http.Request) error {
	org, err := rs.a.orgOf(r)
	if err != nil {
		return err
	}
	it, err := rs.get(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rs.out(it))
	return nil
}

// create is POST: the ID is optional (generated) and must be new.
func (rs resource[T, J]) create(w http.ResponseWriter, r *http.Request) error {
	var in J
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if id := rs.id(&in); *id == "" {
		*id = reception.NewID()
	}
	return rs.store(w, r, &in, true)
}

// put is PUT: creates or replaces the entity named in the URL.
func (rs resource[T, J]) put(w http.ResponseWriter, r *http.Request) error {
	var in J
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id := rs.id(&in)
	if *id != "" && *id != r.PathValue("id") {
		return &apiError{Status: http.StatusBadRequest, Field: "id", Msg: "id differs from the ID in the URL"}
	}
	*id = r.PathValue("id")
	return rs.store(w, r, &in, false)
}

func (rs resource[T, J]) store(w http.ResponseWriter, r *http.Request, in *J, mustBeNew bool) error {
	org, err := rs.a.orgOf(r)
	if err != nil {
		return err
	}
	id := *rs.id(in)
	if err := needID("id", id); err != nil {
		return err
	}
	_, err = rs.get(r.Context(), org.ID, id)
	exists := err == nil
	if err != nil && !errors.Is(err, reception.ErrNotFound) {
		return err
	}
	if exists && mustBeNew {
		return &apiError{Status: http.StatusConflict, Field: "id", Msg: "a " + rs.kind + " " + id + " exists already; PUT it to change it"}
	}
	it, err := rs.save(r, org.ID, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	writeJSON(w, status, rs.out(it))
	return nil
}

func (rs resource[T, J]) delete(w http.ResponseWriter, r *http.Request) error {
	org, err := rs.a.orgOf(r)
	if err != nil {
		return err
	}
	if err := rs.del(r.Context(), org.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package app

import (
	"context"

	"github.com/uketsuke/uketsuke/reception"
)

// Visit is a stored visit with the names people read: the button's label
// and the handler's name.
type Visit struct {
	*reception.Visit
	Button, Handler string
}

// Visits lists the visits of an organization matching f, with names. The
// caller has read the organization (Org): it checks the filter, which it
// reads from its own input, after that.
func (a *App) Visits(ctx context.Context, orgID string, f reception.VisitFilter) ([]Visit, error) {
	visits, err := a.Store.ListVisits(ctx, orgID, f)
	if err != nil {
		return nil, err
	}
	// Names are a convenience: a visit list without them is still right.
	labels, names := map[string]string{}, map[string]string{}
	if bs, err := a.Store.ListButtons(ctx, orgID); err == nil {
		for _, b := range bs {
			labels[b.ID] = b.Label
		}
	}
	if ss, err := a.Store.ListStaff(ctx, orgID); err == nil {
		for _, s := range ss {
			names[s.UserID] = s.Name
		}
	}
	out := make([]Visit, 0, len(visits))
	for _, v := range visits {
		out = append(out, Visit{Visit: v, Button: labels[v.ButtonID], Handler: names[v.HandlerUserID]})
	}
	return out, nil
}

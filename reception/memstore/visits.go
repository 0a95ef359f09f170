package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// normVisit makes the times of a stored visit look like a database's.
func normVisit(v *reception.Visit) {
	v.HandledAt, v.NextReminderAt, v.CreatedAt = utc(v.HandledAt), utc(v.NextReminderAt), utc(v.CreatedAt)
	for i := range v.Events {
		v.Events[i].At = utc(v.Events[i].At)
	}
}

// newOutbox prepares entries for insertion and checks their IDs and dedupe
// keys against the store and each other, so that a conflict leaves nothing
// behind. Caller holds the lock.
func (s *Store) newOutbox(entries []*reception.OutboxEntry) ([]*reception.OutboxEntry, error) {
	out := make([]*reception.OutboxEntry, 0, len(entries))
	ids := map[string]bool{}
	keys := map[key]bool{}
	for _, e := range entries {
		k := key{e.OrgID, e.DedupeKey}
		if _, dup := s.st.outbox[e.ID]; dup || ids[e.ID] {
			return nil, conflict("outbox entry %q exists", e.ID)
		}
		if _, dup := s.st.dedupe[k]; dup || keys[k] {
			return nil, conflict("dedupe key %q is used", e.DedupeKey)
		}
		ids[e.ID], keys[k] = true, true
		c := e.Clone()
		if c.NextAttemptAt.IsZero() {
			c.NextAttemptAt = c.CreatedAt
		}
		c.NextAttemptAt, c.CreatedAt, c.LeaseExpiresAt = utc(c.NextAttemptAt), utc(c.CreatedAt), utc(c.LeaseExpiresAt)
		out = append(out, c)
	}
	return out, nil
}

func (s *Store) addOutbox(entries []*reception.OutboxEntry) {
	for _, e := range entries {
		s.st.outbox[e.ID] = e
		s.st.dedupe[key{e.OrgID, e.DedupeKey}] = e.ID
	}
}

// CheckIn implements reception.Store.
func (s *Store) CheckIn(ctx context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	if err := reception.ValidateCheckIn(v, entries); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	if err := s.needOrg(v.OrgID); err != nil {
		return err
	}
	if _, dup := s.st.visits[key{v.OrgID, v.ID}]; dup {
		return conflict("visit %q exists", v.ID)
	}
	out, err := s.newOutbox(entries)
	if err != nil {
		return err
	}
	c := v.Clone()
	c.Events = []reception.VisitEvent{{Kind: reception.EventCheckedIn, At: v.CreatedAt}}
	normVisit(c)
	s.st.visits[key{v.OrgID, v.ID}] = c
	s.addOutbox(out)
	return nil
}

// GetVisit implements reception.Store.
func (s *Store) GetVisit(ctx context.Context, orgID, id string) (*reception.Visit, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	v := s.st.visits[key{orgID, id}]
	if v == nil {
		return nil, notFound("visit", id)
	}
	return v.Clone(), nil
}

func newestFirst(a, b *reception.Visit) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
}

// ListVisits implements reception.Store.
func (s *Store) ListVisits(ctx context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	var out []*reception.Visit
	for k, v := range s.st.visits {
		if k.org == orgID && f.Match(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, newestFirst)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i, v := range out {
		out[i] = v.Clone()
	}
	return out, nil
}

// update runs fn on a copy of the visit and stores the copy only if fn
// succeeds, so a refused change leaves the stored visit untouched.
func (s *Store) update(ctx context.Context, orgID, visitID string, fn func(v *reception.Visit) error) (*reception.Visit, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	cur := s.st.visits[key{orgID, visitID}]
	if cur == nil {
		return nil, notFound("visit", visitID)
	}
	v := cur.Clone()
	if err := fn(v); err != nil {
		return nil, err
	}
	normVisit(v)
	s.st.visits[key{orgID, visitID}] = v
	return v.Clone(), nil
}

// ClaimVisit implements reception.Store.
func (s *Store) ClaimVisit(ctx context.Context, orgID, visitID, userID string, at time.Time) (*reception.Visit, error) {
	return s.update(ctx, orgID, visitID, func(v *reception.Visit) error {
		_, err := v.Claim(userID, at)
		return err
	})
}

// AppendVisitEvent implements reception.Store.
func (s *Store) AppendVisitEvent(ctx context.Context, orgID, visitID string, e reception.VisitEvent) (*reception.Visit, error) {
	return s.update(ctx, orgID, visitID, func(v *reception.Visit) error { return v.Apply(e) })
}

// ListDueReminders implements reception.Store.
func (s *Store) ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	if limit <= 0 {
		return nil, &reception.FieldError{Field: "Limit", Msg: "must be positive"}
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	var out []*reception.Visit
	for _, v := range s.st.visits {
		if v.Status.Unhandled() && !v.NextReminderAt.IsZero() && !v.NextReminderAt.After(now) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *reception.Visit) int {
		return cmp.Or(a.NextReminderAt.Compare(b.NextReminderAt), cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.ID, b.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i, v := range out {
		out[i] = v.Clone()
	}
	return out, nil
}

// RecordReminder implements reception.Store.
func (s *Store) RecordReminder(ctx context.Context, orgID, visitID string, r *reception.Reminder) (*reception.Visit, error) {
	if r == nil {
		return nil, &reception.FieldError{Field: "Reminder", Msg: "is required"}
	}
	if err := r.Validate(orgID, visitID); err != nil {
		return nil, err
	}
	return s.update(ctx, orgID, visitID, func(v *reception.Visit) error {
		if err := v.Remind(r); err != nil {
			return err
		}
		out, err := s.newOutbox(r.Entries)
		if err != nil {
			return err
		}
		s.addOutbox(out)
		return nil
	})
}

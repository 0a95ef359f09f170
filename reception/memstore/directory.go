package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// table is one kind of an organization's children (buttons, staff, rooms),
// so that their storage is written once.
type table[V any] struct {
	kind  string
	m     func(*state) map[key]V
	clone func(V) V
	order func(a, b V) int
}

var (
	buttons = table[*reception.Button]{"button", func(st *state) map[key]*reception.Button { return st.buttons },
		(*reception.Button).Clone, func(a, b *reception.Button) int {
			return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID))
		}}
	staff = table[*reception.Staff]{"staff", func(st *state) map[key]*reception.Staff { return st.staff },
		(*reception.Staff).Clone, func(a, b *reception.Staff) int { return cmp.Compare(a.ID, b.ID) }}
	rooms = table[*reception.Room]{"room", func(st *state) map[key]*reception.Room { return st.rooms },
		(*reception.Room).Clone, func(a, b *reception.Room) int {
			return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), cmp.Compare(a.ChannelID, b.ChannelID))
		}}
)

// put stores v, a copy reception made, under (orgID, id).
func (t table[V]) put(d *driver, orgID, id string, v V) error {
	_, err := locked(d, func(st *state) (any, error) {
		if err := st.needOrg(orgID); err != nil {
			return nil, err
		}
		t.m(st)[key{orgID, id}] = v
		return nil, nil
	})
	return err
}

func (t table[V]) get(d *driver, orgID, id string) (V, error) {
	return locked(d, func(st *state) (V, error) {
		v, ok := t.m(st)[key{orgID, id}]
		if !ok {
			return v, notFound(t.kind, id)
		}
		return t.clone(v), nil
	})
}

func (t table[V]) list(d *driver, orgID string) ([]V, error) {
	return locked(d, func(st *state) ([]V, error) {
		var out []V
		for k, v := range t.m(st) {
			if k.org == orgID {
				out = append(out, t.clone(v))
			}
		}
		slices.SortFunc(out, t.order)
		return out, nil
	})
}

// update runs fn on the stored value (orgID, id).
func (t table[V]) update(d *driver, orgID, id string, fn func(m map[key]V, k key)) error {
	_, err := locked(d, func(st *state) (any, error) {
		k := key{orgID, id}
		if _, ok := t.m(st)[k]; !ok {
			return nil, notFound(t.kind, id)
		}
		fn(t.m(st), k)
		return nil, nil
	})
	return err
}

func (t table[V]) del(d *driver, orgID, id string) error {
	return t.update(d, orgID, id, func(m map[key]V, k key) { delete(m, k) })
}

func (d *driver) PutButton(_ context.Context, b *reception.Button) error {
	return buttons.put(d, b.OrgID, b.ID, b)
}

func (d *driver) GetButton(_ context.Context, orgID, id string) (*reception.Button, error) {
	return buttons.get(d, orgID, id)
}

func (d *driver) ListButtons(_ context.Context, orgID string) ([]*reception.Button, error) {
	return buttons.list(d, orgID)
}

func (d *driver) DeleteButton(_ context.Context, orgID, id string) error {
	return buttons.del(d, orgID, id)
}

func (d *driver) PutStaff(_ context.Context, s *reception.Staff) error {
	return staff.put(d, s.OrgID, s.ID, s)
}

func (d *driver) GetStaff(_ context.Context, orgID, id string) (*reception.Staff, error) {
	return staff.get(d, orgID, id)
}

func (d *driver) ListStaff(_ context.Context, orgID string) ([]*reception.Staff, error) {
	return staff.list(d, orgID)
}

func (d *driver) DeleteStaff(_ context.Context, orgID, id string) error {
	return staff.del(d, orgID, id)
}

func (d *driver) PutRoom(_ context.Context, r *reception.Room) error {
	return rooms.put(d, r.OrgID, r.ChannelID, r)
}

func (d *driver) GetRoom(_ context.Context, orgID, channelID string) (*reception.Room, error) {
	return rooms.get(d, orgID, channelID)
}

func (d *driver) ListRooms(_ context.Context, orgID string) ([]*reception.Room, error) {
	return rooms.list(d, orgID)
}

func (d *driver) MarkRoomLeft(_ context.Context, orgID, channelID string, at time.Time) error {
	return rooms.update(d, orgID, channelID, func(m map[key]*reception.Room, k key) {
		r := m[k].Clone()
		r.LeftAt = &at
		m[k] = r
	})
}

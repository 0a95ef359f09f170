package memstore

import (
	"context"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// table is reception.TableDriver over one of state's maps: buttons, staff
// and rooms are stored alike.
type table[V any] struct {
	d     *driver
	kind  string
	m     func(*state) map[key]V
	clone func(V) V
}

func (d *driver) Buttons() reception.TableDriver[*reception.Button] {
	return table[*reception.Button]{d, "button", func(st *state) map[key]*reception.Button { return st.buttons }, (*reception.Button).Clone}
}

func (d *driver) Staff() reception.TableDriver[*reception.Staff] {
	return table[*reception.Staff]{d, "staff", func(st *state) map[key]*reception.Staff { return st.staff }, (*reception.Staff).Clone}
}

func (d *driver) Rooms() reception.RoomDriver {
	return rooms{table[*reception.Room]{d, "room", func(st *state) map[key]*reception.Room { return st.rooms }, (*reception.Room).Clone}}
}

// Put stores v, a copy reception made.
func (t table[V]) Put(_ context.Context, orgID, id string, v V) error {
	_, err := locked(t.d, func(st *state) (any, error) {
		if err := st.needOrg(orgID); err != nil {
			return nil, err
		}
		t.m(st)[key{orgID, id}] = v
		return nil, nil
	})
	return err
}

func (t table[V]) Get(_ context.Context, orgID, id string) (V, error) {
	return locked(t.d, func(st *state) (V, error) {
		v, ok := t.m(st)[key{orgID, id}]
		if !ok {
			return v, notFound(t.kind, id)
		}
		return t.clone(v), nil
	})
}

func (t table[V]) List(_ context.Context, orgID string) ([]V, error) {
	return locked(t.d, func(st *state) ([]V, error) {
		var out []V
		for k, v := range t.m(st) {
			if k.org == orgID {
				out = append(out, t.clone(v))
			}
		}
		return out, nil
	})
}

// update runs fn on the map holding the existing value (orgID, id).
func (t table[V]) update(orgID, id string, fn func(m map[key]V, k key)) error {
	_, err := locked(t.d, func(st *state) (any, error) {
		k := key{orgID, id}
		if _, ok := t.m(st)[k]; !ok {
			return nil, notFound(t.kind, id)
		}
		fn(t.m(st), k)
		return nil, nil
	})
	return err
}

func (t table[V]) Delete(_ context.Context, orgID, id string) error {
	return t.update(orgID, id, func(m map[key]V, k key) { delete(m, k) })
}

// rooms adds MarkLeft to the table of rooms.
type rooms struct{ table[*reception.Room] }

func (r rooms) MarkLeft(_ context.Context, orgID, channelID string, at time.Time) error {
	return r.update(orgID, channelID, func(m map[key]*reception.Room, k key) {
		c := m[k].Clone()
		c.LeftAt = &at
		m[k] = c
	})
}

package memstore

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Parallel: true, Open: open, BeginTx: func(t *testing.T, db *storetest.Database) storetest.Tx {
		tx := db.Store.(*Store).Begin()
		return storetest.Tx{Tx: tx, Commit: tx.Commit, Rollback: tx.Rollback}
	}})
}

func open(t *testing.T, box *reception.SecretBox) *storetest.Database {
	s := New(box)
	t.Cleanup(func() { _ = s.Close() })
	return &storetest.Database{
		Store: s,
		// A second Store on the same state stands in for a second replica
		// on the same database.
		OpenAnother: func(t *testing.T) reception.Store {
			other := openOn(box, s.d.st)
			t.Cleanup(func() { _ = other.Close() })
			return other
		},
		RawContains: func(t *testing.T, needle []byte) bool {
			s.d.st.mu.Lock()
			defer s.d.st.mu.Unlock()
			return rawContains(reflect.ValueOf(s.d.st).Elem(), needle)
		},
	}
}

// rawContains walks every string and byte slice reachable from v — what a
// heap dump of the store would show.
func rawContains(v reflect.Value, needle []byte) bool {
	switch v.Kind() {
	case reflect.String:
		return bytes.Contains([]byte(v.String()), needle)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return bytes.Contains(v.Bytes(), needle)
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			if rawContains(v.Index(i), needle) {
				return true
			}
		}
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && rawContains(v.Elem(), needle)
	case reflect.Struct:
		for i := range v.NumField() {
			if rawContains(v.Field(i), needle) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if rawContains(it.Key(), needle) || rawContains(it.Value(), needle) {
				return true
			}
		}
	}
	return false
}

func TestClosed(t *testing.T) {
	box, err := reception.NewSecretBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := New(box)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListOrganizations(t.Context()); err == nil {
		t.Error("ListOrganizations after Close succeeded")
	}
}

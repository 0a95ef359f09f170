package reliability

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

func testBox(t testing.TB) *reception.SecretBox {
	box, err := reception.NewSecretBox(bytes.Repeat([]byte{7}, reception.SecretKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// openStore returns a fresh store for one test, closed when it ends.
func openStore(t testing.TB) reception.Store {
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "reliability.db"), testBox(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

package pgstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception/storetest"
)

// TestRateBudgetShared: two Stores on one schema share a budget. Of many
// concurrent takes at once, exactly a second's worth succeeds; the others
// are told how long to wait, about one interval. A hold by one closes the
// budget for the other.
func TestRateBudgetShared(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	box := storetest.NewBox(t)
	a, b := openStore(t, url, schema, box), openStore(t, url, schema, box)
	ctx := context.Background()
	const perMinute = 600 // burst 10, then one every 60/590 s
	var took atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			w, err := s.TakeRate(ctx, "domain/1 POST /x", perMinute)
			if err != nil {
				t.Error(err)
				return
			}
			if w == 0 {
				took.Add(1)
				return
			}
			if w > time.Second {
				t.Errorf("wait %v, want about one interval", w)
			}
		})
	}
	wg.Wait()
	// The 40 calls take some milliseconds: a request or two more may
	// have come due meanwhile.
	if n := took.Load(); n < 10 || n > 12 {
		t.Errorf("took %d of 40 at once, want the burst of 10", n)
	}
	if err := a.HoldRate(ctx, "domain/2 POST /x", perMinute, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	w, err := b.TakeRate(ctx, "domain/2 POST /x", perMinute)
	if err != nil || w < time.Second || w > 2*time.Second {
		t.Errorf("during another store's hold: wait %v, %v; want about 2 s", w, err)
	}
	if w, err := b.TakeRate(ctx, "domain/3 POST /x", perMinute); err != nil || w != 0 {
		t.Errorf("another key: wait %v, %v; want 0", w, err)
	}
	if w, err := a.TakeRate(ctx, "k", 0); err != nil || w != 0 {
		t.Errorf("no budget: wait %v, %v; want 0", w, err)
	}
}

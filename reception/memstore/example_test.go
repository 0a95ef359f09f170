package memstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// A visitor checks in; two staff members tap 「対応します」 and the first one
// gets the visitor.
func Example() {
	ctx := context.Background()
	key := make([]byte, reception.SecretKeySize) // in production: from a file or the environment
	_, _ = rand.Read(key)
	box, err := reception.NewSecretBox(key)
	if err != nil {
		panic(err)
	}
	store := memstore.New(box)
	defer store.Close()

	if err := store.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "Acme"}); err != nil {
		panic(err)
	}

	now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	visit := &reception.Visit{
		ID: reception.NewID(), OrgID: "acme", VisitorName: "山田 太郎", ButtonID: "sales",
		Status: reception.StatusWaiting, CreatedAt: now,
	}
	notice := reception.NewOutboxEntry("acme",
		reception.Target{Kind: reception.TargetRoom, ID: "room-sales"},
		[]byte(`{"type":"text","text":"山田 太郎 様がお見えです"}`),
		"visit/"+visit.ID+"/room/room-sales", now)
	notice.VisitID = visit.ID
	// The visit and its notification are stored together or not at all.
	if err := store.CheckIn(ctx, visit, []*reception.OutboxEntry{notice}); err != nil {
		panic(err)
	}

	v, err := store.ClaimVisit(ctx, "acme", visit.ID, "sato", now.Add(30*time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Println("handled by", v.HandlerUserID)

	_, err = store.ClaimVisit(ctx, "acme", visit.ID, "suzuki", now.Add(31*time.Second))
	var conflict *reception.ClaimConflictError
	if errors.As(err, &conflict) {
		fmt.Println("suzuki is told:", conflict.Handler, "already has it")
	}

	pending, _ := store.ListOutbox(ctx, "acme", reception.OutboxFilter{State: reception.OutboxPending})
	fmt.Println("messages to send:", len(pending))
	// Output:
	// handled by sato
	// suzuki is told: sato already has it
	// messages to send: 1
}

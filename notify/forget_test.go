package notify_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// TestForgetOrganizationDropsTheClient: after an organization is deleted,
// ForgetOrganization drops its cached LINE WORKS client, so that the next
// organization under that ID gets a new one (and the old one is not kept).
func TestForgetOrganizationDropsTheClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot")
	org := &reception.Organization{ID: "acme", Integration: reception.Integration{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PrivateKey: sa.PrivateKey, BotID: 1, Scopes: []string{"bot"},
	}}
	box, err := reception.NewSecretBox(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	conn := &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL}
	svc, err := notify.New(memstore.New(box), conn)
	if err != nil {
		t.Fatal(err)
	}
	first, err := conn.Connect(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := conn.Connect(ctx, org); again != first {
		t.Fatal("the client was not cached")
	}
	svc.ForgetOrganization("acme")
	if again, _ := conn.Connect(ctx, org); again == first {
		t.Error("ForgetOrganization kept the client")
	}

	// A connector without Forget is fine too.
	plain, err := notify.New(memstore.New(box), staticConnector{})
	if err != nil {
		t.Fatal(err)
	}
	plain.ForgetOrganization("acme")
}

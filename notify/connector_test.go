package notify_test

import (
	"context"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// TestConnectorRebuildsOnCredentialChange: one client per organization,
// kept while its credentials stay the same and rebuilt (with a new token)
// when any of them changes.
func TestConnectorRebuildsOnCredentialChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot")
	org := &reception.Organization{ID: "acme", Integration: reception.Integration{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PrivateKey: sa.PrivateKey, BotID: 1, Scopes: []string{"bot"},
	}}
	c := &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL}
	first, err := c.Connect(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Connect(ctx, org)
	if first != again {
		t.Error("same credentials built a second client")
	}
	other := *org
	other.ID = "other"
	if o, _ := c.Connect(ctx, &other); o == first {
		t.Error("two organizations share a client")
	}
	// A rotated app: new credentials registered at LINE WORKS.
	sa2 := fake.NewServiceAccount("bot")
	changed := *org
	changed.Integration.ClientID, changed.Integration.ClientSecret, changed.Integration.ServiceAccountID = sa2.ClientID, sa2.ClientSecret, sa2.ServiceAccountID
	rebuilt, err := c.Connect(ctx, &changed)
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt == first {
		t.Fatal("changed credentials reused the old client")
	}
	before := fake.TokenRequests()
	if err := rebuilt.SendToChannel(ctx, 1, "room", lineworksText("x")); err != nil {
		t.Fatal(err)
	}
	if fake.TokenRequests() != before+1 {
		t.Errorf("the rebuilt client did not fetch its own token")
	}
	bad := changed
	bad.Integration.PrivateKey = []byte("not a key")
	if _, err := c.Connect(ctx, &bad); err == nil {
		t.Error("an unparseable key was accepted")
	}
}

func lineworksText(s string) lineworks.Text { return lineworks.Text{Text: s} }

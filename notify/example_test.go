package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// Example wires a store, a fake LINE WORKS and the service: a check-in
// becomes a button template in the button's talk room, and a staff
// member's tap on 「対応します」 makes them the handler.
func Example() {
	ctx := context.Background()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot")

	box, _ := reception.NewSecretBox(bytes.Repeat([]byte{1}, 32))
	store := memstore.New(box)
	_ = store.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "ACME", Integration: reception.Integration{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PrivateKey: sa.PrivateKey, BotID: 2000001, BotSecret: "bot-secret",
	}})
	_ = store.PutButton(ctx, &reception.Button{ID: "sales", OrgID: "acme", Label: "営業部", Enabled: true, ChannelIDs: []string{"room-1"}})

	svc, _ := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL},
		notify.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	visit, err := svc.CheckIn(ctx, "acme", notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "佐藤", Company: "テスト商事"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = svc.DispatchOnce(ctx) // normally svc.Run(ctx) does this in the background
	msg := fake.Messages()[0]
	fmt.Println("to", msg.ChannelID)

	// The tap arrives as LINE WORKS sends it: a message event whose
	// content carries the action's postback value.
	tap := lineworkstest.MessageTapEvent("user-1", "room-1", "対応します", notify.AcceptPostback(visit.ID))
	sender := lineworkstest.CallbackSender{BotID: 2000001, Secret: "bot-secret"}
	fmt.Println("callback", sender.ServeTo(svc.CallbackHandler(), tap).Code)
	_, _ = svc.ProcessInboxOnce(ctx)
	v, _ := store.GetVisit(ctx, "acme", visit.ID)
	fmt.Println(v.Status, v.HandlerUserID)
	// Output:
	// to room-1
	// callback 200
	// accepted user-1
}

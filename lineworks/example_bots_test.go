package lineworks_test

import (
	"context"
	"fmt"
	"log"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// newExampleClient starts a fake LINE WORKS and returns a client for it.
func newExampleClient() (*lineworks.Client, *lineworkstest.Server) {
	fake := lineworkstest.NewServer()
	sa := fake.NewServiceAccount("bot", "user.read")
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	client, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		log.Fatal(err)
	}
	return client, fake
}

func ExampleBotsService_SendToChannel() {
	client, fake := newExampleClient()
	defer fake.Close()
	ctx := context.Background()
	const botID = 2000001

	err := client.Bots.SendToChannel(ctx, botID, "753449a5-7716-39e4-3de9-770a97f1a5f5", lineworks.Text{Text: "受付に来客です: 山田様"})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range fake.Messages() {
		fmt.Printf("bot %d → channel %s: %s\n", m.BotID, m.ChannelID, m.Content)
	}
	// Output:
	// bot 2000001 → channel 753449a5-7716-39e4-3de9-770a97f1a5f5: {"type":"text","text":"受付に来客です: 山田様"}
}

// A button template cannot carry postback actions; message actions with a
// postback value can, and the value comes back as content.postback of the
// message event when someone taps the button.
func ExampleBotsService_SendToChannel_buttonTemplate() {
	client, fake := newExampleClient()
	defer fake.Close()
	ctx := context.Background()

	msg := lineworks.ButtonTemplate{
		ContentText: "山田様が受付にいらっしゃいました。",
		Actions: []lineworks.Action{
			lineworks.MessageAction{Label: "対応します", Postback: "uk1:take:v123"},
			lineworks.MessageAction{Label: "他の人に対応を依頼", Postback: "uk1:pass:v123"},
		},
	}
	if err := client.Bots.SendToChannel(ctx, 2000001, "room-1", msg); err != nil {
		log.Fatal(err)
	}

	// What the fake received, decoded the way LINE WORKS reads it.
	received := fake.Messages()[0]
	content, err := lineworks.DecodeContent(received.Content)
	if err != nil {
		log.Fatal(err)
	}
	bt := content.(lineworks.ButtonTemplate)
	fmt.Println(received.ChannelID, content.ContentType(), bt.ContentText)
	for _, a := range bt.Actions {
		m := a.(lineworks.MessageAction)
		fmt.Printf("%s: %s → postback %s\n", a.ActionType(), m.Label, m.Postback)
	}
	// Output:
	// room-1 button_template 山田様が受付にいらっしゃいました。
	// message: 対応します → postback uk1:take:v123
	// message: 他の人に対応を依頼 → postback uk1:pass:v123
}

func ExampleChannelsService_Members() {
	client, fake := newExampleClient()
	defer fake.Close()
	ctx := context.Background()
	const botID = 2000001
	fake.AddUser(lineworkstest.User{UserID: "u-yamada", LastName: "山田", FirstName: "太郎"})
	fake.AddUser(lineworkstest.User{UserID: "u-suzuki", LastName: "鈴木", FirstName: "花子"})
	fake.AddUser(lineworkstest.User{UserID: "u-sato", Email: "sato@example.com"})
	roomID := fake.AddChannel(botID, lineworkstest.Channel{Title: "受付", Members: []string{"u-yamada", "u-suzuki", "u-sato"}})

	for userID, err := range client.Channels.Members(ctx, botID, roomID) {
		if err != nil {
			log.Fatal(err)
		}
		u, err := client.Users.Get(ctx, userID)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(userID, u.DisplayName())
	}
	// Output:
	// u-yamada 山田 太郎
	// u-suzuki 鈴木 花子
	// u-sato sato@example.com
}

// A bot created through the API gets its secret from ReissueSecret: the
// create answer does not carry one. Store it before the first callback.
func ExampleBotsService_ReissueSecret() {
	client, fake := newExampleClient()
	defer fake.Close()
	ctx := context.Background()

	bot, err := client.Bots.Create(ctx, lineworks.BotCreate{
		BotName: "受付", PhotoURL: "https://example.com/bot.png", Description: "来客の受付",
		Administrators: []string{"admin@example.com"},
		EnableCallback: true, CallbackURL: "https://uketsuke.example.com/callback/lineworks",
	})
	if err != nil {
		log.Fatal(err)
	}
	secret, err := client.Bots.ReissueSecret(ctx, bot.BotID)
	if err != nil {
		log.Fatal(err)
	}

	// A callback LINE WORKS signs from now on verifies with that secret.
	sender, err := fake.CallbackSenderFor(bot.BotID)
	if err != nil {
		log.Fatal(err)
	}
	body := lineworkstest.JoinEvent("room-1")
	verr := lineworks.VerifySignature(secret, body, sender.NewRequest(body).Header.Get("X-WORKS-Signature"))
	fmt.Printf("bot %d: secret in the create answer %t, callback verifies %t\n", bot.BotID, bot.BotSecret != "", verr == nil)
	// Output:
	// bot 2000001: secret in the create answer false, callback verifies true
}

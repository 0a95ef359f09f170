package lineworks_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// One endpoint serves every bot: the handler finds each bot's secret by the
// X-WORKS-BotId header. Tap gives the value of a tapped button whether LINE
// WORKS delivered it as a message event (message actions, as in button
// templates) or as a postback event (carousels, quick replies, rich menus).
func ExampleNewCallbackReceiver() {
	secrets := map[int64]string{2000001: "bot-secret-from-the-developer-console"}
	lookup := func(_ context.Context, botID int64) (string, error) {
		s, ok := secrets[botID]
		if !ok {
			return "", fmt.Errorf("unknown bot %d", botID)
		}
		return s, nil
	}
	handle := func(_ context.Context, cb *lineworks.Callback) error {
		// A real server stores cb.Body durably here and returns at once: LINE
		// WORKS never redelivers, and ParseEvent decodes the body again later.
		if data, ok := lineworks.Tap(cb.Event); ok {
			to, _ := cb.Event.EventSource().ReplyTarget()
			fmt.Printf("bot %d: tap %q, answer to %s\n", cb.BotID, data, to)
			return nil
		}
		switch e := cb.Event.(type) {
		case lineworks.JoinEvent:
			fmt.Printf("bot %d: joined room %s\n", cb.BotID, e.Source.ChannelID)
		case lineworks.MessageEvent:
			fmt.Printf("bot %d: %s message from %s\n", cb.BotID, e.Content.ContentType(), e.Source.UserID)
		default:
			fmt.Printf("bot %d: %s event\n", cb.BotID, e.Type())
		}
		return nil
	}
	h, err := lineworks.NewCallbackReceiver(lookup, handle)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /callback/lineworks", h)

	// lineworkstest signs bodies the way LINE WORKS does.
	bot := lineworkstest.CallbackSender{BotID: 2000001, Secret: secrets[2000001]}
	for _, body := range [][]byte{
		lineworkstest.JoinEvent("room-1"),
		lineworkstest.MessageTapEvent("user-1", "room-1", "対応します", "uk1:accept:v42"),
		lineworkstest.PostbackEvent("user-2", "room-1", "uk1:reassign:v42"),
		lineworkstest.TextMessageEvent("user-3", "", "hello"),
	} {
		bot.ServeTo(mux, body)
	}
	stranger := lineworkstest.CallbackSender{BotID: 2000001, Secret: "guessed"}
	fmt.Println("forged:", stranger.ServeTo(mux, lineworkstest.JoinEvent("room-2")).Code)

	// Output:
	// bot 2000001: joined room room-1
	// bot 2000001: tap "uk1:accept:v42", answer to room-1
	// bot 2000001: tap "uk1:reassign:v42", answer to room-1
	// bot 2000001: text message from user-3
	// forged: 401
}

// ParseEvent decodes a body that was verified when it arrived, such as one
// stored by the callback handler and processed later.
func ExampleParseEvent() {
	stored := []byte(`{"type":"message","source":{"userId":"user-1","domainId":40029600},` +
		`"issuedTime":"2022-01-04T05:16:05.716Z","content":{"type":"sticker","packageId":"1","stickerId":"2"}}`)
	ev, err := lineworks.ParseEvent(stored)
	if err != nil {
		fmt.Println(err)
		return
	}
	if m, ok := ev.(lineworks.MessageEvent); ok {
		to, channel := m.Source.ReplyTarget()
		fmt.Printf("%s from %s at %s (reply to channel: %v, id %s)\n",
			m.Content.ContentType(), m.Source.UserID, m.Issued.Format("15:04:05.000"), channel, to)
	}
	// Output: sticker from user-1 at 05:16:05.716 (reply to channel: false, id user-1)
}

func ExampleVerifySignature() {
	body := []byte(`{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}`)
	// The X-WORKS-Signature header LINE WORKS sent with body.
	signature := "LQwo6AmHqW0YqT2nW63/mnXW8v+G8wxkp2AEwRlafdc="
	fmt.Println(lineworks.VerifySignature("Zx9fK2mQ7vLr4TpW8sNb", body, signature))
	fmt.Println(lineworks.VerifySignature("another-secret", body, signature))
	// Output:
	// <nil>
	// lineworks: callback signature mismatch
}

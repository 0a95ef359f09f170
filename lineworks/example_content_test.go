package lineworks_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/uketsuke/uketsuke/lineworks"
)

// printJSON prints v as indented JSON without HTML escaping, so mention tags
// stay readable (the server accepts either form).
func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Println("error:", err)
	}
}

// A reception notification: button templates do not accept postback
// actions, so each button is a message action carrying a postback value,
// which comes back as content.postback of the message event when tapped.
func ExampleButtonTemplate() {
	notice := lineworks.ButtonTemplate{
		ContentText: "受付: " + lineworks.EscapeText("山田 太郎") + " 様がお待ちです。",
		Actions: []lineworks.Action{
			lineworks.MessageAction{Label: "対応します", Postback: "uk1:accept:v42"},
			lineworks.MessageAction{Label: "他の人に対応を依頼", Postback: "uk1:handoff:v42"},
		},
	}
	if err := notice.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	printJSON(notice)
	// Output:
	// {
	//   "type": "button_template",
	//   "contentText": "受付: 山田 太郎 様がお待ちです。",
	//   "actions": [
	//     {
	//       "type": "message",
	//       "label": "対応します",
	//       "postback": "uk1:accept:v42"
	//     },
	//     {
	//       "type": "message",
	//       "label": "他の人に対応を依頼",
	//       "postback": "uk1:handoff:v42"
	//     }
	//   ]
	// }
}

// A mention of the member who took the visitor. The visitor's name is typed
// at the kiosk, so it goes through EscapeText: a name that looks like a
// mention tag cannot notify the whole room.
func ExampleMention() {
	visitor := `<m userId="all">山田`
	msg := lineworks.Text{
		Text: lineworks.EscapeText(visitor) + " 様\n担当: " + lineworks.Mention("c72af563-0f21-4736-11e4-045237113344"),
	}
	fmt.Println(lineworks.CountMentions(msg.Text), msg.Validate())
	printJSON(msg)
	// Output:
	// 1 <nil>
	// {
	//   "type": "text",
	//   "text": "＜m userId=\"all\">山田 様\n担当: <m userId=\"c72af563-0f21-4736-11e4-045237113344\">"
	// }
}

// Stored or hand-written JSON (a --json file, an outbox row) is decoded
// by its "type" and validated before sending; errors name the field.
func ExampleDecodeContent() {
	c, err := lineworks.DecodeContent([]byte(`{
		"type": "button_template",
		"contentText": "Ready?",
		"actions": [{"type": "postback", "label": "OK", "data": "ok"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%T\n", c)
	fmt.Println(c.Validate())
	// Output:
	// lineworks.ButtonTemplate
	// lineworks: actions[0].type: postback action is not allowed in button_template; use a message action with a postback value
}

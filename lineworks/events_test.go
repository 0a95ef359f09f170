package lineworks_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/uketsuke/uketsuke/lineworks"
)

var (
	// issued716 is the issuedTime of every fixture: 2022-01-04T05:16:05.716Z.
	issued716 = time.Date(2022, 1, 4, 5, 16, 5, 716_000_000, time.UTC)
	// docSource is the source of the talk-room fixtures.
	docSource = lineworks.Source{UserID: "c72af563-0f21-4736-11e4-045237113344", ChannelID: "12345", DomainID: 40029600}
	// roomSource is the source of the join/leave/joined/left fixtures: no user.
	roomSource = lineworks.Source{ChannelID: "12345", DomainID: 40029600}
)

const docFileID = "WAAAQPwBexX2HnseNvvM9Zyhvp2kIRF3Ul7L7/aMVti8="

// TestParseEventFixtures decodes every payload of lineworks-fixtures.md §3,
// copied byte for byte into testdata/callbacks (see its README).
func TestParseEventFixtures(t *testing.T) {
	t.Parallel()
	tests := map[string]lineworks.Event{
		"message_text.json": lineworks.MessageEvent{
			EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "c72af563-0f21-4736-11e4-045237113344", ChannelID: "12345a12-b12c-12d3-e123fghijkl", DomainID: 40029600}, Issued: issued716},
			Content:     lineworks.ReceivedText{Text: "hello"},
		},
		"message_text_postback.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedText{Text: "FAQ", Postback: "ButtonTemplate_FAQ"}},
		"message_location.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedLocation{Address: "〒150-0002 東京都渋谷区渋谷２丁目１５−１", Latitude: 35.6587750, Longitude: 139.7052230}},
		"message_sticker.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedSticker{PackageID: "1", StickerID: "1"}},
		"message_image.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedImage{FileID: docFileID}},
		"message_file.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedFile{FileID: docFileID}},
		"message_audio.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedAudio{FileID: docFileID}},
		"message_video.json": lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716},
			Content: lineworks.ReceivedVideo{FileID: docFileID}},
		"postback.json": lineworks.PostbackEvent{EventHeader: lineworks.EventHeader{Source: docSource, Issued: issued716}, Data: "action=buy"},
		"leave.json":    lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource, Issued: issued716}},
		"joined.json":   lineworks.JoinedEvent{EventHeader: lineworks.EventHeader{Source: roomSource, Issued: issued716}, Members: []string{"userf7da-f82c-4284-13e7-030f3b4c756x"}},
		"left.json":     lineworks.LeftEvent{EventHeader: lineworks.EventHeader{Source: roomSource, Issued: issued716}, Members: []string{"userf7da-f82c-4284-13e7-030f3b4c756x"}},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "callbacks", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("testdata/callbacks has %d fixtures, the table %d: every fixture needs a row", len(files), len(tests))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expected event for %s", name)
			}
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lineworks.ParseEvent(body)
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
			if got.Type() != want.Type() || got.EventSource() != want.EventSource() || !got.IssuedTime().Equal(want.IssuedTime()) {
				t.Errorf("accessors = %q %+v %v, want %q %+v %v", got.Type(), got.EventSource(), got.IssuedTime(), want.Type(), want.EventSource(), want.IssuedTime())
			}
		})
	}
}

// ownEventCases are shapes the fixtures do not cover: each optional field
// absent, and each documented leniency. They also seed the fuzzers.
var ownEventCases = []struct {
	name string
	body string
	want lineworks.Event
}{
	{
		name: "1:1 text has no channelId",
		body: `{"type":"message","source":{"userId":"u1","domainId":40029600},"issuedTime":"2022-01-04T05:16:05.716Z","content":{"type":"text","text":"hi"}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 40029600}, Issued: issued716}, Content: lineworks.ReceivedText{Text: "hi"}},
	},
	{
		name: "join has no userId and issuedTime without millis",
		body: `{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}`,
		want: lineworks.JoinEvent{EventHeader: lineworks.EventHeader{Source: roomSource, Issued: time.Date(2022, 1, 4, 5, 16, 5, 0, time.UTC)}},
	},
	{
		name: "begin carries the 1:1 channelId",
		body: `{"type":"begin","source":{"userId":"u1","channelId":"c1","domainId":40029600},"issuedTime":"2022-01-04T05:16:05.716Z"}`,
		want: lineworks.BeginEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", ChannelID: "c1", DomainID: 40029600}, Issued: issued716}},
	},
	{
		name: "end",
		body: `{"type":"end","source":{"userId":"u1","channelId":"c1","domainId":40029600},"issuedTime":"2022-01-04T05:16:05.716Z"}`,
		want: lineworks.EndEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", ChannelID: "c1", DomainID: 40029600}, Issued: issued716}},
	},
	{
		name: "issuedTime absent",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":40029600}}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource}},
	},
	{
		name: "issuedTime unparseable",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":40029600},"issuedTime":"yesterday"}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource}},
	},
	{
		name: "issuedTime a number",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":40029600},"issuedTime":1641273365716}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource}},
	},
	{
		name: "issuedTime with offset and micros",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T14:16:05.716001+09:00"}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource, Issued: time.Date(2022, 1, 4, 5, 16, 5, 716_001_000, time.UTC)}},
	},
	{
		name: "issuedTime without zone is UTC",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05.716"}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource, Issued: issued716}},
	},
	{
		name: "source absent",
		body: `{"type":"leave"}`,
		want: lineworks.LeaveEvent{},
	},
	{
		name: "domainId as a string",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":"40029600"}}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource}},
	},
	{
		name: "domainId as an integral float",
		body: `{"type":"leave","source":{"channelId":"12345","domainId":4.00296e+07}}`,
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource}},
	},
	{
		name: "sticker ids as numbers",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"sticker","packageId":11537,"stickerId":52002734}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.ReceivedSticker{PackageID: "11537", StickerID: "52002734"}},
	},
	{
		name: "location coordinates as strings",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"location","address":"渋谷","latitude":"35.658775","longitude":"139.705223"}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.ReceivedLocation{Address: "渋谷", Latitude: 35.658775, Longitude: 139.705223}},
	},
	{
		name: "file with fileName",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"file","fileId":"f1","fileName":"見積書.pdf","fileSize":1024}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.ReceivedFile{FileID: "f1", FileName: "見積書.pdf"}},
	},
	{
		name: "escaped text",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"text","text":"line1\nline2 \"quoted\" \u53d7\u4ed8 \ud83d\ude00","postback":"a\/b"}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.ReceivedText{Text: "line1\nline2 \"quoted\" 受付 😀", Postback: "a/b"}},
	},
	{
		name: "unknown event type kept raw",
		body: `{"type":"reaction","source":{"userId":"u1","channelId":"c1","domainId":1},"issuedTime":"2022-01-04T05:16:05.716Z","reaction":{"emoji":"👍"}}`,
		want: lineworks.UnknownEvent{EventType: "reaction", EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", ChannelID: "c1", DomainID: 1}, Issued: issued716},
			Raw: json.RawMessage(`{"type":"reaction","source":{"userId":"u1","channelId":"c1","domainId":1},"issuedTime":"2022-01-04T05:16:05.716Z","reaction":{"emoji":"👍"}}`)},
	},
	{
		name: "unknown event type with fields shaped unlike ours",
		body: `{"type":"future","source":{"domainId":1},"data":{"k":1},"members":"all","content":7}`,
		want: lineworks.UnknownEvent{EventType: "future", EventHeader: lineworks.EventHeader{Source: lineworks.Source{DomainID: 1}},
			Raw: json.RawMessage(`{"type":"future","source":{"domainId":1},"data":{"k":1},"members":"all","content":7}`)},
	},
	{
		name: "no type at all",
		body: `{}`,
		want: lineworks.UnknownEvent{Raw: json.RawMessage(`{}`)},
	},
	{
		name: "unknown content type kept raw",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"poll","question":"lunch?","options":["a","b"]}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}},
			Content: lineworks.UnknownContent{Type: "poll", Raw: json.RawMessage(`{"type":"poll","question":"lunch?","options":["a","b"]}`)}},
	},
	{
		name: "message without content",
		body: `{"type":"message","source":{"userId":"u1","domainId":1}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.UnknownContent{}},
	},
	{
		name: "content not an object",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":"hello"}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.UnknownContent{Raw: json.RawMessage(`"hello"`)}},
	},
	{
		name: "text content with a non-string text is kept raw",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"text","text":42}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.UnknownContent{Type: "text", Raw: json.RawMessage(`{"type":"text","text":42}`)}},
	},
	{
		name: "odd field of another content type does not spoil a text",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"text","text":"hi","fileId":{"v":2}}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.ReceivedText{Text: "hi"}},
	},
	{
		name: "sticker with a bool id is kept raw",
		body: `{"type":"message","source":{"userId":"u1","domainId":1},"content":{"type":"sticker","packageId":true,"stickerId":"1"}}`,
		want: lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", DomainID: 1}}, Content: lineworks.UnknownContent{Type: "sticker", Raw: json.RawMessage(`{"type":"sticker","packageId":true,"stickerId":"1"}`)}},
	},
	{
		name: "postback with non-string data is kept raw",
		body: `{"type":"postback","source":{"userId":"u1","channelId":"c1","domainId":1},"data":{"a":1}}`,
		want: lineworks.UnknownEvent{EventType: "postback", EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", ChannelID: "c1", DomainID: 1}},
			Raw: json.RawMessage(`{"type":"postback","source":{"userId":"u1","channelId":"c1","domainId":1},"data":{"a":1}}`)},
	},
	{
		name: "joined with members not a list is kept raw",
		body: `{"type":"joined","source":{"channelId":"c1","domainId":1},"members":"u1"}`,
		want: lineworks.UnknownEvent{EventType: "joined", EventHeader: lineworks.EventHeader{Source: lineworks.Source{ChannelID: "c1", DomainID: 1}},
			Raw: json.RawMessage(`{"type":"joined","source":{"channelId":"c1","domainId":1},"members":"u1"}`)},
	},
	{
		name: "postback with an odd unrelated field",
		body: `{"type":"postback","source":{"userId":"u1","channelId":"c1","domainId":1},"data":"d","members":5}`,
		want: lineworks.PostbackEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "u1", ChannelID: "c1", DomainID: 1}}, Data: "d"},
	},
	{
		name: "nulls everywhere",
		body: `{"type":"joined","source":{"userId":null,"channelId":"c1","domainId":null},"issuedTime":null,"members":null}`,
		want: lineworks.JoinedEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{ChannelID: "c1"}}},
	},
	{
		name: "whitespace around the object",
		body: " \r\n\t{\"type\":\"leave\",\"source\":{\"channelId\":\"12345\",\"domainId\":40029600}}\n",
		want: lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: roomSource}},
	},
}

func TestParseEventOwnCases(t *testing.T) {
	t.Parallel()
	for _, tt := range ownEventCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := lineworks.ParseEvent([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEventDoesNotAliasBody(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"future","source":{"domainId":1},"content":{"type":"x"}}`)
	ev, err := lineworks.ParseEvent(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = ' '
	}
	if raw := ev.(lineworks.UnknownEvent).Raw; !json.Valid(raw) {
		t.Errorf("Raw changed with the body: %q", raw)
	}
}

func TestParseEventMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantMsg string
	}{
		{"empty", ``, "invalid JSON"},
		{"only whitespace", " \n", "invalid JSON"},
		{"truncated", `{"type":"message","source":{"userId":"secret-user"`, "invalid JSON at byte offset"},
		{"trailing garbage", `{"type":"leave"} x`, "invalid JSON"},
		{"null", `null`, "not a JSON object"},
		{"array", `[{"type":"leave"}]`, "not a JSON object"},
		{"string", `"leave"`, "not a JSON object"},
		{"type not a string", `{"type":1,"source":{"domainId":1}}`, `field "type"`},
		{"source not an object", `{"type":"leave","source":"private-channel"}`, `field "source"`},
		{"userId not a string", `{"type":"message","source":{"userId":12}}`, `field "source.userId"`},
		{"domainId not a number", `{"type":"leave","source":{"domainId":"abc"}}`, `field "source.domainId"`},
		{"domainId fractional", `{"type":"leave","source":{"domainId":1.5}}`, `field "source.domainId"`},
		{"invalid UTF-8 outside strings", "{\"type\":\"leave\"\xff}", "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := lineworks.ParseEvent([]byte(tt.body))
			if !errors.Is(err, lineworks.ErrMalformedEvent) {
				t.Fatalf("ParseEvent = %v, %v; want ErrMalformedEvent", ev, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			// Errors are logged: they must not quote the body.
			for _, secret := range []string{"secret-user", "private-channel", "abc"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes the body", err)
				}
			}
		})
	}
}

func TestTap(t *testing.T) {
	t.Parallel()
	src := lineworks.Source{UserID: "u1", ChannelID: "c1", DomainID: 1}
	tests := []struct {
		name     string
		event    lineworks.Event
		wantData string
		wantOK   bool
	}{
		{"message action tap", lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: src}, Content: lineworks.ReceivedText{Text: "対応します", Postback: "uk1:accept:v1"}}, "uk1:accept:v1", true},
		{"postback action tap", lineworks.PostbackEvent{EventHeader: lineworks.EventHeader{Source: src}, Data: "uk1:accept:v1"}, "uk1:accept:v1", true},
		{"pointer to postback", &lineworks.PostbackEvent{Data: "p"}, "p", true},
		{"pointer to message", &lineworks.MessageEvent{Content: lineworks.ReceivedText{Postback: "m"}}, "m", true},
		{"pointer content", lineworks.MessageEvent{Content: &lineworks.ReceivedText{Postback: "m"}}, "m", true},
		{"typed text is not a tap", lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: src}, Content: lineworks.ReceivedText{Text: "uk1:accept:v1"}}, "", false},
		{"postback with empty data", lineworks.PostbackEvent{EventHeader: lineworks.EventHeader{Source: src}}, "", false},
		{"sticker", lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: src}, Content: lineworks.ReceivedSticker{PackageID: "1", StickerID: "1"}}, "", false},
		{"nil content", lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: src}}, "", false},
		{"join", lineworks.JoinEvent{EventHeader: lineworks.EventHeader{Source: src}}, "", false},
		{"unknown", lineworks.UnknownEvent{EventType: "postback", Raw: json.RawMessage(`{"data":"x"}`)}, "", false},
		{"nil event", nil, "", false},
		{"nil pointer", (*lineworks.PostbackEvent)(nil), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, ok := lineworks.Tap(tt.event)
			if data != tt.wantData || ok != tt.wantOK {
				t.Errorf("Tap = %q, %v; want %q, %v", data, ok, tt.wantData, tt.wantOK)
			}
		})
	}
}

func TestTapOnParsedFixtures(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"message_text_postback.json": "ButtonTemplate_FAQ",
		"postback.json":              "action=buy",
		"message_text.json":          "",
		"joined.json":                "",
	} {
		body, err := os.ReadFile(filepath.Join("testdata", "callbacks", file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := lineworks.ParseEvent(body)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := lineworks.Tap(ev); got != want || ok != (want != "") {
			t.Errorf("%s: Tap = %q, %v; want %q", file, got, ok, want)
		}
	}
}

func TestEventSourceReplyTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src         lineworks.Source
		wantID      string
		wantChannel bool
	}{
		{lineworks.Source{UserID: "u1", ChannelID: "c1"}, "c1", true},
		{lineworks.Source{UserID: "u1"}, "u1", false},
		{lineworks.Source{ChannelID: "c1"}, "c1", true},
		{lineworks.Source{}, "", false},
	}
	for _, tt := range tests {
		if id, ch := tt.src.ReplyTarget(); id != tt.wantID || ch != tt.wantChannel {
			t.Errorf("%+v.ReplyTarget() = %q, %v; want %q, %v", tt.src, id, ch, tt.wantID, tt.wantChannel)
		}
	}
}

func TestEventContentTypes(t *testing.T) {
	t.Parallel()
	for want, c := range map[string]lineworks.ReceivedContent{
		"text": lineworks.ReceivedText{}, "location": lineworks.ReceivedLocation{}, "sticker": lineworks.ReceivedSticker{},
		"image": lineworks.ReceivedImage{}, "file": lineworks.ReceivedFile{}, "audio": lineworks.ReceivedAudio{},
		"video": lineworks.ReceivedVideo{}, "poll": lineworks.UnknownContent{Type: "poll"},
	} {
		if got := c.ContentType(); got != want {
			t.Errorf("%T.ContentType() = %q, want %q", c, got, want)
		}
	}
}

package lineworks

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The golden files under testdata/content are the outgoing bodies of
// /work/shared/docs/lineworks-fixtures.md §4 and §5 (the value of
// "content"), i.e. the shapes of the LINE WORKS reference examples. They are
// written by hand on purpose: regenerating them from our own output would
// only prove that the code agrees with itself.

// flexAsJSON lets cmp compare FlexContainers by meaning, not by whitespace.
var flexAsJSON = cmp.Transformer("flexJSON", func(f FlexContainer) any {
	var v any
	if err := json.Unmarshal(f, &v); err != nil {
		return string(f)
	}
	return v
})

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "content", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diffJSON compares two JSON documents as decoded values, so key order and
// whitespace do not matter.
func diffJSON(t *testing.T, want, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	return cmp.Diff(w, g)
}

func mustFlex(t testing.TB, s string) FlexContainer {
	t.Helper()
	if !json.Valid([]byte(s)) {
		t.Fatalf("invalid flex JSON: %s", s)
	}
	return FlexContainer(s)
}

func goldenContents(t *testing.T) []struct {
	file string
	want Content
} {
	const fileID = "jp1.1628695315008671000.1628781715.0.1000001.0.0.0"
	return []struct {
		file string
		want Content
	}{
		{"text.json", Text{Text: "hello"}},
		{"text_i18n.json", Text{Text: "hello", I18nTexts: []I18nText{
			{Language: LanguageJaJP, Text: "こんにちは"},
			{Language: LanguageKoKR, Text: "안녕하세요"},
		}}},
		{"text_mention.json", Text{Text: "Hello, " + Mention("admin@example.com")}},
		{"text_mention_all.json", Text{Text: MentionAll + " Meeting starts in 5 minutes."}},
		{"text_quickreply.json", Text{
			Text: "Please select your favorite food category!",
			QuickReply: &QuickReply{Items: []QuickReplyItem{
				{ImageURL: "https://www.example.com/a.png", Action: MessageAction{Label: "Sushi", Text: "Sushi"}},
				{ImageURL: "https://www.example.com/b.png", Action: MessageAction{Label: "Italian", Text: "Italian"}},
				{Action: CameraAction{Label: "Open Camera"}},
			}},
		}},
		{"sticker.json", Sticker{PackageID: "1", StickerID: "2"}},
		{"image_url.json", Image{PreviewImageURL: "https://example.com/preview.png", OriginalContentURL: "https://example.com/image.png"}},
		{"image_fileid.json", Image{FileID: fileID}},
		{"file_url.json", File{OriginalContentURL: "https://line.worksmobile.com/kr/wp-content/uploads/2020/05/user-start-guide-v2.0.pdf"}},
		{"file_fileid.json", File{FileID: fileID}},
		{"audio.json", Audio{OriginalContentURL: "https://example.com/sound.m4a"}},
		{"video.json", Video{PreviewImageURL: "https://example.com/preview.png", OriginalContentURL: "https://example.com/movie.mp4"}},
		{"location.json", Location{Title: "LINE WORKS", Address: "東京都渋谷区渋谷２丁目１５−１", Latitude: 35.658775, Longitude: 139.705223}},
		{"link.json", Link{ContentText: "content text", LinkText: "link text", Link: "http://www.worksmobile.com"}},
		{"link_i18n.json", Link{
			ContentText: "content text",
			I18nContentTexts: []I18nContentText{
				{Language: LanguageJaJP, ContentText: "コンテンツテキスト"},
				{Language: LanguageKoKR, ContentText: "컨텐츠 텍스트"},
			},
			LinkText: "link area",
			I18nLinkTexts: []I18nLinkText{
				{Language: LanguageJaJP, LinkText: "リンクテキスト"},
				{Language: LanguageKoKR, LinkText: "링크 텍스트"},
			},
			Link: "http://line.worksmobile.com",
		}},
		{"button_template.json", ButtonTemplate{
			ContentText: "What do you want?",
			Actions: []Action{
				URIAction{Label: "LINE WORKS Homepage", URI: "https://line.worksmobile.com"},
				MessageAction{Label: "FAQ", Postback: "ButtonTemplate_FAQ"},
			},
		}},
		{"reception_button_template.json", ButtonTemplate{
			ContentText: "受付: 山田様（株式会社サンプル）がお待ちです。",
			Actions: []Action{
				MessageAction{Label: "対応します", Postback: "uk1:accept:v42"},
				MessageAction{Label: "他の人に対応を依頼", Postback: "uk1:handoff:v42"},
			},
		}},
		{"list_template.json", ListTemplate{
			CoverData: &ListCover{BackgroundImageURL: "https://example.com/1.png"},
			Elements: []ListElement{
				{
					Title:    "LINE WORKS Homepage",
					Subtitle: "Press the button to visit.",
					Action:   URIAction{Label: "Visit", URI: "https://line.worksmobile.com"},
				},
				{
					Title:              "FAQ",
					Subtitle:           "Talk with bot.",
					OriginalContentURL: "https://example.com/2.png",
					Action:             MessageAction{Label: "Talk", Postback: "ListTemplate_Talk"},
				},
			},
			Actions: [][]Action{{MessageAction{Label: "View more", Postback: "ListTempalte_ViewMore"}}},
		}},
		{"list_template_cover.json", ListTemplate{
			CoverData: &ListCover{
				BackgroundFileID: fileID,
				Title:            "Menu",
				Subtitle:         "Today",
				I18nTitles:       []I18nTitle{{Language: LanguageJaJP, Title: "メニュー"}},
				I18nSubtitles:    []I18nSubtitle{{Language: LanguageJaJP, Subtitle: "本日"}},
			},
			Elements: []ListElement{{
				Title:      "Lunch",
				FileID:     "jp1.1628695315008671000.1628781715.0.1000001.0.0.1",
				I18nTitles: []I18nTitle{{Language: LanguageJaJP, Title: "昼食"}},
				Action:     CopyAction{Label: "Copy", CopyText: "Lunch"},
			}},
			Actions: [][]Action{
				{MessageAction{Label: "Yes", Postback: "yes"}, MessageAction{Label: "No", Postback: "no"}},
				{URIAction{Label: "More", URI: "https://example.com/menu"}},
			},
		}},
		{"carousel.json", Carousel{
			ImageAspectRatio: ImageAspectRatioRectangle,
			ImageSize:        ImageSizeCover,
			Columns: []CarouselColumn{
				{
					OriginalContentURL: "https://example.com/item1.png",
					Title:              "Item 1",
					Text:               "Description 1",
					DefaultAction:      URIAction{Label: "View detail", URI: "https://example.com/item/1"},
					Actions: []Action{
						PostbackAction{Label: "Buy", Data: "action=buy&itemid=1", DisplayText: "Buy item 1"},
						URIAction{Label: "View detail", URI: "https://example.com/item/1"},
					},
				},
				{
					OriginalContentURL: "https://example.com/item2.png",
					Title:              "Item 2",
					Text:               "Description 2",
					DefaultAction:      URIAction{Label: "View detail", URI: "https://example.com/item/2"},
					Actions: []Action{
						PostbackAction{Label: "Buy", Data: "action=buy&itemid=2", DisplayText: "Buy item 2"},
						URIAction{Label: "View detail", URI: "https://example.com/item/2"},
					},
				},
			},
		}},
		{"image_carousel.json", ImageCarousel{Columns: []ImageCarouselColumn{
			{OriginalContentURL: "https://example.com/a.png", Action: PostbackAction{Label: "Choose A", Data: "choice=a", DisplayText: "A"}},
			{FileID: fileID, Action: URIAction{Label: "Open", URI: "https://example.com"}},
		}}},
		{"flex_bubble.json", Flex{AltText: "alt_text", Contents: mustFlex(t, `{
			"type": "bubble",
			"body": {"type": "box", "layout": "vertical", "contents": [
				{"type": "text", "text": "hello"},
				{"type": "text", "text": "world"}
			]}}`)}},
		{"flex_carousel.json", Flex{AltText: "Message Bot API", Contents: mustFlex(t, `{
			"type": "carousel",
			"contents": [{
				"type": "bubble",
				"body": {"type": "box", "layout": "horizontal", "contents": [{
					"type": "text",
					"text": "The Message Bot API enables the client to interact with individual users, by using a message bot account.",
					"wrap": true
				}]},
				"footer": {"type": "box", "layout": "horizontal", "contents": [{
					"type": "button",
					"style": "primary",
					"action": {"type": "uri", "label": "See more", "uri": "http://worksmobile.com"},
					"height": "sm"
				}]}
			}]}`)}},
	}
}

func TestContentGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenContents(t) {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			golden := readGolden(t, tc.file)

			got, err := json.Marshal(tc.want)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if diff := diffJSON(t, golden, got); diff != "" {
				t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
			}
			if err := tc.want.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}

			decoded, err := DecodeContent(golden)
			if err != nil {
				t.Fatalf("DecodeContent: %v", err)
			}
			if diff := cmp.Diff(tc.want, decoded, flexAsJSON); diff != "" {
				t.Errorf("DecodeContent mismatch (-want +got):\n%s", diff)
			}
			if decoded.ContentType() != tc.want.ContentType() {
				t.Errorf("ContentType = %q, want %q", decoded.ContentType(), tc.want.ContentType())
			}
			again, err := json.Marshal(decoded)
			if err != nil {
				t.Fatalf("Marshal(decoded): %v", err)
			}
			if diff := diffJSON(t, golden, again); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}

			raw := RawContent(golden)
			if raw.ContentType() != tc.want.ContentType() {
				t.Errorf("RawContent.ContentType = %q, want %q", raw.ContentType(), tc.want.ContentType())
			}
			if err := raw.Validate(); err != nil {
				t.Errorf("RawContent.Validate: %v", err)
			}
		})
	}
}

func TestContentPointerReceivers(t *testing.T) {
	t.Parallel()
	// Users may pass &Text{...}; it must marshal and validate like Text.
	for _, c := range []Content{&Text{Text: "hi"}, &ButtonTemplate{ContentText: "x", Actions: []Action{&MessageAction{Label: "a"}}}} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"type":"`+c.ContentType()+`"`)) {
			t.Errorf("%s: missing type in %s", c.ContentType(), b)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", c.ContentType(), err)
		}
	}
}

func TestActionGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want Action
	}{
		{"action_postback.json", PostbackAction{Label: "label", Data: "data", DisplayText: "text"}},
		{"action_message.json", MessageAction{Label: "label", Text: "text", Postback: "postback"}},
		{"action_uri.json", URIAction{Label: "label", URI: "https://example.com"}},
		{"action_copy.json", CopyAction{Label: "Copy", CopyText: "text to copy"}},
		{"action_camera.json", CameraAction{Label: "label"}},
		{"action_cameraroll.json", CameraRollAction{Label: "label"}},
		{"action_location.json", LocationAction{Label: "label"}},
		{"action_postback_i18n.json", PostbackAction{
			Label: "Buy", Data: "action=buy&itemid=1", DisplayText: "Buy item 1",
			I18nLabels:       []I18nLabel{{Language: LanguageJaJP, Label: "購入"}},
			I18nDisplayTexts: []I18nDisplayText{{Language: LanguageJaJP, DisplayText: "商品1を購入"}},
		}},
		{"action_message_i18n.json", MessageAction{
			Label: "FAQ", Text: "FAQ", Postback: "ButtonTemplate_FAQ",
			I18nLabels: []I18nLabel{{Language: LanguageJaJP, Label: "よくある質問"}},
			I18nTexts:  []I18nText{{Language: LanguageJaJP, Text: "よくある質問"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			golden := readGolden(t, tc.file)
			got, err := json.Marshal(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := diffJSON(t, golden, got); diff != "" {
				t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
			}
			decoded, err := DecodeAction(golden)
			if err != nil {
				t.Fatalf("DecodeAction: %v", err)
			}
			if diff := cmp.Diff(tc.want, decoded); diff != "" {
				t.Errorf("DecodeAction mismatch (-want +got):\n%s", diff)
			}
			// Every action type is valid in a quick reply (with displayText).
			if err := (Text{Text: "x", QuickReply: &QuickReply{Items: []QuickReplyItem{{Action: decoded}}}}).Validate(); err != nil {
				t.Errorf("in quick reply: %v", err)
			}
		})
	}
}

func TestDecodeContentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		field     string // "" when the error is not a *ValidationError
		wantInMsg string
	}{
		{"unknown type", `{"type":"poll","text":"x"}`, "type", `"poll"`},
		{"missing type", `{"text":"x"}`, "type", "is required"},
		{"request body", `{"content":{"type":"text","text":"x"}}`, "type", `"content"`},
		{"unknown action", `{"type":"button_template","contentText":"x","actions":[{"type":"message","label":"a"},{"type":"datetimepicker","label":"b"}]}`, "actions[1].type", `"datetimepicker"`},
		{"action without type", `{"type":"carousel","columns":[{"text":"t","actions":[{"label":"a"}]}]}`, "columns[0].actions[0].type", "is required"},
		{"list row action", `{"type":"list_template","elements":[{"title":"t"}],"actions":[[{"type":"nope"}]]}`, "actions[0][0].type", `"nope"`},
		{"quick reply action", `{"type":"text","text":"x","quickReply":{"items":[{"action":{"type":"nope"}}]}}`, "quickReply.items[0].action.type", `"nope"`},
		{"image carousel", `{"type":"image_carousel","columns":[{"fileId":"f"},{"fileId":"g","action":{"type":"x"}}]}`, "columns[1].action.type", `"x"`},
		{"list element", `{"type":"list_template","elements":[{"title":"t","action":{"type":"postbackx"}}]}`, "elements[0].action.type", `"postbackx"`},
		{"not JSON", `{"type":`, "", "invalid content"},
		{"wrong member type", `{"type":"text","text":5}`, "", "text"},
		{"sticker object id", `{"type":"sticker","packageId":{},"stickerId":"1"}`, "packageId", "string or a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeContent([]byte(tc.in))
			if err == nil {
				t.Fatal("DecodeContent succeeded, want error")
			}
			if !errors.Is(err, ErrInvalidContent) {
				t.Errorf("errors.Is(%v, ErrInvalidContent) = false", err)
			}
			if !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantInMsg)
			}
			if !strings.HasPrefix(err.Error(), "lineworks: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tc.field == "" {
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			if ve.Field != tc.field {
				t.Errorf("Field = %q, want %q (%v)", ve.Field, tc.field, err)
			}
		})
	}
}

func TestDecodeContentLenientSticker(t *testing.T) {
	t.Parallel()
	// gazf/deno-lineworks sends sticker IDs as numbers; stored bodies may too.
	c, err := DecodeContent([]byte(`{"type":"sticker","packageId":1,"stickerId":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Content(Sticker{PackageID: "1", StickerID: "2"}), c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecodeActionErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"type":"datetimepicker"}`, `{"label":"x"}`, `[]`, `{"type":"uri","uri":1}`} {
		_, err := DecodeAction([]byte(in))
		if !errors.Is(err, ErrInvalidContent) {
			t.Errorf("DecodeAction(%s) = %v, want ErrInvalidContent", in, err)
		}
	}
}

func TestRawContent(t *testing.T) {
	t.Parallel()
	in := `{"type":"text","text":"stored","futureMember":{"x":1}}`
	raw := RawContent(in)
	body, err := json.Marshal(struct {
		Content Content `json:"content"`
	}{raw})
	if err != nil {
		t.Fatal(err)
	}
	// Members unknown to this package survive: RawContent is a pass-through.
	if want := `{"content":` + in + `}`; string(body) != want {
		t.Errorf("body = %s, want %s", body, want)
	}
	if raw.ContentType() != "text" {
		t.Errorf("ContentType = %q", raw.ContentType())
	}
	if err := RawContent(`{"type":"text","text":""}`).Validate(); !errors.Is(err, ErrInvalidContent) {
		t.Errorf("Validate(empty text) = %v, want ErrInvalidContent", err)
	}
	if _, err := json.Marshal(RawContent(nil)); err == nil {
		t.Error("Marshal(empty RawContent) succeeded")
	}
	if _, err := json.Marshal(RawContent(`{"type":`)); err == nil {
		t.Error("Marshal(malformed RawContent) succeeded")
	}
	if got := RawContent(`nope`).ContentType(); got != "" {
		t.Errorf("ContentType(malformed) = %q", got)
	}
	var back RawContent
	if err := json.Unmarshal([]byte(in), &back); err != nil || string(back) != in {
		t.Errorf("Unmarshal = %q, %v", back, err)
	}
}

func TestFlexContainerHelpers(t *testing.T) {
	t.Parallel()
	fc, err := NewFlexContainer(map[string]any{"type": "bubble"})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Type() != "bubble" {
		t.Errorf("Type = %q", fc.Type())
	}
	if _, err := NewFlexContainer(func() {}); err == nil {
		t.Error("NewFlexContainer(func) succeeded")
	}
	b, err := json.Marshal(Flex{AltText: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"contents":null`)) {
		t.Errorf("empty container marshalled as %s", b)
	}
	var f Flex
	if err := json.Unmarshal([]byte(`{"type":"flex","altText":"a","contents":null}`), &f); err != nil || f.Contents != nil {
		t.Errorf("Unmarshal null contents = %q, %v", f.Contents, err)
	}
}

func BenchmarkMarshalButtonTemplate(b *testing.B) {
	c := ButtonTemplate{
		ContentText: "受付: 山田様（株式会社サンプル）がお待ちです。",
		Actions: []Action{
			MessageAction{Label: "対応します", Postback: "uk1:accept:v42"},
			MessageAction{Label: "他の人に対応を依頼", Postback: "uk1:handoff:v42"},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(c); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeContent checks that arbitrary input never panics and that
// whatever decodes can be validated and re-encoded.
func FuzzDecodeContent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "content", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeContent(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidContent) {
				t.Fatalf("error %v is not ErrInvalidContent", err)
			}
			return
		}
		_ = c.Validate()
		_ = validateForDestination(c, false)
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("Marshal(%#v): %v", c, err)
		}
	})
}

package lineworks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validationFields lists the Field of every *ValidationError in err,
// following errors.Join.
func validationFields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		var ve *ValidationError
		switch x := e.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(e, &ve) {
				out = append(out, ve.Field)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func msgActions(n int) []Action {
	out := make([]Action, n)
	for i := range out {
		out[i] = MessageAction{Label: fmt.Sprintf("a%d", i), Postback: fmt.Sprintf("p%d", i)}
	}
	return out
}

func column(actions ...Action) CarouselColumn {
	return CarouselColumn{Text: "text", Actions: actions}
}

func columns(n int) []CarouselColumn {
	out := make([]CarouselColumn, n)
	for i := range out {
		out[i] = column(URIAction{Label: "go", URI: "https://example.com"})
	}
	return out
}

func button(actions ...Action) ButtonTemplate {
	return ButtonTemplate{ContentText: "What do you want?", Actions: actions}
}

func quick(items ...QuickReplyItem) Text {
	return Text{Text: "pick", QuickReply: &QuickReply{Items: items}}
}

func flexOfSize(n int) FlexContainer {
	// A bubble whose compact JSON is exactly n bytes.
	const head, tail = `{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"`, `"}]}}`
	return FlexContainer(head + repeat("a", n-len(head)-len(tail)) + tail)
}

func flexCarousel(n int) FlexContainer {
	b := repeat(`{"type":"bubble"},`, n)
	return FlexContainer(`{"type":"carousel","contents":[` + strings.TrimSuffix(b, ",") + `]}`)
}

func mentions(n int) string { return repeat(Mention("u1")+" ", n) }

func TestContentValidateLimits(t *testing.T) {
	t.Parallel()
	ja := func(n int) string { return repeat("あ", n) } // 3 bytes each: proves runes are counted
	tests := []struct {
		name  string
		c     Content
		field string // "" means valid
	}{
		// text
		{"text 2000 runes", Text{Text: ja(2000)}, ""},
		{"text 2001 runes", Text{Text: ja(2001)}, "text"},
		{"text empty", Text{}, "text"},
		{"text i18n long", Text{Text: "x", I18nTexts: []I18nText{{Language: LanguageJaJP, Text: ja(2001)}}}, "i18nTexts[0].text"},
		{"text i18n empty", Text{Text: "x", I18nTexts: []I18nText{{Language: LanguageJaJP}}}, "i18nTexts[0].text"},
		{"text i18n language", Text{Text: "x", I18nTexts: []I18nText{{Language: "fr_FR", Text: "x"}}}, "i18nTexts[0].language"},
		{"text i18n duplicate", Text{Text: "x", I18nTexts: []I18nText{{Language: LanguageJaJP, Text: "x"}, {Language: LanguageJaJP, Text: "y"}}}, "i18nTexts[1].language"},
		{"text i18n same mentions", Text{Text: Mention("u1") + " hi", I18nTexts: []I18nText{{Language: LanguageJaJP, Text: Mention("u1") + " こんにちは"}}}, ""},
		{"text i18n other mentions", Text{Text: Mention("u1") + " hi", I18nTexts: []I18nText{{Language: LanguageJaJP, Text: "こんにちは"}}}, "i18nTexts[0].text"},
		{"text 50 mentions", Text{Text: mentions(50)}, ""},
		{"text 51 mentions", Text{Text: mentions(51)}, "text"},

		// button template
		{"button contentText 1000", ButtonTemplate{ContentText: ja(1000), Actions: msgActions(1)}, ""},
		{"button contentText 1001", ButtonTemplate{ContentText: ja(1001), Actions: msgActions(1)}, "contentText"},
		{"button contentText missing", ButtonTemplate{Actions: msgActions(1)}, "contentText"},
		{"button i18n contentText", ButtonTemplate{ContentText: "x", I18nContentTexts: []I18nContentText{{Language: LanguageEnUS, ContentText: ja(1001)}}, Actions: msgActions(1)}, "i18nContentTexts[0].contentText"},
		{"button 10 actions", button(msgActions(10)...), ""},
		{"button 11 actions", button(msgActions(11)...), "actions"},
		{"button no actions", button(), "actions"},
		{"button postback", button(MessageAction{Label: "a"}, MessageAction{Label: "b"}, PostbackAction{Label: "c", Data: "d"}), "actions[2].type"},
		{"button nil action", button(nil), "actions[0]"},
		{"button nil pointer action", button((*MessageAction)(nil)), "actions[0]"},
		{"button label 20", button(MessageAction{Label: ja(20)}), ""},
		{"button label 21", button(MessageAction{Label: ja(21)}), "actions[0].label"},
		{"button label missing", button(MessageAction{Postback: "p"}), "actions[0].label"},
		{"button i18n label", button(MessageAction{Label: "a", I18nLabels: []I18nLabel{{Language: LanguageJaJP, Label: ja(21)}}}), "actions[0].i18nLabels[0].label"},
		{"message text 300", button(MessageAction{Label: "a", Text: ja(300)}), ""},
		{"message text 301", button(MessageAction{Label: "a", Text: ja(301)}), "actions[0].text"},
		{"message i18n text 301", button(MessageAction{Label: "a", I18nTexts: []I18nText{{Language: LanguageJaJP, Text: ja(301)}}}), "actions[0].i18nTexts[0].text"},
		{"message postback 1000", button(MessageAction{Label: "a", Postback: repeat("p", 1000)}), ""},
		{"message postback 1001", button(MessageAction{Label: "a", Postback: repeat("p", 1001)}), "actions[0].postback"},
		{"uri https", button(URIAction{Label: "a", URI: "https://example.com"}), ""},
		{"uri http", button(URIAction{Label: "a", URI: "http://example.com"}), ""},
		{"uri ftp", button(URIAction{Label: "a", URI: "ftp://example.com"}), "actions[0].uri"},
		{"uri javascript", button(URIAction{Label: "a", URI: "javascript:alert(1)"}), "actions[0].uri"},
		{"uri relative", button(URIAction{Label: "a", URI: "/path"}), "actions[0].uri"},
		{"uri missing", button(URIAction{Label: "a"}), "actions[0].uri"},
		{"uri 1001", button(URIAction{Label: "a", URI: "https://example.com/" + repeat("p", 981)}), "actions[0].uri"},
		{"copy 1000", button(CopyAction{Label: "a", CopyText: ja(1000)}), ""},
		{"copy 1001", button(CopyAction{Label: "a", CopyText: ja(1001)}), "actions[0].copyText"},
		{"copy missing", button(CopyAction{Label: "a"}), "actions[0].copyText"},
		{"camera in button", button(CameraAction{Label: "a"}), "actions[0].type"},
		{"cameraRoll in button", button(CameraRollAction{Label: "a"}), "actions[0].type"},
		{"location in button", button(LocationAction{Label: "a"}), "actions[0].type"},

		// list template
		{"list 4 elements", ListTemplate{Elements: make4(4)}, ""},
		{"list 5 elements", ListTemplate{Elements: make4(5)}, "elements"},
		{"list no elements", ListTemplate{}, "elements"},
		{"list element title missing", ListTemplate{Elements: []ListElement{{Subtitle: "s"}}}, "elements[0].title"},
		{"list element title 1001", ListTemplate{Elements: []ListElement{{Title: ja(1001)}}}, "elements[0].title"},
		{"list element postback", ListTemplate{Elements: []ListElement{{Title: "t", Action: PostbackAction{Label: "a", Data: "d"}}}}, "elements[0].action.type"},
		{"list element url and file", ListTemplate{Elements: []ListElement{{Title: "t", OriginalContentURL: "https://e.com/a.png", FileID: "f"}}}, "elements[0].fileId"},
		{"list cover http image", ListTemplate{CoverData: &ListCover{BackgroundImageURL: "http://e.com/a.png"}, Elements: make4(1)}, "coverData.backgroundImageUrl"},
		{"list cover title 1001", ListTemplate{CoverData: &ListCover{Title: ja(1001)}, Elements: make4(1)}, "coverData.title"},
		{"list 2x2 actions", ListTemplate{Elements: make4(1), Actions: [][]Action{msgActions(2), msgActions(2)}}, ""},
		{"list 3 rows", ListTemplate{Elements: make4(1), Actions: [][]Action{msgActions(1), msgActions(1), msgActions(1)}}, "actions"},
		{"list 3 in a row", ListTemplate{Elements: make4(1), Actions: [][]Action{msgActions(3)}}, "actions[0]"},
		{"list empty row", ListTemplate{Elements: make4(1), Actions: [][]Action{{}}}, "actions[0]"},
		{"list row postback", ListTemplate{Elements: make4(1), Actions: [][]Action{{MessageAction{Label: "a"}, PostbackAction{Label: "b", Data: "d"}}}}, "actions[0][1].type"},

		// carousel
		{"carousel 10 columns", Carousel{Columns: columns(10)}, ""},
		{"carousel 11 columns", Carousel{Columns: columns(11)}, "columns"},
		{"carousel no columns", Carousel{}, "columns"},
		{"carousel text missing", Carousel{Columns: []CarouselColumn{{Actions: msgActionsWithText(1)}}}, "columns[0].text"},
		{"carousel text 120", Carousel{Columns: []CarouselColumn{{Text: ja(120), Actions: []Action{MessageAction{Label: "a", Text: "a"}}}}}, ""},
		{"carousel text 121", Carousel{Columns: []CarouselColumn{{Text: ja(121), Actions: []Action{MessageAction{Label: "a", Text: "a"}}}}}, "columns[0].text"},
		{"carousel text 61 with title", Carousel{Columns: []CarouselColumn{{Title: "t", Text: ja(61), Actions: []Action{MessageAction{Label: "a", Text: "a"}}}}}, "columns[0].text"},
		{"carousel title 41", Carousel{Columns: []CarouselColumn{{Title: ja(41), Text: "x", Actions: []Action{MessageAction{Label: "a", Text: "a"}}}}}, "columns[0].title"},
		{"carousel 3 actions", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: "d"}, PostbackAction{Label: "b", Data: "d"}, PostbackAction{Label: "c", Data: "d"})}}, ""},
		{"carousel 4 actions", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: "d"}, PostbackAction{Label: "b", Data: "d"}, PostbackAction{Label: "c", Data: "d"}, PostbackAction{Label: "e", Data: "d"})}}, "columns[0].actions"},
		{"carousel no actions", Carousel{Columns: []CarouselColumn{column()}}, "columns[0].actions"},
		{"carousel message needs text", Carousel{Columns: []CarouselColumn{column(MessageAction{Label: "a"})}}, "columns[0].actions[0].text"},
		{"postback data 300", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: repeat("d", 300)})}}, ""},
		{"postback data 301", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: "d"}, PostbackAction{Label: "b", Data: "d"}, PostbackAction{Label: "c", Data: repeat("d", 301)})}}, "columns[0].actions[2].data"},
		{"postback data missing", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a"})}}, "columns[0].actions[0].data"},
		{"postback displayText 301", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: "d", DisplayText: ja(301)})}}, "columns[0].actions[0].displayText"},
		{"postback i18n displayText 301", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: "d", I18nDisplayTexts: []I18nDisplayText{{Language: LanguageKoKR, DisplayText: ja(301)}}})}}, "columns[0].actions[0].i18nDisplayTexts[0].displayText"},
		{"postback i18n label 21", Carousel{Columns: []CarouselColumn{column(PostbackAction{Label: "a", Data: "d", I18nLabels: []I18nLabel{{Language: LanguageZhCN, Label: ja(21)}}})}}, "columns[0].actions[0].i18nLabels[0].label"},
		{"carousel defaultAction without label", Carousel{Columns: []CarouselColumn{{Text: "x", DefaultAction: URIAction{URI: "https://e.com"}, Actions: msgActionsWithText(1)}}}, ""},
		{"carousel columns differ", Carousel{Columns: []CarouselColumn{column(URIAction{Label: "a", URI: "https://e.com"}), column(URIAction{Label: "a", URI: "https://e.com"}, URIAction{Label: "b", URI: "https://e.com"})}}, "columns[1].actions"},
		{"carousel aspect ratio", Carousel{ImageAspectRatio: "wide", Columns: columns(1)}, "imageAspectRatio"},
		{"carousel image size", Carousel{ImageSize: "fill", Columns: columns(1)}, "imageSize"},

		// image carousel
		{"image carousel label 12", ImageCarousel{Columns: []ImageCarouselColumn{{FileID: "f", Action: PostbackAction{Label: ja(12), Data: "d"}}}}, ""},
		{"image carousel label 13", ImageCarousel{Columns: []ImageCarouselColumn{{FileID: "f", Action: PostbackAction{Label: ja(13), Data: "d"}}}}, "columns[0].action.label"},
		{"image carousel 11 columns", ImageCarousel{Columns: imageColumns(11)}, "columns"},
		{"image carousel image missing", ImageCarousel{Columns: []ImageCarouselColumn{{}}}, "columns[0].originalContentUrl"},

		// location, link, media, sticker
		{"location title 100", Location{Title: ja(100), Address: "a"}, ""},
		{"location title 101", Location{Title: ja(101), Address: "a"}, "title"},
		{"location address 101", Location{Title: "t", Address: ja(101)}, "address"},
		{"location latitude", Location{Title: "t", Address: "a", Latitude: 91}, "latitude"},
		{"link contentText 1001", Link{ContentText: ja(1001), LinkText: "l", Link: "https://e.com"}, "contentText"},
		{"link linkText 1001", Link{ContentText: "c", LinkText: ja(1001), Link: "https://e.com"}, "linkText"},
		{"link 1001", Link{ContentText: "c", LinkText: "l", Link: "https://e.com/" + repeat("p", 987)}, "link"},
		{"link i18n linkText", Link{ContentText: "c", LinkText: "l", Link: "https://e.com", I18nLinkTexts: []I18nLinkText{{Language: LanguageJaJP, LinkText: ja(1001)}}}, "i18nLinkTexts[0].linkText"},
		{"image url and file", Image{PreviewImageURL: "https://e.com/p.png", OriginalContentURL: "https://e.com/o.png", FileID: "f"}, "fileId"},
		{"image http", Image{PreviewImageURL: "https://e.com/p.png", OriginalContentURL: "http://e.com/o.png"}, "originalContentUrl"},
		{"image preview missing", Image{OriginalContentURL: "https://e.com/o.png"}, "previewImageUrl"},
		{"video nothing", Video{}, "originalContentUrl"},
		{"file exe", File{OriginalContentURL: "https://e.com/setup.EXE?x=1"}, "originalContentUrl"},
		{"audio nothing", Audio{}, "originalContentUrl"},
		{"sticker id missing", Sticker{PackageID: "1"}, "stickerId"},

		// flex
		{"flex altText 400", Flex{AltText: ja(400), Contents: flexOfSize(100)}, ""},
		{"flex altText 401", Flex{AltText: ja(401), Contents: flexOfSize(100)}, "altText"},
		{"flex i18n altText 401", Flex{AltText: "a", I18nAltTexts: []I18nAltText{{Language: LanguageJaJP, AltText: ja(401)}}, Contents: flexOfSize(100)}, "i18nAltTexts[0].altText"},
		{"flex 30000 bytes", Flex{AltText: "a", Contents: flexOfSize(30000)}, ""},
		{"flex 30001 bytes", Flex{AltText: "a", Contents: flexOfSize(30001)}, "contents"},
		{"flex contents missing", Flex{AltText: "a"}, "contents"},
		{"flex not JSON", Flex{AltText: "a", Contents: FlexContainer(`{"type":`)}, "contents"},
		{"flex wrong type", Flex{AltText: "a", Contents: FlexContainer(`{"type":"box"}`)}, "contents.type"},
		{"flex carousel 10", Flex{AltText: "a", Contents: flexCarousel(10)}, ""},
		{"flex carousel 11", Flex{AltText: "a", Contents: flexCarousel(11)}, "contents.contents"},
		{"flex 51 mentions", Flex{AltText: "a", Contents: FlexContainer(`{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"` + strings.ReplaceAll(mentions(30), `"`, `\"`) + `"},{"type":"text","contents":[{"type":"span","text":"` + strings.ReplaceAll(mentions(21), `"`, `\"`) + `"}]}]}}`)}, "contents"},

		// quick reply
		{"quick reply 13 items", quick(quickItems(13)...), ""},
		{"quick reply 14 items", quick(quickItems(14)...), "quickReply.items"},
		{"quick reply empty", Text{Text: "x", QuickReply: &QuickReply{}}, "quickReply.items"},
		{"quick reply postback displayText", quick(QuickReplyItem{Action: PostbackAction{Label: "a", Data: "d"}}), "quickReply.items[0].action.displayText"},
		{"quick reply message text", quick(QuickReplyItem{Action: MessageAction{Label: "a"}}), "quickReply.items[0].action.text"},
		{"quick reply label missing", quick(QuickReplyItem{Action: CameraAction{}}), "quickReply.items[0].action.label"},
		{"quick reply action missing", quick(QuickReplyItem{ImageURL: "https://e.com/a.png"}), "quickReply.items[0].action"},
		{"quick reply two icons", quick(QuickReplyItem{ImageURL: "https://e.com/a.png", ImageResourceID: "r", Action: CameraAction{Label: "c"}}), "quickReply.items[0].imageResourceId"},
		{"quick reply on sticker", Sticker{PackageID: "1", StickerID: "2", QuickReply: &QuickReply{Items: quickItems(14)}}, "quickReply.items"},
		{"quick reply on flex", Flex{AltText: "a", Contents: flexOfSize(100), QuickReply: &QuickReply{Items: []QuickReplyItem{{Action: LocationAction{}}}}}, "quickReply.items[0].action.label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error for %s", tc.field)
			}
			if !errors.Is(err, ErrInvalidContent) {
				t.Errorf("errors.Is(err, ErrInvalidContent) = false for %v", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("errors.As(*ValidationError) failed for %v", err)
			}
			if fields := validationFields(err); len(fields) != 1 || fields[0] != tc.field {
				t.Errorf("fields = %q, want [%q]; err = %v", fields, tc.field, err)
			}
			if want := "lineworks: " + tc.field + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func make4(n int) []ListElement {
	out := make([]ListElement, n)
	for i := range out {
		out[i] = ListElement{Title: fmt.Sprintf("t%d", i), Action: MessageAction{Label: "go"}}
	}
	return out
}

func msgActionsWithText(n int) []Action {
	out := make([]Action, n)
	for i := range out {
		out[i] = MessageAction{Label: "a", Text: "a"}
	}
	return out
}

func quickItems(n int) []QuickReplyItem {
	out := make([]QuickReplyItem, n)
	for i := range out {
		out[i] = QuickReplyItem{Action: MessageAction{Label: "a", Text: "a"}}
	}
	return out
}

func TestContentValidateReportsEveryError(t *testing.T) {
	t.Parallel()
	err := ButtonTemplate{Actions: []Action{PostbackAction{Label: repeat("x", 21), Data: "d"}}}.Validate()
	got := validationFields(err)
	want := []string{"contentText", "actions[0].type", "actions[0].label"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalidContent) {
		t.Errorf("joined error does not match ErrInvalidContent")
	}
}

func TestContentValidateForDestination(t *testing.T) {
	t.Parallel()
	flexAll := FlexContainer(`{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"<m userId=\"all\"> hi"}]}}`)
	tests := []struct {
		name      string
		c         Content
		toChannel bool
		field     string
	}{
		{"mention to user", Text{Text: Mention("u1") + " hi"}, false, ""},
		{"all to channel", Text{Text: MentionAll + " hi"}, true, ""},
		{"all to user", Text{Text: MentionAll + " hi"}, false, "text"},
		{"all to user, lenient spelling", Text{Text: `<M USERID='ALL'> hi`}, false, "text"},
		{"all pointer to user", &Text{Text: MentionAll}, false, "text"},
		{"all in link to user", Link{ContentText: MentionAll, LinkText: "l", Link: "https://e.com"}, false, "contentText"},
		{"all in button to user", button(MessageAction{Label: "a"}).withText(MentionAll), false, "contentText"},
		{"all in button to channel", button(MessageAction{Label: "a"}).withText(MentionAll), true, ""},
		{"all in flex to user", Flex{AltText: "a", Contents: flexAll}, false, "contents.body.contents[0].text"},
		{"all in raw to user", RawContent(`{"type":"text","text":"<m userId=\"all\">"}`), false, "text"},
		{"all in raw pointer to user", ptr(RawContent(`{"type":"text","text":"<m userId=\"all\">"}`)), false, "text"},
		{"all in foreign content to user", foreignText{}, false, "text"},
		{"sticker to user", Sticker{PackageID: "1", StickerID: "2"}, false, ""},
		{"invalid to channel", Text{}, true, "text"},
		{"nil", nil, true, "content"},
		{"nil pointer", (*Text)(nil), true, "content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := validateForDestination(tc.c, tc.toChannel)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("validateForDestination() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("validateForDestination() = %v, want a *ValidationError for %q", err, tc.field)
			}
			if !errors.Is(err, ErrInvalidContent) {
				t.Errorf("not ErrInvalidContent: %v", err)
			}
		})
	}
}

func (c ButtonTemplate) withText(s string) ButtonTemplate { c.ContentText = s; return c }

func ptr[T any](v T) *T { return &v }

// foreignText is a Content implementation this package does not know.
type foreignText struct{}

func (foreignText) ContentType() string { return "text" }
func (foreignText) Validate() error     { return nil }
func (foreignText) MarshalJSON() ([]byte, error) {
	return []byte(`{"type":"text","text":"<m userId=\"all\">"}`), nil
}

func imageColumns(n int) []ImageCarouselColumn {
	out := make([]ImageCarouselColumn, n)
	for i := range out {
		out[i] = ImageCarouselColumn{FileID: fmt.Sprintf("f%d", i)}
	}
	return out
}

package lineworks

import "encoding/json"

// ButtonTemplate is a text (≤ 1000 characters, mentions allowed) with 1 to
// 10 buttons under it. LINE WORKS accepts only message, uri and copy actions
// here — a postback action is rejected — so a machine-readable answer is a
// MessageAction with Postback set, which arrives as content.postback of the
// resulting message event.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-button.
type ButtonTemplate struct {
	ContentText      string            `json:"contentText"`
	I18nContentTexts []I18nContentText `json:"i18nContentTexts,omitempty"`
	Actions          []Action          `json:"actions"`
	QuickReply       *QuickReply       `json:"quickReply,omitempty"`
}

// ContentType returns "button_template".
func (ButtonTemplate) ContentType() string { return "button_template" }

// MarshalJSON adds "type":"button_template".
func (c ButtonTemplate) MarshalJSON() ([]byte, error) {
	type plain ButtonTemplate
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// UnmarshalJSON decodes the actions by their "type".
func (c *ButtonTemplate) UnmarshalJSON(data []byte) error {
	type plain ButtonTemplate
	aux := struct {
		*plain
		Actions []json.RawMessage `json:"actions"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	c.Actions, err = decodeActions(aux.Actions, "actions")
	return err
}

// Validate checks contentText, its language variants and mentions, and the
// actions (1..10; message, uri or copy; label ≤ 20).
func (c ButtonTemplate) Validate() error {
	var v contentValidator
	v.requiredMax("contentText", c.ContentText, maxContentText)
	validateI18n(&v, "i18nContentTexts", "contentText", c.I18nContentTexts, func(f, s string) { v.maxLen(f, s, maxContentText) })
	v.checkVariantMentions(mentionField{"contentText", c.ContentText}, i18nTexts("i18nContentTexts", "contentText", c.I18nContentTexts))
	v.count("actions", len(c.Actions), 1, maxButtonActions)
	for i, a := range c.Actions {
		v.action(fieldAt("actions", i), a, ctxButton)
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

func (c ButtonTemplate) mentionFields() []mentionField {
	return append([]mentionField{{"contentText", c.ContentText}}, i18nTexts("i18nContentTexts", "contentText", c.I18nContentTexts)...)
}

// ListTemplate is a list of 1 to 4 elements under an optional cover, with up
// to 2 rows of 2 buttons at the bottom. As in button templates, postback
// actions are not allowed.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type ListTemplate struct {
	CoverData  *ListCover    `json:"coverData,omitempty"`
	Elements   []ListElement `json:"elements"`
	Actions    [][]Action    `json:"actions,omitempty"`
	QuickReply *QuickReply   `json:"quickReply,omitempty"`
}

// ListCover is the cover ("coverData", not "cover") of a ListTemplate: a
// background image by HTTPS URL or file ID, and a title and subtitle.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type ListCover struct {
	BackgroundImageURL      string                   `json:"backgroundImageUrl,omitempty"`
	BackgroundFileID        string                   `json:"backgroundFileId,omitempty"`
	Title                   string                   `json:"title,omitempty"`
	Subtitle                string                   `json:"subtitle,omitempty"`
	I18nBackgroundImageURLs []I18nBackgroundImageURL `json:"i18nBackgroundImageUrls,omitempty"`
	I18nBackgroundFileIDs   []I18nBackgroundFileID   `json:"i18nBackgroundFileIds,omitempty"`
	I18nTitles              []I18nTitle              `json:"i18nTitles,omitempty"`
	I18nSubtitles           []I18nSubtitle           `json:"i18nSubtitles,omitempty"`
}

// ListElement is one row of a ListTemplate: a title, optional subtitle and
// image, and an optional action button.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type ListElement struct {
	Title                   string                   `json:"title"`
	Subtitle                string                   `json:"subtitle,omitempty"`
	OriginalContentURL      string                   `json:"originalContentUrl,omitempty"`
	FileID                  string                   `json:"fileId,omitempty"`
	Action                  Action                   `json:"action,omitempty"`
	I18nTitles              []I18nTitle              `json:"i18nTitles,omitempty"`
	I18nSubtitles           []I18nSubtitle           `json:"i18nSubtitles,omitempty"`
	I18nOriginalContentURLs []I18nOriginalContentURL `json:"i18nOriginalContentUrls,omitempty"`
	I18nFileIDs             []I18nFileID             `json:"i18nFileIds,omitempty"`
}

// ContentType returns "list_template".
func (ListTemplate) ContentType() string { return "list_template" }

// MarshalJSON adds "type":"list_template".
func (c ListTemplate) MarshalJSON() ([]byte, error) {
	type plain ListTemplate
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// UnmarshalJSON decodes the elements and the action rows by "type".
func (c *ListTemplate) UnmarshalJSON(data []byte) error {
	type plain ListTemplate
	aux := struct {
		*plain
		Elements []json.RawMessage   `json:"elements"`
		Actions  [][]json.RawMessage `json:"actions"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	if c.Elements, err = decodeItems[ListElement](aux.Elements, "elements"); err != nil {
		return err
	}
	c.Actions = nil
	if aux.Actions != nil {
		c.Actions = make([][]Action, len(aux.Actions))
	}
	for i, row := range aux.Actions {
		if c.Actions[i], err = decodeActions(row, fieldAt("actions", i)); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalJSON decodes the action by its "type".
func (e *ListElement) UnmarshalJSON(data []byte) error {
	type plain ListElement
	aux := struct {
		*plain
		Action json.RawMessage `json:"action"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	e.Action, err = decodeActionAt(aux.Action, "action")
	return err
}

// Validate checks the cover, the elements (1..4, title required, text
// members ≤ 1000) and the action rows (≤ 2 × 2; message, uri or copy).
func (c ListTemplate) Validate() error {
	var v contentValidator
	if cv := c.CoverData; cv != nil {
		const p = "coverData"
		v.exactlyOne(p, "backgroundImageUrl", cv.BackgroundImageURL, "backgroundFileId", cv.BackgroundFileID, false)
		v.maxLen(fieldJoin(p, "title"), cv.Title, maxListText)
		v.maxLen(fieldJoin(p, "subtitle"), cv.Subtitle, maxListText)
		validateI18n(&v, fieldJoin(p, "i18nBackgroundImageUrls"), "backgroundImageUrl", cv.I18nBackgroundImageURLs, func(f, s string) { v.url(f, s, true) })
		validateI18n(&v, fieldJoin(p, "i18nBackgroundFileIds"), "backgroundFileId", cv.I18nBackgroundFileIDs, func(string, string) {})
		validateI18n(&v, fieldJoin(p, "i18nTitles"), "title", cv.I18nTitles, func(f, s string) { v.maxLen(f, s, maxListText) })
		validateI18n(&v, fieldJoin(p, "i18nSubtitles"), "subtitle", cv.I18nSubtitles, func(f, s string) { v.maxLen(f, s, maxListText) })
	}
	v.count("elements", len(c.Elements), 1, maxListElements)
	for i, e := range c.Elements {
		p := fieldAt("elements", i)
		v.requiredMax(fieldJoin(p, "title"), e.Title, maxListText)
		v.maxLen(fieldJoin(p, "subtitle"), e.Subtitle, maxListText)
		v.image(p, e.OriginalContentURL, e.FileID, e.I18nOriginalContentURLs, e.I18nFileIDs, false)
		if !isNilContent(e.Action) {
			v.action(fieldJoin(p, "action"), e.Action, ctxList)
		}
		validateI18n(&v, fieldJoin(p, "i18nTitles"), "title", e.I18nTitles, func(f, s string) { v.maxLen(f, s, maxListText) })
		validateI18n(&v, fieldJoin(p, "i18nSubtitles"), "subtitle", e.I18nSubtitles, func(f, s string) { v.maxLen(f, s, maxListText) })
	}
	if len(c.Actions) > maxListActionRows {
		v.fail("actions", "has %d rows; at most %d allowed", len(c.Actions), maxListActionRows)
	}
	for i, row := range c.Actions {
		p := fieldAt("actions", i)
		v.count(p, len(row), 1, maxListActionsInRow)
		for j, a := range row {
			v.action(fieldAt(p, j), a, ctxList)
		}
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

// Carousel image options. ImageAspectRatio defaults to rectangle (1.51:1)
// and ImageSize to cover.
// See https://developers.worksmobile.com/jp/docs/bot-send-carousel.
const (
	ImageAspectRatioRectangle = "rectangle"
	ImageAspectRatioSquare    = "square"
	ImageSizeCover            = "cover"
	ImageSizeContain          = "contain"
)

// Carousel is a horizontally scrolling row of 1 to 10 cards. Every column
// must look alike — same number of actions, and image and title either in
// all columns or in none — or LINE WORKS renders them badly, so Validate
// insists on it.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-carousel.
type Carousel struct {
	ImageAspectRatio string           `json:"imageAspectRatio,omitempty"`
	ImageSize        string           `json:"imageSize,omitempty"`
	Columns          []CarouselColumn `json:"columns"`
	QuickReply       *QuickReply      `json:"quickReply,omitempty"`
}

// CarouselColumn is one card of a Carousel: optional image (HTTPS URL or
// file ID) and title (≤ 40), required text (≤ 120 characters, ≤ 60 with an
// image or title), an optional default action for taps on the card and 1 to
// 3 buttons.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-carousel.
type CarouselColumn struct {
	OriginalContentURL      string                   `json:"originalContentUrl,omitempty"`
	FileID                  string                   `json:"fileId,omitempty"`
	Title                   string                   `json:"title,omitempty"`
	Text                    string                   `json:"text"`
	DefaultAction           Action                   `json:"defaultAction,omitempty"`
	Actions                 []Action                 `json:"actions"`
	I18nOriginalContentURLs []I18nOriginalContentURL `json:"i18nOriginalContentUrls,omitempty"`
	I18nFileIDs             []I18nFileID             `json:"i18nFileIds,omitempty"`
}

// ContentType returns "carousel".
func (Carousel) ContentType() string { return "carousel" }

// MarshalJSON adds "type":"carousel".
func (c Carousel) MarshalJSON() ([]byte, error) {
	type plain Carousel
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// UnmarshalJSON decodes the columns, naming the failing one in errors.
func (c *Carousel) UnmarshalJSON(data []byte) error {
	type plain Carousel
	aux := struct {
		*plain
		Columns []json.RawMessage `json:"columns"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	c.Columns, err = decodeItems[CarouselColumn](aux.Columns, "columns")
	return err
}

// UnmarshalJSON decodes defaultAction and actions by their "type".
func (col *CarouselColumn) UnmarshalJSON(data []byte) error {
	type plain CarouselColumn
	aux := struct {
		*plain
		DefaultAction json.RawMessage   `json:"defaultAction"`
		Actions       []json.RawMessage `json:"actions"`
	}{plain: (*plain)(col)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	if col.DefaultAction, err = decodeActionAt(aux.DefaultAction, "defaultAction"); err != nil {
		return err
	}
	col.Actions, err = decodeActions(aux.Actions, "actions")
	return err
}

// Validate checks the options, the columns (1..10) and their actions
// (1..3 per column; postback allowed).
func (c Carousel) Validate() error {
	var v contentValidator
	switch c.ImageAspectRatio {
	case "", ImageAspectRatioRectangle, ImageAspectRatioSquare:
	default:
		v.fail("imageAspectRatio", "must be %q or %q, not %q", ImageAspectRatioRectangle, ImageAspectRatioSquare, c.ImageAspectRatio)
	}
	switch c.ImageSize {
	case "", ImageSizeCover, ImageSizeContain:
	default:
		v.fail("imageSize", "must be %q or %q, not %q", ImageSizeCover, ImageSizeContain, c.ImageSize)
	}
	v.count("columns", len(c.Columns), 1, maxCarouselColumns)
	for i, col := range c.Columns {
		p := fieldAt("columns", i)
		hasImage := col.OriginalContentURL != "" || col.FileID != ""
		v.image(p, col.OriginalContentURL, col.FileID, col.I18nOriginalContentURLs, col.I18nFileIDs, false)
		v.maxLen(fieldJoin(p, "title"), col.Title, maxCarouselTitle)
		textMax := maxCarouselText
		if hasImage || col.Title != "" {
			textMax = maxCarouselTextRich
		}
		v.requiredMax(fieldJoin(p, "text"), col.Text, textMax)
		if !isNilContent(col.DefaultAction) {
			v.action(fieldJoin(p, "defaultAction"), col.DefaultAction, ctxCarouselDefault)
		}
		v.count(fieldJoin(p, "actions"), len(col.Actions), 1, maxCarouselActions)
		for j, a := range col.Actions {
			v.action(fieldAt(fieldJoin(p, "actions"), j), a, ctxCarousel)
		}
		if i == 0 {
			continue
		}
		first := c.Columns[0]
		if len(col.Actions) != len(first.Actions) {
			v.fail(fieldJoin(p, "actions"), "has %d actions but columns[0] has %d; every column needs the same number", len(col.Actions), len(first.Actions))
		}
		if hasImage != (first.OriginalContentURL != "" || first.FileID != "") {
			v.fail(fieldJoin(p, "originalContentUrl"), "every column must have an image, or none")
		}
		if (col.Title != "") != (first.Title != "") {
			v.fail(fieldJoin(p, "title"), "every column must have a title, or none")
		}
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

// ImageCarousel is a horizontally scrolling row of 1 to 10 images, each with
// an optional action whose label is at most 12 characters.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-imagecarousel.
type ImageCarousel struct {
	Columns    []ImageCarouselColumn `json:"columns"`
	QuickReply *QuickReply           `json:"quickReply,omitempty"`
}

// ImageCarouselColumn is one image (HTTPS URL or file ID) of an
// ImageCarousel and the action run when it is tapped.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-imagecarousel.
type ImageCarouselColumn struct {
	OriginalContentURL      string                   `json:"originalContentUrl,omitempty"`
	FileID                  string                   `json:"fileId,omitempty"`
	Action                  Action                   `json:"action,omitempty"`
	I18nOriginalContentURLs []I18nOriginalContentURL `json:"i18nOriginalContentUrls,omitempty"`
	I18nFileIDs             []I18nFileID             `json:"i18nFileIds,omitempty"`
}

// ContentType returns "image_carousel".
func (ImageCarousel) ContentType() string { return "image_carousel" }

// MarshalJSON adds "type":"image_carousel".
func (c ImageCarousel) MarshalJSON() ([]byte, error) {
	type plain ImageCarousel
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// UnmarshalJSON decodes the columns, naming the failing one in errors.
func (c *ImageCarousel) UnmarshalJSON(data []byte) error {
	type plain ImageCarousel
	aux := struct {
		*plain
		Columns []json.RawMessage `json:"columns"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	c.Columns, err = decodeItems[ImageCarouselColumn](aux.Columns, "columns")
	return err
}

// UnmarshalJSON decodes the action by its "type".
func (col *ImageCarouselColumn) UnmarshalJSON(data []byte) error {
	type plain ImageCarouselColumn
	aux := struct {
		*plain
		Action json.RawMessage `json:"action"`
	}{plain: (*plain)(col)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	col.Action, err = decodeActionAt(aux.Action, "action")
	return err
}

// Validate checks the columns (1..10, one image source each) and their
// actions (label ≤ 12).
func (c ImageCarousel) Validate() error {
	var v contentValidator
	v.count("columns", len(c.Columns), 1, maxCarouselColumns)
	for i, col := range c.Columns {
		p := fieldAt("columns", i)
		v.image(p, col.OriginalContentURL, col.FileID, col.I18nOriginalContentURLs, col.I18nFileIDs, true)
		if !isNilContent(col.Action) {
			v.action(fieldJoin(p, "action"), col.Action, ctxImageCarousel)
		}
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

package lineworks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Documented limits (https://developers.worksmobile.com/jp/docs/bot-send-content
// and the per-type pages). Lengths are counted in Unicode code points, which is
// what LINE WORKS calls characters; counting bytes would reject Japanese text
// three times too early.
const (
	// MaxTextLength is the longest text (in characters) of a text message.
	// See https://developers.worksmobile.com/jp/docs/bot-send-text.
	MaxTextLength = 2000

	// MaxMentions is the most <m userId="…"> mentions one message may carry,
	// duplicates included.
	// See https://developers.worksmobile.com/jp/docs/bot-mention.
	MaxMentions = 50

	maxContentText      = 1000 // button_template / link contentText
	maxLinkField        = 1000 // link linkText, link
	maxListText         = 1000 // list_template titles and subtitles
	maxURL              = 1000 // every URL member
	maxLocationField    = 100  // location title, address
	maxAltText          = 400  // flex altText
	maxFlexBytes        = 30000
	maxFlexBubbles      = 10
	maxButtonActions    = 10
	maxListElements     = 4
	maxListActionRows   = 2
	maxListActionsInRow = 2
	maxCarouselColumns  = 10
	maxCarouselActions  = 3
	maxCarouselTitle    = 40
	maxCarouselText     = 120 // without image and title
	maxCarouselTextRich = 60  // with an image or a title
	maxQuickReplyItems  = 13

	maxLabel              = 20
	maxImageCarouselLabel = 12
	maxPostbackData       = 300
	maxDisplayText        = 300
	maxMessageText        = 300
	maxMessagePostback    = 1000
	maxURI                = 1000
	maxCopyText           = 1000
)

// contentValidator collects every broken rule so that one Validate call reports
// them all: a user fixing a --json file wants the whole list, not one error
// per attempt.
type contentValidator struct {
	errs []error
}

func (v *contentValidator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (v *contentValidator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return v.errs[0]
	}
	return errors.Join(v.errs...)
}

func fieldJoin(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldAt(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func (v *contentValidator) maxLen(field, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		v.fail(field, "length %d exceeds %d", n, max)
	}
}

func (v *contentValidator) requiredMax(field, s string, max int) {
	if s == "" {
		v.fail(field, "is required")
		return
	}
	v.maxLen(field, s, max)
}

func (v *contentValidator) count(field string, n, min, max int) {
	switch {
	case n < min && n == 0:
		v.fail(field, "is required (at least %d)", min)
	case n < min:
		v.fail(field, "has %d items; at least %d required", n, min)
	case n > max:
		v.fail(field, "has %d items; at most %d allowed", n, max)
	}
}

// url checks an optional URL member. httpsOnly is set for images and files,
// which LINE WORKS fetches itself and only over HTTPS.
func (v *contentValidator) url(field, s string, httpsOnly bool) {
	if s == "" {
		return
	}
	v.maxLen(field, s, maxURL)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		v.fail(field, "is not an absolute URL")
		return
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "https":
	case scheme == "http" && !httpsOnly:
	case httpsOnly:
		v.fail(field, "must be an https URL")
	default:
		v.fail(field, "must be an http or https URL")
	}
}

// exactlyOne checks the "URL or file ID, not both" rule shared by media
// members.
func (v *contentValidator) exactlyOne(path, urlName, urlValue, idName, idValue string, required bool) {
	switch {
	case urlValue != "" && idValue != "":
		v.fail(fieldJoin(path, idName), "cannot be combined with %s", urlName)
	case urlValue == "" && idValue == "" && required:
		v.fail(fieldJoin(path, urlName), "is required (or set %s)", idName)
	}
	v.url(fieldJoin(path, urlName), urlValue, true)
}

// image checks the picture of a template element: originalContentUrl or
// fileId (not both; one of them when required) and their language variants.
func (v *contentValidator) image(path, url, fileID string, i18nURLs []I18nOriginalContentURL, i18nFileIDs []I18nFileID, required bool) {
	v.exactlyOne(path, "originalContentUrl", url, "fileId", fileID, required)
	validateI18n(v, fieldJoin(path, "i18nOriginalContentUrls"), "originalContentUrl", i18nURLs, func(f, s string) { v.url(f, s, true) })
	validateI18n(v, fieldJoin(path, "i18nFileIds"), "fileId", i18nFileIDs, func(string, string) {})
}

// Language is a LINE WORKS display language used by the i18n* members: the
// client shows the variant matching the device language and falls back to
// the main value.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
type Language string

// Languages accepted in i18n* members.
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
const (
	LanguageKoKR Language = "ko_KR" // Korean
	LanguageJaJP Language = "ja_JP" // Japanese
	LanguageZhCN Language = "zh_CN" // Simplified Chinese
	LanguageZhTW Language = "zh_TW" // Traditional Chinese
	LanguageEnUS Language = "en_US" // English
)

func (l Language) valid() bool {
	switch l {
	case LanguageKoKR, LanguageJaJP, LanguageZhCN, LanguageZhTW, LanguageEnUS:
		return true
	}
	return false
}

// i18nValue is implemented by every I18n* item type.
type i18nValue interface {
	i18n() (Language, string)
}

// validateI18n checks the language of each item (known, not repeated) and
// hands its value to check. The value member is required: an empty variant
// would show an empty bubble to everyone using that language.
func validateI18n[T i18nValue](v *contentValidator, path, name string, items []T, check func(field, s string)) {
	seen := make(map[Language]int, len(items))
	for i, it := range items {
		p := fieldAt(path, i)
		lang, s := it.i18n()
		switch j, dup := seen[lang]; {
		case !lang.valid():
			v.fail(fieldJoin(p, "language"), "unknown language %q (want ko_KR, ja_JP, zh_CN, zh_TW or en_US)", string(lang))
		case dup:
			v.fail(fieldJoin(p, "language"), "%s repeats %s", lang, fieldAt(path, j))
		default:
			seen[lang] = i
		}
		if s == "" {
			v.fail(fieldJoin(p, name), "is required")
			continue
		}
		check(fieldJoin(p, name), s)
	}
}

func i18nTexts[T i18nValue](path, name string, items []T) []mentionField {
	out := make([]mentionField, 0, len(items))
	for i, it := range items {
		_, s := it.i18n()
		out = append(out, mentionField{path: fieldJoin(fieldAt(path, i), name), text: s})
	}
	return out
}

// checkVariantMentions enforces two documented mention rules for a text and
// its language variants: each rendering carries at most MaxMentions
// mentions, and every variant mentions the same users as the main text
// (LINE WORKS requires it; otherwise people would be notified depending on
// their device language).
func (v *contentValidator) checkVariantMentions(main mentionField, variants []mentionField) {
	for _, f := range append([]mentionField{main}, variants...) {
		if n := CountMentions(f.text); n > MaxMentions {
			v.fail(f.path, "has %d mentions; at most %d allowed", n, MaxMentions)
		}
	}
	want := mentionSet(main.text)
	for _, f := range variants {
		if got := mentionSet(f.text); !sameSet(want, got) {
			v.fail(f.path, "must mention the same users as %s", main.path)
		}
	}
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// QuickReply is a row of up to 13 buttons shown above the input box; it may
// be attached to every content type (client 2.6 or later).
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
type QuickReply struct {
	Items []QuickReplyItem `json:"items"`
}

// QuickReplyItem is one quick-reply button: an optional icon (ImageURL or
// ImageResourceID, not both, each with optional per-language variants) and
// an action. Camera, CameraRoll and Location actions are allowed only here.
//
// See https://developers.worksmobile.com/jp/docs/bot-quickreply.
type QuickReplyItem struct {
	ImageURL string `json:"imageUrl,omitempty"`
	// I18nImageURLs is sent as "i18nImageUrl" (singular): that is the name
	// the jp, en and kr reference pages all give the member, unlike the
	// plural i18n* arrays elsewhere.
	I18nImageURLs        []I18nThumbnailImageURL `json:"i18nImageUrl,omitempty"`
	ImageResourceID      string                  `json:"imageResourceId,omitempty"`
	I18nImageResourceIDs []I18nImageResourceID   `json:"i18nImageResourceIds,omitempty"`
	Action               Action                  `json:"action"`
}

// I18nThumbnailImageURL is a per-language quick-reply icon URL (PNG,
// HTTPS). The reference names its URL member thumbnailImageUrl.
//
// See https://developers.worksmobile.com/jp/docs/bot-quickreply.
type I18nThumbnailImageURL struct {
	Language          Language `json:"language"`
	ThumbnailImageURL string   `json:"thumbnailImageUrl"`
}

func (i I18nThumbnailImageURL) i18n() (Language, string) { return i.Language, i.ThumbnailImageURL }

// I18nImageResourceID is a per-language quick-reply icon resource ID.
// The stored copies of the reference page cut off after the "language"
// row, so the member name imageResourceId is inferred from the
// non-language field it localises (UNCONFIRMED).
//
// See https://developers.worksmobile.com/jp/docs/bot-quickreply.
type I18nImageResourceID struct {
	Language        Language `json:"language"`
	ImageResourceID string   `json:"imageResourceId"`
}

func (i I18nImageResourceID) i18n() (Language, string) { return i.Language, i.ImageResourceID }

// UnmarshalJSON decodes the action by its "type".
func (q *QuickReplyItem) UnmarshalJSON(data []byte) error {
	type plain QuickReplyItem
	aux := struct {
		*plain
		Action json.RawMessage `json:"action"`
	}{plain: (*plain)(q)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	a, err := decodeActionAt(aux.Action, "action")
	q.Action = a
	return err
}

// UnmarshalJSON decodes the items, naming the failing one in errors.
func (q *QuickReply) UnmarshalJSON(data []byte) error {
	var aux struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	// A QuickReply only ever sits under "quickReply", so errors name the
	// full path from the content object.
	items, err := decodeItems[QuickReplyItem](aux.Items, "quickReply.items")
	q.Items = items
	return err
}

func (v *contentValidator) quickReply(q *QuickReply) {
	if q == nil {
		return
	}
	const path = "quickReply.items"
	v.count(path, len(q.Items), 1, maxQuickReplyItems)
	for i, it := range q.Items {
		p := fieldAt(path, i)
		if it.ImageURL != "" && it.ImageResourceID != "" {
			v.fail(fieldJoin(p, "imageResourceId"), "cannot be combined with imageUrl")
		}
		v.url(fieldJoin(p, "imageUrl"), it.ImageURL, true)
		validateI18n(v, fieldJoin(p, "i18nImageUrl"), "thumbnailImageUrl", it.I18nImageURLs, func(f, s string) { v.url(f, s, true) })
		validateI18n(v, fieldJoin(p, "i18nImageResourceIds"), "imageResourceId", it.I18nImageResourceIDs, func(string, string) {})
		v.action(fieldJoin(p, "action"), it.Action, ctxQuickReply)
	}
}

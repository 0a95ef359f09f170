package lineworks

import (
	"encoding/json"
	"math"
	"net/url"
	"path"
	"strings"
)

// I18nText is a per-language text (Text.I18nTexts, MessageAction.I18nTexts).
// See https://developers.worksmobile.com/jp/docs/bot-send-text.
type I18nText struct {
	Language Language `json:"language"`
	Text     string   `json:"text"`
}

func (i I18nText) i18n() (Language, string) { return i.Language, i.Text }

// I18nContentText is a per-language contentText (Link, ButtonTemplate).
// See https://developers.worksmobile.com/jp/docs/bot-send-link.
type I18nContentText struct {
	Language    Language `json:"language"`
	ContentText string   `json:"contentText"`
}

func (i I18nContentText) i18n() (Language, string) { return i.Language, i.ContentText }

// I18nLinkText is a per-language linkText of a Link.
// See https://developers.worksmobile.com/jp/docs/bot-send-link.
type I18nLinkText struct {
	Language Language `json:"language"`
	LinkText string   `json:"linkText"`
}

func (i I18nLinkText) i18n() (Language, string) { return i.Language, i.LinkText }

// I18nTitle is a per-language title (ListCover, ListElement).
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type I18nTitle struct {
	Language Language `json:"language"`
	Title    string   `json:"title"`
}

func (i I18nTitle) i18n() (Language, string) { return i.Language, i.Title }

// I18nSubtitle is a per-language subtitle (ListCover, ListElement).
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type I18nSubtitle struct {
	Language Language `json:"language"`
	Subtitle string   `json:"subtitle"`
}

func (i I18nSubtitle) i18n() (Language, string) { return i.Language, i.Subtitle }

// I18nAltText is a per-language altText of a Flex message.
// See https://developers.worksmobile.com/jp/docs/bot-send-flex.
type I18nAltText struct {
	Language Language `json:"language"`
	AltText  string   `json:"altText"`
}

func (i I18nAltText) i18n() (Language, string) { return i.Language, i.AltText }

// I18nOriginalContentURL is a per-language image URL (ListElement,
// CarouselColumn, ImageCarouselColumn).
// See https://developers.worksmobile.com/jp/docs/bot-send-carousel.
type I18nOriginalContentURL struct {
	Language           Language `json:"language"`
	OriginalContentURL string   `json:"originalContentUrl"`
}

func (i I18nOriginalContentURL) i18n() (Language, string) {
	return i.Language, i.OriginalContentURL
}

// I18nFileID is a per-language uploaded image (ListElement, CarouselColumn,
// ImageCarouselColumn).
// See https://developers.worksmobile.com/jp/docs/bot-send-carousel.
type I18nFileID struct {
	Language Language `json:"language"`
	FileID   string   `json:"fileId"`
}

func (i I18nFileID) i18n() (Language, string) { return i.Language, i.FileID }

// I18nBackgroundImageURL is a per-language cover image URL of a ListCover.
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type I18nBackgroundImageURL struct {
	Language           Language `json:"language"`
	BackgroundImageURL string   `json:"backgroundImageUrl"`
}

func (i I18nBackgroundImageURL) i18n() (Language, string) {
	return i.Language, i.BackgroundImageURL
}

// I18nBackgroundFileID is a per-language uploaded cover image of a ListCover.
// See https://developers.worksmobile.com/jp/docs/bot-send-list.
type I18nBackgroundFileID struct {
	Language         Language `json:"language"`
	BackgroundFileID string   `json:"backgroundFileId"`
}

func (i I18nBackgroundFileID) i18n() (Language, string) {
	return i.Language, i.BackgroundFileID
}

// Text is a plain text message of up to 2000 characters. It may contain
// mentions built with Mention or MentionAll; text typed by other people
// should go through EscapeText first.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-text.
type Text struct {
	Text       string      `json:"text"`
	I18nTexts  []I18nText  `json:"i18nTexts,omitempty"`
	QuickReply *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "text".
func (Text) ContentType() string { return "text" }

// MarshalJSON adds "type":"text".
func (c Text) MarshalJSON() ([]byte, error) {
	type plain Text
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks the text length, the language variants (same limit, same
// mentions), the mention count and the quick reply.
func (c Text) Validate() error {
	var v contentValidator
	v.requiredMax("text", c.Text, MaxTextLength)
	validateI18n(&v, "i18nTexts", "text", c.I18nTexts, func(f, s string) { v.maxLen(f, s, MaxTextLength) })
	v.checkVariantMentions(mentionField{"text", c.Text}, i18nTexts("i18nTexts", "text", c.I18nTexts))
	v.quickReply(c.QuickReply)
	return v.err()
}

func (c Text) mentionFields() []mentionField {
	return append([]mentionField{{"text", c.Text}}, i18nTexts("i18nTexts", "text", c.I18nTexts)...)
}

// Sticker is a LINE WORKS sticker. The IDs are strings, as in the reference
// examples; numbers are accepted when decoding because other SDKs send them.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-sticker.
type Sticker struct {
	PackageID  string      `json:"packageId"`
	StickerID  string      `json:"stickerId"`
	QuickReply *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "sticker".
func (Sticker) ContentType() string { return "sticker" }

// MarshalJSON adds "type":"sticker".
func (c Sticker) MarshalJSON() ([]byte, error) {
	type plain Sticker
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// UnmarshalJSON accepts packageId and stickerId as strings or numbers.
func (c *Sticker) UnmarshalJSON(data []byte) error {
	type plain Sticker
	aux := struct {
		*plain
		PackageID json.RawMessage `json:"packageId"`
		StickerID json.RawMessage `json:"stickerId"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	if c.PackageID, err = stringOrNumberID(aux.PackageID, "packageId"); err != nil {
		return err
	}
	c.StickerID, err = stringOrNumberID(aux.StickerID, "stickerId")
	return err
}

func stringOrNumberID(raw json.RawMessage, field string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", &ValidationError{Field: field, Reason: "must be a string or a number"}
	}
	return n.String(), nil
}

// Validate checks that both IDs are set.
func (c Sticker) Validate() error {
	var v contentValidator
	if c.PackageID == "" {
		v.fail("packageId", "is required")
	}
	if c.StickerID == "" {
		v.fail("stickerId", "is required")
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

// Image is a picture given either by HTTPS URLs (PreviewImageURL and
// OriginalContentURL) or by the FileID of an uploaded attachment.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-image.
type Image struct {
	PreviewImageURL    string      `json:"previewImageUrl,omitempty"`
	OriginalContentURL string      `json:"originalContentUrl,omitempty"`
	FileID             string      `json:"fileId,omitempty"`
	QuickReply         *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "image".
func (Image) ContentType() string { return "image" }

// MarshalJSON adds "type":"image".
func (c Image) MarshalJSON() ([]byte, error) {
	type plain Image
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks that exactly one source (URLs or file ID) is given.
func (c Image) Validate() error {
	var v contentValidator
	v.previewed(c.PreviewImageURL, c.OriginalContentURL, c.FileID)
	v.quickReply(c.QuickReply)
	return v.err()
}

// previewed checks image and video sources: both HTTPS URLs, or a file ID.
func (v *contentValidator) previewed(preview, original, fileID string) {
	if fileID != "" {
		if preview != "" || original != "" {
			v.fail("fileId", "cannot be combined with previewImageUrl/originalContentUrl")
		}
		return
	}
	switch {
	case original == "" && preview == "":
		v.fail("originalContentUrl", "and previewImageUrl are required (or set fileId)")
	case original == "":
		v.fail("originalContentUrl", "is required with previewImageUrl")
	case preview == "":
		v.fail("previewImageUrl", "is required with originalContentUrl")
	}
	v.url("originalContentUrl", original, true)
	v.url("previewImageUrl", preview, true)
}

// File is a file attachment given by an HTTPS URL or an uploaded FileID.
// LINE WORKS refuses executables (bat, cmd, com, cpl, exe, scr, js, vbs, wsf,
// hta); Validate catches URLs with those extensions early.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-file.
type File struct {
	OriginalContentURL string      `json:"originalContentUrl,omitempty"`
	FileID             string      `json:"fileId,omitempty"`
	QuickReply         *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "file".
func (File) ContentType() string { return "file" }

// MarshalJSON adds "type":"file".
func (c File) MarshalJSON() ([]byte, error) {
	type plain File
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks that exactly one source is given and that a URL does not
// name an executable.
func (c File) Validate() error {
	var v contentValidator
	v.exactlyOne("", "originalContentUrl", c.OriginalContentURL, "fileId", c.FileID, true)
	if u, err := url.Parse(c.OriginalContentURL); err == nil && c.OriginalContentURL != "" {
		switch ext := strings.ToLower(strings.TrimPrefix(path.Ext(u.Path), ".")); ext {
		case "bat", "cmd", "com", "cpl", "exe", "scr", "js", "vbs", "wsf", "hta":
			v.fail("originalContentUrl", "executable files (.%s) are refused by LINE WORKS", ext)
		}
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

// Audio is a sound file given by an HTTPS URL or an uploaded FileID.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-audio.
type Audio struct {
	OriginalContentURL string      `json:"originalContentUrl,omitempty"`
	FileID             string      `json:"fileId,omitempty"`
	QuickReply         *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "audio".
func (Audio) ContentType() string { return "audio" }

// MarshalJSON adds "type":"audio".
func (c Audio) MarshalJSON() ([]byte, error) {
	type plain Audio
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks that exactly one source is given.
func (c Audio) Validate() error {
	var v contentValidator
	v.exactlyOne("", "originalContentUrl", c.OriginalContentURL, "fileId", c.FileID, true)
	v.quickReply(c.QuickReply)
	return v.err()
}

// Video is a movie given by HTTPS URLs (PreviewImageURL and
// OriginalContentURL) or by an uploaded FileID.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-video.
type Video struct {
	PreviewImageURL    string      `json:"previewImageUrl,omitempty"`
	OriginalContentURL string      `json:"originalContentUrl,omitempty"`
	FileID             string      `json:"fileId,omitempty"`
	QuickReply         *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "video".
func (Video) ContentType() string { return "video" }

// MarshalJSON adds "type":"video".
func (c Video) MarshalJSON() ([]byte, error) {
	type plain Video
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks that exactly one source (URLs or file ID) is given.
func (c Video) Validate() error {
	var v contentValidator
	v.previewed(c.PreviewImageURL, c.OriginalContentURL, c.FileID)
	v.quickReply(c.QuickReply)
	return v.err()
}

// Location is a map pin. Latitude and Longitude are always sent, because 0
// is a valid coordinate.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-location.
type Location struct {
	Title      string      `json:"title"`
	Address    string      `json:"address"`
	Latitude   float64     `json:"latitude"`
	Longitude  float64     `json:"longitude"`
	QuickReply *QuickReply `json:"quickReply,omitempty"`
}

// ContentType returns "location".
func (Location) ContentType() string { return "location" }

// MarshalJSON adds "type":"location".
func (c Location) MarshalJSON() ([]byte, error) {
	type plain Location
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks title and address (≤ 100 characters) and the coordinate
// ranges.
func (c Location) Validate() error {
	var v contentValidator
	v.requiredMax("title", c.Title, maxLocationField)
	v.requiredMax("address", c.Address, maxLocationField)
	if math.IsNaN(c.Latitude) || c.Latitude < -90 || c.Latitude > 90 {
		v.fail("latitude", "%v is outside -90..90", c.Latitude)
	}
	if math.IsNaN(c.Longitude) || c.Longitude < -180 || c.Longitude > 180 {
		v.fail("longitude", "%v is outside -180..180", c.Longitude)
	}
	v.quickReply(c.QuickReply)
	return v.err()
}

// Link is a text with a tappable link under it. ContentText may contain
// mentions.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-link.
type Link struct {
	ContentText      string            `json:"contentText"`
	I18nContentTexts []I18nContentText `json:"i18nContentTexts,omitempty"`
	LinkText         string            `json:"linkText"`
	I18nLinkTexts    []I18nLinkText    `json:"i18nLinkTexts,omitempty"`
	Link             string            `json:"link"`
	QuickReply       *QuickReply       `json:"quickReply,omitempty"`
}

// ContentType returns "link".
func (Link) ContentType() string { return "link" }

// MarshalJSON adds "type":"link".
func (c Link) MarshalJSON() ([]byte, error) {
	type plain Link
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks the three members (each ≤ 1000 characters, link http or
// https), their language variants and mentions.
func (c Link) Validate() error {
	var v contentValidator
	v.requiredMax("contentText", c.ContentText, maxContentText)
	v.requiredMax("linkText", c.LinkText, maxLinkField)
	if c.Link == "" {
		v.fail("link", "is required")
	}
	v.url("link", c.Link, false)
	validateI18n(&v, "i18nContentTexts", "contentText", c.I18nContentTexts, func(f, s string) { v.maxLen(f, s, maxContentText) })
	validateI18n(&v, "i18nLinkTexts", "linkText", c.I18nLinkTexts, func(f, s string) { v.maxLen(f, s, maxLinkField) })
	v.checkVariantMentions(mentionField{"contentText", c.ContentText}, i18nTexts("i18nContentTexts", "contentText", c.I18nContentTexts))
	v.quickReply(c.QuickReply)
	return v.err()
}

func (c Link) mentionFields() []mentionField {
	return append([]mentionField{{"contentText", c.ContentText}}, i18nTexts("i18nContentTexts", "contentText", c.I18nContentTexts)...)
}

package lineworks

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Action is what happens when a user taps a button: PostbackAction,
// MessageAction, URIAction, CopyAction, CameraAction, CameraRollAction or
// LocationAction. Each marshals its own "type".
//
// The set is closed (the interface has an unexported method) because LINE
// WORKS accepts no other action types; which ones are allowed depends on the
// container, and Validate of the enclosing content checks that.
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type Action interface {
	// ActionType returns the LINE WORKS "type" value, e.g. "message".
	ActionType() string

	validateAction(v *contentValidator, path string, ctx actionContext)
}

// I18nLabel is a per-language label of an action. The action object page
// lists i18nLabels for every action type, copy, camera, cameraRoll and
// location included, and so does the persistent menu's answer
// (bot-persistentmenu-get).
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type I18nLabel struct {
	Language Language `json:"language"`
	Label    string   `json:"label"`
}

func (i I18nLabel) i18n() (Language, string) { return i.Language, i.Label }

// I18nDisplayText is a per-language displayText of a PostbackAction.
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type I18nDisplayText struct {
	Language    Language `json:"language"`
	DisplayText string   `json:"displayText"`
}

func (i I18nDisplayText) i18n() (Language, string) { return i.Language, i.DisplayText }

// PostbackAction sends Data back to the bot as a postback event without
// posting anything visible unless DisplayText is set. LINE WORKS allows it in
// carousels, image carousels, quick replies and rich menus only — not in
// button or list templates; use a MessageAction with Postback there.
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type PostbackAction struct {
	Label            string            `json:"label,omitempty"`
	Data             string            `json:"data"`
	DisplayText      string            `json:"displayText,omitempty"`
	I18nLabels       []I18nLabel       `json:"i18nLabels,omitempty"`
	I18nDisplayTexts []I18nDisplayText `json:"i18nDisplayTexts,omitempty"`
}

// MessageAction posts Text into the conversation as the user (the label when
// Text is empty, in button and list templates) and, when Postback is set,
// delivers it to the bot as content.postback of the message event. It is the
// way to get a machine-readable answer out of a button template.
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type MessageAction struct {
	Label      string      `json:"label,omitempty"`
	Text       string      `json:"text,omitempty"`
	Postback   string      `json:"postback,omitempty"`
	I18nLabels []I18nLabel `json:"i18nLabels,omitempty"`
	I18nTexts  []I18nText  `json:"i18nTexts,omitempty"`
}

// URIAction opens URI (http or https) in the client.
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type URIAction struct {
	Label      string      `json:"label,omitempty"`
	URI        string      `json:"uri"`
	I18nLabels []I18nLabel `json:"i18nLabels,omitempty"`
}

// CopyAction copies CopyText to the user's clipboard.
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type CopyAction struct {
	Label      string      `json:"label"`
	CopyText   string      `json:"copyText"`
	I18nLabels []I18nLabel `json:"i18nLabels,omitempty"`
}

// CameraAction opens the camera (mobile apps; quick reply only).
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type CameraAction struct {
	Label      string      `json:"label"`
	I18nLabels []I18nLabel `json:"i18nLabels,omitempty"`
}

// CameraRollAction opens the photo library (mobile apps; quick reply only).
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type CameraRollAction struct {
	Label      string      `json:"label"`
	I18nLabels []I18nLabel `json:"i18nLabels,omitempty"`
}

// LocationAction opens the location picker (mobile apps; quick reply only).
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
type LocationAction struct {
	Label      string      `json:"label"`
	I18nLabels []I18nLabel `json:"i18nLabels,omitempty"`
}

// ActionType returns "postback".
func (PostbackAction) ActionType() string { return "postback" }

// ActionType returns "message".
func (MessageAction) ActionType() string { return "message" }

// ActionType returns "uri".
func (URIAction) ActionType() string { return "uri" }

// ActionType returns "copy".
func (CopyAction) ActionType() string { return "copy" }

// ActionType returns "camera".
func (CameraAction) ActionType() string { return "camera" }

// ActionType returns "cameraRoll".
func (CameraRollAction) ActionType() string { return "cameraRoll" }

// ActionType returns "location".
func (LocationAction) ActionType() string { return "location" }

// MarshalJSON adds "type":"postback".
func (a PostbackAction) MarshalJSON() ([]byte, error) {
	type plain PostbackAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// MarshalJSON adds "type":"message".
func (a MessageAction) MarshalJSON() ([]byte, error) {
	type plain MessageAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// MarshalJSON adds "type":"uri".
func (a URIAction) MarshalJSON() ([]byte, error) {
	type plain URIAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// MarshalJSON adds "type":"copy".
func (a CopyAction) MarshalJSON() ([]byte, error) {
	type plain CopyAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// MarshalJSON adds "type":"camera".
func (a CameraAction) MarshalJSON() ([]byte, error) {
	type plain CameraAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// MarshalJSON adds "type":"cameraRoll".
func (a CameraRollAction) MarshalJSON() ([]byte, error) {
	type plain CameraRollAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// MarshalJSON adds "type":"location".
func (a LocationAction) MarshalJSON() ([]byte, error) {
	type plain LocationAction
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{a.ActionType(), plain(a)})
}

// DecodeAction decodes one action object by its "type" into PostbackAction,
// MessageAction, URIAction, CopyAction, CameraAction, CameraRollAction or
// LocationAction (values, not pointers). An unknown or missing type is an
// error naming it that matches ErrInvalidContent.
//
// See https://developers.worksmobile.com/jp/docs/bot-actionobject.
func DecodeAction(data []byte) (Action, error) {
	a, err := decodeAction(data)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidContent, err)
	}
	return a, nil
}

// decodeAction is DecodeAction without the error wrapping, for use inside
// UnmarshalJSON methods whose callers add their own context.
func decodeAction(data []byte) (Action, error) {
	var head struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	if head.Type == nil {
		return nil, &ValidationError{Field: "type", Reason: "is required"}
	}
	switch t := *head.Type; t {
	case "postback":
		return decodeActionAs[PostbackAction](data)
	case "message":
		return decodeActionAs[MessageAction](data)
	case "uri":
		return decodeActionAs[URIAction](data)
	case "copy":
		return decodeActionAs[CopyAction](data)
	case "camera":
		return decodeActionAs[CameraAction](data)
	case "cameraRoll":
		return decodeActionAs[CameraRollAction](data)
	case "location":
		return decodeActionAs[LocationAction](data)
	default:
		return nil, &ValidationError{Field: "type", Reason: fmt.Sprintf("unknown action type %q", t)}
	}
}

func decodeActionAs[T Action](data []byte) (Action, error) {
	var a T
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s action: %w", a.ActionType(), err)
	}
	return a, nil
}

// decodeActionAt decodes an optional action member; path prefixes the field
// of any error so "columns[1].actions[0].type" points at the culprit.
func decodeActionAt(raw json.RawMessage, path string) (Action, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	a, err := decodeAction(raw)
	if err != nil {
		return nil, prefixField(err, path)
	}
	return a, nil
}

func decodeActions(raws []json.RawMessage, path string) ([]Action, error) {
	if raws == nil {
		return nil, nil
	}
	out := make([]Action, len(raws))
	for i, r := range raws {
		a, err := decodeActionAt(r, fieldAt(path, i))
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// decodeItems decodes a JSON array element by element so that an error names
// the element's index.
func decodeItems[T any](raws []json.RawMessage, path string) ([]T, error) {
	if raws == nil {
		return nil, nil
	}
	out := make([]T, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, prefixField(err, fieldAt(path, i))
		}
	}
	return out, nil
}

// prefixField prefixes the Field of a *ValidationError with path, or wraps any
// other error with it.
func prefixField(err error, path string) error {
	var ve *ValidationError
	if errors.As(err, &ve) && err == error(ve) {
		return &ValidationError{Field: fieldJoin(path, ve.Field), Reason: ve.Reason}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// actionContext describes where an action sits, because LINE WORKS allows
// different action types and limits per container.
type actionContext struct {
	name          string // container, for messages
	allowPostback bool
	quickReply    bool // camera, cameraRoll and location are allowed; displayText required
	labelMax      int
	labelOptional bool // carousel defaultAction
	textRequired  bool // message action text (templates send the label instead)
}

var (
	ctxButton          = actionContext{name: "button_template", labelMax: maxLabel}
	ctxList            = actionContext{name: "list_template", labelMax: maxLabel}
	ctxCarousel        = actionContext{name: "carousel", allowPostback: true, labelMax: maxLabel, textRequired: true}
	ctxCarouselDefault = actionContext{name: "carousel", allowPostback: true, labelMax: maxLabel, labelOptional: true, textRequired: true}
	ctxImageCarousel   = actionContext{name: "image_carousel", allowPostback: true, labelMax: maxImageCarouselLabel, textRequired: true}
	ctxQuickReply      = actionContext{name: "quickReply", allowPostback: true, quickReply: true, labelMax: maxLabel, textRequired: true}
)

// action validates a required action member.
func (v *contentValidator) action(path string, a Action, ctx actionContext) {
	if isNilContent(a) {
		v.fail(path, "is required")
		return
	}
	a.validateAction(v, path, ctx)
}

func (v *contentValidator) label(path, label string, i18n []I18nLabel, ctx actionContext) {
	if label == "" && !ctx.labelOptional {
		v.fail(fieldJoin(path, "label"), "is required")
	} else {
		v.maxLen(fieldJoin(path, "label"), label, ctx.labelMax)
	}
	validateI18n(v, fieldJoin(path, "i18nLabels"), "label", i18n, func(f, s string) { v.maxLen(f, s, ctx.labelMax) })
}

func (a PostbackAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	if !ctx.allowPostback {
		v.fail(fieldJoin(path, "type"), "postback action is not allowed in %s; use a message action with a postback value", ctx.name)
	}
	v.label(path, a.Label, a.I18nLabels, ctx)
	v.requiredMax(fieldJoin(path, "data"), a.Data, maxPostbackData)
	if ctx.quickReply && a.DisplayText == "" {
		v.fail(fieldJoin(path, "displayText"), "is required in a quick reply")
	}
	v.maxLen(fieldJoin(path, "displayText"), a.DisplayText, maxDisplayText)
	validateI18n(v, fieldJoin(path, "i18nDisplayTexts"), "displayText", a.I18nDisplayTexts, func(f, s string) { v.maxLen(f, s, maxDisplayText) })
}

func (a MessageAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	v.label(path, a.Label, a.I18nLabels, ctx)
	if a.Text == "" && ctx.textRequired {
		v.fail(fieldJoin(path, "text"), "is required in %s", ctx.name)
	}
	v.maxLen(fieldJoin(path, "text"), a.Text, maxMessageText)
	v.maxLen(fieldJoin(path, "postback"), a.Postback, maxMessagePostback)
	validateI18n(v, fieldJoin(path, "i18nTexts"), "text", a.I18nTexts, func(f, s string) { v.maxLen(f, s, maxMessageText) })
}

func (a URIAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	v.label(path, a.Label, a.I18nLabels, ctx)
	if a.URI == "" {
		v.fail(fieldJoin(path, "uri"), "is required")
		return
	}
	v.url(fieldJoin(path, "uri"), a.URI, false)
}

func (a CopyAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	v.label(path, a.Label, a.I18nLabels, ctx)
	v.requiredMax(fieldJoin(path, "copyText"), a.CopyText, maxCopyText)
}

func (a CameraAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	quickReplyOnly(v, path, a.ActionType(), a.Label, a.I18nLabels, ctx)
}

func (a CameraRollAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	quickReplyOnly(v, path, a.ActionType(), a.Label, a.I18nLabels, ctx)
}

func (a LocationAction) validateAction(v *contentValidator, path string, ctx actionContext) {
	quickReplyOnly(v, path, a.ActionType(), a.Label, a.I18nLabels, ctx)
}

func quickReplyOnly(v *contentValidator, path, typ, label string, i18n []I18nLabel, ctx actionContext) {
	if !ctx.quickReply {
		v.fail(fieldJoin(path, "type"), "%s action is only allowed in a quick reply, not in %s", typ, ctx.name)
	}
	v.label(path, label, i18n, ctx)
}

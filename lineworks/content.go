package lineworks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Content is a message body for Bots.SendToUser / Bots.SendToChannel.
//
// The package provides one implementation per LINE WORKS content type
// (Text, Sticker, Image, File, Audio, Video, Location, Link, ButtonTemplate,
// ListTemplate, Carousel, ImageCarousel, Flex) plus RawContent for JSON that
// was stored or written by hand. Each type writes its own "type" member when
// marshalled, so callers never set it and can never get it wrong.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
type Content interface {
	// ContentType returns the LINE WORKS "type" value, e.g. "text" or
	// "button_template".
	ContentType() string
	// Validate checks the documented limits. The error names the offending
	// field, e.g. "lineworks: text: length 2001 exceeds 2000", and matches
	// ErrInvalidContent with errors.Is.
	Validate() error
}

// ErrInvalidContent is matched (with errors.Is) by every error that Validate,
// DecodeContent or DecodeAction return for content that breaks a documented
// rule, so callers can tell "fix your message" apart from transport failures.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
var ErrInvalidContent = errors.New("lineworks: invalid content")

// ValidationError reports one broken rule in a message body. Field is the
// JSON path inside the content object, e.g. "actions[2].data" or
// "columns[0].actions[1].label"; Reason says what is wrong with it.
//
// When several rules are broken, Validate returns them joined with
// errors.Join; errors.As finds the first one.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
type ValidationError struct {
	Field  string
	Reason string
}

// Error returns "lineworks: FIELD: REASON".
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "lineworks: " + e.Reason
	}
	return "lineworks: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidContent.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidContent }

// DecodeContent decodes one content object (the value of a request's
// "content" member) into the typed value named by its "type": Text,
// ButtonTemplate, Flex and so on — values, not pointers, the same types a
// caller builds. An unknown or missing type is an error naming it.
//
// DecodeContent does not validate; call Validate on the result. Members this
// package does not model are dropped, so to resend stored JSON byte for byte
// wrap it in RawContent instead of decoding and re-encoding it.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
func DecodeContent(data []byte) (Content, error) {
	var head struct {
		Type    *string         `json:"type"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidContent, err)
	}
	if head.Type == nil {
		reason := "is required"
		if len(head.Content) > 0 {
			// A whole request body pasted from the docs is the usual mistake.
			reason = `is required (this looks like a request body; pass the value of its "content" member)`
		}
		return nil, &ValidationError{Field: "type", Reason: reason}
	}
	var (
		c   Content
		err error
	)
	switch t := *head.Type; t {
	case "text":
		c, err = decodeAs[Text](data)
	case "sticker":
		c, err = decodeAs[Sticker](data)
	case "image":
		c, err = decodeAs[Image](data)
	case "file":
		c, err = decodeAs[File](data)
	case "audio":
		c, err = decodeAs[Audio](data)
	case "video":
		c, err = decodeAs[Video](data)
	case "location":
		c, err = decodeAs[Location](data)
	case "link":
		c, err = decodeAs[Link](data)
	case "button_template":
		c, err = decodeAs[ButtonTemplate](data)
	case "list_template":
		c, err = decodeAs[ListTemplate](data)
	case "carousel":
		c, err = decodeAs[Carousel](data)
	case "image_carousel":
		c, err = decodeAs[ImageCarousel](data)
	case "flex":
		c, err = decodeAs[Flex](data)
	default:
		return nil, &ValidationError{Field: "type", Reason: fmt.Sprintf("unknown content type %q", t)}
	}
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidContent, *head.Type, err)
	}
	return c, nil
}

func decodeAs[T Content](data []byte) (Content, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// RawContent is a content object kept as JSON, for stored outbox rows and
// files written by hand: it is sent exactly as given, while ContentType and
// Validate still work (by decoding a copy).
//
// See https://developers.worksmobile.com/jp/docs/bot-send-content.
type RawContent json.RawMessage

// ContentType returns the "type" member, or "" when r is not a JSON object.
func (r RawContent) ContentType() string {
	var head struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(r, &head) != nil {
		return ""
	}
	return head.Type
}

// Validate decodes r with DecodeContent and validates the result.
func (r RawContent) Validate() error {
	c, err := DecodeContent(r)
	if err != nil {
		return err
	}
	return c.Validate()
}

// MarshalJSON returns r unchanged; it fails for empty or malformed JSON so a
// broken row is never sent.
func (r RawContent) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return nil, errors.New("lineworks: RawContent is empty")
	}
	if !json.Valid(r) {
		return nil, errors.New("lineworks: RawContent is not valid JSON")
	}
	return r, nil
}

// UnmarshalJSON stores a copy of data.
func (r *RawContent) UnmarshalJSON(data []byte) error {
	*r = append((*r)[:0], data...)
	return nil
}

// validateForDestination runs c.Validate and then the rules that depend on
// where the message goes: @All (<m userId="all">) is only meaningful in a
// talk room, so it is rejected for a 1:1 message instead of letting LINE
// WORKS reject (or silently mangle) it. The send methods call it before any
// request is made.
func validateForDestination(c Content, toChannel bool) error {
	if isNilContent(c) {
		return &ValidationError{Field: "content", Reason: "is required"}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	fields, err := mentionFieldsOf(c)
	if err != nil {
		return err
	}
	if !toChannel {
		for _, f := range fields {
			if hasMentionAll(f.text) {
				return &ValidationError{Field: f.path, Reason: MentionAll + " (@All) can only be sent to a channel, not to a user"}
			}
		}
	}
	return nil
}

// mentionField is one mention-bearing string of a content object.
type mentionField struct {
	path, text string
}

// mentioner is implemented by the content types whose fields can carry
// <m userId="…"> mentions (text, link, button_template, flex).
type mentioner interface {
	mentionFields() []mentionField
}

// mentionFieldsOf returns the mention-bearing fields of c. Content types the
// package does not know are re-encoded and decoded so that a foreign
// implementation cannot smuggle an @All past validateForDestination.
func mentionFieldsOf(c Content) ([]mentionField, error) {
	switch v := c.(type) {
	case mentioner:
		return v.mentionFields(), nil
	case RawContent, *RawContent, Sticker, *Sticker, Image, *Image, File, *File,
		Audio, *Audio, Video, *Video, Location, *Location, ListTemplate, *ListTemplate,
		Carousel, *Carousel, ImageCarousel, *ImageCarousel:
		if r, ok := asRaw(v); ok {
			d, err := DecodeContent(r)
			if err != nil {
				return nil, err
			}
			return mentionFieldsOf(d)
		}
		return nil, nil
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("lineworks: encode %s content: %w", c.ContentType(), err)
	}
	d, err := DecodeContent(data)
	if err != nil {
		return nil, err
	}
	return mentionFieldsOf(d)
}

func asRaw(c Content) (RawContent, bool) {
	switch v := c.(type) {
	case RawContent:
		return v, true
	case *RawContent:
		return *v, true
	}
	return nil, false
}

// isNilContent reports whether v is nil or a nil pointer wrapped in an interface;
// calling a value-receiver method through the latter would panic.
func isNilContent(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// marshalJSON is json.Marshal without HTML escaping: mention tags are
// markup for LINE WORKS, and keeping "<" and ">" literal makes logged and
// stored bodies readable. (An outer json.Marshal may still escape them;
// both forms decode to the same string.)
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

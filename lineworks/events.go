package lineworks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// Event is one decoded callback event, as posted by LINE WORKS to a bot's
// callback URL (https://developers.worksmobile.com/jp/docs/bot-callback).
//
// The concrete types are [MessageEvent], [PostbackEvent], [JoinEvent],
// [LeaveEvent], [JoinedEvent], [LeftEvent], [BeginEvent], [EndEvent] and
// [UnknownEvent]; switch on them by value:
//
//	switch e := ev.(type) {
//	case lineworks.MessageEvent:
//	case lineworks.JoinEvent:
//	}
//
// The interface is sealed (it has an unexported method) so that a type switch
// over this package's types stays exhaustive as LINE WORKS adds event types:
// a new type arrives as an UnknownEvent instead of breaking callers.
//
// The source is reached through EventSource rather than Source because every
// event type also exposes it as the field Source, and Go does not allow a field
// and a method of the same name.
type Event interface {
	// Type returns the event's "type" as sent by LINE WORKS, e.g. "message".
	Type() string
	// EventSource returns who and where the event came from.
	EventSource() Source
	// IssuedTime returns the event's "issuedTime", or the zero time when it
	// was absent or unparseable.
	IssuedTime() time.Time
	isEvent()
}

// Source is the "source" object common to every callback event
// (https://developers.worksmobile.com/jp/docs/bot-callback).
//
// Every field is optional on the wire: UserID is absent from join, leave,
// joined and left events, and ChannelID is absent from message events sent in
// a 1:1 room with the bot. Neither ID is validated, because the documented
// examples themselves use placeholders such as "12345".
type Source struct {
	// UserID is the acting member's user ID; empty for join/leave/joined/left.
	UserID string
	// ChannelID is the talk room's channel ID; empty for messages from a 1:1 room.
	ChannelID string
	// DomainID is the tenant's domain ID. It is an int on the wire; int64 here
	// because the API's own schemas disagree on its width.
	DomainID int64
}

// ReplyTarget reports where an answer to this event should go: the channel
// when the event came from a talk room (channel is true), otherwise the user,
// which is the case for messages in a 1:1 room where LINE WORKS sends no
// channel ID (https://developers.worksmobile.com/jp/docs/bot-callback-message).
// Use it with the "send to channel" or "send to user" message API
// (https://developers.worksmobile.com/jp/docs/bot-channel-message-send,
// https://developers.worksmobile.com/jp/docs/bot-user-message-send).
// It returns ("", false) when the source names neither.
func (s Source) ReplyTarget() (id string, channel bool) {
	if s.ChannelID != "" {
		return s.ChannelID, true
	}
	return s.UserID, false
}

// EventHeader is what every callback event carries besides its type: who and
// where it came from, and when. Each event type embeds it, so e.Source and
// e.Issued read as fields and EventSource and IssuedTime come with it; a new
// event type gets both by embedding it.
type EventHeader struct {
	Source Source
	// Issued is the event's issuedTime; zero when absent or unparseable.
	Issued time.Time
}

// EventSource returns h.Source.
func (h EventHeader) EventSource() Source { return h.Source }

// IssuedTime returns h.Issued.
func (h EventHeader) IssuedTime() time.Time { return h.Issued }

// MessageEvent is a "message" event: a member sent the bot something in a 1:1
// room or in a talk room the bot is in
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
//
// A tap on a message action (for example a button of a button template)
// also arrives as a MessageEvent whose content is a [ReceivedText] with a
// Postback; use [Tap] to handle both kinds of tap the same way.
type MessageEvent struct {
	EventHeader
	// Content is never nil; an unknown or undecodable content is an
	// [UnknownContent].
	Content ReceivedContent
}

// PostbackEvent is a "postback" event: a member pressed a postback action in a
// carousel, image carousel, quick reply or rich menu
// (https://developers.worksmobile.com/jp/docs/bot-callback-postback).
type PostbackEvent struct {
	EventHeader
	// Data is the pressed action's "data".
	Data string
}

// JoinEvent is a "join" event: the bot was invited to, or created in, a talk
// room (https://developers.worksmobile.com/jp/docs/bot-callback-join).
// Source.ChannelID is the room; no user ID is sent, so the inviter is unknown.
// It is how a bot first learns a room's channel ID.
type JoinEvent struct{ EventHeader }

// LeaveEvent is a "leave" event: the bot left, or was removed from, the talk
// room Source.ChannelID (https://developers.worksmobile.com/jp/docs/bot-callback-leave).
type LeaveEvent struct{ EventHeader }

// JoinedEvent is a "joined" event: members were added to a talk room the bot
// is in (https://developers.worksmobile.com/jp/docs/bot-callback-joined).
type JoinedEvent struct {
	EventHeader
	// Members are the user IDs of the members who joined.
	Members []string
}

// LeftEvent is a "left" event: members left a talk room the bot is in
// (https://developers.worksmobile.com/jp/docs/bot-callback-left).
type LeftEvent struct {
	EventHeader
	// Members are the user IDs of the members who left.
	Members []string
}

// BeginEvent is a "begin" event: a 1:1 room between a user and the bot started
// (https://developers.worksmobile.com/jp/docs/bot-callback-begin). Unlike 1:1
// message events it carries the 1:1 room's Source.ChannelID.
type BeginEvent struct{ EventHeader }

// EndEvent is an "end" event: the user left the 1:1 room with the bot
// (https://developers.worksmobile.com/jp/docs/bot-callback-end).
type EndEvent struct{ EventHeader }

// UnknownEvent is an event whose type this package does not know, or a known
// type whose type-specific fields do not have the documented JSON shape
// (https://developers.worksmobile.com/jp/docs/bot-callback). Callbacks are
// never redelivered, so rather than fail, the event is kept with its raw JSON
// for the caller to log, store or decode itself.
type UnknownEvent struct {
	// EventType is the "type" as sent; empty when the body had none.
	EventType string
	EventHeader
	// Raw is the whole event body (a copy, safe to keep).
	Raw json.RawMessage
}

// Type returns "message".
func (MessageEvent) Type() string { return "message" }

// Type returns "postback".
func (PostbackEvent) Type() string { return "postback" }

// Type returns "join".
func (JoinEvent) Type() string { return "join" }

// Type returns "leave".
func (LeaveEvent) Type() string { return "leave" }

// Type returns "joined".
func (JoinedEvent) Type() string { return "joined" }

// Type returns "left".
func (LeftEvent) Type() string { return "left" }

// Type returns "begin".
func (BeginEvent) Type() string { return "begin" }

// Type returns "end".
func (EndEvent) Type() string { return "end" }

// Type returns the event type as sent by LINE WORKS.
func (e UnknownEvent) Type() string { return e.EventType }

// isEvent is declared per type rather than on EventHeader: on the header it
// would let any type that embeds EventHeader, in any package, implement Event.
func (MessageEvent) isEvent()  {}
func (PostbackEvent) isEvent() {}
func (JoinEvent) isEvent()     {}
func (LeaveEvent) isEvent()    {}
func (JoinedEvent) isEvent()   {}
func (LeftEvent) isEvent()     {}
func (BeginEvent) isEvent()    {}
func (EndEvent) isEvent()      {}
func (UnknownEvent) isEvent()  {}

// ReceivedContent is the "content" of a [MessageEvent]
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
//
// The concrete types are [ReceivedText], [ReceivedLocation], [ReceivedSticker],
// [ReceivedImage], [ReceivedFile], [ReceivedAudio], [ReceivedVideo] and
// [UnknownContent]. They are distinct from the content types used to send
// messages because what LINE WORKS sends a bot is a different, smaller shape.
// The interface is sealed for the same reason as [Event].
type ReceivedContent interface {
	// ContentType returns the content's "type", e.g. "text".
	ContentType() string
	isReceivedContent()
}

// ReceivedText is a "text" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
type ReceivedText struct {
	Text string
	// Postback is set when the text was sent by tapping a message action that
	// carries a postback value, or by the bot's "start" (利用開始) button;
	// empty for text the member typed.
	Postback string
}

// ReceivedLocation is a "location" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
type ReceivedLocation struct {
	Address   string
	Latitude  float64
	Longitude float64
}

// ReceivedSticker is a "sticker" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
// The IDs are documented as strings; JSON numbers are accepted too and kept
// as written, since IDs are compared, never computed with.
type ReceivedSticker struct {
	PackageID string
	StickerID string
}

// ReceivedImage is an "image" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
// Download the image with the attachment API
// (https://developers.worksmobile.com/jp/docs/bot-attachment-get).
type ReceivedImage struct {
	FileID string
	// FileName is kept if LINE WORKS sends one; that it does is unconfirmed.
	FileName string
}

// ReceivedFile is a "file" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
type ReceivedFile struct {
	FileID string
	// FileName is kept if LINE WORKS sends one; that it does is unconfirmed.
	FileName string
}

// ReceivedAudio is an "audio" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
type ReceivedAudio struct {
	FileID string
	// FileName is kept if LINE WORKS sends one; that it does is unconfirmed.
	FileName string
}

// ReceivedVideo is a "video" message content
// (https://developers.worksmobile.com/jp/docs/bot-callback-message).
type ReceivedVideo struct {
	FileID string
	// FileName is kept if LINE WORKS sends one; that it does is unconfirmed.
	FileName string
}

// UnknownContent is a message content whose type this package does not know,
// or a known type whose fields do not have the documented JSON shape
// (https://developers.worksmobile.com/jp/docs/bot-callback-message). Newer
// LINE WORKS clients add content types; keeping the raw JSON loses nothing.
type UnknownContent struct {
	// Type is the content's "type" when it was a string, else empty.
	Type string
	// Raw is the content object as sent (a copy); nil when the event had none.
	Raw json.RawMessage
}

// ContentType returns "text".
func (ReceivedText) ContentType() string { return "text" }

// ContentType returns "location".
func (ReceivedLocation) ContentType() string { return "location" }

// ContentType returns "sticker".
func (ReceivedSticker) ContentType() string { return "sticker" }

// ContentType returns "image".
func (ReceivedImage) ContentType() string { return "image" }

// ContentType returns "file".
func (ReceivedFile) ContentType() string { return "file" }

// ContentType returns "audio".
func (ReceivedAudio) ContentType() string { return "audio" }

// ContentType returns "video".
func (ReceivedVideo) ContentType() string { return "video" }

// ContentType returns c.Type.
func (c UnknownContent) ContentType() string { return c.Type }

func (ReceivedText) isReceivedContent()     {}
func (ReceivedLocation) isReceivedContent() {}
func (ReceivedSticker) isReceivedContent()  {}
func (ReceivedImage) isReceivedContent()    {}
func (ReceivedFile) isReceivedContent()     {}
func (ReceivedAudio) isReceivedContent()    {}
func (ReceivedVideo) isReceivedContent()    {}
func (UnknownContent) isReceivedContent()   {}

// Tap returns the value a member's tap carried, whichever way LINE WORKS
// delivered it: the data of a [PostbackEvent] (postback actions in carousels,
// quick replies and rich menus), or the postback of a [MessageEvent]'s
// [ReceivedText] (message actions, the only kind of action allowed in button
// templates; https://developers.worksmobile.com/jp/docs/bot-actionobject).
// ok is false for any other event and when the value is empty, so that typed
// text is never mistaken for a tap. Pointers to those events are accepted too.
func Tap(e Event) (data string, ok bool) {
	switch e := e.(type) {
	case PostbackEvent:
		data = e.Data
	case *PostbackEvent:
		if e != nil {
			data = e.Data
		}
	case MessageEvent:
		data = textPostback(e.Content)
	case *MessageEvent:
		if e != nil {
			data = textPostback(e.Content)
		}
	}
	return data, data != ""
}

func textPostback(c ReceivedContent) string {
	switch c := c.(type) {
	case ReceivedText:
		return c.Postback
	case *ReceivedText:
		if c != nil {
			return c.Postback
		}
	}
	return ""
}

// ErrMalformedEvent is matched (with errors.Is) by the error [ParseEvent] and
// [ParseCallback] return when a body is not a JSON object or its envelope
// ("type", "source") does not have the documented JSON types
// (https://developers.worksmobile.com/jp/docs/bot-callback). Unknown types and
// odd type-specific fields are not errors; see [UnknownEvent].
var ErrMalformedEvent = errors.New("lineworks: malformed callback event")

// malformedEventError says what is wrong without quoting the body, which may
// hold personal data and must not reach logs.
type malformedEventError struct {
	reason string
	err    error
}

func (e *malformedEventError) Error() string {
	return "lineworks: malformed callback event: " + e.reason
}
func (e *malformedEventError) Is(target error) bool { return target == ErrMalformedEvent }
func (e *malformedEventError) Unwrap() error        { return e.err }

// ParseEvent decodes one callback event body
// (https://developers.worksmobile.com/jp/docs/bot-callback) without verifying
// any signature: use it for bodies that were verified when they arrived, such
// as raw bodies stored by a handler and processed later. For requests, use
// [ParseCallback] or [NewCallbackHandler].
//
// It is strict only where nothing sensible can be done: the body must be a JSON
// object whose "type" is a string and whose "source" is an object with string
// IDs and a numeric (or numeric-string) domainId; otherwise the error matches
// [ErrMalformedEvent]. Everything else is lenient, because LINE WORKS never
// redelivers a callback: an absent or unparseable issuedTime gives the zero
// time, an unknown event type gives an [UnknownEvent], an unknown content type
// gives an [UnknownContent], and type-specific fields of the wrong JSON type
// give those Unknown values too, with the raw JSON kept.
//
// The returned event does not alias body.
func ParseEvent(body []byte) (Event, error) {
	if i := firstNonSpace(body); i < 0 || body[i] != '{' {
		if !json.Valid(body) {
			return nil, &malformedEventError{reason: "invalid JSON"}
		}
		return nil, &malformedEventError{reason: "not a JSON object"}
	}
	// Fast path: one decoding pass straight into typed fields. It fails with a
	// type error only for unusual shapes, which then take the lenient path.
	w := wireEvent{body: body}
	err := json.Unmarshal(body, &w)
	if err == nil {
		return w.event(), nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, &malformedEventError{reason: "invalid JSON at byte offset " + strconv.FormatInt(se.Offset, 10), err: err}
	}
	return parseLenient(body)
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return i
		}
	}
	return -1
}

type wireSource struct {
	UserID    string    `json:"userId"`
	ChannelID string    `json:"channelId"`
	DomainID  flexInt64 `json:"domainId"`
}

func (s wireSource) source() Source {
	return Source{UserID: s.UserID, ChannelID: s.ChannelID, DomainID: int64(s.DomainID)}
}

type wireContent struct {
	Type      string     `json:"type"`
	Text      string     `json:"text"`
	Postback  string     `json:"postback"`
	Address   string     `json:"address"`
	Latitude  flexFloat  `json:"latitude"`
	Longitude flexFloat  `json:"longitude"`
	PackageID flexString `json:"packageId"`
	StickerID flexString `json:"stickerId"`
	FileID    string     `json:"fileId"`
	FileName  string     `json:"fileName"`
}

// contentKind is how one documented content type is decoded. Adding a content
// type takes its Received type, its two methods, any new wireContent fields
// and one entry in contentKinds.
type contentKind struct {
	// fields points at the wireContent fields the type documents, so that the
	// lenient pass decodes only those and an odd extra field does not hide an
	// otherwise fine content.
	fields func(c *wireContent) any
	build  func(c *wireContent) ReceivedContent
}

var contentKinds = map[string]contentKind{
	"text": {
		fields: func(c *wireContent) any {
			return &struct {
				Text     *string `json:"text"`
				Postback *string `json:"postback"`
			}{&c.Text, &c.Postback}
		},
		build: func(c *wireContent) ReceivedContent { return ReceivedText{Text: c.Text, Postback: c.Postback} },
	},
	"location": {
		fields: func(c *wireContent) any {
			return &struct {
				Address   *string    `json:"address"`
				Latitude  *flexFloat `json:"latitude"`
				Longitude *flexFloat `json:"longitude"`
			}{&c.Address, &c.Latitude, &c.Longitude}
		},
		build: func(c *wireContent) ReceivedContent {
			return ReceivedLocation{Address: c.Address, Latitude: float64(c.Latitude), Longitude: float64(c.Longitude)}
		},
	},
	"sticker": {
		fields: func(c *wireContent) any {
			return &struct {
				PackageID *flexString `json:"packageId"`
				StickerID *flexString `json:"stickerId"`
			}{&c.PackageID, &c.StickerID}
		},
		build: func(c *wireContent) ReceivedContent {
			return ReceivedSticker{PackageID: string(c.PackageID), StickerID: string(c.StickerID)}
		},
	},
	"image": {fileFields, func(c *wireContent) ReceivedContent { return ReceivedImage(c.file()) }},
	"file":  {fileFields, func(c *wireContent) ReceivedContent { return ReceivedFile(c.file()) }},
	"audio": {fileFields, func(c *wireContent) ReceivedContent { return ReceivedAudio(c.file()) }},
	"video": {fileFields, func(c *wireContent) ReceivedContent { return ReceivedVideo(c.file()) }},
}

// fileFields are the fields shared by the image, file, audio and video
// contents.
func fileFields(c *wireContent) any {
	return &struct {
		FileID   *string `json:"fileId"`
		FileName *string `json:"fileName"`
	}{&c.FileID, &c.FileName}
}

// receivedFile has the shape of every file-like content, so that each of them
// is one conversion from it.
type receivedFile struct{ FileID, FileName string }

func (c *wireContent) file() receivedFile {
	return receivedFile{FileID: c.FileID, FileName: c.FileName}
}

// wireEvent is every documented field at once, so that the common case is a
// single decoding pass with no intermediate json.RawMessage copies.
type wireEvent struct {
	Type       string      `json:"type"`
	Source     wireSource  `json:"source"`
	IssuedTime issuedTime  `json:"issuedTime"`
	Content    wireContent `json:"content"`
	Data       string      `json:"data"`
	Members    []string    `json:"members"`

	// body is the event as received, for raw copies.
	body []byte
	// received is the message content when the lenient pass decoded it;
	// after the fast pass it is nil and Content holds the wire fields.
	received ReceivedContent
}

// eventKind is how one documented event type is built. Adding an event type
// takes its struct (embedding EventHeader), its Type and isEvent methods, and
// one entry in eventKinds.
type eventKind struct {
	// lenient decodes the type's own fields from their raw JSON into w and
	// reports whether they had the documented shape; nil when the type has
	// none. Only the lenient pass uses it: the fast pass decoded them all.
	lenient func(e *wireEnvelope, w *wireEvent) bool
	build   func(h EventHeader, w *wireEvent) Event
}

var eventKinds = map[string]eventKind{
	"message": {
		lenient: func(e *wireEnvelope, w *wireEvent) bool { w.received = decodeContent(e.Content); return true },
		build:   func(h EventHeader, w *wireEvent) Event { return MessageEvent{EventHeader: h, Content: w.content()} },
	},
	"postback": {
		lenient: func(e *wireEnvelope, w *wireEvent) bool { return decodeOptional(e.Data, &w.Data) },
		build:   func(h EventHeader, w *wireEvent) Event { return PostbackEvent{EventHeader: h, Data: w.Data} },
	},
	"joined": {
		lenient: decodeMembers,
		build:   func(h EventHeader, w *wireEvent) Event { return JoinedEvent{EventHeader: h, Members: w.Members} },
	},
	"left": {
		lenient: decodeMembers,
		build:   func(h EventHeader, w *wireEvent) Event { return LeftEvent{EventHeader: h, Members: w.Members} },
	},
	"join":  {build: func(h EventHeader, _ *wireEvent) Event { return JoinEvent{h} }},
	"leave": {build: func(h EventHeader, _ *wireEvent) Event { return LeaveEvent{h} }},
	"begin": {build: func(h EventHeader, _ *wireEvent) Event { return BeginEvent{h} }},
	"end":   {build: func(h EventHeader, _ *wireEvent) Event { return EndEvent{h} }},
}

func decodeMembers(e *wireEnvelope, w *wireEvent) bool { return decodeOptional(e.Members, &w.Members) }

func (w *wireEvent) header() EventHeader {
	return EventHeader{Source: w.Source.source(), Issued: time.Time(w.IssuedTime)}
}

// event builds the typed event, or an UnknownEvent for a type not in
// eventKinds.
func (w *wireEvent) event() Event {
	if k, ok := eventKinds[w.Type]; ok {
		return k.build(w.header(), w)
	}
	return w.unknown()
}

func (w *wireEvent) unknown() Event {
	return UnknownEvent{EventType: w.Type, EventHeader: w.header(), Raw: bytes.Clone(w.body)}
}

// content returns the message content, never nil.
func (w *wireEvent) content() ReceivedContent {
	if w.received != nil {
		return w.received
	}
	if k, ok := contentKinds[w.Content.Type]; ok {
		return k.build(&w.Content)
	}
	// Rare: decode again only to keep the unknown content's raw JSON.
	var raw struct {
		Content json.RawMessage `json:"content"`
	}
	_ = json.Unmarshal(w.body, &raw) // cannot fail: body decoded before
	return UnknownContent{Type: w.Content.Type, Raw: nilIfNull(raw.Content)}
}

// wireEnvelope is the lenient second pass: only the common envelope is typed;
// type-specific fields stay raw so that a wrong shape there can be kept as an
// Unknown value instead of failing the event.
type wireEnvelope struct {
	Type       string          `json:"type"`
	Source     wireSource      `json:"source"`
	IssuedTime issuedTime      `json:"issuedTime"`
	Content    json.RawMessage `json:"content"`
	Data       json.RawMessage `json:"data"`
	Members    json.RawMessage `json:"members"`
}

func parseLenient(body []byte) (Event, error) {
	var e wireEnvelope
	if err := json.Unmarshal(body, &e); err != nil {
		reason := "unexpected JSON shape"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			// Field is a path of our JSON names, Value a JSON kind: neither
			// quotes the body.
			reason = fmt.Sprintf("field %q: unexpected JSON %s", ute.Field, ute.Value)
		}
		return nil, &malformedEventError{reason: reason, err: err}
	}
	w := wireEvent{Type: e.Type, Source: e.Source, IssuedTime: e.IssuedTime, body: body}
	if k, ok := eventKinds[e.Type]; ok && k.lenient != nil && !k.lenient(&e, &w) {
		return w.unknown(), nil
	}
	return w.event(), nil
}

func decodeOptional(raw json.RawMessage, v any) bool {
	return len(raw) == 0 || json.Unmarshal(raw, v) == nil
}

func decodeContent(raw json.RawMessage) ReceivedContent {
	raw = nilIfNull(raw)
	var peek struct {
		Type string `json:"type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &peek) != nil {
		// Absent, not an object, or a type that is not a string.
		return UnknownContent{Raw: raw}
	}
	k, ok := contentKinds[peek.Type]
	if !ok {
		return UnknownContent{Type: peek.Type, Raw: raw}
	}
	var c wireContent
	if json.Unmarshal(raw, k.fields(&c)) != nil {
		return UnknownContent{Type: peek.Type, Raw: raw}
	}
	return k.build(&c)
}

func nilIfNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// issuedTime never fails: the time of an event is informative, and losing an
// event that cannot be redelivered over it would be worse.
type issuedTime time.Time

// issuedLayouts are tried in order. RFC3339Nano also accepts times without a
// fractional part (the join example has none); the others cover a missing
// zone (read as UTC) and a space instead of "T".
var issuedLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

func (t *issuedTime) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return nil // null, a number, an object…: zero time
	}
	var s string
	if bytes.IndexByte(b, '\\') < 0 {
		// The common case, without a string allocation: what LINE WORKS
		// sends is RFC 3339, which time.Time parses straight from bytes.
		var v time.Time
		if v.UnmarshalText(b[1:len(b)-1]) == nil {
			*t = issuedTime(v)
			return nil
		}
		s = string(b[1 : len(b)-1])
	} else if json.Unmarshal(b, &s) != nil {
		return nil
	}
	for _, layout := range issuedLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = issuedTime(v)
			return nil
		}
	}
	return nil
}

// flexString accepts a JSON string or number (kept as written), for IDs that
// are documented as strings but are numbers in some clients' payloads.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		if plainASCII(b) {
			*s = flexString(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = flexString(b)
		return nil
	}
	return typeError(b, reflect.TypeFor[string]())
}

// flexInt64 accepts a JSON integer or a string holding one.
type flexInt64 int64

func (n *flexInt64) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := b
	if len(b) >= 2 && b[0] == '"' {
		s = b[1 : len(b)-1]
	}
	if v, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		*n = flexInt64(v)
		return nil
	}
	// An integral float such as 4.00296e+07, as some JSON encoders write.
	if f, err := strconv.ParseFloat(string(s), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		*n = flexInt64(f)
		return nil
	}
	return typeError(b, reflect.TypeFor[int64]())
}

// flexFloat accepts a JSON number or a string holding one.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := b
	if len(b) >= 2 && b[0] == '"' {
		s = b[1 : len(b)-1]
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return typeError(b, reflect.TypeFor[float64]())
	}
	*f = flexFloat(v)
	return nil
}

// typeError names the JSON kind of b, never its contents, so that the error
// can be logged.
func typeError(b []byte, t reflect.Type) error {
	kind := "value"
	if len(b) > 0 {
		switch b[0] {
		case '"':
			kind = "string"
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		case 't', 'f':
			kind = "bool"
		default:
			kind = "number"
		}
	}
	return &json.UnmarshalTypeError{Value: kind, Type: t}
}

// plainASCII reports whether the JSON string literal b needs no unescaping or
// UTF-8 repair, so its bytes can be used as they are.
func plainASCII(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	for _, c := range b[1 : len(b)-1] {
		if c < 0x20 || c == '\\' || c == '"' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

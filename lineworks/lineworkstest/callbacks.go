package lineworkstest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// This file builds and delivers callback requests the way LINE WORKS does
// (https://developers.worksmobile.com/jp/docs/bot-callback), so that tests of
// a callback endpoint need neither a tenant nor a public HTTPS URL. It does
// not import package lineworks on purpose: signing here is an independent
// implementation, so a test that signs with SignBody and verifies with
// lineworks.VerifySignature checks one against the other.

// CallbackDomainID is the domain ID that the event builders put in
// source.domainId: the value used in the LINE WORKS callback examples.
const CallbackDomainID int64 = 40029600

// SignBody returns the X-WORKS-Signature value LINE WORKS sends with body:
// Base64 (standard, padded) of HMAC-SHA256 keyed with the bot secret
// (https://developers.worksmobile.com/jp/docs/bot-callback).
func SignBody(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type callbackSource struct {
	UserID    string `json:"userId,omitempty"`
	ChannelID string `json:"channelId,omitempty"`
	DomainID  int64  `json:"domainId"`
}

type callbackContent struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Postback string `json:"postback,omitempty"`
}

// callbackBody has the field order of the documented examples.
type callbackBody struct {
	Type       string           `json:"type"`
	Source     callbackSource   `json:"source"`
	IssuedTime string           `json:"issuedTime"`
	Content    *callbackContent `json:"content,omitempty"`
	Data       *string          `json:"data,omitempty"`
	Members    []string         `json:"members,omitempty"`
}

func build(b callbackBody) []byte {
	return buildIn(CallbackDomainID, b)
}

// buildIn is build for events of a given domain: the ones the fake itself
// sends carry its own domain (DefaultDomainID), matching what its API
// answers for the same room.
func buildIn(domainID int64, b callbackBody) []byte {
	b.Source.DomainID = domainID
	// Millisecond precision in UTC with "Z", as LINE WORKS writes it.
	b.IssuedTime = time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	out, err := json.Marshal(b)
	if err != nil {
		panic("lineworkstest: marshalling a callback body: " + err.Error()) // cannot happen: plain strings
	}
	return out
}

// InDomain returns body, as built by one of this package's event builders,
// with source.domainId set to domainID. The builders use CallbackDomainID,
// the value of the reference examples; a bot talking to a fake (or a real
// tenant) sees its own domain there instead — for the fake, DefaultDomainID
// — and may check it against what the API says of the same room. A body
// that does not parse is returned unchanged.
func InDomain(body []byte, domainID int64) []byte {
	var b callbackBody
	if json.Unmarshal(body, &b) != nil {
		return body
	}
	b.Source.DomainID = domainID
	out, err := json.Marshal(b)
	if err != nil {
		return body
	}
	return out
}

// TextMessageEvent returns the body of a "message" event with "text" content
// that userID typed (https://developers.worksmobile.com/jp/docs/bot-callback-message).
// An empty channelID gives a 1:1 room's event, which has no source.channelId.
func TextMessageEvent(userID, channelID, text string) []byte {
	return MessageTapEvent(userID, channelID, text, "")
}

// MessageTapEvent returns the body LINE WORKS sends when userID taps a message
// action that carries a postback value (such as a button of a button
// template) in channelID: a "message" event whose "text" content has the
// action's text and a "postback" field
// (https://developers.worksmobile.com/jp/docs/bot-callback-message,
// https://developers.worksmobile.com/jp/docs/bot-actionobject).
// An empty postback gives a plain text message; an empty channelID a 1:1 room.
func MessageTapEvent(userID, channelID, text, postback string) []byte {
	return build(callbackBody{
		Type:    "message",
		Source:  callbackSource{UserID: userID, ChannelID: channelID},
		Content: &callbackContent{Type: "text", Text: text, Postback: postback},
	})
}

// PostbackEvent returns the body of a "postback" event: userID pressed a
// postback action carrying data in a carousel, quick reply or rich menu
// (https://developers.worksmobile.com/jp/docs/bot-callback-postback).
func PostbackEvent(userID, channelID, data string) []byte {
	return build(callbackBody{
		Type:   "postback",
		Source: callbackSource{UserID: userID, ChannelID: channelID},
		Data:   &data,
	})
}

// JoinEvent returns the body of a "join" event: the bot was added to channelID
// (https://developers.worksmobile.com/jp/docs/bot-callback-join). Like the
// real one it names no user.
func JoinEvent(channelID string) []byte {
	return build(callbackBody{Type: "join", Source: callbackSource{ChannelID: channelID}})
}

// LeaveEvent returns the body of a "leave" event: the bot left channelID
// (https://developers.worksmobile.com/jp/docs/bot-callback-leave).
func LeaveEvent(channelID string) []byte {
	return build(callbackBody{Type: "leave", Source: callbackSource{ChannelID: channelID}})
}

// JoinedEvent returns the body of a "joined" event: members were added to
// channelID (https://developers.worksmobile.com/jp/docs/bot-callback-joined).
func JoinedEvent(channelID string, members ...string) []byte {
	return build(callbackBody{Type: "joined", Source: callbackSource{ChannelID: channelID}, Members: members})
}

// LeftEvent returns the body of a "left" event: members left channelID
// (https://developers.worksmobile.com/jp/docs/bot-callback-left).
func LeftEvent(channelID string, members ...string) []byte {
	return build(callbackBody{Type: "left", Source: callbackSource{ChannelID: channelID}, Members: members})
}

// BeginEvent returns the body of a "begin" event: userID opened the 1:1 room
// channelID with the bot (https://developers.worksmobile.com/jp/docs/bot-callback-begin).
func BeginEvent(userID, channelID string) []byte {
	return build(callbackBody{Type: "begin", Source: callbackSource{UserID: userID, ChannelID: channelID}})
}

// EndEvent returns the body of an "end" event: userID left the 1:1 room
// channelID (https://developers.worksmobile.com/jp/docs/bot-callback-end).
func EndEvent(userID, channelID string) []byte {
	return build(callbackBody{Type: "end", Source: callbackSource{UserID: userID, ChannelID: channelID}})
}

// CallbackSender delivers callback bodies signed as bot BotID with Secret,
// with the headers LINE WORKS sends
// (https://developers.worksmobile.com/jp/docs/bot-callback). Its zero value
// is not useful; Secret is required and URL is needed by Send.
type CallbackSender struct {
	// BotID goes into the X-WORKS-BotId header.
	BotID int64
	// Secret is the bot secret the body is signed with.
	Secret string
	// URL is the callback endpoint Send posts to.
	URL string
	// Client sends the request; nil means http.DefaultClient.
	Client *http.Client
}

// CallbackPath is the path NewRequest and ServeTo use: the callback path of
// uketsuke's server.
const CallbackPath = "/callback/lineworks"

func (s CallbackSender) setHeaders(h http.Header, body []byte) {
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("X-WORKS-Signature", SignBody(s.Secret, body))
	h.Set("X-WORKS-BotId", strconv.FormatInt(s.BotID, 10))
}

// NewRequest returns a signed server-side request for body, for handing to an
// http.Handler directly (see ServeTo).
func (s CallbackSender) NewRequest(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, CallbackPath, bytes.NewReader(body))
	s.setHeaders(r.Header, body)
	return r
}

// ServeTo delivers body to h in-process, signed, and returns the recorded
// response. It is the quickest way to test a handler such as
// lineworks.NewCallbackHandler.
func (s CallbackSender) ServeTo(h http.Handler, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, s.NewRequest(body))
	return rec
}

// Send posts body to s.URL, signed, and returns the response status. The
// response body is read and closed, since LINE WORKS ignores it too.
func (s CallbackSender) Send(ctx context.Context, body []byte) (status int, err error) {
	if s.URL == "" {
		return 0, fmt.Errorf("lineworkstest: CallbackSender.Send: empty URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("lineworkstest: CallbackSender.Send: %w", err)
	}
	s.setHeaders(req.Header, body)
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("lineworkstest: CallbackSender.Send: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

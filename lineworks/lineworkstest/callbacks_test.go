package lineworkstest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestSignatureSignBodyVector checks SignBody against a value computed with
//
//	printf '%s' '{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}' | openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary | base64
func TestSignatureSignBodyVector(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}`)
	if got, want := lineworkstest.SignBody("Zx9fK2mQ7vLr4TpW8sNb", body), "LQwo6AmHqW0YqT2nW63/mnXW8v+G8wxkp2AEwRlafdc="; got != want {
		t.Errorf("SignBody = %q, want %q", got, want)
	}
}

// TestEventBuilders checks that each builder's body has the documented shape
// and decodes to the intended event.
func TestEventBuilders(t *testing.T) {
	t.Parallel()
	room := lineworks.Source{ChannelID: "room-1", DomainID: lineworkstest.CallbackDomainID}
	inRoom := lineworks.Source{UserID: "user-1", ChannelID: "room-1", DomainID: lineworkstest.CallbackDomainID}
	tests := []struct {
		name    string
		body    []byte
		want    lineworks.Event
		wantTap string
	}{
		{"MessageTapEvent", lineworkstest.MessageTapEvent("user-1", "room-1", "対応します", "uk1:accept:v1"),
			lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: inRoom}, Content: lineworks.ReceivedText{Text: "対応します", Postback: "uk1:accept:v1"}}, "uk1:accept:v1"},
		{"TextMessageEvent", lineworkstest.TextMessageEvent("user-1", "room-1", "hello <m userId=\"all\">"),
			lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: inRoom}, Content: lineworks.ReceivedText{Text: "hello <m userId=\"all\">"}}, ""},
		{"TextMessageEvent 1:1", lineworkstest.TextMessageEvent("user-1", "", "hi"),
			lineworks.MessageEvent{EventHeader: lineworks.EventHeader{Source: lineworks.Source{UserID: "user-1", DomainID: lineworkstest.CallbackDomainID}}, Content: lineworks.ReceivedText{Text: "hi"}}, ""},
		{"PostbackEvent", lineworkstest.PostbackEvent("user-1", "room-1", "action=buy"),
			lineworks.PostbackEvent{EventHeader: lineworks.EventHeader{Source: inRoom}, Data: "action=buy"}, "action=buy"},
		{"JoinEvent", lineworkstest.JoinEvent("room-1"), lineworks.JoinEvent{EventHeader: lineworks.EventHeader{Source: room}}, ""},
		{"LeaveEvent", lineworkstest.LeaveEvent("room-1"), lineworks.LeaveEvent{EventHeader: lineworks.EventHeader{Source: room}}, ""},
		{"JoinedEvent", lineworkstest.JoinedEvent("room-1", "user-2", "user-3"),
			lineworks.JoinedEvent{EventHeader: lineworks.EventHeader{Source: room}, Members: []string{"user-2", "user-3"}}, ""},
		{"LeftEvent", lineworkstest.LeftEvent("room-1", "user-2"), lineworks.LeftEvent{EventHeader: lineworks.EventHeader{Source: room}, Members: []string{"user-2"}}, ""},
		{"BeginEvent", lineworkstest.BeginEvent("user-1", "room-1"), lineworks.BeginEvent{EventHeader: lineworks.EventHeader{Source: inRoom}}, ""},
		{"EndEvent", lineworkstest.EndEvent("user-1", "room-1"), lineworks.EndEvent{EventHeader: lineworks.EventHeader{Source: inRoom}}, ""},
	}
	millis := regexp.MustCompile(`"issuedTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !millis.Match(tt.body) {
				t.Errorf("body %s: issuedTime is not UTC with milliseconds", tt.body)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(tt.body, &raw); err != nil {
				t.Fatalf("body is not a JSON object: %v", err)
			}
			if string(raw["type"]) != `"`+tt.want.Type()+`"` {
				t.Errorf("type = %s, want %q", raw["type"], tt.want.Type())
			}
			got, err := lineworks.ParseEvent(tt.body)
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if d := time.Since(got.IssuedTime()); d < 0 || d > time.Minute {
				t.Errorf("IssuedTime %v is not about now", got.IssuedTime())
			}
			ignoreTime := cmpopts.IgnoreTypes(time.Time{})
			if diff := cmp.Diff(tt.want, got, ignoreTime); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
			if data, _ := lineworks.Tap(got); data != tt.wantTap {
				t.Errorf("Tap = %q, want %q", data, tt.wantTap)
			}
		})
	}
}

func TestJoinEventHasNoUser(t *testing.T) {
	t.Parallel()
	var body struct {
		Source map[string]any `json:"source"`
	}
	if err := json.Unmarshal(lineworkstest.JoinEvent("room-1"), &body); err != nil {
		t.Fatal(err)
	}
	if _, ok := body.Source["userId"]; ok {
		t.Errorf("join source %v has a userId; LINE WORKS sends none", body.Source)
	}
}

func TestCallbackSender(t *testing.T) {
	t.Parallel()
	const botID, secret = 2000001, "sender-test-secret"
	var (
		mu  sync.Mutex
		got []lineworks.Event
	)
	h, err := lineworks.NewCallbackReceiver(
		func(_ context.Context, id int64) (string, error) {
			if id != botID {
				return "", context.Canceled
			}
			return secret, nil
		},
		func(_ context.Context, cb *lineworks.Callback) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, cb.Event)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ServeTo", func(t *testing.T) {
		rec := lineworkstest.CallbackSender{BotID: botID, Secret: secret}.ServeTo(h, lineworkstest.JoinEvent("room-1"))
		if rec.Code != http.StatusOK {
			t.Errorf("ServeTo: status %d, want 200", rec.Code)
		}
		rec = lineworkstest.CallbackSender{BotID: botID, Secret: "wrong"}.ServeTo(h, lineworkstest.JoinEvent("room-1"))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("ServeTo with a wrong secret: status %d, want 401", rec.Code)
		}
	})
	t.Run("Send", func(t *testing.T) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		s := lineworkstest.CallbackSender{BotID: botID, Secret: secret, URL: srv.URL, Client: srv.Client()}
		status, err := s.Send(context.Background(), lineworkstest.PostbackEvent("user-1", "room-1", "d"))
		if err != nil || status != http.StatusOK {
			t.Errorf("Send = %d, %v; want 200", status, err)
		}
		s.BotID = 7
		if status, err := s.Send(context.Background(), lineworkstest.JoinEvent("room-1")); err != nil || status != http.StatusUnauthorized {
			t.Errorf("Send as an unknown bot = %d, %v; want 401", status, err)
		}
		if _, err := (lineworkstest.CallbackSender{Secret: secret}).Send(context.Background(), nil); err == nil {
			t.Error("Send without URL: want an error")
		}
	})
	t.Run("headers", func(t *testing.T) {
		body := lineworkstest.JoinEvent("room-1")
		r := lineworkstest.CallbackSender{BotID: botID, Secret: secret}.NewRequest(body)
		if r.Method != http.MethodPost || r.URL.Path != lineworkstest.CallbackPath {
			t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, lineworkstest.CallbackPath)
		}
		if got := r.Header.Get("X-WORKS-BotId"); got != "2000001" {
			t.Errorf("X-WORKS-BotId = %q", got)
		}
		if err := lineworks.VerifySignature(secret, body, r.Header.Get("X-WORKS-Signature")); err != nil {
			t.Errorf("X-WORKS-Signature does not verify: %v", err)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Errorf("handler got %d events, want 2", len(got))
	}
}

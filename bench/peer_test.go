package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// The peer comparison: verifying and decoding one signed callback carrying
// one text message, with uketsuke's lineworks.ParseCallback and with the LINE
// Messaging API SDK's webhook.ParseRequest, on bodies of the same length.
// Each side uses its platform's signature scheme (both are Base64 of an
// HMAC-SHA256 of the raw body, in X-WORKS-Signature and X-Line-Signature)
// and its platform's JSON shape.

const (
	botID  = 2000001
	secret = "0123456789abcdef0123456789abcdef" // same length for both
	text   = "受付に来客です: テスト商事 山田 様 (2名) 営業部"
)

// bodySize is the length of both bodies: a LINE webhook envelope carries
// more metadata than a LINE WORKS event, so each side's text is padded with
// ASCII until its body is exactly this long.
const bodySize = 512

// padded builds a body with text plus padding so that it is n bytes long.
func padded(tb testing.TB, n int, build func(text string) []byte) []byte {
	tb.Helper()
	pad := n - len(build(text))
	if pad < 0 {
		tb.Fatalf("the body skeleton is longer than %d bytes", n)
	}
	body := build(text + strings.Repeat("x", pad))
	if len(body) != n {
		tb.Fatalf("body is %d bytes, want %d", len(body), n)
	}
	return body
}

// worksBody is a LINE WORKS "message" event with text content, as the fake
// builds it.
func worksBody(tb testing.TB) []byte {
	return padded(tb, bodySize, func(t string) []byte {
		return lineworkstest.TextMessageEvent("c72af563-0f21-4736-11e4-045237113344", "753449a5-7716-39e4-3de9-770a97f1a5f5", t)
	})
}

// lineBody is a LINE webhook body with one text message event
// (https://developers.line.biz/en/reference/messaging-api/#message-event).
func lineBody(tb testing.TB) []byte {
	return padded(tb, bodySize, func(t string) []byte {
		return fmt.Appendf(nil, `{"destination":"U1234567890abcdef1234567890abcdef","events":[{"type":"message","message":{"type":"text","id":"468789577898262530","quoteToken":"q3Plxr4AgKd","text":%q},"webhookEventId":"01H810YECXQQZ37VAXPF6H9E6T","deliveryContext":{"isRedelivery":false},"timestamp":1692251666727,"source":{"type":"group","groupId":"Ca56f94637c","userId":"U4af4980629"},"replyToken":"38ef843bde154d9b91c21320ffd17a0f","mode":"active"}]}`, t)
	})
}

func lineSign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// reusable returns a request whose body can be rewound, so that the loop
// measures the parser, not request construction.
func reusable(body []byte, header, sig string) (*http.Request, *bytes.Reader) {
	r := httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=UTF-8")
	r.Header.Set(header, sig)
	rd := bytes.NewReader(body)
	r.Body = io.NopCloser(rd)
	return r, rd
}

func TestBodiesAreTheSameSize(t *testing.T) {
	w := worksBody(t)
	l := lineBody(t)
	if len(w) != len(l) {
		t.Fatalf("LINE WORKS %d bytes, LINE %d bytes", len(w), len(l))
	}
	// Both parse and verify, and the parsed events carry the text.
	r, _ := reusable(w, lineworks.CallbackSignatureHeader, lineworkstest.SignBody(secret, w))
	r.Header.Set(lineworks.CallbackBotIDHeader, fmt.Sprint(botID))
	cb, err := lineworks.ParseCallback(r, secret)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := cb.Event.(lineworks.MessageEvent); !ok || !strings.Contains(fmt.Sprint(m.Content), "受付") {
		t.Errorf("LINE WORKS event = %#v", cb.Event)
	}
	lr, _ := reusable(l, "X-Line-Signature", lineSign(l))
	lcb, err := webhook.ParseRequest(secret, lr)
	if err != nil {
		t.Fatal(err)
	}
	if len(lcb.Events) != 1 {
		t.Fatalf("LINE events = %d", len(lcb.Events))
	}
	if _, ok := lcb.Events[0].(webhook.MessageEvent); !ok {
		t.Errorf("LINE event = %T", lcb.Events[0])
	}
	t.Logf("body size: %d bytes each", len(w))
}

// BenchmarkCallbackParse/uketsuke and BenchmarkCallbackParse/linebot are the
// peer pair: the ratio of their ns/op and allocs/op is the figure reported.
func BenchmarkCallbackParse(b *testing.B) {
	w := worksBody(b)
	l := lineBody(b)
	b.Run("uketsuke", func(b *testing.B) {
		r, rd := reusable(w, lineworks.CallbackSignatureHeader, lineworkstest.SignBody(secret, w))
		r.Header.Set(lineworks.CallbackBotIDHeader, fmt.Sprint(botID))
		b.SetBytes(int64(len(w)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(w)
			if _, err := lineworks.ParseCallback(r, secret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("linebot", func(b *testing.B) {
		r, rd := reusable(l, "X-Line-Signature", lineSign(l))
		b.SetBytes(int64(len(l)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(l)
			if _, err := webhook.ParseRequest(secret, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

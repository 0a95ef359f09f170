package lineworkstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// rawAPI sends hand-written requests, bypassing the client's own checks, to
// see what the fake answers.
type rawAPI struct {
	t     *testing.T
	fake  *lineworkstest.Server
	token string
}

func newRawAPI(t *testing.T, scopes ...string) *rawAPI {
	t.Helper()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	ts, err := fake.NewServiceAccount(scopes...).TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	return &rawAPI{t: t, fake: fake, token: tok.AccessToken}
}

// do returns the status and the error code of the answer ("" on success).
func (a *rawAPI) do(method, path, body string) (int, string, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.fake.APIURL+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Code string `json:"code"`
	}
	if resp.StatusCode >= 400 {
		_ = json.Unmarshal(data, &e)
	}
	return resp.StatusCode, e.Code, data
}

func TestFakeRejectsWhatTheClientRejects(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t)
	fifty := strings.Repeat(`<m userId=\"u\">`, 50)
	for _, tc := range []struct {
		name, path, content string
		status              int
	}{
		{"text", "bots/1/channels/room/messages", `{"type":"text","text":"hello"}`, 201},
		{"@All in a channel", "bots/1/channels/room/messages", `{"type":"text","text":"<m userId=\"all\"> 会議です"}`, 201},
		{"@All 1:1", "bots/1/users/u1/messages", `{"type":"text","text":"<m userId=\"all\"> 会議です"}`, 400},
		{"@All 1:1 in a button template", "bots/1/users/u1/messages", `{"type":"button_template","contentText":"<m userId=\"all\">","actions":[{"type":"message","label":"OK"}]}`, 400},
		{"50 mentions", "bots/1/channels/room/messages", `{"type":"text","text":"` + fifty + `"}`, 201},
		{"51 mentions", "bots/1/channels/room/messages", `{"type":"text","text":"` + fifty + `<m userId=\"v\">"}`, 400},
		{"text too long", "bots/1/channels/room/messages", `{"type":"text","text":"` + strings.Repeat("あ", 2001) + `"}`, 400},
		{"postback in a button template", "bots/1/channels/room/messages", `{"type":"button_template","contentText":"?","actions":[{"type":"postback","label":"OK","data":"x"}]}`, 400},
		{"unknown type", "bots/1/channels/room/messages", `{"type":"hologram"}`, 400},
		{"no type", "bots/1/channels/room/messages", `{"text":"hi"}`, 400},
		{"sticker as numbers", "bots/1/users/u1/messages", `{"type":"sticker","packageId":1,"stickerId":2}`, 201},
	} {
		status, code, body := a.do("POST", tc.path, `{"content":`+tc.content+`}`)
		if status != tc.status || (status == 400 && code != "INVALID_PARAMETER") {
			t.Errorf("%s: %d %s %s, want %d", tc.name, status, code, body, tc.status)
		}
	}
}

func TestFakeStrictChannels(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t)
	msg := `{"content":{"type":"text","text":"hi"}}`
	// Lenient by default: any channel ID works.
	if status, _, _ := a.do("POST", "bots/1/channels/anything/messages", msg); status != 201 {
		t.Fatalf("lenient send: %d", status)
	}
	a.fake.AddChannel(1, lineworkstest.Channel{ChannelID: "room-1", Members: []string{"u1"}})
	if status, _, _ := a.do("POST", "bots/1/channels/anything/messages", msg); status != 201 {
		t.Errorf("seeded but not strict: %d", status)
	}
	a.fake.SetStrictChannels(true)
	if status, code, _ := a.do("POST", "bots/1/channels/anything/messages", msg); status != 404 || code != "NOT_FOUND" {
		t.Errorf("strict, unknown channel: %d %s, want 404 NOT_FOUND", status, code)
	}
	if status, _, _ := a.do("POST", "bots/1/channels/room-1/messages", msg); status != 201 {
		t.Errorf("strict, known channel: %d", status)
	}
	// A bot without seeded channels stays lenient.
	if status, _, _ := a.do("POST", "bots/2/channels/anything/messages", msg); status != 201 {
		t.Errorf("strict, bot without channels: %d", status)
	}
	if got := len(a.fake.Messages()); got != 4 {
		t.Errorf("recorded %d messages, want 4", got)
	}
}

func TestFakePaging(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t)
	members := make([]string, 120)
	for i := range members {
		members[i] = fmt.Sprint("u", i)
	}
	a.fake.AddChannel(1, lineworkstest.Channel{ChannelID: "r", Members: members})
	status, _, body := a.do("GET", "bots/1/channels/r/members", "")
	var page struct {
		Members          []string `json:"members"`
		ResponseMetaData struct {
			NextCursor string `json:"nextCursor"`
		} `json:"responseMetaData"`
	}
	if err := json.Unmarshal(body, &page); err != nil || status != 200 || len(page.Members) != 50 {
		t.Fatalf("default page: %d %s", status, body)
	}
	if !strings.ContainsAny(page.ResponseMetaData.NextCursor, "+/=") {
		t.Errorf("cursor %q has nothing that needs URL-encoding", page.ResponseMetaData.NextCursor)
	}
	// Sent without encoding, '+' becomes a space: the cursor is rejected.
	if status, code, _ := a.do("GET", "bots/1/channels/r/members?cursor="+page.ResponseMetaData.NextCursor, ""); status != 400 || code != "INVALID_PARAMETER" {
		t.Errorf("unencoded cursor: %d %s", status, code)
	}
	for _, q := range []string{"count=0", "count=101", "count=x", "cursor=bm9wZQ%3D%3D"} {
		if status, code, _ := a.do("GET", "bots/1/channels/r/members?"+q, ""); status != 400 || code != "INVALID_PARAMETER" {
			t.Errorf("%s: %d %s, want 400 INVALID_PARAMETER", q, status, code)
		}
	}
	if status, code, _ := a.do("GET", "bots/1/channels/nope/members", ""); status != 404 || code != "NOT_FOUND" {
		t.Errorf("unknown channel: %d %s", status, code)
	}
}

func TestFakeErrorsAndAuth(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t, "bot.read")
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "bots", `{"botName":"x"}`, 403, "FORBIDDEN"},
		{"GET", "bots/1", "", 404, "NOT_FOUND"},
		{"GET", "bots/x", "", 400, "INVALID_PARAMETER"},
		{"GET", "users/u1", "", 403, "FORBIDDEN"},
		// bot.read does not grant bot.message.
		{"POST", "bots/1/channels/r/messages", `{"content":{"type":"text","text":"hi"}}`, 403, "FORBIDDEN"},
	} {
		status, code, _ := a.do(tc.method, tc.path, tc.body)
		if status != tc.status || code != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, status, code, tc.status, tc.code)
		}
	}
	a.token = "forged"
	if status, code, _ := a.do("GET", "bots", ""); status != 401 || code != "UNAUTHORIZED" {
		t.Errorf("bad token: %d %s", status, code)
	}
}

func TestFakeBotCreateAndPatch(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t)
	status, code, body := a.do("POST", "bots", `{"botName":"受付","photoUrl":"https://e.com/a.png","description":"d","administrators":["admin"],"enableCallback":true,"callbackUrl":"https://e.com/cb","callbackEvents":["text"]}`)
	if status != 201 {
		t.Fatalf("create: %d %s %s", status, code, body)
	}
	var created struct {
		BotID int64 `json:"botId"`
	}
	_ = json.Unmarshal(body, &created)
	// bot-create does not list botSecret in its response.
	if created.BotID == 0 || strings.Contains(string(body), "botSecret") {
		t.Fatalf("create answered %s", body)
	}
	before, _ := a.fake.Bot(created.BotID)
	if status, _, body := a.do("PATCH", fmt.Sprint("bots/", created.BotID), `{"callbackUrl":"https://e.com/cb2","botSecret":"mine"}`); status != 200 || strings.Contains(string(body), "botSecret") {
		t.Errorf("patch: %d %s", status, body)
	}
	b, _ := a.fake.Bot(created.BotID)
	if b.CallbackURL != "https://e.com/cb2" || b.BotSecret == "" || b.BotSecret != before.BotSecret || b.BotName != "受付" {
		t.Errorf("after patch: %+v", b)
	}
	if status, code, _ := a.do("PATCH", fmt.Sprint("bots/", created.BotID), `{"photoUrl":"http://insecure"}`); status != 400 || code != "INVALID_PARAMETER" {
		t.Errorf("bad patch: %d %s", status, code)
	}
	if status, code, _ := a.do("POST", "bots", `{"botName":"x"`); status != 400 || code != "INVALID_PARAMETER" {
		t.Errorf("malformed body: %d %s", status, code)
	}
}

// TestFakeBotSecretRoute checks POST /bots/{botId}/secret as documented
// (https://developers.worksmobile.com/jp/docs/bot-secret-issue): 200 with
// exactly {"secret"}, a new secret each time, 404 for an unknown bot, 400 for
// a malformed ID, and scope bot only.
func TestFakeBotSecretRoute(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t)
	botID := a.fake.AddBot(lineworkstest.Bot{BotName: "受付", BotSecret: "old-secret"})
	var secrets []string
	for range 2 {
		status, code, body := a.do("POST", fmt.Sprint("bots/", botID, "/secret"), "")
		var got map[string]string
		if err := json.Unmarshal(body, &got); status != 200 || code != "" || err != nil || len(got) != 1 || got["secret"] == "" {
			t.Fatalf("reissue: %d %s %s", status, code, body)
		}
		if b, _ := a.fake.Bot(botID); b.BotSecret != got["secret"] {
			t.Errorf("stored secret %q, answered %q", b.BotSecret, got["secret"])
		}
		secrets = append(secrets, got["secret"])
	}
	if secrets[0] == "old-secret" || secrets[0] == secrets[1] {
		t.Errorf("secrets issued: %q, want fresh ones", secrets)
	}
	if status, code, _ := a.do("POST", "bots/999/secret", ""); status != 404 || code != "NOT_FOUND" {
		t.Errorf("unknown bot: %d %s", status, code)
	}
	if status, code, _ := a.do("POST", "bots/abc/secret", ""); status != 400 || code != "INVALID_PARAMETER" {
		t.Errorf("malformed bot ID: %d %s", status, code)
	}
	narrow := newRawAPI(t, "bot.message")
	id := narrow.fake.AddBot(lineworkstest.Bot{BotName: "x"})
	if status, code, _ := narrow.do("POST", fmt.Sprint("bots/", id, "/secret"), ""); status != 403 || code != "FORBIDDEN" {
		t.Errorf("bot.message token: %d %s, want 403 (scope bot only)", status, code)
	}
}

// TestFakeSeededAdmin checks the administrator every fake has, as
// GET /users/{userId} answers it (https://developers.worksmobile.com/jp/docs/user-get),
// and that a user seeded with its e-mail as user ID is still found by ID.
func TestFakeSeededAdmin(t *testing.T) {
	t.Parallel()
	a := newRawAPI(t, "user.read")
	for _, id := range []string{lineworkstest.AdminUserID, lineworkstest.AdminEmail} {
		status, _, body := a.do("GET", "users/"+id, "")
		var u struct {
			DomainID        int64  `json:"domainId"`
			UserID          string `json:"userId"`
			Email           string `json:"email"`
			IsAdministrator bool   `json:"isAdministrator"`
		}
		_ = json.Unmarshal(body, &u)
		if status != 200 || u.UserID != lineworkstest.AdminUserID || u.Email != lineworkstest.AdminEmail ||
			!u.IsAdministrator || u.DomainID != lineworkstest.DefaultDomainID {
			t.Errorf("GET users/%s: %d %s", id, status, body)
		}
	}
	a.fake.AddUser(lineworkstest.User{UserID: lineworkstest.AdminEmail, LastName: "別人"})
	if status, _, body := a.do("GET", "users/"+lineworkstest.AdminEmail, ""); status != 200 || !strings.Contains(string(body), "別人") {
		t.Errorf("a user whose ID is the admin's e-mail: %d %s", status, body)
	}
}

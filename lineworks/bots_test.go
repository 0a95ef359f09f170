package lineworks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

func validBotCreate() lineworks.BotCreate {
	return lineworks.BotCreate{
		BotName:        "受付 Bot",
		PhotoURL:       "https://example.com/bot.png",
		Description:    "来客の受付",
		Administrators: []string{"admin@example.com"},
		EnableCallback: true,
		CallbackURL:    "https://uketsuke.example.com/callback/lineworks",
		CallbackEvents: []string{lineworks.CallbackEventText, lineworks.CallbackEventImage},
		I18nBotNames:   []lineworks.I18nBotName{{Language: lineworks.LanguageEnUS, BotName: "Reception"}},
	}
}

func TestBotsLifecycle(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	ctx := context.Background()

	created, err := c.Bots.Create(ctx, validBotCreate())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// bot-create does not document botSecret in its answer, and the fake
	// answers only what is documented.
	if created.BotID <= 0 || created.BotSecret != "" {
		t.Fatalf("Create = %+v, want an ID and no secret", created)
	}
	secret, err := c.Bots.ReissueSecret(ctx, created.BotID)
	if err != nil || secret == "" {
		t.Fatalf("ReissueSecret = %q, %v", secret, err)
	}
	// The fake keeps what a server needs to verify callbacks.
	stored, ok := fake.Bot(created.BotID)
	if !ok || stored.BotSecret != secret || stored.CallbackURL != "https://uketsuke.example.com/callback/lineworks" ||
		!cmp.Equal(stored.CallbackEvents, []string{"text", "image"}) {
		t.Errorf("fake.Bot = %+v, %v", stored, ok)
	}

	got, err := c.Bots.Get(ctx, created.BotID)
	if err != nil {
		t.Fatal(err)
	}
	if got.BotSecret != "" || got.BotName != "受付 Bot" || !got.EnableCallback || got.I18nBotNames[0].BotName != "Reception" {
		t.Errorf("Get = %+v (no answer but the reissue carries the secret)", got)
	}

	updated, err := c.Bots.Update(ctx, created.BotID, lineworks.BotUpdate{
		BotName:         lineworks.Ptr("受付"),
		EnableGroupJoin: lineworks.Ptr(true),
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if updated.BotName != "受付" || !updated.EnableGroupJoin || updated.Description != "来客の受付" || updated.CallbackURL == "" {
		t.Errorf("Update = %+v: the unset fields must stay", updated)
	}
	if _, err := c.Bots.Update(ctx, created.BotID, lineworks.BotUpdate{}); !errors.Is(err, lineworks.ErrInvalidArgument) {
		t.Errorf("empty Update: %v", err)
	}

	var ids []int64
	for b, err := range c.Bots.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.BotID)
	}
	if !cmp.Equal(ids, []int64{created.BotID}) {
		t.Errorf("List = %v", ids)
	}

	if err := c.Bots.Delete(ctx, created.BotID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := c.Bots.Get(ctx, created.BotID); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
}

func TestBotsListThreePages(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	var want []int64
	for i := range 2*lineworks.MaxPageCount + 1 {
		want = append(want, fake.AddBot(lineworkstest.Bot{BotName: fmt.Sprint("bot ", i)}))
	}
	before := fake.APIRequests()
	var got []int64
	for b, err := range c.Bots.List(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.BotID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if n := fake.APIRequests() - before; n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	page, err := c.Bots.ListPage(context.Background(), lineworks.PageOptions{Count: 2})
	if err != nil || len(page.Bots) != 2 || page.ResponseMetaData.NextCursor == "" {
		t.Errorf("ListPage = %+v, %v", page, err)
	}
}

func TestBotCreateValidation(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	c := mockClient(t, mt)
	for name, mutate := range map[string]func(*lineworks.BotCreate){
		"no name":          func(b *lineworks.BotCreate) { b.BotName = "" },
		"long name":        func(b *lineworks.BotCreate) { b.BotName = string(make([]rune, 101)) },
		"http photo":       func(b *lineworks.BotCreate) { b.PhotoURL = "http://example.com/a.png" },
		"no description":   func(b *lineworks.BotCreate) { b.Description = "" },
		"no admins":        func(b *lineworks.BotCreate) { b.Administrators = nil },
		"four admins":      func(b *lineworks.BotCreate) { b.Administrators = []string{"a", "b", "c", "d"} },
		"duplicate admins": func(b *lineworks.BotCreate) { b.Administrators = []string{"a", "a"} },
		"callback no url":  func(b *lineworks.BotCreate) { b.CallbackURL = "" },
		"http callback":    func(b *lineworks.BotCreate) { b.CallbackURL = "http://example.com/cb" },
		"unknown event":    func(b *lineworks.BotCreate) { b.CallbackEvents = []string{"postback"} },
		"bad language":     func(b *lineworks.BotCreate) { b.I18nBotNames[0].Language = "ja" },
	} {
		b := validBotCreate()
		b.I18nBotNames = append([]lineworks.I18nBotName(nil), b.I18nBotNames...)
		mutate(&b)
		if _, err := c.Bots.Create(context.Background(), b); !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"get 0":     func() error { _, err := c.Bots.Get(ctx, 0); return err },
		"delete -1": func() error { return c.Bots.Delete(ctx, -1) },
		"update 0": func() error {
			_, err := c.Bots.Update(ctx, 0, lineworks.BotUpdate{BotName: lineworks.Ptr("x")})
			return err
		},
		"update http url": func() error {
			_, err := c.Bots.Update(ctx, 1, lineworks.BotUpdate{CallbackURL: lineworks.Ptr("http://x/")})
			return err
		},
		"register domain 0": func() error { return c.Bots.RegisterDomain(ctx, 1, 0, lineworks.DomainRegistration{}) },
		"member no user":    func() error { return c.Bots.AddDomainMember(ctx, 1, 2, "") },
		"list count 500":    func() error { _, err := c.Bots.ListPage(ctx, lineworks.PageOptions{Count: 500}); return err },
	} {
		if err := call(); !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests were made for invalid arguments", n)
	}
}

func TestBotUpdateSendsOnlySetFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		u    lineworks.BotUpdate
		want string
	}{
		{lineworks.BotUpdate{BotName: lineworks.Ptr("x")}, `{"botName":"x"}`},
		{lineworks.BotUpdate{EnableCallback: lineworks.Ptr(false), CallbackURL: lineworks.Ptr("")}, `{"callbackUrl":"","enableCallback":false}`},
		{lineworks.BotUpdate{SubAdministrators: []string{}}, `{"subadministrators":[]}`},
		{lineworks.BotUpdate{AllowDomains: []int64{10000001}, DefaultRichmenuID: lineworks.Ptr("40001")}, `{"allowDomains":[10000001],"defaultRichmenuId":"40001"}`},
	} {
		got, err := json.Marshal(tc.u)
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal = %s, %v; want %s", got, err, tc.want)
		}
	}
}

func TestBotDomains(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	ctx := context.Background()
	botID := fake.AddBot(lineworkstest.Bot{BotName: "受付", AllowDomains: []int64{10000001, 10000002}})

	if err := c.Bots.RegisterDomain(ctx, botID, 10000001, lineworks.DomainRegistration{Visible: true}); err != nil {
		t.Fatalf("RegisterDomain: %v", err)
	}
	if err := c.Bots.RegisterDomain(ctx, botID, 10000001, lineworks.DomainRegistration{}); !errors.Is(err, lineworks.ErrConflict) {
		t.Errorf("second RegisterDomain: %v, want ErrConflict", err)
	}
	if err := c.Bots.RegisterDomain(ctx, botID, 99, lineworks.DomainRegistration{}); !errors.Is(err, lineworks.ErrBadRequest) {
		t.Errorf("RegisterDomain outside allowDomains: %v, want ErrBadRequest", err)
	}
	if err := c.Bots.RegisterDomain(ctx, botID, 10000002, lineworks.DomainRegistration{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Bots.UpdateDomain(ctx, botID, 10000002, lineworks.DomainRegistration{Visible: true, AllowToSelectedMember: true}); err != nil {
		t.Fatalf("UpdateDomain: %v", err)
	}
	if err := c.Bots.AddDomainMember(ctx, botID, 10000002, "taro@example.com"); err != nil {
		t.Fatalf("AddDomainMember: %v", err)
	}
	if got := fake.BotDomainMembers(botID, 10000002); !cmp.Equal(got, []string{"taro@example.com"}) {
		t.Errorf("members at the fake = %v", got)
	}
	var got []lineworks.BotDomain
	for d, err := range c.Bots.ListDomains(ctx, botID) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	want := []lineworks.BotDomain{
		{DomainID: 10000001, DomainRegistration: lineworks.DomainRegistration{Visible: true}},
		{DomainID: 10000002, DomainRegistration: lineworks.DomainRegistration{Visible: true, AllowToSelectedMember: true}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListDomains (-want +got):\n%s", diff)
	}
	if err := c.Bots.DeleteDomain(ctx, botID, 10000001); err != nil {
		t.Fatalf("DeleteDomain: %v", err)
	}
	if err := c.Bots.DeleteDomain(ctx, botID, 10000001); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("second DeleteDomain: %v, want ErrNotFound", err)
	}
}

func TestBotManagementNeedsBotScope(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	ts, err := fake.NewServiceAccount("bot.message").TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Bots.Create(context.Background(), validBotCreate())
	if !errors.Is(err, lineworks.ErrForbidden) {
		t.Errorf("Create with bot.message only: %v, want ErrForbidden", err)
	}
	// Sending needs only bot.message.
	if err := c.Bots.SendToUser(context.Background(), testBotID, "u1", lineworks.Text{Text: "hi"}); err != nil {
		t.Error(err)
	}
}

// TestBotsReissueSecret checks ReissueSecret against the fake over loopback:
// each call returns a new secret, the fake signs the bot's callbacks with
// the latest one only, and the voided one no longer verifies.
func TestBotsReissueSecret(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	ctx := context.Background()
	botID := fake.AddBot(lineworkstest.Bot{BotName: "受付", BotSecret: "console-secret"})

	first, err := c.Bots.ReissueSecret(ctx, botID)
	if err != nil || first == "" || first == "console-secret" {
		t.Fatalf("ReissueSecret = %q, %v; want a new secret", first, err)
	}
	second, err := c.Bots.ReissueSecret(ctx, botID)
	if err != nil || second == first {
		t.Fatalf("second ReissueSecret = %q, %v; want another secret", second, err)
	}
	sender, err := fake.CallbackSenderFor(botID)
	if err != nil {
		t.Fatal(err)
	}
	body := lineworkstest.JoinEvent("room-1")
	sig := sender.NewRequest(body).Header.Get("X-WORKS-Signature")
	if err := lineworks.VerifySignature(second, body, sig); err != nil {
		t.Errorf("the fake does not sign with the latest secret: %v", err)
	}
	if err := lineworks.VerifySignature(first, body, sig); !errors.Is(err, lineworks.ErrInvalidSignature) {
		t.Errorf("the voided secret still verifies: %v", err)
	}

	if _, err := c.Bots.ReissueSecret(ctx, 999); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("unknown bot: %v, want ErrNotFound", err)
	}
	before := fake.APIRequests()
	if _, err := c.Bots.ReissueSecret(ctx, 0); !errors.Is(err, lineworks.ErrInvalidArgument) {
		t.Errorf("bot 0: %v, want ErrInvalidArgument", err)
	}
	if n := fake.APIRequests() - before; n != 0 {
		t.Errorf("an invalid bot ID sent %d requests", n)
	}
}

// TestBotsReissueSecretWire checks the request and the two ways the answer
// can fail: no secret in a 200, and a 5xx, which a POST must not repeat
// because a second reissue would void the secret of the first.
func TestBotsReissueSecretWire(t *testing.T) {
	t.Parallel()
	const url = "https://api.example.test/v1.0/bots/2000001/secret"
	mt := httpmock.NewMockTransport()
	answer := httpmock.NewStringResponder(200, `{"secret":"12345a12-b12c-12d3-e123fghijkl"}`)
	mt.RegisterResponder("POST", url, func(r *http.Request) (*http.Response, error) {
		if r.ContentLength > 0 || r.Header.Get("Authorization") != "Bearer tok-123" {
			t.Errorf("request: %d bytes, Authorization %q", r.ContentLength, r.Header.Get("Authorization"))
		}
		return answer(r)
	})
	c := mockClient(t, mt, lineworks.WithRetryPolicy(lineworks.Backoff{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	ctx := context.Background()
	if s, err := c.Bots.ReissueSecret(ctx, 2000001); err != nil || s != "12345a12-b12c-12d3-e123fghijkl" {
		t.Errorf("ReissueSecret = %q, %v", s, err)
	}
	answer = httpmock.NewStringResponder(200, `{}`)
	if s, err := c.Bots.ReissueSecret(ctx, 2000001); err == nil {
		t.Errorf("an answer without a secret gave %q, nil", s)
	}
	answer = httpmock.NewStringResponder(500, `{"code":"INTERNAL_SERVER_ERROR","description":"x"}`)
	before := mt.GetTotalCallCount()
	if _, err := c.Bots.ReissueSecret(ctx, 2000001); !errors.Is(err, lineworks.ErrServer) {
		t.Errorf("500: %v, want ErrServer", err)
	}
	if n := mt.GetTotalCallCount() - before; n != 1 {
		t.Errorf("a 500 was sent %d times, want once (not retried)", n)
	}
}

// An http callback or photo URL on this machine passes the pre-check (LINE
// WORKS refuses it in its answer; a local fake accepts it), and the fake
// takes it only when told to: by default it is as strict as LINE WORKS.
func TestBotCreateLoopbackHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, strict := range []bool{true, false} {
		var opts []lineworkstest.ServerOption
		if !strict {
			opts = append(opts, lineworkstest.WithLoopbackCallbacks())
		}
		fake := lineworkstest.NewServer(opts...)
		defer fake.Close()
		ts, err := fake.NewServiceAccount("bot").TokenSource(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
		if err != nil {
			t.Fatal(err)
		}
		for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
			b := validBotCreate()
			b.CallbackURL, b.PhotoURL = "http://"+host+"/callback/lineworks", "http://"+host+"/static/bot.png"
			_, err := c.Bots.Create(ctx, b)
			switch {
			case strict && (!errors.Is(err, lineworks.ErrBadRequest) || !strings.Contains(err.Error(), "callbackUrl must be https")):
				t.Errorf("strict fake, %s: err = %v, want the service's 400 naming callbackUrl", host, err)
			case !strict && err != nil:
				t.Errorf("loopback fake, %s: %v", host, err)
			}
		}
	}
	// Any other http host is refused before a request.
	mt := httpmock.NewMockTransport()
	b := validBotCreate()
	b.CallbackURL = "http://192.0.2.1/cb"
	if _, err := mockClient(t, mt).Bots.Create(ctx, b); !errors.Is(err, lineworks.ErrInvalidArgument) || mt.GetTotalCallCount() != 0 {
		t.Errorf("http to another host: err = %v after %d requests", err, mt.GetTotalCallCount())
	}
}

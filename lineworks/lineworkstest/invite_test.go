package lineworkstest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// callbackRecorder is a bot's callback endpoint on loopback: it records each
// request and answers status.
type callbackRecorder struct {
	mu     sync.Mutex
	reqs   []recordedCallback
	status int
}

type recordedCallback struct {
	header http.Header
	body   []byte
}

func (c *callbackRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs = append(c.reqs, recordedCallback{r.Header.Clone(), body})
	status := c.status
	c.mu.Unlock()
	w.WriteHeader(status)
}

func (c *callbackRecorder) received() []recordedCallback {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// inviteSetup returns a fake, a bot-scoped client for it and a bot whose
// callbacks go to a loopback recorder.
func inviteSetup(t *testing.T, b lineworkstest.Bot) (*lineworkstest.Server, *lineworks.Client, int64, *callbackRecorder) {
	t.Helper()
	rec := &callbackRecorder{status: http.StatusOK}
	cb := httptest.NewServer(rec)
	t.Cleanup(cb.Close)
	fake := lineworkstest.NewServer(lineworkstest.WithCallbackClient(cb.Client()))
	t.Cleanup(fake.Close)
	ts, err := fake.NewServiceAccount("bot").TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	// Seeded rather than created through the API: the API wants an https
	// callback URL, and the recorder is plain http.
	b.BotName, b.EnableCallback, b.CallbackURL = "受付", true, cb.URL+lineworkstest.CallbackPath
	return fake, client, fake.AddBot(b), rec
}

// TestInviteBot walks what an admin does after creating a bot: register it
// to the domain, reissue its secret, invite it into a named room. The join
// event must be signed with the new secret only, name the room the channel
// API then describes, and carry the fake's domain.
func TestInviteBot(t *testing.T) {
	t.Parallel()
	fake, client, botID, rec := inviteSetup(t, lineworkstest.Bot{BotSecret: "secret-before-reissue", EnableGroupJoin: true})
	ctx := context.Background()

	if _, err := fake.InviteBot(ctx, botID, "受付通知"); !errors.Is(err, lineworkstest.ErrBotNotInvitable) {
		t.Fatalf("InviteBot before domain registration: %v, want ErrBotNotInvitable", err)
	}
	if n := len(rec.received()); n != 0 {
		t.Fatalf("%d callbacks sent for a refused invitation", n)
	}
	if err := client.Bots.RegisterDomain(ctx, botID, lineworkstest.DefaultDomainID, lineworks.DomainRegistration{Visible: true}); err != nil {
		t.Fatal(err)
	}
	secret, err := client.Bots.ReissueSecret(ctx, botID)
	if err != nil {
		t.Fatal(err)
	}
	channelID, err := fake.InviteBot(ctx, botID, "受付通知")
	if err != nil || channelID == "" {
		t.Fatalf("InviteBot = %q, %v", channelID, err)
	}

	got := rec.received()
	if len(got) != 1 {
		t.Fatalf("%d callbacks, want one join", len(got))
	}
	cb := got[0]
	sig := cb.header.Get("X-WORKS-Signature")
	if err := lineworks.VerifySignature(secret, cb.body, sig); err != nil {
		t.Errorf("join not signed with the reissued secret: %v", err)
	}
	if err := lineworks.VerifySignature("secret-before-reissue", cb.body, sig); err == nil {
		t.Error("join verifies with the secret the reissue voided")
	}
	if id := cb.header.Get("X-WORKS-BotId"); id != strconv.FormatInt(botID, 10) {
		t.Errorf("X-WORKS-BotId = %q", id)
	}
	ev, err := lineworks.ParseEvent(cb.body)
	join, ok := ev.(lineworks.JoinEvent)
	if err != nil || !ok || join.Source.ChannelID != channelID || join.Source.DomainID != lineworkstest.DefaultDomainID {
		t.Errorf("callback = %T %+v, %v; want join of %s in domain %d", ev, ev, err, channelID, lineworkstest.DefaultDomainID)
	}

	ch, err := client.Channels.Get(ctx, botID, channelID)
	want := lineworks.Channel{DomainID: lineworkstest.DefaultDomainID, ChannelID: channelID, Title: "受付通知",
		ChannelType: lineworks.ChannelType{Type: lineworks.ChannelTypeMultiUsers}}
	if err != nil || *ch != want {
		t.Errorf("Channels.Get = %+v, %v; want %+v", ch, err, want)
	}
	var members []string
	for m, err := range client.Channels.Members(ctx, botID, channelID) {
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	if !slices.Equal(members, []string{lineworkstest.AdminUserID}) {
		t.Errorf("members = %v, want the inviting admin", members)
	}
}

// TestInviteBotRefusalsAndDelivery covers what the real service would not
// do or not deliver, and a callback URL that fails.
func TestInviteBotRefusalsAndDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	register := func(t *testing.T, c *lineworks.Client, botID int64) {
		t.Helper()
		if err := c.Bots.RegisterDomain(ctx, botID, lineworkstest.DefaultDomainID, lineworks.DomainRegistration{Visible: true}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("unknown bot", func(t *testing.T) {
		fake, _, _, _ := inviteSetup(t, lineworkstest.Bot{EnableGroupJoin: true})
		if _, err := fake.InviteBot(ctx, 999, "x"); !errors.Is(err, lineworkstest.ErrBotNotFound) {
			t.Errorf("err = %v, want ErrBotNotFound", err)
		}
	})
	t.Run("group join off", func(t *testing.T) {
		fake, c, botID, rec := inviteSetup(t, lineworkstest.Bot{})
		register(t, c, botID)
		if _, err := fake.InviteBot(ctx, botID, "x"); !errors.Is(err, lineworkstest.ErrBotNotInvitable) || len(rec.received()) != 0 {
			t.Errorf("err = %v, callbacks %d; want ErrBotNotInvitable and none", err, len(rec.received()))
		}
	})
	t.Run("join not subscribed", func(t *testing.T) {
		fake, c, botID, rec := inviteSetup(t, lineworkstest.Bot{EnableGroupJoin: true, ChannelEvents: []string{"message"}})
		register(t, c, botID)
		id, err := fake.InviteBot(ctx, botID, "x")
		if _, ok := fake.Channel(botID, id); err != nil || !ok || len(rec.received()) != 0 {
			t.Errorf("err = %v, room %v, callbacks %d; want the room and no callback", err, ok, len(rec.received()))
		}
	})
	t.Run("callback fails", func(t *testing.T) {
		fake, c, botID, rec := inviteSetup(t, lineworkstest.Bot{EnableGroupJoin: true})
		register(t, c, botID)
		rec.mu.Lock()
		rec.status = http.StatusUnauthorized
		rec.mu.Unlock()
		id, err := fake.InviteBot(ctx, botID, "x")
		if _, ok := fake.Channel(botID, id); err == nil || !ok || len(rec.received()) != 1 {
			t.Errorf("err = %v, room %v, callbacks %d; want the error, the room and one attempt", err, ok, len(rec.received()))
		}
	})
}

// TestCallbackSenderForFollowsReissue checks that the sender the fake hands
// out signs with the bot's current secret.
func TestCallbackSenderForFollowsReissue(t *testing.T) {
	t.Parallel()
	fake, client, botID, _ := inviteSetup(t, lineworkstest.Bot{BotSecret: "first"})
	before, err := fake.CallbackSenderFor(botID)
	if err != nil || before.Secret != "first" || before.URL == "" || before.BotID != botID {
		t.Fatalf("CallbackSenderFor = %+v, %v", before, err)
	}
	secret, err := client.Bots.ReissueSecret(context.Background(), botID)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := fake.CallbackSenderFor(botID)
	if after.Secret != secret {
		t.Errorf("sender secret %q after reissue, want %q", after.Secret, secret)
	}
	if _, err := fake.CallbackSenderFor(999); !errors.Is(err, lineworkstest.ErrBotNotFound) {
		t.Errorf("unknown bot: %v", err)
	}
}

package lineworks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

const (
	membersRoute       = "GET /bots/{botId}/channels/{channelId}/members"
	channelCreateRoute = "POST /bots/{botId}/channels"
	testBotID          = int64(2000001)
)

// seedMembers seeds a channel with n members u000, u001, … and returns them.
func seedMembers(fake *lineworkstest.Server, channelID string, n int) []string {
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("u%03d", i)
	}
	fake.AddChannel(testBotID, lineworkstest.Channel{ChannelID: channelID, Title: "受付", Members: members})
	return members
}

func TestChannelsCreateGetLeave(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.AddUser(lineworkstest.User{UserID: "c72af563-0f21-4736-11e4-045237113344", Email: "taro.yamada@example.com"})
	ctx := context.Background()

	ch, err := c.Channels.Create(ctx, testBotID, lineworks.ChannelCreate{Members: []string{"taro.yamada@example.com", "u2"}, Title: "Project room"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if ch.ChannelID == "" || ch.Title != "Project room" {
		t.Fatalf("Create = %+v", ch)
	}
	got, err := c.Channels.Get(ctx, testBotID, ch.ChannelID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := &lineworks.Channel{DomainID: lineworkstest.DefaultDomainID, ChannelID: ch.ChannelID, Title: "Project room", ChannelType: lineworks.ChannelType{Type: lineworks.ChannelTypeMultiUsers}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	page, err := c.Channels.MembersPage(ctx, testBotID, ch.ChannelID, lineworks.PageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The e-mail was resolved to the user ID.
	if diff := cmp.Diff([]string{"c72af563-0f21-4736-11e4-045237113344", "u2"}, page.Members); diff != "" || page.ResponseMetaData.NextCursor != "" {
		t.Errorf("members (-want +got):\n%s next %q", diff, page.ResponseMetaData.NextCursor)
	}
	if err := c.Channels.Leave(ctx, testBotID, ch.ChannelID); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	_, err = c.Channels.Get(ctx, testBotID, ch.ChannelID)
	var ae *lineworks.APIError
	if !errors.Is(err, lineworks.ErrNotFound) || !errors.As(err, &ae) || ae.Code != "NOT_FOUND" {
		t.Errorf("Get after Leave: %v, want 404 NOT_FOUND", err)
	}
	if err := c.Channels.Leave(ctx, testBotID, ch.ChannelID); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("second Leave: %v, want ErrNotFound", err)
	}
}

func TestChannelMembersIteratesThreePages(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	want := seedMembers(fake, "room-1", 2*lineworks.MaxPageCount+17)
	before := fake.APIRequests()
	var got []string
	for id, err := range c.Channels.Members(context.Background(), testBotID, "room-1") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if n := fake.APIRequests() - before; n != 3 {
		t.Errorf("requests = %d, want 3 pages", n)
	}
}

func TestChannelMembersBreakStopsFetching(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	seedMembers(fake, "room-1", 250)
	before := fake.APIRequests()
	n := 0
	for _, err := range c.Channels.Members(context.Background(), testBotID, "room-1") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == lineworks.MaxPageCount+1 { // the first member of page 2
			break
		}
	}
	if got := fake.APIRequests() - before; got != 2 {
		t.Errorf("requests = %d, want 2 (no third page after break)", got)
	}
}

func TestChannelMembersErrorMidIteration(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	seedMembers(fake, "room-1", 250)
	var got int
	var gotErr error
	for id, err := range c.Channels.Members(context.Background(), testBotID, "room-1") {
		if err != nil {
			if id != "" {
				t.Errorf("error yielded with id %q", id)
			}
			gotErr = err
			continue // the iterator must end by itself
		}
		if got++; got == 1 {
			// The next page will fail: the bot was removed meanwhile.
			fake.InjectFault(membersRoute, 1, lineworkstest.Fault{Status: 404, Code: "NOT_FOUND", Description: "channel not found"})
		}
	}
	if got != lineworks.MaxPageCount || !errors.Is(gotErr, lineworks.ErrNotFound) {
		t.Errorf("got %d members then %v; want %d then ErrNotFound", got, gotErr, lineworks.MaxPageCount)
	}
}

func TestChannelMembersPageEncodesCursor(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponderWithQuery("GET", "https://api.example.test/v1.0/bots/1/channels/room%2F1/members",
		"count=2&cursor=JlIB%2Bsf%2FJog%3D%3D",
		httpmock.NewStringResponder(200, `{"members":["a","b"],"responseMetaData":{"nextCursor":"next=="}}`))
	c := mockClient(t, mt)
	page, err := c.Channels.MembersPage(context.Background(), 1, "room/1", lineworks.PageOptions{Count: 2, Cursor: "JlIB+sf/Jog=="})
	if err != nil {
		t.Fatal(err)
	}
	want := &lineworks.MembersPage{Members: []string{"a", "b"}, ResponseMetaData: lineworks.ResponseMetaData{NextCursor: "next=="}}
	if diff := cmp.Diff(want, page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
}

// mockClient returns a client whose requests go to mt, without retries.
func mockClient(t testing.TB, mt http.RoundTripper, opts ...lineworks.Option) *lineworks.Client {
	t.Helper()
	base := []lineworks.Option{lineworks.WithHTTPClient(&http.Client{Transport: mt}), lineworks.WithBaseURL("https://api.example.test/v1.0"), lineworks.WithRetryPolicy(lineworks.NoRetry)}
	c, err := lineworks.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-123"}), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChannelsRejectBadArguments(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport() // no responders: any request fails the test below
	c := mockClient(t, mt)
	ctx := context.Background()
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("u", i)
	}
	long := string(make([]rune, 1001))
	for name, call := range map[string]func() error{
		"create bot 0": func() error {
			_, err := c.Channels.Create(ctx, 0, lineworks.ChannelCreate{Members: []string{"u"}})
			return err
		},
		"create no members": func() error { _, err := c.Channels.Create(ctx, 1, lineworks.ChannelCreate{}); return err },
		"create 101": func() error {
			_, err := c.Channels.Create(ctx, 1, lineworks.ChannelCreate{Members: tooMany})
			return err
		},
		"create empty id": func() error {
			_, err := c.Channels.Create(ctx, 1, lineworks.ChannelCreate{Members: []string{""}})
			return err
		},
		"create long title": func() error {
			_, err := c.Channels.Create(ctx, 1, lineworks.ChannelCreate{Members: []string{"u"}, Title: long})
			return err
		},
		"get empty": func() error { _, err := c.Channels.Get(ctx, 1, ""); return err },
		"page count 101": func() error {
			_, err := c.Channels.MembersPage(ctx, 1, "r", lineworks.PageOptions{Count: 101})
			return err
		},
		"page count -1": func() error {
			_, err := c.Channels.MembersPage(ctx, 1, "r", lineworks.PageOptions{Count: -1})
			return err
		},
		"leave empty": func() error { return c.Channels.Leave(ctx, 1, "") },
		"members empty": func() error {
			for _, err := range c.Channels.Members(ctx, 1, "") {
				return err
			}
			return nil
		},
	} {
		if err := call(); !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests were made for invalid arguments", n)
	}
}

// TestChannelCreateOwnBudget: the fake allows 10 channel creations a minute
// whatever the general budget, as LINE WORKS does.
func TestChannelCreateOwnBudget(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t, lineworks.WithRateLimit(0), lineworks.WithRetryPolicy(lineworks.NoRetry))
	fake.SetRateLimit(240)
	ctx := context.Background()
	req := lineworks.ChannelCreate{Members: []string{"u1"}}
	if _, err := c.Channels.Create(ctx, testBotID, req); err != nil {
		t.Fatal(err)
	}
	_, err := c.Channels.Create(ctx, testBotID, req)
	var ae *lineworks.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.RateLimit.Limit != 10 || ae.RetryAfter <= 0 {
		t.Fatalf("second create without pacing: %v (%+v), want 429 with limit 10", err, ae)
	}
	// Other APIs keep their own, larger budget.
	for range 5 {
		if err := c.Bots.SendToChannel(ctx, testBotID, "room", lineworks.Text{Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRateLimitFromFakePacedAndDelivered: the fake's own limiter answers 429
// with rateLimit-reset; the client waits that long and every message arrives.
func TestRateLimitFromFakePacedAndDelivered(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t, lineworks.WithRateLimit(0), lineworks.WithRetryPolicy(lineworks.Backoff{MaxAttempts: 20, BaseDelay: 10 * time.Millisecond, MaxDelay: 2 * time.Second}))
	fake.SetRateLimit(1200) // 20 a second, burst 40
	const n = 48            // 8 over the burst: each loses at most 8 races for a token
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- c.Bots.SendToChannel(context.Background(), testBotID, "room", lineworks.Text{Text: fmt.Sprint("msg ", i)})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(fake.Messages()); got != n {
		t.Errorf("delivered %d, want %d", got, n)
	}
	if st := fake.FaultStats(); st.RateLimited == 0 {
		t.Errorf("the fake answered no 429; the test did not exercise the limit")
	}
}

func TestInjectedRateLimitOnGetIsRetried(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	seedMembers(fake, "room-1", 3)
	fake.InjectFault(membersRoute, 1, lineworkstest.RateLimitFault(240, 30*time.Millisecond))
	start := time.Now()
	page, err := c.Channels.MembersPage(context.Background(), testBotID, "room-1", lineworks.PageOptions{})
	if err != nil || len(page.Members) != 3 {
		t.Fatalf("MembersPage = %+v, %v", page, err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("retried after %v, before the rateLimit-reset of 30ms", d)
	}
}

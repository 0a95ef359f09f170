package lineworks_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

const sendRoute = "POST /bots/{botId}/channels/{channelId}/messages"

// newFakeClient returns a client for a fresh fake with fast retries.
func newFakeClient(t testing.TB, opts ...lineworks.Option) (*lineworks.Client, *lineworkstest.Server, *lineworks.ServiceAccount) {
	t.Helper()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	sa := fake.NewServiceAccount("bot", "user.read")
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := []lineworks.Option{lineworks.WithBaseURL(fake.APIURL), lineworks.WithRetryPolicy(lineworks.Backoff{BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond})}
	c, err := lineworks.NewClient(ts, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, sa
}

func TestRateLimitedThenDelivered(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.InjectFault(sendRoute, 2, lineworkstest.RateLimitFault(240, 20*time.Millisecond))
	err := c.Bots.SendToChannel(context.Background(), 2000001, "room-1", lineworks.Text{Text: "hello"})
	if err != nil {
		t.Fatalf("SendToChannel: %v", err)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].ChannelID != "room-1" || msgs[0].BotID != 2000001 {
		t.Fatalf("messages at the fake = %+v, want one to room-1", msgs)
	}
	if st := fake.FaultStats(); st.Injected != 2 {
		t.Errorf("injected = %d, want 2", st.Injected)
	}
}

func TestRateLimitedExhaustsAttempts(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.InjectFault(sendRoute, 10, lineworkstest.RateLimitFault(240, time.Millisecond))
	err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "hello"})
	var ae *lineworks.APIError
	if !errors.As(err, &ae) || !errors.Is(err, lineworks.ErrRateLimited) {
		t.Fatalf("err = %v, want a rate-limited *APIError", err)
	}
	if ae.Code != "TOO_MANY_REQUESTS" || ae.RateLimit.Limit != 240 || !ae.RateLimit.Present || ae.RetryAfter != time.Millisecond {
		t.Errorf("APIError = %+v", ae)
	}
	if got := fake.APIRequests(); got != 4 {
		t.Errorf("attempts = %d, want 4 (the default policy)", got)
	}
}

func TestUnauthorizedRenewsTokenOnce(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	if err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "first"}); err != nil {
		t.Fatal(err)
	}
	fake.RevokeTokens() // the cached token is now rejected with 401 UNAUTHORIZED
	if err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "second"}); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if got := fake.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2 (one renewal)", got)
	}
	if got := len(fake.Messages()); got != 2 {
		t.Errorf("messages = %d, want 2", got)
	}
}

func TestUnauthorizedTwiceIsReturned(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.InjectFault(sendRoute, 5, lineworkstest.Fault{Status: 401, Code: "UNAUTHORIZED", Description: "Authentication failed"})
	err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "x"})
	if !errors.Is(err, lineworks.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if got := fake.APIRequests(); got != 2 {
		t.Errorf("attempts = %d, want 2 (one renewal, then give up)", got)
	}
}

func TestServerErrorNotRetriedForPost(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
	err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "x"})
	if !errors.Is(err, lineworks.ErrServer) {
		t.Fatalf("err = %v, want ErrServer", err)
	}
	if got := fake.APIRequests(); got != 1 {
		t.Errorf("attempts = %d, want 1: a 500 on a POST may have been processed", got)
	}
	// 503 means the request was not processed: retried.
	fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 503, Code: "SERVICE_UNAVAILABLE"})
	if err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "y"}); err != nil {
		t.Fatalf("after 503: %v", err)
	}
}

func TestDroppedConnectionNotRetriedForPost(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t)
	fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Drop: true, AfterHandling: true})
	err := c.Bots.SendToChannel(context.Background(), 1, "room-1", lineworks.Text{Text: "x"})
	if err == nil {
		t.Fatal("a dropped connection was reported as success")
	}
	if got := len(fake.Messages()); got != 1 {
		t.Errorf("messages = %d, want 1 (recorded, then the answer was lost; not repeated)", got)
	}
	if st := fake.FaultStats(); st.Ambiguous != 1 {
		t.Errorf("ambiguous = %d, want 1", st.Ambiguous)
	}
}

func TestConnectionRefusedRetried(t *testing.T) {
	t.Parallel()
	// A port with nothing listening: the request surely never arrived, so
	// even a POST is retried — until the attempts run out.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	calls := 0
	policy := retrySpy{inner: lineworks.Backoff{BaseDelay: time.Millisecond, MaxAttempts: 3}, calls: &calls}
	c, err := lineworks.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}), lineworks.WithBaseURL("http://"+addr+"/v1.0/"), lineworks.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "x"})
	if err == nil || calls != 3 {
		t.Errorf("err = %v after %d policy calls, want an error after 3", err, calls)
	}
}

type retrySpy struct {
	inner lineworks.RetryPolicy
	calls *int
}

func (r retrySpy) Retry(attempt int, req *http.Request, resp *http.Response, err error) (time.Duration, bool) {
	*r.calls++
	return r.inner.Retry(attempt, req, resp, err)
}

func TestContextEndsRetries(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t, lineworks.WithRetryPolicy(lineworks.Backoff{MaxAttempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour}))
	fake.InjectFault(sendRoute, 100, lineworkstest.Fault{Status: 503})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Bots.SendToChannel(ctx, 1, "room", lineworks.Text{Text: "x"})
	if err == nil || fake.APIRequests() != 1 {
		t.Errorf("err = %v, requests = %d; want an error after 1 request", err, fake.APIRequests())
	}
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://api.example.test/v1.0/bots/1/users/a%40example.com/messages",
		httpmock.NewStringResponder(400, `{"code":"INVALID_PARAMETER","description":"Request body cannot be parsed."}`))
	mt.RegisterResponder("POST", "https://api.example.test/v1.0/bots/1/channels/html/messages",
		httpmock.NewStringResponder(502, `<html>bad gateway</html>`))
	c, err := lineworks.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-SECRET-123"}),
		lineworks.WithHTTPClient(&http.Client{Transport: mt}), lineworks.WithBaseURL("https://api.example.test/v1.0"), lineworks.WithRetryPolicy(lineworks.NoRetry))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Bots.SendToUser(context.Background(), 1, "a@example.com", lineworks.Text{Text: "x"})
	var ae *lineworks.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	want := &lineworks.APIError{StatusCode: 400, Code: "INVALID_PARAMETER", Description: "Request body cannot be parsed.", Method: "POST", Path: "/v1.0/bots/1/users/a@example.com/messages"}
	if diff := cmp.Diff(want, ae); diff != "" {
		t.Errorf("APIError (-want +got):\n%s", diff)
	}
	if !errors.Is(err, lineworks.ErrBadRequest) || errors.Is(err, lineworks.ErrNotFound) {
		t.Error("sentinels do not match the status")
	}
	err = c.Bots.SendToChannel(context.Background(), 1, "html", lineworks.Text{Text: "x"})
	if !errors.As(err, &ae) || ae.Code != "BAD_GATEWAY" || strings.Contains(err.Error(), "tok-SECRET-123") {
		t.Errorf("non-JSON error body: %v", err)
	}
	if got := mt.GetCallCountInfo()["POST https://api.example.test/v1.0/bots/1/users/a%40example.com/messages"]; got != 1 {
		t.Errorf("the e-mail user ID was not path-escaped (calls %d; info %v)", got, mt.GetCallCountInfo())
	}
}

func TestNewClientRejectsBadOptions(t *testing.T) {
	t.Parallel()
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})
	for name, opt := range map[string]lineworks.Option{
		"relative base url": lineworks.WithBaseURL("/v1.0"),
		"ftp base url":      lineworks.WithBaseURL("ftp://x/"),
		"nil http client":   lineworks.WithHTTPClient(nil),
		"empty user agent":  lineworks.WithUserAgent(" "),
		"nil retry policy":  lineworks.WithRetryPolicy(nil),
		"negative rate":     lineworks.WithRateLimit(-1),
	} {
		if _, err := lineworks.NewClient(ts, opt); !errors.Is(err, lineworks.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := lineworks.NewClient(nil); err == nil {
		t.Error("nil token source accepted")
	}
}

// TestPacingSpreadsABurst sends more than the burst allowance and checks the
// fake, with the same budget, never had to answer 429.
func TestPacingSpreadsABurst(t *testing.T) {
	t.Parallel()
	c, fake, _ := newFakeClient(t, lineworks.WithRateLimit(1200), lineworks.WithRetryPolicy(lineworks.NoRetry))
	fake.SetRateLimit(1200)
	errs := make(chan error, 60)
	for i := range 60 {
		go func() {
			errs <- c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "burst " + string(rune('A'+i%26))})
		}()
	}
	for range 60 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if st := fake.FaultStats(); st.RateLimited != 0 {
		t.Errorf("the fake answered %d 429s", st.RateLimited)
	}
}

// TestNoSecretInErrors collects every error a misconfigured or failing
// client produces and searches them for the credentials.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot")
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// A working token, to know what a token looks like.
	ts, _ := sa.TokenSource(context.Background())
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	for _, mutate := range []func(*lineworks.ServiceAccount){
		func(s *lineworks.ServiceAccount) { s.ClientSecret += "x" },
		func(s *lineworks.ServiceAccount) { s.ServiceAccountID = "x@y" },
		func(s *lineworks.ServiceAccount) { s.ClientID = "nobody" },
		func(s *lineworks.ServiceAccount) { s.PrivateKey = s.PrivateKey[:200] },
		func(s *lineworks.ServiceAccount) { s.ClientSecret += "\u3000" },
		func(s *lineworks.ServiceAccount) { s.TokenURL = "http://127.0.0.1:1/token" },
	} {
		bad := *sa
		mutate(&bad)
		bts, err := bad.TokenSource(context.Background())
		collect(err)
		if err == nil {
			_, err = bts.Token()
			collect(err)
		}
	}
	c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL), lineworks.WithRetryPolicy(lineworks.NoRetry))
	if err != nil {
		t.Fatal(err)
	}
	fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Description: "boom"})
	collect(c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "x"}))
	fake.InjectFault(sendRoute, 2, lineworkstest.Fault{Status: 401, Code: "UNAUTHORIZED"})
	collect(c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "x"}))
	if len(errs) < 8 {
		t.Fatalf("collected %d errors, want at least 8", len(errs))
	}
	keyBody := strings.Split(string(sa.PrivateKey), "\n")[1]
	for _, e := range errs {
		s := e.Error()
		for name, secret := range map[string]string{"client secret": sa.ClientSecret, "private key": keyBody, "token": tok.AccessToken} {
			if strings.Contains(s, secret) {
				t.Errorf("error contains the %s: %v", name, s)
			}
		}
		if strings.Contains(s, "eyJ") {
			t.Errorf("error contains a JWT: %v", s)
		}
	}
}

// TestPathSegmentsAreEscaped: IDs are escaped as single segments — an e-mail
// user ID, and IDs that would walk up the path.
func TestPathSegmentsAreEscaped(t *testing.T) {
	t.Parallel()
	var paths []string
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		paths = append(paths, r.URL.EscapedPath())
		return httpmock.NewStringResponse(201, ""), nil
	})
	c, err := lineworks.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}),
		lineworks.WithHTTPClient(&http.Client{Transport: mt}), lineworks.WithBaseURL("https://api.example.test/v1.0/"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a@example.com", "..", ".", "x/y", "a b?c#d"} {
		if err := c.Bots.SendToUser(context.Background(), 1, id, lineworks.Text{Text: "x"}); err != nil {
			t.Fatalf("%q: %v", id, err)
		}
	}
	want := []string{
		"/v1.0/bots/1/users/a%40example.com/messages",
		"/v1.0/bots/1/users/%2E%2E/messages",
		"/v1.0/bots/1/users/%2E/messages",
		"/v1.0/bots/1/users/x%2Fy/messages",
		"/v1.0/bots/1/users/a%20b%3Fc%23d/messages",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

// TestRedirectIsNotSuccess: a send answered with a redirect did not reach
// the API as meant and must not be reported as delivered.
func TestRedirectIsNotSuccess(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(301, "")
		resp.Header.Set("Location", "https://elsewhere.example/")
		return resp, nil
	})
	c, _ := lineworks.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}),
		lineworks.WithHTTPClient(&http.Client{Transport: mt}), lineworks.WithBaseURL("https://api.example.test/v1.0/"))
	err := c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "x"})
	var ae *lineworks.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 301 {
		t.Fatalf("err = %v, want an APIError with status 301", err)
	}
}

package lineworks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// DefaultBaseURL is the LINE WORKS API 2.0 base.
const DefaultBaseURL = "https://www.worksapis.com/v1.0/"

const defaultUserAgent = "uketsuke-lineworks/0.1 (+https://github.com/uketsuke/uketsuke)"

// maxResponseBody bounds decoded API responses.
const maxResponseBody = 16 << 20

// Client talks to the LINE WORKS API for one tenant. It is immutable after
// NewClient and safe for concurrent use; per-call settings travel in the call.
type Client struct {
	// Bots sends messages and manages bots, menus and domain registration.
	Bots *BotsService
	// Channels creates, inspects and leaves talk rooms.
	Channels *ChannelsService
	// Users reads user profiles.
	Users *UsersService
	// Attachments uploads and downloads files.
	Attachments *AttachmentsService

	ts        oauth2.TokenSource
	hc        *http.Client
	baseURL   *url.URL
	userAgent string
	retry     RetryPolicy
	pacer     *pacer
}

type service struct{ client *Client }

// BotsService groups the Bot API: messages, bot management, domain
// registration, persistent and rich menus.
// See https://developers.worksmobile.com/jp/docs/bot-api.
type BotsService service

// ChannelsService groups the talk-room (channel) calls of the Bot API.
type ChannelsService service

// UsersService groups the Users (directory) API.
// See https://developers.worksmobile.com/jp/docs/user-get.
type UsersService service

// AttachmentsService uploads files for messages and downloads received ones.
// See https://developers.worksmobile.com/jp/docs/bot-attachment-create.
type AttachmentsService service

type clientConfig struct {
	hc        *http.Client
	baseURL   string
	userAgent string
	retry     RetryPolicy
	perMinute int
	overrides map[string]int
}

// Option configures a Client. It has the package's one option shape (see the
// package documentation): a bad value makes NewClient fail rather than build
// a half-working client.
type Option func(*clientConfig) error

// WithHTTPClient sets the HTTP client whose Transport and Timeout are used.
// Its CheckRedirect is not used: the Client never follows redirects itself,
// so a bearer token cannot leak to another host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *clientConfig) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidArgument)
		}
		c.hc = hc
		return nil
	}
}

// WithBaseURL points the client at another API base, such as a
// lineworkstest server.
func WithBaseURL(raw string) Option {
	return func(c *clientConfig) error {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: WithBaseURL(%q): need an absolute http(s) URL", ErrInvalidArgument, raw)
		}
		c.baseURL = raw
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *clientConfig) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return fmt.Errorf("%w: WithUserAgent: empty or multi-line", ErrInvalidArgument)
		}
		c.userAgent = ua
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy; NoRetry disables retries.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *clientConfig) error {
		if p == nil {
			return fmt.Errorf("%w: WithRetryPolicy(nil)", ErrInvalidArgument)
		}
		c.retry = p
		return nil
	}
}

// WithRateLimit sets the tenant's per-API budget in requests per minute
// (DefaultRateLimit, 240, on Standard and Advanced plans; 60 on Free). The
// client paces each API separately to stay within it. Zero disables pacing.
func WithRateLimit(perMinute int) Option {
	return func(c *clientConfig) error {
		if perMinute < 0 {
			return fmt.Errorf("%w: WithRateLimit(%d): negative", ErrInvalidArgument, perMinute)
		}
		c.perMinute = perMinute
		return nil
	}
}

// NewClient returns a Client that authenticates with ts. If ts also has an
// Invalidate(*oauth2.Token) method (ServiceAccount's does), a 401
// UNAUTHORIZED answer renews the token once and repeats the request.
func NewClient(ts oauth2.TokenSource, opts ...Option) (*Client, error) {
	if ts == nil {
		return nil, fmt.Errorf("%w: NewClient: nil token source", ErrInvalidArgument)
	}
	cfg := clientConfig{
		baseURL:   DefaultBaseURL,
		userAgent: defaultUserAgent,
		retry:     DefaultRetryPolicy,
		perMinute: DefaultRateLimit,
		overrides: map[string]int{apiChannelCreate: 10},
	}
	if err := applyOptions(&cfg, opts); err != nil {
		return nil, err
	}
	base, _ := url.Parse(cfg.baseURL)
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.hc != nil {
		hc = &http.Client{Transport: cfg.hc.Transport, Timeout: cfg.hc.Timeout, Jar: cfg.hc.Jar}
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		ts:        ts,
		hc:        hc,
		baseURL:   base,
		userAgent: cfg.userAgent,
		retry:     cfg.retry,
		pacer:     newPacer(cfg.perMinute, cfg.overrides),
	}
	c.Bots = &BotsService{client: c}
	c.Channels = &ChannelsService{client: c}
	c.Users = &UsersService{client: c}
	c.Attachments = &AttachmentsService{client: c}
	return c, nil
}

// BaseURL returns the API base the client talks to.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// request describes one API call. api is the pacing key: the method and the
// path template as the LINE WORKS reference writes it, because LINE WORKS
// counts requests per API, not per concrete path.
type request struct {
	method string
	api    string
	path   string // relative to the base URL, path segments already escaped
	query  url.Values
	body   any    // JSON-encoded when non-nil
	raw    []byte // pre-encoded body (wins over body)
	ctype  string
	// absolute, when set, replaces base+path (attachment upload URLs).
	absolute *url.URL
}

// invalidator is implemented by token sources that can drop a rejected token.
type invalidator interface {
	Invalidate(*oauth2.Token)
}

// do performs r with pacing, retries and token renewal, decodes a JSON
// response into out (when non-nil) and returns the response with its body
// closed. Use doStream for bodies the caller reads.
func (c *Client) do(ctx context.Context, r request, out any) (*http.Response, error) {
	resp, err := c.doStream(ctx, r)
	if err != nil {
		return resp, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		// Only downloads expect a redirect, and they use doStream. A 3xx
		// anywhere else means the request did not reach the API as meant;
		// reporting success would lose a message.
		return resp, &APIError{StatusCode: resp.StatusCode, Code: "UNEXPECTED_REDIRECT", Method: r.method, Path: "/" + r.path}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
		return resp, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return resp, fmt.Errorf("lineworks: %s: reading response: %w", r.api, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return resp, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp, fmt.Errorf("lineworks: %s: decoding response: %w", r.api, err)
	}
	return resp, nil
}

// doStream is do without decoding: on success the caller owns resp.Body.
func (c *Client) doStream(ctx context.Context, r request) (*http.Response, error) {
	payload, err := r.payload()
	if err != nil {
		return nil, err
	}
	target, err := c.resolve(r)
	if err != nil {
		return nil, err
	}
	renewed := false
	for attempt := 1; ; attempt++ {
		if err := c.pacer.wait(ctx, r.api); err != nil {
			return nil, err
		}
		req, tok, err := c.newRequest(ctx, r, target, payload)
		if err != nil {
			return nil, err
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			wait, again := c.retry.Retry(attempt, req, nil, err)
			if !again || sleepCtx(ctx, wait) != nil {
				return nil, fmt.Errorf("lineworks: %s: %w", r.api, err)
			}
			continue
		}
		if resp.StatusCode < 400 {
			return resp, nil
		}
		apiErr := CheckResponse(resp)
		resp.Body.Close()
		if !renewed && c.invalidate(apiErr, tok) {
			// The token was revoked or expired early: renew once.
			renewed = true
			continue
		}
		wait, again := c.retry.Retry(attempt, req, resp, nil)
		if !again || sleepCtx(ctx, wait) != nil {
			return resp, apiErr
		}
	}
}

// payload returns the request's body: raw as it is, or body encoded as
// JSON; nil without either.
func (r request) payload() ([]byte, error) {
	switch {
	case r.raw != nil:
		return r.raw, nil
	case r.body != nil:
		payload, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("lineworks: %s: encoding request: %w", r.api, err)
		}
		return payload, nil
	}
	return nil, nil
}

// resolve returns the URL r is sent to: r.absolute, or r.path and r.query
// on the base URL.
func (c *Client) resolve(r request) (*url.URL, error) {
	if r.absolute != nil {
		return r.absolute, nil
	}
	// r.path is relative to the base and already escaped, segment by
	// segment (pathf), so appending it is exact; ResolveReference would
	// also apply dot-segment rules we do not want.
	u := *c.baseURL
	u.RawPath = c.baseURL.EscapedPath() + r.path
	unescaped, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("lineworks: %s: bad path: %w", r.api, err)
	}
	u.Path = unescaped
	u.RawQuery = r.query.Encode()
	return &u, nil
}

// newRequest builds one attempt of r to target, with payload as its body
// and the current access token, which it returns for invalidate.
func (c *Client) newRequest(ctx context.Context, r request, target *url.URL, payload []byte) (*http.Request, *oauth2.Token, error) {
	// Built from the resolved URL directly: formatting it to a string
	// only for NewRequest to parse it again is measurable per call.
	req, err := http.NewRequestWithContext(ctx, r.method, "/", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("lineworks: %s: %w", r.api, err)
	}
	u := *target
	req.URL, req.Host = &u, target.Host
	if payload != nil {
		req.Body = io.NopCloser(bytes.NewReader(payload))
		req.ContentLength = int64(len(payload))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
		ct := r.ctype
		if ct == "" {
			ct = "application/json; charset=UTF-8"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	tok, err := c.token(ctx)
	if err != nil {
		return nil, nil, err
	}
	tok.SetAuthHeader(req)
	return req, tok, nil
}

// invalidate drops tok from the token source when apiErr is a 401 and the
// source can, and reports whether it did: the request is then worth one
// more try with a new token.
func (c *Client) invalidate(apiErr error, tok *oauth2.Token) bool {
	var ae *APIError
	if !errors.As(apiErr, &ae) || ae.StatusCode != http.StatusUnauthorized {
		return false
	}
	inv, ok := c.ts.(invalidator)
	if !ok {
		return false
	}
	inv.Invalidate(tok)
	return true
}

// trustedHost reports whether a bearer token may be sent to u: the API host
// itself and LINE WORKS' own domains. Downloads redirect to storage hosts;
// anything else must not see the token. The API host is trusted over its own
// scheme or https, never downgraded to plain http.
func (c *Client) trustedHost(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	if strings.EqualFold(u.Host, c.baseURL.Host) {
		return u.Scheme == c.baseURL.Scheme || u.Scheme == "https"
	}
	if u.Scheme != "https" {
		return false
	}
	return h == "worksmobile.com" || strings.HasSuffix(h, ".worksmobile.com") ||
		h == "worksapis.com" || strings.HasSuffix(h, ".worksapis.com")
}

// pathf builds a relative API path, escaping every argument as one path
// segment: user IDs may be e-mail addresses, cursors contain anything.
func pathf(format string, args ...any) string {
	var b strings.Builder
	b.Grow(len(format) + 32*len(args))
	rest := strings.TrimPrefix(format, "/")
	for _, a := range args {
		before, after, ok := strings.Cut(rest, "%s")
		if !ok {
			break
		}
		b.WriteString(before)
		b.WriteString(escapeSegment(a))
		rest = after
	}
	b.WriteString(rest)
	return b.String()
}

// escapeSegment escapes one path segment. PathEscape leaves '@' alone (it
// is legal in a path), but LINE WORKS documents e-mail user IDs as
// URL-encoded, so it is encoded too; "." and ".." are encoded so that an ID
// can never walk up the path.
func escapeSegment(a any) string {
	var s string
	switch v := a.(type) {
	case string:
		s = v
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	default:
		s = fmt.Sprint(v)
	}
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	s = url.PathEscape(s)
	if strings.Contains(s, "@") {
		s = strings.ReplaceAll(s, "@", "%40")
	}
	return s
}

// token gets a token, giving up when ctx ends if the source allows it.
func (c *Client) token(ctx context.Context) (*oauth2.Token, error) {
	if tc, ok := c.ts.(contextTokenSource); ok {
		return tc.tokenContext(ctx)
	}
	return c.ts.Token()
}

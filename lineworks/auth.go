package lineworks

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// The LINE WORKS authorization server.
// See https://developers.worksmobile.com/jp/docs/auth.
const (
	AuthURL  = "https://auth.worksmobile.com/oauth2/v2.0/authorize"
	TokenURL = "https://auth.worksmobile.com/oauth2/v2.0/token"
)

// Endpoint is the LINE WORKS OAuth 2.0 endpoint for a user-account
// oauth2.Config. LINE WORKS expects client_id and client_secret in the form
// body, hence AuthStyleInParams.
// See https://developers.worksmobile.com/en/docs/auth-oauth.
var Endpoint = oauth2.Endpoint{
	AuthURL:   AuthURL,
	TokenURL:  TokenURL,
	AuthStyle: oauth2.AuthStyleInParams,
}

const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Defaults for ServiceAccount's zero values.
const (
	// DefaultAssertionLifetime is how long a signed JWT assertion is valid.
	// LINE WORKS accepts at most 60 minutes; it is used once, at once, so a
	// short life costs nothing and tolerates clock skew.
	DefaultAssertionLifetime = 30 * time.Minute
	// DefaultExpiryMargin renews a token this long before it expires, so a
	// request never leaves with a token that expires on the way.
	DefaultExpiryMargin = 5 * time.Minute
)

// ServiceAccount holds the credentials of a LINE WORKS app's service account
// and mints access tokens with the JWT bearer grant (RFC 7523). It is plain
// data: fill in the fields and call TokenSource.
//
// See https://developers.worksmobile.com/jp/docs/auth-jwt.
type ServiceAccount struct {
	ClientID         string
	ClientSecret     string
	ServiceAccountID string // xxxxx.serviceaccount@example.com
	// PrivateKey is the PEM content of the key file (PKCS#8 as issued).
	PrivateKey []byte
	// Scopes requested, such as "bot" or "user.read". Empty means "bot".
	Scopes []string
	// TokenURL defaults to TokenURL; tests point it at lineworkstest.
	TokenURL string
	// HTTPClient makes the token requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// AssertionLifetime defaults to DefaultAssertionLifetime; at most 60 minutes.
	AssertionLifetime time.Duration
	// ExpiryMargin defaults to DefaultExpiryMargin.
	ExpiryMargin time.Duration
	// Now is the clock; nil means time.Now. Tests use it to expire tokens.
	Now func() time.Time
}

// TokenSource validates the credentials and returns a token source that
// caches the access token until ExpiryMargin before it expires. Concurrent
// callers share one token request: however many goroutines ask at once, the
// token endpoint sees one request. The returned source also implements
// Invalidate, which the Client uses to renew a token LINE WORKS rejected.
//
// The source outlives the call, so it keeps only ctx's values, not its
// cancellation; token requests use sa.HTTPClient and its timeout.
func (sa *ServiceAccount) TokenSource(ctx context.Context) (oauth2.TokenSource, error) {
	if err := sa.Validate(); err != nil {
		return nil, err
	}
	key, _ := ParsePrivateKey(sa.PrivateKey) // Validate parsed it already
	lifetime := sa.AssertionLifetime
	if lifetime <= 0 {
		lifetime = DefaultAssertionLifetime
	}
	if lifetime > time.Hour {
		return nil, &CredentialError{Field: "assertionLifetime", Reason: "LINE WORKS accepts JWT assertions valid for at most 60 minutes"}
	}
	margin := sa.ExpiryMargin
	if margin <= 0 {
		margin = DefaultExpiryMargin
	}
	scopes := sa.Scopes
	if len(scopes) == 0 {
		scopes = []string{"bot"}
	}
	tokenURL := sa.TokenURL
	if tokenURL == "" {
		tokenURL = TokenURL
	}
	hc := sa.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	now := sa.Now
	if now == nil {
		now = time.Now
	}
	return &serviceAccountSource{
		ctx:       context.WithoutCancel(ctx),
		clientID:  sa.ClientID,
		secret:    sa.ClientSecret,
		subject:   sa.ServiceAccountID,
		key:       key,
		scope:     strings.Join(scopes, " "),
		tokenURL:  tokenURL,
		hc:        hc,
		lifetime:  lifetime,
		margin:    margin,
		now:       now,
		secretsOf: []string{sa.ClientSecret},
		fetching:  make(chan struct{}, 1),
	}, nil
}

// serviceAccountSource is the caching, request-sharing token source. A mutex
// held across the fetch is the simplest way to make concurrent callers share
// one request: everyone queued behind the fetch finds the fresh token.
type serviceAccountSource struct {
	ctx      context.Context
	clientID string
	secret   string
	subject  string
	key      *rsa.PrivateKey
	scope    string
	tokenURL string
	hc       *http.Client
	lifetime time.Duration
	margin   time.Duration
	now      func() time.Time

	secretsOf []string

	// cached is read without locking on every call. fetching is a
	// one-slot semaphore held across a token request: everyone queued
	// behind it finds the fresh token, so concurrent callers share one
	// request, and a caller whose context ends can stop waiting (a mutex
	// would hold it until the request finishes).
	cached   atomic.Pointer[oauth2.Token]
	fetching chan struct{}
}

// contextTokenSource is implemented by token sources whose waiting can be
// cut short by the caller's context; the Client prefers it to Token.
type contextTokenSource interface {
	tokenContext(ctx context.Context) (*oauth2.Token, error)
}

// Token returns the cached token or fetches a new one.
func (s *serviceAccountSource) Token() (*oauth2.Token, error) {
	return s.tokenContext(context.Background())
}

func (s *serviceAccountSource) tokenContext(ctx context.Context) (*oauth2.Token, error) {
	if t := s.cached.Load(); t != nil && s.fresh(t) {
		return t, nil
	}
	select {
	case s.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.fetching }()
	if t := s.cached.Load(); t != nil && s.fresh(t) {
		return t, nil // fetched by the caller we queued behind
	}
	// The request itself runs under the source's context, not the
	// caller's: other callers are waiting for its result.
	tok, err := s.fetch()
	if err != nil {
		return nil, err
	}
	s.cached.Store(tok)
	return tok, nil
}

// fresh reports whether tok can still be handed out. A token without an
// expiry (no expires_in) is used until LINE WORKS rejects it and the Client
// calls Invalidate; a lifetime shorter than the margin is renewed after half
// of it, so that neither makes every call mint a token.
func (s *serviceAccountSource) fresh(tok *oauth2.Token) bool {
	if tok.Expiry.IsZero() {
		return true
	}
	margin := s.margin
	if life := time.Duration(tok.ExpiresIn) * time.Second; life > 0 && margin > life/2 {
		margin = life / 2
	}
	return s.now().Add(margin).Before(tok.Expiry)
}

// Invalidate drops the cached token if it is still bad, so that the next
// Token call fetches a new one. Passing the rejected token means that of many
// requests that all got 401 with the same token, only the first causes a
// renewal.
func (s *serviceAccountSource) Invalidate(bad *oauth2.Token) {
	cur := s.cached.Load()
	if cur != nil && (bad == nil || bad.AccessToken == cur.AccessToken) {
		s.cached.CompareAndSwap(cur, nil)
	}
}

func (s *serviceAccountSource) assertion() (string, error) {
	now := s.now()
	claims := jwt.RegisteredClaims{
		Issuer:    s.clientID,
		Subject:   s.subject,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.lifetime)),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("lineworks: signing the JWT assertion: %w", err)
	}
	return signed, nil
}

func (s *serviceAccountSource) fetch() (*oauth2.Token, error) {
	assertion, err := s.assertion()
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"assertion":     {assertion},
		"grant_type":    {jwtBearerGrant},
		"client_id":     {s.clientID},
		"client_secret": {s.secret},
		"scope":         {s.scope},
	}
	// The assertion is a credential too (with the client secret it buys
	// tokens for its lifetime): redact it should the server quote it back.
	secrets := append(slices.Clip(s.secretsOf), assertion)
	return requestToken(s.ctx, s.hc, s.tokenURL, form, s.now, secrets)
}

// tokenResponse is the token endpoint's answer. expires_in arrives as a JSON
// string ("86400") from LINE WORKS and as a number from most OAuth servers.
type tokenResponse struct {
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	TokenType    string       `json:"token_type"`
	Scope        string       `json:"scope"`
	ExpiresIn    flexibleSecs `json:"expires_in"`
	Error        string       `json:"error"`
	Description  string       `json:"error_description"`
}

// flexibleSecs decodes a number of seconds given as a JSON number or string.
type flexibleSecs int64

func (f *flexibleSecs) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expires_in: %q is not a number of seconds", s)
	}
	*f = flexibleSecs(n)
	return nil
}

func requestToken(ctx context.Context, hc *http.Client, tokenURL string, form url.Values, now func() time.Time, secrets []string) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("lineworks: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		// url.Error includes the URL but not the body: no secret leaks here.
		return nil, &TokenError{Cause: CauseNetwork, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, &TokenError{StatusCode: resp.StatusCode, Cause: CauseNetwork, Err: err}
	}
	var tr tokenResponse
	decodeErr := json.Unmarshal(data, &tr)
	if resp.StatusCode != http.StatusOK || tr.Error != "" {
		te := &TokenError{StatusCode: resp.StatusCode, ErrorCode: tr.Error, Description: redact(tr.Description, secrets)}
		te.Cause = classifyTokenError(te)
		return nil, te
	}
	if decodeErr != nil {
		return nil, &TokenError{StatusCode: resp.StatusCode, Cause: CauseServer, Description: "undecodable token response", Err: decodeErr}
	}
	if tr.AccessToken == "" {
		return nil, &TokenError{StatusCode: resp.StatusCode, Cause: CauseServer, Description: "token response without access_token"}
	}
	tok := &oauth2.Token{
		AccessToken:  tr.AccessToken,
		RefreshToken: tr.RefreshToken,
		TokenType:    tr.TokenType,
	}
	if tr.ExpiresIn > 0 {
		tok.Expiry = now().Add(time.Duration(tr.ExpiresIn) * time.Second)
		tok.ExpiresIn = int64(tr.ExpiresIn)
	}
	return tok.WithExtra(map[string]any{"scope": tr.Scope}), nil
}

// GrantedScopes returns the scopes LINE WORKS granted with tok (the token
// response's space-separated "scope"), or nil if it did not say.
func GrantedScopes(tok *oauth2.Token) []string {
	if tok == nil {
		return nil
	}
	s, _ := tok.Extra("scope").(string)
	return strings.Fields(s)
}

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// TokenErrorCause says which input most likely caused a token failure.
type TokenErrorCause string

// Causes of a failed token request, from the most to the least specific.
const (
	CauseClient         TokenErrorCause = "client ID or client secret"
	CauseServiceAccount TokenErrorCause = "service account ID or private key"
	CauseScope          TokenErrorCause = "scope (not granted to the app in the Developer Console)"
	CauseNetwork        TokenErrorCause = "network (the token endpoint could not be reached)"
	CauseServer         TokenErrorCause = "the LINE WORKS token endpoint"
	CauseUnknown        TokenErrorCause = "the credentials"
)

// TokenError is a failed token request. It carries the server's error and
// error_description (RFC 6749 §5.2) and a best guess of which credential is
// wrong. Its text never contains the client secret, the key or the assertion.
type TokenError struct {
	StatusCode  int
	ErrorCode   string // "invalid_client", "invalid_grant", …
	Description string
	Cause       TokenErrorCause
	Err         error
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("lineworks: token request failed")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (%d", e.StatusCode)
		if e.ErrorCode != "" {
			b.WriteString(" " + e.ErrorCode)
		}
		b.WriteString(")")
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	b.WriteString("; check the " + string(e.Cause))
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes a token failure match ErrUnauthorized, so callers can treat "the
// credentials are wrong" in one place.
func (e *TokenError) Is(target error) bool {
	return target == ErrUnauthorized && e.StatusCode >= 400 && e.StatusCode < 500
}

// Fields returns every credential field that may be wrong, for forms that
// highlight them and messages that name them (nil when the failure is not
// the credentials' fault). LINE WORKS answers invalid_client alike for a
// wrong Client ID and a wrong Client Secret, and invalid_grant alike for a
// wrong service account and a wrong key, so each cause names both of its
// fields rather than guessing one.
func (e *TokenError) Fields() []string {
	switch e.Cause {
	case CauseClient:
		return []string{FieldClientID, FieldClientSecret}
	case CauseServiceAccount:
		return []string{FieldServiceAccount, FieldPrivateKey}
	case CauseScope:
		return []string{FieldScopes}
	}
	return nil
}

// Field returns one credential field to focus in a form ("" when the
// failure is not the credentials' fault): the secret of the pair Fields
// names, since a pasted secret is the likelier mistake. Messages should name
// every field of Fields.
func (e *TokenError) Field() string {
	switch e.Cause {
	case CauseClient:
		return FieldClientSecret
	case CauseServiceAccount:
		return FieldPrivateKey
	case CauseScope:
		return FieldScopes
	}
	return ""
}

func classifyTokenError(e *TokenError) TokenErrorCause {
	d := strings.ToLower(e.Description)
	switch e.ErrorCode {
	case "invalid_client", "unauthorized_client":
		return CauseClient
	case "invalid_scope":
		return CauseScope
	case "invalid_grant":
		return CauseServiceAccount
	}
	switch {
	case strings.Contains(d, "scope"):
		return CauseScope
	case strings.Contains(d, "client"):
		return CauseClient
	case strings.Contains(d, "assertion"), strings.Contains(d, "jwt"), strings.Contains(d, "signature"), strings.Contains(d, "service account"):
		return CauseServiceAccount
	}
	if e.StatusCode >= 500 {
		return CauseServer
	}
	if e.StatusCode == http.StatusUnauthorized {
		return CauseClient
	}
	return CauseUnknown
}

// UserAuth drives the user-account OAuth flow (authorization code) for an
// admin signing in with LINE WORKS. Config is a plain oauth2.Config whose
// Endpoint is lineworks.Endpoint (or a fake's).
// See https://developers.worksmobile.com/en/docs/auth-oauth.
type UserAuth struct {
	Config *oauth2.Config
}

// ErrStateMismatch is returned when the redirect's state does not match the
// one issued: a forged or replayed sign-in.
var ErrStateMismatch = errors.New("lineworks: oauth state mismatch")

// AuthCodeURL returns the URL to send the browser to and the random state
// the caller must keep (in a cookie or session) for the redirect.
func (u UserAuth) AuthCodeURL(opts ...oauth2.AuthCodeOption) (authURL, state string, err error) {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", "", fmt.Errorf("lineworks: generating oauth state: %w", err)
	}
	state = base64.RawURLEncoding.EncodeToString(buf)
	return u.Config.AuthCodeURL(state, opts...), state, nil
}

// Exchange checks the redirect request (state in constant time, the error
// parameter) and exchanges its code for a token.
func (u UserAuth) Exchange(ctx context.Context, r *http.Request, wantState string) (*oauth2.Token, error) {
	q := r.URL.Query()
	// The state first: an error redirect is as forgeable as any other, and
	// one that does not belong to this sign-in must not end it.
	got := q.Get("state")
	if wantState == "" || subtle.ConstantTimeCompare([]byte(got), []byte(wantState)) != 1 {
		return nil, ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		return nil, &TokenError{ErrorCode: e, Description: q.Get("error_description"), Cause: CauseUnknown, StatusCode: http.StatusBadRequest}
	}
	code := q.Get("code")
	if code == "" {
		return nil, fmt.Errorf("%w: the redirect carries no code", ErrInvalidArgument)
	}
	tok, err := u.Config.Exchange(ctx, code)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			te := &TokenError{ErrorCode: re.ErrorCode, Description: redact(re.ErrorDescription, []string{u.Config.ClientSecret})}
			if re.Response != nil {
				te.StatusCode = re.Response.StatusCode
			}
			te.Cause = classifyTokenError(te)
			return nil, te
		}
		return nil, fmt.Errorf("lineworks: exchanging the authorization code: %s", redact(err.Error(), []string{u.Config.ClientSecret}))
	}
	return tok, nil
}

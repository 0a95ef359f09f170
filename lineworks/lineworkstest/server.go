// Package lineworkstest is a fake LINE WORKS for tests and demos: an auth
// server that verifies JWT assertions the way the real one does, the Bot API
// with the real status codes, error bodies and validation, per-tenant rate
// limits, fault injection, a record of every message received, and signed
// callbacks. Every fake has an administrator (AdminUserID) whom its authorize
// endpoint signs in, and InviteBot plays a person inviting a bot into a room.
//
// It runs on an httptest.Server, so it needs no network:
//
//	fake := lineworkstest.NewServer()
//	defer fake.Close()
//	sa := fake.NewServiceAccount("bot")
//	ts, _ := sa.TokenSource(ctx)
//	client, _ := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
package lineworkstest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/uketsuke/uketsuke/lineworks"
)

// Paths of the fake's endpoints, relative to Server.URL.
const (
	TokenPath     = "/oauth2/v2.0/token"
	AuthorizePath = "/oauth2/v2.0/authorize"
	APIPrefix     = "/v1.0"
)

// App is a LINE WORKS app registered with the fake: its client credentials,
// its service account and the public half of its key.
type App struct {
	ClientID         string
	ClientSecret     string
	ServiceAccountID string
	PublicKey        *rsa.PublicKey
	// Scopes the app was granted in the Developer Console. A token carries
	// the requested scopes that are among these; a request for others still
	// gets a token, and the missing grant shows as 403 on the API call.
	Scopes []string
	// DomainID is the tenant the app belongs to.
	DomainID int64
}

// Server is a fake LINE WORKS. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's root, e.g. http://127.0.0.1:41234.
	URL string
	// APIURL is the API base to pass to lineworks.WithBaseURL.
	APIURL string
	// TokenURL is the token endpoint to put in ServiceAccount.TokenURL.
	TokenURL string
	// AuthURL is the user-OAuth authorization endpoint.
	AuthURL string

	srv *httptest.Server
	mux *http.ServeMux

	tokenLifetime  time.Duration
	expiresAsText  bool
	rotateRefresh  bool
	tlsOn          bool
	tlsHosts       []string
	tlsCA          []byte // PEM of the CA that signed the TLS certificate
	now            func() time.Time
	callbackClient *http.Client
	// loopbackCallbacks accepts http:// bot URLs on this machine
	// (WithLoopbackCallbacks).
	loopbackCallbacks bool

	tokenRequests atomic.Int64
	apiRequests   atomic.Int64
	injected      atomic.Int64
	ambiguous     atomic.Int64
	limited429    atomic.Int64
	rlState

	mu     sync.Mutex
	apps   map[string]*App // by client ID
	tokens map[string]*issuedToken
	// refresh tokens, by value; each reissues tokens like the one it came with
	refresh map[string]*issuedToken
	faults  map[string][]*faultSlot
	chaos   *chaosConfig

	state *state // resources: users, channels, bots, messages (api.go)
}

type issuedToken struct {
	app     *App
	scopes  []string
	expires time.Time
	userID  string // set for user-account tokens
}

// ServerOption configures NewServer and NewServerOn. It has the option shape
// of package lineworks (see its documentation): an option checks its value
// and returns an error naming itself. NewServer has no error result, like
// httptest.NewServer, so it panics with that error: a fake misconfigured by
// its own test or demo is a programming error. The panic value is an error
// matching lineworks.ErrInvalidArgument.
type ServerOption func(*Server) error

// WithTokenLifetime sets expires_in of issued tokens (default 24 h); it must
// be positive.
func WithTokenLifetime(d time.Duration) ServerOption {
	return func(s *Server) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTokenLifetime(%v): not positive", lineworks.ErrInvalidArgument, d)
		}
		s.tokenLifetime = d
		return nil
	}
}

// WithNumericExpiresIn makes the token endpoint send expires_in as a JSON
// number instead of the string LINE WORKS sends.
func WithNumericExpiresIn() ServerOption {
	return func(s *Server) error {
		s.expiresAsText = false
		return nil
	}
}

// WithRefreshTokenRotation turns on what the Developer Console calls
// Refresh Token Rotation: a refresh_token grant then answers with a new
// refresh token and voids the one used. Off by default, as in the console:
// the answer has no refresh_token and the old one keeps working
// (https://developers.worksmobile.com/jp/docs/auth-jwt).
func WithRefreshTokenRotation() ServerOption {
	return func(s *Server) error {
		s.rotateRefresh = true
		return nil
	}
}

// WithClock sets the fake's clock (token expiry, JWT checks, timestamps).
func WithClock(now func() time.Time) ServerOption {
	return func(s *Server) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", lineworks.ErrInvalidArgument)
		}
		s.now = now
		return nil
	}
}

// WithCallbackClient sets the HTTP client the fake posts callbacks to bots'
// callback URLs with (InviteBot, CallbackSenderFor), for instance the client
// of an httptest TLS server. The default is http.DefaultClient.
func WithCallbackClient(c *http.Client) ServerOption {
	return func(s *Server) error {
		if c == nil {
			return fmt.Errorf("%w: WithCallbackClient(nil)", lineworks.ErrInvalidArgument)
		}
		s.callbackClient = c
		return nil
	}
}

// WithLoopbackCallbacks lets a bot's callbackUrl and photoUrl be plain
// http on a loopback host (localhost, 127.0.0.0/8, ::1). LINE WORKS itself
// takes https only, and so does the fake by default; this is for trying a
// server's real set-up (which creates its bot through the API) on a
// developer's machine, where the server has no certificate.
func WithLoopbackCallbacks() ServerOption {
	return func(s *Server) error {
		s.loopbackCallbacks = true
		return nil
	}
}

// NewServer starts a fake on a loopback port. Close it when done.
func NewServer(opts ...ServerOption) *Server {
	s := newServer(opts...)
	s.srv = httptest.NewUnstartedServer(s.mux)
	s.start()
	s.setURL(s.srv.URL)
	return s
}

// NewServerOn starts a fake on l (for a standalone fake on a fixed port).
func NewServerOn(l net.Listener, opts ...ServerOption) *Server {
	s := newServer(opts...)
	s.srv = httptest.NewUnstartedServer(s.mux)
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.start()
	s.setURL(s.srv.URL)
	return s
}

func (s *Server) start() {
	if s.tlsOn {
		s.startTLS()
		return
	}
	s.srv.Start()
}

func newServer(opts ...ServerOption) *Server {
	s := &Server{
		mux:           http.NewServeMux(),
		tokenLifetime: 24 * time.Hour,
		expiresAsText: true,
		now:           time.Now,
		apps:          map[string]*App{},
		tokens:        map[string]*issuedToken{},
		refresh:       map[string]*issuedToken{},
		faults:        map[string][]*faultSlot{},
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			// See ServerOption for why this panics.
			panic(fmt.Errorf("lineworkstest: %w", err))
		}
	}
	s.state = newState()
	s.seedAdmin()
	s.handle("POST "+TokenPath, s.serveToken)
	s.registerAPI()
	// Any other route answers like the service does, with its JSON error
	// body: a client that parses every error body must not meet Go's plain
	// "404 page not found". The pattern matches every method and path no
	// route claims, so a wrong method on a known path lands here too.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No route for "+r.Method+" "+r.URL.Path)
	})
	return s
}

func (s *Server) setURL(u string) {
	s.URL = u
	s.APIURL = u + APIPrefix + "/"
	s.TokenURL = u + TokenPath
	s.AuthURL = u + AuthorizePath
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Handler returns the fake's handler, for mounting it in-process.
func (s *Server) Handler() http.Handler { return s.mux }

// Client returns an HTTP client configured for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// TokenRequests counts token endpoint requests so far.
func (s *Server) TokenRequests() int64 { return s.tokenRequests.Load() }

// APIRequests counts API requests so far (faulted ones included).
func (s *Server) APIRequests() int64 { return s.apiRequests.Load() }

// RegisterApp registers app so that its service account can obtain tokens.
func (s *Server) RegisterApp(app App) {
	if app.DomainID == 0 {
		app.DomainID = DefaultDomainID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[app.ClientID] = &app
}

// DefaultDomainID is the fake's domain: the tenant of apps registered
// without one, of users and channels seeded without one, of the seeded
// administrator (AdminUserID), and the domain InviteBot requires a bot to be
// registered to.
const DefaultDomainID int64 = 10000001

var (
	keyOnce sync.Once
	keyPEM  []byte
	keyPriv *rsa.PrivateKey
)

// testKey returns a process-wide 2048-bit key: generating one per test makes
// suites slow under -race, and the fake tells apps apart by client ID anyway.
func testKey() (*rsa.PrivateKey, []byte) {
	keyOnce.Do(func() {
		keyPriv, keyPEM = GenerateKey()
	})
	return keyPriv, keyPEM
}

// GenerateKey returns a fresh 2048-bit RSA key and its PKCS#8 PEM encoding,
// the format LINE WORKS issues.
func GenerateKey() (*rsa.PrivateKey, []byte) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("lineworkstest: generating a key: " + err.Error())
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic("lineworkstest: encoding a key: " + err.Error())
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewServiceAccount registers a new app granted scopes (default "bot") and
// returns matching credentials pointed at the fake. The private key is
// shared by all apps of the process; use NewServiceAccountWithKey for a
// distinct one.
func (s *Server) NewServiceAccount(scopes ...string) *lineworks.ServiceAccount {
	_, pemBytes := testKey()
	return s.NewServiceAccountWithKey(pemBytes, scopes...)
}

// NewServiceAccountWithKey is NewServiceAccount with the given PEM key.
func (s *Server) NewServiceAccountWithKey(keyPEM []byte, scopes ...string) *lineworks.ServiceAccount {
	if len(scopes) == 0 {
		scopes = []string{"bot"}
	}
	key, err := lineworks.ParsePrivateKey(keyPEM)
	if err != nil {
		panic("lineworkstest: " + err.Error())
	}
	id := "fake" + randomHex(8)
	app := App{
		ClientID:         id,
		ClientSecret:     "secret" + randomHex(8),
		ServiceAccountID: "sa" + randomHex(3) + ".serviceaccount@example.com",
		PublicKey:        &key.PublicKey,
		Scopes:           scopes,
	}
	s.RegisterApp(app)
	return &lineworks.ServiceAccount{
		ClientID:         app.ClientID,
		ClientSecret:     app.ClientSecret,
		ServiceAccountID: app.ServiceAccountID,
		PrivateKey:       keyPEM,
		Scopes:           scopes,
		TokenURL:         s.TokenURL,
	}
}

// RevokeTokens invalidates every issued token, as an admin rotating the
// client secret would: the next API call gets 401 UNAUTHORIZED.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	clear(s.refresh)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// writeError answers with the LINE WORKS API error body.
func writeError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"code": code, "description": desc})
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// serveToken implements the JWT bearer, authorization code and refresh token
// grants, checking what the real endpoint checks.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form cannot be parsed")
		return
	}
	s.mu.Lock()
	app := s.apps[r.PostForm.Get("client_id")]
	s.mu.Unlock()
	if app == nil || subtle.ConstantTimeCompare([]byte(app.ClientSecret), []byte(r.PostForm.Get("client_secret"))) != 1 {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	switch grantType(r.PostForm.Get("grant_type")) {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		s.grantJWT(w, r, app)
	case "authorization_code":
		s.grantCode(w, r, app)
	case "refresh_token":
		s.grantRefresh(w, r, app)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type is not supported")
	}
}

func (s *Server) grantJWT(w http.ResponseWriter, r *http.Request, app *App) {
	now := s.now()
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(t *jwt.Token) (any, error) {
		return app.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithLeeway(30*time.Second), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the JWT assertion is invalid: signature or time claims rejected")
		return
	}
	switch {
	case claims.Issuer != app.ClientID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "iss does not match client_id")
		return
	case claims.Subject != app.ServiceAccountID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "sub is not the app's service account")
		return
	case claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > time.Hour:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "exp must be at most 60 minutes after iat")
		return
	}
	scopes, ok := s.checkScopes(r.PostForm.Get("scope"), app)
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "scope is required")
		return
	}
	s.issue(w, &issuedToken{app: app, scopes: scopes}, true)
}

// grantType undoes the second percent-encoding that the vendor's own Python
// sample applies to grant_type ("urn%253Aietf…" on the wire, so
// "urn%3Aietf…" after form decoding). The real endpoint evidently accepts it,
// since the sample works; the docs are silent on why.
func grantType(v string) string {
	if strings.Contains(v, "%") {
		if u, err := url.QueryUnescape(v); err == nil {
			return u
		}
	}
	return v
}

// grantRefresh reissues an access token from a refresh token, for the app
// it was issued to. With rotation (WithRefreshTokenRotation) the answer
// carries a new refresh token and the used one is void; without, the answer
// has none and the same refresh token serves again
// (https://developers.worksmobile.com/jp/docs/auth-jwt, "Access Token の再発行").
func (s *Server) grantRefresh(w http.ResponseWriter, r *http.Request, app *App) {
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	t := s.refresh[rt]
	if t != nil && s.rotateRefresh {
		delete(s.refresh, rt)
	}
	s.mu.Unlock()
	if t == nil || t.app != app || !s.now().Before(t.expires) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is invalid, expired or was rotated")
		return
	}
	s.issue(w, &issuedToken{app: app, scopes: t.scopes, userID: t.userID}, s.rotateRefresh)
}

// checkScopes reads space- or comma-separated scopes, as LINE WORKS seems
// to, and keeps those granted to the app. The auth pages (auth-scope,
// auth-jwt, auth-oauth) say a token reflects the scopes requested from among
// the app's, and say nothing of an error for others; so, as a peer SDK's
// documentation reports of the service, the token is issued for the granted
// ones, its "scope" lists them, and a call needing another answers 403.
// Only a request with no scope at all is refused (scope is required).
func (s *Server) checkScopes(raw string, app *App) ([]string, bool) {
	requested := strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' })
	if len(requested) == 0 {
		return nil, false
	}
	granted := []string{}
	for _, sc := range requested {
		if slices.Contains(app.Scopes, sc) && !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	return granted, true
}

// refreshLifetime is the documented 90 days of a refresh token.
const refreshLifetime = 90 * 24 * time.Hour

// issue answers with a new access token for t and, when withRefresh, a new
// refresh token that reissues tokens like t.
func (s *Server) issue(w http.ResponseWriter, t *issuedToken, withRefresh bool) {
	now := s.now()
	t.expires = now.Add(s.tokenLifetime)
	access := "fake1" + randomHex(16)
	secs := int64(s.tokenLifetime / time.Second)
	var expiresIn any = secs
	if s.expiresAsText {
		expiresIn = fmt.Sprint(secs)
	}
	body := map[string]any{
		"access_token": access,
		"scope":        strings.Join(t.scopes, " "),
		"token_type":   "Bearer",
		"expires_in":   expiresIn,
	}
	s.mu.Lock()
	s.tokens[access] = t
	if withRefresh {
		rt := "fake1r" + randomHex(16)
		s.refresh[rt] = &issuedToken{app: t.app, scopes: t.scopes, userID: t.userID, expires: now.Add(refreshLifetime)}
		body["refresh_token"] = rt
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// authorize checks the bearer token of an API request and returns what it
// was issued for, or answers 401/403 itself. Any of scopes grants access
// ("bot" implies every bot.* scope, as on the real service).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scopes ...string) (*issuedToken, bool) {
	h := r.Header.Get("Authorization")
	access, ok := strings.CutPrefix(h, "Bearer ")
	s.mu.Lock()
	t := s.tokens[access]
	s.mu.Unlock()
	if !ok || t == nil || !s.now().Before(t.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Authentication failed")
		return nil, false
	}
	if len(scopes) == 0 {
		return t, true
	}
	for _, want := range scopes {
		for _, have := range t.scopes {
			if have == want || (have == "bot" && strings.HasPrefix(want, "bot")) || (have == "user" && want == "user.read") || (have == "directory" && want == "directory.read") {
				return t, true
			}
		}
	}
	writeError(w, http.StatusForbidden, "FORBIDDEN", "the token lacks the scope "+strings.Join(scopes, " or "))
	return nil, false
}

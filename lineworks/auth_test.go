package lineworks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

func readKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/keys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTokenFromFakeAcceptsClaimsAndSignature(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot", "user.read")
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token = %+v, want a Bearer access token", tok)
	}
	if diff := cmp.Diff([]string{"bot", "user.read"}, lineworks.GrantedScopes(tok)); diff != "" {
		t.Errorf("GrantedScopes (-want +got):\n%s", diff)
	}
}

func TestTokenRejectedByFake(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	otherKey := readKey(t, "pkcs8.key") // not the key registered with the fake
	cases := []struct {
		name      string
		mutate    func(sa *lineworks.ServiceAccount)
		wantCause lineworks.TokenErrorCause
		wantField string
	}{
		{"wrong client secret", func(sa *lineworks.ServiceAccount) { sa.ClientSecret = "not-the-secret" }, lineworks.CauseClient, lineworks.FieldClientSecret},
		{"unknown client id", func(sa *lineworks.ServiceAccount) { sa.ClientID = "nobody" }, lineworks.CauseClient, lineworks.FieldClientSecret},
		{"wrong service account", func(sa *lineworks.ServiceAccount) { sa.ServiceAccountID = "other.serviceaccount@example.com" }, lineworks.CauseServiceAccount, lineworks.FieldPrivateKey},
		{"wrong key", func(sa *lineworks.ServiceAccount) { sa.PrivateKey = otherKey }, lineworks.CauseServiceAccount, lineworks.FieldPrivateKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sa := fake.NewServiceAccount("bot")
			secret := sa.ClientSecret
			tc.mutate(sa)
			ts, err := sa.TokenSource(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token()
			var te *lineworks.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *TokenError", err)
			}
			if te.Cause != tc.wantCause || te.Field() != tc.wantField {
				t.Errorf("cause %q field %q, want %q %q (err: %v)", te.Cause, te.Field(), tc.wantCause, tc.wantField, err)
			}
			if !errors.Is(err, lineworks.ErrUnauthorized) {
				t.Errorf("errors.Is(err, ErrUnauthorized) = false for %v", err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

// A scope the app was not granted does not fail the token request: the auth
// pages describe no such error, so the fake (like the service, as a peer
// SDK documents it) issues the token for the granted scopes, lists them in
// "scope", and the call that needs the missing one answers 403.
func TestScopeNotGrantedShowsOnTheAPICall(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.AddUser(lineworkstest.User{UserID: "u1", LastName: "山田"})
	sa := fake.NewServiceAccount("bot")
	sa.Scopes = []string{"bot", "user.read"}
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	if got := lineworks.GrantedScopes(tok); !slices.Equal(got, []string{"bot"}) {
		t.Errorf("granted scopes %q, want [bot]", got)
	}
	c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL), lineworks.WithRetryPolicy(lineworks.NoRetry))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Users.Get(context.Background(), "u1")
	var ae *lineworks.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden {
		t.Fatalf("Users.Get without user.read: %v, want a 403 APIError", err)
	}
}

func TestExpiresInStringOrNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []lineworkstest.ServerOption
	}{
		{"string", nil},
		{"number", []lineworkstest.ServerOption{lineworkstest.WithNumericExpiresIn()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := lineworkstest.NewServer(append(tc.opts, lineworkstest.WithTokenLifetime(86400*time.Second))...)
			defer fake.Close()
			ts, err := fake.NewServiceAccount().TokenSource(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			before := time.Now()
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Expiry.Sub(before); got < 86390*time.Second || got > 86410*time.Second {
				t.Errorf("expiry in %v, want about 86400s", got)
			}
		})
	}
}

// TestTokenRequestShape checks the form and the JWT claims byte for byte
// against an httpmock responder on an injected client.
func TestTokenRequestShape(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	key := readKey(t, "pkcs8.key")
	parsed, err := lineworks.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	var gotForm url.Values
	var gotClaims jwt.MapClaims
	var gotAlg string
	mt.RegisterResponder(http.MethodPost, "https://auth.example.test/token", func(r *http.Request) (*http.Response, error) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", ct)
		}
		_ = r.ParseForm()
		gotForm = r.PostForm
		tok, err := jwt.Parse(r.PostForm.Get("assertion"), func(t *jwt.Token) (any, error) { return &parsed.PublicKey, nil },
			jwt.WithTimeFunc(func() time.Time { return now }))
		if err != nil {
			t.Errorf("assertion does not verify: %v", err)
			return httpmock.NewStringResponse(400, `{"error":"invalid_grant"}`), nil
		}
		gotAlg = tok.Method.Alg()
		gotClaims = tok.Claims.(jwt.MapClaims)
		return httpmock.NewStringResponse(200, `{"access_token":"jp1AAAA","scope":"bot user.read","token_type":"Bearer","expires_in":3600}`), nil
	})
	sa := &lineworks.ServiceAccount{
		ClientID: "FRFzmahSt6vPPCsmU4hO", ClientSecret: "XXXXXXXXXX", ServiceAccountID: "t1vk1.serviceaccount@example.com",
		PrivateKey: key, Scopes: []string{"bot", "user.read"}, TokenURL: "https://auth.example.test/token",
		HTTPClient: &http.Client{Transport: mt}, Now: func() time.Time { return now },
	}
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(now.Add(time.Hour)) {
		t.Errorf("expiry %v, want %v", tok.Expiry, now.Add(time.Hour))
	}
	wantForm := url.Values{
		"grant_type":    {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"client_id":     {"FRFzmahSt6vPPCsmU4hO"},
		"client_secret": {"XXXXXXXXXX"},
		"scope":         {"bot user.read"},
	}
	delete(gotForm, "assertion")
	if diff := cmp.Diff(wantForm, gotForm); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
	if gotAlg != "RS256" {
		t.Errorf("alg = %q, want RS256", gotAlg)
	}
	iat, exp := gotClaims["iat"].(float64), gotClaims["exp"].(float64)
	if gotClaims["iss"] != "FRFzmahSt6vPPCsmU4hO" || gotClaims["sub"] != "t1vk1.serviceaccount@example.com" || iat != 1700000000 {
		t.Errorf("claims = %v", gotClaims)
	}
	if exp <= iat || exp-iat > 3600 {
		t.Errorf("exp-iat = %v, want in (0, 3600]", exp-iat)
	}
}

func TestTokenSharedAcrossGoroutines(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	ts, err := fake.NewServiceAccount().TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	start := make(chan struct{})
	for range 64 {
		wg.Go(func() {
			<-start
			for range 1000 {
				if _, err := ts.Token(); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d Token calls failed", failures.Load())
	}
	if got := fake.TokenRequests(); got != 1 {
		t.Errorf("token requests at the fake = %d, want exactly 1", got)
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestTokenRenewedOnceAtExpiry(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	fake := lineworkstest.NewServer(lineworkstest.WithTokenLifetime(time.Hour), lineworkstest.WithClock(clk.Now))
	defer fake.Close()
	sa := fake.NewServiceAccount()
	sa.Now = clk.Now
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(50 * time.Minute) // still 10 minutes to go: cached
	if tok, _ := ts.Token(); tok.AccessToken != first.AccessToken || fake.TokenRequests() != 1 {
		t.Fatalf("token renewed too early (requests %d)", fake.TokenRequests())
	}
	clk.Advance(6 * time.Minute) // within the 5-minute margin: renew
	var wg sync.WaitGroup
	tokens := make(chan string, 32)
	for range 32 {
		wg.Go(func() {
			tok, err := ts.Token()
			if err != nil {
				t.Error(err)
				return
			}
			tokens <- tok.AccessToken
		})
	}
	wg.Wait()
	close(tokens)
	for tok := range tokens {
		if tok == first.AccessToken {
			t.Error("a caller got the expiring token")
		}
	}
	if got := fake.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2 (one renewal)", got)
	}
}

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	pkcs8 := readKey(t, "pkcs8.key")
	crlf := strings.ReplaceAll(string(pkcs8), "\n", "\r\n")
	cases := []struct {
		name string
		in   []byte
		want error // nil: parses
	}{
		{"pkcs8", pkcs8, nil},
		{"pkcs1", readKey(t, "pkcs1.key"), nil},
		{"bom crlf and blank space", []byte("\ufeff  \r\n" + crlf + "\r\n\t "), nil},
		{"full-width space and zero-width space", []byte("\u3000" + strings.Replace(string(pkcs8), "\n", "\u200b\n", 3) + "\u3000"), nil},
		{"literal backslash-n from an env var", []byte(strings.ReplaceAll(string(pkcs8), "\n", `\n`)), nil},
		{"indented", []byte("    " + strings.ReplaceAll(string(pkcs8), "\n", "\n    ")), nil},
		{"empty", nil, lineworks.ErrKeyEmpty},
		{"blank", []byte(" \r\n\u3000\ufeff"), lineworks.ErrKeyEmpty},
		{"no pem block", []byte("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), lineworks.ErrKeyNoPEM},
		{"encrypted pkcs8", readKey(t, "encrypted.key"), lineworks.ErrKeyEncrypted},
		{"encrypted legacy pkcs1", readKey(t, "encrypted-pkcs1.key"), lineworks.ErrKeyEncrypted},
		{"ec key", readKey(t, "ec.key"), lineworks.ErrKeyNotRSA},
		{"ed25519 key", readKey(t, "ed25519.key"), lineworks.ErrKeyNotRSA},
		{"public key", readKey(t, "public.pem"), lineworks.ErrKeyNotPrivate},
		{"certificate", readKey(t, "cert.pem"), lineworks.ErrKeyNotPrivate},
		{"truncated", pkcs8[:len(pkcs8)/2], lineworks.ErrKeyUnparseable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := lineworks.ParsePrivateKey(tc.in)
			if tc.want == nil {
				if err != nil || k == nil {
					t.Fatalf("ParsePrivateKey: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "MII") {
				t.Errorf("error contains key material: %v", err)
			}
		})
	}
	// Distinct errors: each case's sentinel is matched by nothing else.
	all := []error{lineworks.ErrKeyEmpty, lineworks.ErrKeyNoPEM, lineworks.ErrKeyEncrypted, lineworks.ErrKeyNotRSA, lineworks.ErrKeyNotPrivate, lineworks.ErrKeyUnparseable}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}

func TestTrimCredential(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		changed  bool
	}{
		{"FRFzmahSt6vPPCsmU4hO", "FRFzmahSt6vPPCsmU4hO", false},
		{" FRFzmahSt6vPPCsmU4hO\n", "FRFzmahSt6vPPCsmU4hO", true},
		{"\u3000secret\u3000", "secret", true},
		{"sec\u200bret", "secret", true},
		{"\ufeffsecret", "secret", true},
		{"\t\u2060sa.serviceaccount@example.com\u200d\r\n", "sa.serviceaccount@example.com", true},
		{"", "", false},
	}
	for _, tc := range cases {
		got, changed := lineworks.TrimCredential(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("TrimCredential(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
}

func TestSanitizeReportsChangedFields(t *testing.T) {
	t.Parallel()
	key := readKey(t, "pkcs8.key")
	sa := &lineworks.ServiceAccount{
		ClientID:         "client\u3000",
		ClientSecret:     "secret",
		ServiceAccountID: "\u200bsa.serviceaccount@example.com",
		PrivateKey:       append([]byte("\ufeff"), key...),
		Scopes:           []string{"bot\u3000user.read\u200b"},
	}
	changed := sa.Sanitize()
	want := []string{"clientId", "serviceAccount", "privateKey", "scopes"}
	if diff := cmp.Diff(want, changed); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bot", "user.read"}, sa.Scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if err := sa.Validate(); err != nil {
		t.Errorf("Validate after Sanitize: %v", err)
	}
	if again := sa.Sanitize(); len(again) != 0 {
		t.Errorf("second Sanitize changed %v", again)
	}
}

// Values that are fine as they are must not be reported: scopes separated by
// spaces or commas, and a key file with CRLF line endings and a final
// newline. They are normalised all the same.
func TestSanitizeIsQuietAboutFineValues(t *testing.T) {
	t.Parallel()
	key := readKey(t, "pkcs8.key")
	crlf := []byte(strings.ReplaceAll(strings.TrimSpace(string(key)), "\n", "\r\n") + "\r\n")
	for _, scopes := range [][]string{{"bot user.read"}, {"bot,user.read"}, {"bot", "user.read"}, {" bot , user.read "}} {
		sa := &lineworks.ServiceAccount{ClientID: "id", ClientSecret: "secret", ServiceAccountID: "a.serviceaccount@example.com", PrivateKey: crlf, Scopes: scopes}
		if changed := sa.Sanitize(); len(changed) != 0 {
			t.Errorf("scopes %q, CRLF key: Sanitize reported %v", scopes, changed)
		}
		if diff := cmp.Diff([]string{"bot", "user.read"}, sa.Scopes); diff != "" {
			t.Errorf("scopes %q (-want +got):\n%s", scopes, diff)
		}
		if strings.Contains(string(sa.PrivateKey), "\r") {
			t.Errorf("scopes %q: key still has CR", scopes)
		}
		if err := sa.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	}
}

func TestTokenErrorNamesBothCandidates(t *testing.T) {
	t.Parallel()
	for cause, want := range map[lineworks.TokenErrorCause][]string{
		lineworks.CauseClient:         {"clientId", "clientSecret"},
		lineworks.CauseServiceAccount: {"serviceAccount", "privateKey"},
		lineworks.CauseScope:          {"scopes"},
		lineworks.CauseNetwork:        nil,
	} {
		if diff := cmp.Diff(want, (&lineworks.TokenError{Cause: cause}).Fields()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", cause, diff)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	key := readKey(t, "pkcs8.key")
	good := func() *lineworks.ServiceAccount {
		return &lineworks.ServiceAccount{ClientID: "id", ClientSecret: "topsecretvalue", ServiceAccountID: "a.serviceaccount@example.com", PrivateKey: key}
	}
	cases := []struct {
		name   string
		mutate func(*lineworks.ServiceAccount)
		field  string
	}{
		{"no client id", func(s *lineworks.ServiceAccount) { s.ClientID = "" }, "clientId"},
		{"space in secret", func(s *lineworks.ServiceAccount) { s.ClientSecret = "topsecretvalue\u3000" }, "clientSecret"},
		{"client id as service account", func(s *lineworks.ServiceAccount) { s.ServiceAccountID = "FRFzmahSt6vPPCsmU4hO" }, "serviceAccount"},
		{"public key as private key", func(s *lineworks.ServiceAccount) { s.PrivateKey = readKey(t, "public.pem") }, "privateKey"},
		{"scope with space", func(s *lineworks.ServiceAccount) { s.Scopes = []string{"bot user.read"} }, "scopes"},
	}
	for _, tc := range cases {
		sa := good()
		tc.mutate(sa)
		err := sa.Validate()
		var ce *lineworks.CredentialError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: err = %v, want CredentialError for %s", tc.name, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), "topsecretvalue") {
			t.Errorf("%s: error echoes the secret: %v", tc.name, err)
		}
		if _, err := sa.TokenSource(context.Background()); err == nil {
			t.Errorf("%s: TokenSource accepted invalid credentials", tc.name)
		}
	}
	if !errors.Is(func() error { s := good(); s.PrivateKey = readKey(t, "encrypted.key"); return s.Validate() }(), lineworks.ErrKeyEncrypted) {
		t.Error("Validate does not wrap the key error")
	}
}

func TestUserAuthFlow(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.SetSignInUser("admin-user-1")
	sa := fake.NewServiceAccount("bot", "user.read")
	cfg := &oauth2.Config{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, RedirectURL: "http://127.0.0.1/auth/callback/lineworks",
		Scopes:   []string{"user.read"},
		Endpoint: oauth2.Endpoint{AuthURL: fake.AuthURL, TokenURL: fake.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	ua := lineworks.UserAuth{Config: cfg}
	authURL, state, err := ua.AuthCodeURL()
	if err != nil || len(state) < 20 {
		t.Fatalf("AuthCodeURL: %q %v", state, err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	redirect := &http.Request{URL: loc}
	if _, err := ua.Exchange(context.Background(), redirect, "forged-state"); !errors.Is(err, lineworks.ErrStateMismatch) {
		t.Errorf("wrong state: err = %v, want ErrStateMismatch", err)
	}
	tok, err := ua.Exchange(context.Background(), redirect, state)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if user, ok := fake.TokenUser(tok.AccessToken); !ok || user != "admin-user-1" {
		t.Errorf("token user = %q, %v", user, ok)
	}
	if _, err := ua.Exchange(context.Background(), redirect, state); err == nil {
		t.Error("a code was accepted twice")
	}
}

// TestUserAuthSignInWithFake walks "Sign in with LINE WORKS" against the
// fake over loopback, as a browser and an app server would: the browser
// follows the authorize redirect to the app's redirect URL, the app
// exchanges the code (authorization_code grant) and asks GET /users/me who
// signed in. Every new fake answers its seeded administrator, with the
// domain the app then registers its bot to.
func TestUserAuthSignInWithFake(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot", "user.read")
	type result struct {
		me  *lineworks.User
		err error
	}
	results := make(chan result, 1)
	var ua lineworks.UserAuth
	var state string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := ua.Exchange(r.Context(), r, state)
		if err != nil {
			results <- result{err: err}
			return
		}
		client, err := lineworks.NewClient(ua.Config.TokenSource(r.Context(), tok), lineworks.WithBaseURL(fake.APIURL))
		if err != nil {
			results <- result{err: err}
			return
		}
		me, err := client.Users.Get(r.Context(), "me")
		results <- result{me, err}
	}))
	defer app.Close()
	ua = lineworks.UserAuth{Config: &oauth2.Config{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, RedirectURL: app.URL + "/auth/callback/lineworks",
		Scopes:   []string{"user.read"},
		Endpoint: oauth2.Endpoint{AuthURL: fake.AuthURL, TokenURL: fake.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}}
	authURL, st, err := ua.AuthCodeURL()
	if err != nil {
		t.Fatal(err)
	}
	state = st
	resp, err := http.Get(authURL) // follows the 302 to the app
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := <-results
	if r.err != nil {
		t.Fatalf("sign-in: %v", r.err)
	}
	want := lineworks.User{DomainID: lineworkstest.DefaultDomainID, UserID: lineworkstest.AdminUserID, Email: lineworkstest.AdminEmail,
		UserName: lineworks.UserName{LastName: "管理", FirstName: "太郎"}, IsAdministrator: true}
	got := *r.me
	got.I18nNames, got.Organizations = nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /users/me (-want +got):\n%s", diff)
	}
	if u, ok := fake.SignInUser(); !ok || u.UserID != r.me.UserID {
		t.Errorf("SignInUser = %+v, %v; want the user /users/me answered", u, ok)
	}
}

// TestUserAuthMeIsTheSignInUser checks that SetSignInUser still picks who
// signs in, and that /users/me answers 404 for a user nobody seeded.
func TestUserAuthMeIsTheSignInUser(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.AddUser(lineworkstest.User{UserID: "u-suzuki", LastName: "鈴木", FirstName: "花子"})
	sa := fake.NewServiceAccount("bot", "user.read")
	cfg := &oauth2.Config{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, RedirectURL: "http://127.0.0.1/cb", Scopes: []string{"user.read"},
		Endpoint: oauth2.Endpoint{AuthURL: fake.AuthURL, TokenURL: fake.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	me := func() (*lineworks.User, error) {
		ua := lineworks.UserAuth{Config: cfg}
		authURL, state, err := ua.AuthCodeURL()
		if err != nil {
			t.Fatal(err)
		}
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		tok, err := ua.Exchange(context.Background(), &http.Request{URL: loc}, state)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := lineworks.NewClient(cfg.TokenSource(context.Background(), tok), lineworks.WithBaseURL(fake.APIURL))
		return c.Users.Get(context.Background(), "me")
	}
	fake.SetSignInUser("u-suzuki")
	if u, err := me(); err != nil || u.DisplayName() != "鈴木 花子" || u.DomainID != lineworkstest.DefaultDomainID {
		t.Errorf("me = %+v, %v", u, err)
	}
	fake.SetSignInUser("nobody")
	if _, err := me(); !errors.Is(err, lineworks.ErrNotFound) {
		t.Errorf("unseeded sign-in user: %v, want ErrNotFound", err)
	}
	if u, ok := fake.SignInUser(); ok || u.UserID != "nobody" {
		t.Errorf("SignInUser = %+v, %v", u, ok)
	}
}

func TestEndpointIsLineWorks(t *testing.T) {
	if lineworks.Endpoint.TokenURL != "https://auth.worksmobile.com/oauth2/v2.0/token" || lineworks.Endpoint.AuthStyle != oauth2.AuthStyleInParams {
		t.Errorf("Endpoint = %+v", lineworks.Endpoint)
	}
}

func BenchmarkTokenSourceParallel(b *testing.B) {
	fake := lineworkstest.NewServer()
	defer fake.Close()
	ts, err := fake.NewServiceAccount().TokenSource(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ts.Token(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ts.Token(); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(fake.TokenRequests()), "token-requests")
}

// TestWaitingForATokenEndsWithTheContext: while one slow token request is
// under way, a caller whose context ends stops waiting at once; the request
// still completes for everyone else.
func TestWaitingForATokenEndsWithTheContext(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.InjectFault(lineworkstest.TokenRoute, 1, lineworkstest.Fault{Delay: 500 * time.Millisecond})
	sa := fake.NewServiceAccount("bot")
	// The transport reports when the token request is on its way, instead of
	// the test sleeping and hoping the first send got that far.
	requested := make(chan struct{})
	var once sync.Once
	sa.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		once.Do(func() { close(requested) })
		return http.DefaultTransport.RoundTrip(r)
	})}
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() { slow <- c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "first"}) }()
	<-requested // the first send now holds the token request
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = c.Bots.SendToChannel(ctx, 1, "room", lineworks.Text{Text: "impatient"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient caller: err = %v, want DeadlineExceeded", err)
	}
	if ctx.Err() == nil {
		t.Error("the impatient caller returned before its context ended")
	}
	if err := <-slow; err != nil {
		t.Fatalf("first send: %v", err)
	}
	if got := fake.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
	if got := len(fake.Messages()); got != 1 {
		t.Errorf("messages = %d, want only the first", got)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestUserAuthExchangeStateBeforeError: an error redirect that does not
// carry this sign-in's state is a forgery (a crafted link that would cancel
// an admin's sign-in and show its text); it is refused as a state mismatch
// before its error is read. With the right state, the error is the provider's.
func TestUserAuthExchangeStateBeforeError(t *testing.T) {
	ua := lineworks.UserAuth{Config: &oauth2.Config{ClientID: "c", ClientSecret: "s"}}
	forged := &http.Request{URL: &url.URL{RawQuery: url.Values{"error": {"access_denied"}, "error_description": {"Your account is locked; call +1 555"}, "state": {"guess"}}.Encode()}}
	if _, err := ua.Exchange(context.Background(), forged, "the-real-state"); !errors.Is(err, lineworks.ErrStateMismatch) {
		t.Errorf("forged error redirect: err = %v, want ErrStateMismatch", err)
	}
	stateless := &http.Request{URL: &url.URL{RawQuery: "error=access_denied"}}
	if _, err := ua.Exchange(context.Background(), stateless, "the-real-state"); !errors.Is(err, lineworks.ErrStateMismatch) {
		t.Errorf("error redirect without state: err = %v, want ErrStateMismatch", err)
	}
	real := &http.Request{URL: &url.URL{RawQuery: "error=access_denied&state=the-real-state"}}
	var te *lineworks.TokenError
	if _, err := ua.Exchange(context.Background(), real, "the-real-state"); !errors.As(err, &te) || te.ErrorCode != "access_denied" {
		t.Errorf("provider error with the right state: err = %v, want a TokenError access_denied", err)
	}
}

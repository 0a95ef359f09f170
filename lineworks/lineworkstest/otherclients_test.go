package lineworkstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// These tests talk to the fake the way other people's LINE WORKS clients do:
// plain net/http, hand-built form bodies, their own JWT signing; nothing of
// package lineworks on the wire. A client that works against the real
// service must work against the fake.

// assertion signs the service-account JWT the way the vendor's samples do.
func assertion(t *testing.T, sa *lineworks.ServiceAccount) string {
	t.Helper()
	key, err := jwt.ParseRSAPrivateKeyFromPEM(sa.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": sa.ClientID, "sub": sa.ServiceAccountID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// postForm posts a raw form body, so tests control its exact bytes.
func postForm(t *testing.T, c *http.Client, tokenURL, body string) (int, map[string]any) {
	t.Helper()
	resp, err := c.Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("token answer is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

func jwtForm(t *testing.T, sa *lineworks.ServiceAccount, scope string) url.Values {
	return url.Values{
		"assertion":     {assertion(t, sa)},
		"grant_type":    {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"client_id":     {sa.ClientID},
		"client_secret": {sa.ClientSecret},
		"scope":         {scope},
	}
}

func TestOtherClientDoubleEncodedGrantType(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	sa := fake.NewServiceAccount("bot")
	form := jwtForm(t, sa, "bot")
	// The vendor's Python sample percent-encodes grant_type before handing
	// the form to an encoder that encodes it again.
	form.Set("grant_type", url.QueryEscape("urn:ietf:params:oauth:grant-type:jwt-bearer"))
	body := form.Encode()
	if !strings.Contains(body, "urn%253Aietf") {
		t.Fatalf("body is not double-encoded: %s", body)
	}
	status, out := postForm(t, http.DefaultClient, fake.TokenURL, body)
	if status != http.StatusOK || out["access_token"] == nil {
		t.Fatalf("status %d %v, want a token", status, out)
	}
}

func TestOtherClientScopeNotGranted(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.AddUser(lineworkstest.User{UserID: "u1", LastName: "山田"})
	sa := fake.NewServiceAccount("bot")
	status, out := postForm(t, http.DefaultClient, fake.TokenURL, jwtForm(t, sa, "bot user.read").Encode())
	if status != http.StatusOK || out["scope"] != "bot" {
		t.Fatalf("status %d %v, want 200 with scope \"bot\"", status, out)
	}
	req, _ := http.NewRequest(http.MethodGet, fake.APIURL+"users/u1", nil)
	req.Header.Set("Authorization", "Bearer "+out["access_token"].(string))
	code, body := doJSON(t, http.DefaultClient, req)
	if code != http.StatusForbidden || body["code"] != "FORBIDDEN" {
		t.Errorf("GET /users/u1 without user.read: %d %v, want 403 FORBIDDEN", code, body)
	}
}

func TestOtherClientRefreshGrant(t *testing.T) {
	t.Parallel()
	for _, rotation := range []bool{false, true} {
		var opts []lineworkstest.ServerOption
		if rotation {
			opts = append(opts, lineworkstest.WithRefreshTokenRotation())
		}
		fake := lineworkstest.NewServer(opts...)
		defer fake.Close()
		sa := fake.NewServiceAccount("bot")
		_, first := postForm(t, http.DefaultClient, fake.TokenURL, jwtForm(t, sa, "bot").Encode())
		rt, _ := first["refresh_token"].(string)
		if rt == "" {
			t.Fatalf("JWT grant gave no refresh_token: %v", first)
		}
		refresh := func(rt string) (int, map[string]any) {
			return postForm(t, http.DefaultClient, fake.TokenURL, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {rt},
				"client_id": {sa.ClientID}, "client_secret": {sa.ClientSecret},
			}.Encode())
		}
		status, out := refresh(rt)
		if status != http.StatusOK || out["access_token"] == nil || out["scope"] != "bot" {
			t.Fatalf("rotation %v: refresh: %d %v", rotation, status, out)
		}
		newRT, hasRT := out["refresh_token"].(string)
		again, againOut := refresh(rt)
		if !rotation {
			if hasRT {
				t.Errorf("without rotation the answer has a refresh_token: %v", out)
			}
			if again != http.StatusOK {
				t.Errorf("without rotation the refresh token stopped working: %d %v", again, againOut)
			}
			continue
		}
		if !hasRT || newRT == rt {
			t.Errorf("with rotation the answer has no new refresh_token: %v", out)
		}
		if again != http.StatusBadRequest || againOut["error"] != "invalid_grant" {
			t.Errorf("with rotation the used refresh token still works: %d %v", again, againOut)
		}
		if s, o := refresh(newRT); s != http.StatusOK {
			t.Errorf("the rotated refresh token does not work: %d %v", s, o)
		}
	}
}

func TestOtherClientTLSWithCAFile(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer(lineworkstest.WithTLS())
	defer fake.Close()
	if !strings.HasPrefix(fake.TokenURL, "https://") {
		t.Fatalf("TokenURL %q is not https", fake.TokenURL)
	}
	// What a user does with the CA file the CLI prints: load it as the trust
	// store (SSL_CERT_FILE for Go, Ruby and Python alike).
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, fake.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	sa := fake.NewServiceAccount("bot")
	if status, out := postForm(t, c, fake.TokenURL, jwtForm(t, sa, "bot").Encode()); status != http.StatusOK {
		t.Fatalf("token over https: %d %v", status, out)
	}
	// Under the name "localhost" too, which is what people type.
	u := strings.Replace(fake.TokenURL, "127.0.0.1", "localhost", 1)
	if status, out := postForm(t, c, u, jwtForm(t, sa, "bot").Encode()); status != http.StatusOK {
		t.Fatalf("token over https://localhost: %d %v", status, out)
	}
	// A client without the CA must refuse the certificate.
	if _, err := http.DefaultClient.Get(fake.URL + "/v1.0/bots"); err == nil {
		t.Error("a client without the CA accepted the certificate")
	}
}

func doJSON(t *testing.T, c *http.Client, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", req.Method, req.URL.Path, data)
	}
	return resp.StatusCode, out
}

func TestOtherClientUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1.0/no/such/route"},
		{"GET", "/"},
		{"POST", "/v1.0/bots/1/unknown"},
		{"DELETE", "/oauth2/v2.0/token"}, // known path, other method
	} {
		req, _ := http.NewRequest(tc.method, fake.URL+tc.path, nil)
		status, body := doJSON(t, http.DefaultClient, req)
		if status != http.StatusNotFound || body["code"] != "NOT_FOUND" || body["description"] == "" {
			t.Errorf("%s %s: %d %v, want 404 with code and description", tc.method, tc.path, status, body)
		}
	}
}

func TestOtherClientUserListPaging(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	defer fake.Close()
	for _, id := range []string{"u1", "u2", "u3"} {
		fake.AddUser(lineworkstest.User{UserID: id})
	}
	sa := fake.NewServiceAccount("user.read")
	_, tok := postForm(t, http.DefaultClient, fake.TokenURL, jwtForm(t, sa, "user.read").Encode())
	var ids []string
	cursor := ""
	for range 10 {
		q := url.Values{"count": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest(http.MethodGet, fake.APIURL+"users?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
		status, page := doJSON(t, http.DefaultClient, req)
		if status != http.StatusOK {
			t.Fatalf("GET /users: %d %v", status, page)
		}
		for _, u := range page["users"].([]any) {
			ids = append(ids, u.(map[string]any)["userId"].(string))
		}
		meta, _ := page["responseMetaData"].(map[string]any)
		cursor, _ = meta["nextCursor"].(string)
		if cursor == "" {
			break
		}
	}
	// The seeded administrator comes first, then the users in seeding order.
	if want := []string{lineworkstest.AdminUserID, "u1", "u2", "u3"}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("paged through %v, want %v", ids, want)
	}
}

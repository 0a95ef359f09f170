package httpserver

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

const testAdminToken = "admin-token-for-tests-0123456789"

// apiHarness serves the API over a memory store, talking to a fake LINE
// WORKS; the notification engine is not running, so check-ins only queue.
type apiHarness struct {
	t     *testing.T
	srv   *httptest.Server
	store reception.Store
	fake  *lineworkstest.Server
	logs  *servertest.Buffer
}

func newAPIHarness(t *testing.T) *apiHarness {
	t.Helper()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	store := memstore.New(servertest.SecretBox(t))
	logs := &servertest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	a := testApp(t, store, fake, log)
	a.PublicURL = "https://uketsuke.example.test"
	mux := http.NewServeMux()
	(&api{app: a, adminToken: []byte(testAdminToken), log: log}).register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiHarness{t: t, srv: srv, store: store, fake: fake, logs: logs}
}

// testApp is the use cases over store, with the notification engine (not
// running) and LINE WORKS requests going to fake.
func testApp(t *testing.T, store reception.Store, fake *lineworkstest.Server, log *slog.Logger) *app.App {
	t.Helper()
	svc, err := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL}, notify.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	return &app.App{Store: store, Notify: svc, Log: log, HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: time.Now, Loc: time.UTC,
		LineWorks: app.Endpoints{API: fake.APIURL, Token: fake.TokenURL, Authorize: fake.URL + "/oauth2/v2.0/authorize"}}
}

// do sends a request; body may be a string (sent as is) or a value (JSON).
func (h *apiHarness) do(method, path, token string, body any, header ...string) (int, []byte, http.Header) {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+APIPrefix+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// must sends a request and fails unless it answers want; it decodes the
// answer into out when given.
func (h *apiHarness) must(want int, method, path string, body, out any) {
	h.t.Helper()
	got, data, _ := h.do(method, path, testAdminToken, body)
	if got != want {
		h.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// setup creates organization acme with a staff member and a button.
func (h *apiHarness) setup() (kiosk string) {
	h.t.Helper()
	var org OrgJSON
	h.must(http.StatusCreated, "PUT", "/orgs/acme", map[string]string{"name": "ACME", "locale": "ja"}, &org)
	if len(org.KioskToken) < 16 {
		h.t.Fatalf("kiosk token %q", org.KioskToken)
	}
	h.must(http.StatusCreated, "POST", "/orgs/acme/staff", map[string]any{"id": "yamada", "name": "山田 太郎", "userId": "user-yamada"}, nil)
	h.must(http.StatusCreated, "PUT", "/orgs/acme/buttons/sales", map[string]any{"label": "営業部", "rooms": []string{"room-1"}, "staff": []string{"yamada"},
		"reminder": map[string]any{"after": "5m", "mentionAll": true, "max": 2}}, nil)
	return org.KioskToken
}

type errBody struct {
	Error  string      `json:"error"`
	Field  string      `json:"field"`
	Fields []fieldJSON `json:"fields"`
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	kiosk := h.setup()
	h.must(http.StatusCreated, "PUT", "/orgs/other", map[string]string{"name": "Other"}, nil)
	var other OrgJSON
	h.must(http.StatusOK, "GET", "/orgs/other", nil, &other)
	checkin := map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "佐藤 花子"}}
	tests := []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"missing token", "GET", "/orgs/acme/buttons", "", nil, http.StatusUnauthorized},
		{"wrong token", "GET", "/orgs/acme/buttons", "wrong-token-0123456789", nil, http.StatusUnauthorized},
		{"admin token", "GET", "/orgs/acme/buttons", testAdminToken, nil, http.StatusOK},
		{"admin token with a suffix", "GET", "/orgs/acme/buttons", testAdminToken + "x", nil, http.StatusUnauthorized},
		{"kiosk token on admin API", "GET", "/orgs/acme/buttons", kiosk, nil, http.StatusUnauthorized},
		{"kiosk token cannot change the organization", "PUT", "/orgs/acme", kiosk, map[string]string{"name": "x"}, http.StatusUnauthorized},
		{"kiosk token checks in", "POST", "/orgs/acme/checkins", kiosk, checkin, http.StatusCreated},
		{"admin token checks in", "POST", "/orgs/acme/checkins", testAdminToken, checkin, http.StatusCreated},
		{"another organization's kiosk token", "POST", "/orgs/acme/checkins", other.KioskToken, checkin, http.StatusUnauthorized},
		{"kiosk token of a missing organization", "POST", "/orgs/nope/checkins", kiosk, checkin, http.StatusUnauthorized},
		{"no token for check-in", "POST", "/orgs/acme/checkins", "", checkin, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, data, hdr := h.do(tt.method, tt.path, tt.token, tt.body)
			if got != tt.want {
				t.Fatalf("%s %s = %d, want %d: %s", tt.method, tt.path, got, tt.want, data)
			}
			if got == http.StatusUnauthorized {
				if hdr.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				var e errBody
				if err := json.Unmarshal(data, &e); err != nil || e.Error == "" {
					t.Errorf("401 body %s is not a JSON error", data)
				}
			}
		})
	}
}

func TestAPIValidation(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantField          string
	}{
		{"org without name", "PUT", "/orgs/beta", map[string]string{"name": " "}, 400, "name"},
		{"org with a bad ID", "PUT", "/orgs/bad%20id", map[string]string{"name": "x"}, 400, "org"},
		{"unknown field", "PUT", "/orgs/acme", map[string]string{"name": "x", "nmae": "y"}, 400, "nmae"},
		{"wrong type", "POST", "/orgs/acme/checkins", `{"buttonId":"sales","visitor":{"name":"x","count":"two"}}`, 400, "visitor.count"},
		{"not JSON", "PUT", "/orgs/acme", `{"name":`, 400, ""},
		{"empty body", "PUT", "/orgs/acme", ``, 400, ""},
		{"array body", "PUT", "/orgs/acme", `["x"]`, 400, ""},
		{"trailing data", "PUT", "/orgs/acme", `{"name":"x"} {}`, 400, ""},
		{"label too long", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": strings.Repeat("長", 21)}, 400, "label"},
		{"label missing", "POST", "/orgs/acme/buttons", map[string]any{"rooms": []string{"r"}}, 400, "label"},
		{"bad reminder", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "reminder": map[string]any{"after": "5 minutes"}}, 400, "reminder.after"},
		{"reminder too often", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "reminder": map[string]any{"after": "10s"}}, 400, "reminder.after"},
		{"template that does not parse", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "template": "{{.Visitor"}, 400, "template"},
		{"template with an unknown field", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "template": "{{.Visitorr}} さん"}, 400, "template"},
		{"reminder max", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "reminder": map[string]any{"after": "5m", "max": 11}}, 400, "reminder.max"},
		{"empty room", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "rooms": []string{"r1", " "}}, 400, "rooms[1]"},
		{"unknown staff", "PUT", "/orgs/acme/buttons/b1", map[string]any{"label": "x", "staff": []string{"nobody"}}, 400, "staff[0]"},
		{"id differs from URL", "PUT", "/orgs/acme/buttons/b1", map[string]any{"id": "b2", "label": "x"}, 400, "id"},
		{"duplicate button", "POST", "/orgs/acme/buttons", map[string]any{"id": "sales", "label": "x"}, 409, "id"},
		{"staff without user", "POST", "/orgs/acme/staff", map[string]any{"name": "x"}, 400, "userId"},
		{"staff without name", "POST", "/orgs/acme/staff", map[string]any{"userId": "u"}, 400, "name"},
		{"check-in without button", "POST", "/orgs/acme/checkins", map[string]any{"visitor": map[string]any{"name": "x"}}, 400, "buttonId"},
		{"check-in with a missing button", "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "nope", "visitor": map[string]any{"name": "x"}}, 400, "buttonId"},
		{"check-in with negative count", "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "x", "count": -1}}, 400, "visitor.count"},
		{"check-in with a name too long", "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": strings.Repeat("名", 101)}}, 400, "visitor.name"},
		{"check-in with unknown staff", "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "sales", "staffId": "x", "visitor": map[string]any{"name": "x"}}, 400, "staffId"},
		{"bad visit status", "GET", "/orgs/acme/visits?status=lost", nil, 400, "status"},
		{"bad visit date", "GET", "/orgs/acme/visits?date=2024-13-01", nil, 400, "date"},
		{"missing organization", "GET", "/orgs/nope/buttons", nil, 404, "org"},
		{"missing button", "GET", "/orgs/acme/buttons/nope", nil, 404, ""},
		{"unknown endpoint", "GET", "/nope", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, data, _ := h.do(tt.method, tt.path, testAdminToken, tt.body)
			if got != tt.wantStatus {
				t.Fatalf("%s %s = %d, want %d: %s", tt.method, tt.path, got, tt.wantStatus, data)
			}
			var e errBody
			if err := json.Unmarshal(data, &e); err != nil || e.Error == "" {
				t.Fatalf("body %s is not a JSON error: %v", data, err)
			}
			if e.Field != tt.wantField {
				t.Errorf("field = %q, want %q (error %q)", e.Field, tt.wantField, e.Error)
			}
		})
	}
}

func TestAPIBodyLimit(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	big := `{"name":"` + strings.Repeat("x", maxAPIBody+1) + `"}`
	for _, path := range []string{"/orgs/acme", "/orgs/acme/lineworks"} {
		got, data, _ := h.do("PUT", path, testAdminToken, big)
		if got != http.StatusRequestEntityTooLarge {
			t.Errorf("PUT %s with %d bytes = %d, want 413: %s", path, len(big), got, data)
		}
	}
}

func TestAPIButtonsRoundTrip(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	var got app.ButtonInput
	h.must(http.StatusOK, "GET", "/orgs/acme/buttons/sales", nil, &got)
	enabled := true
	want := app.ButtonInput{ID: "sales", Label: "営業部", Enabled: &enabled, Rooms: []string{"room-1"}, Staff: []string{"yamada"},
		Reminder: &app.ReminderInput{After: "5m", MentionAll: true, Max: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("button (-want +got):\n%s", diff)
	}
	var created app.ButtonInput
	h.must(http.StatusCreated, "POST", "/orgs/acme/buttons", map[string]any{"label": "配達", "enabled": false, "order": 3, "labels": map[string]string{"en": "Deliveries"}}, &created)
	if created.ID == "" || *created.Enabled || created.Labels["en"] != "Deliveries" {
		t.Errorf("created = %+v", created)
	}
	var list []app.ButtonInput
	h.must(http.StatusOK, "GET", "/orgs/acme/buttons", nil, &list)
	if len(list) != 2 {
		t.Fatalf("list = %+v", list)
	}
	h.must(http.StatusNoContent, "DELETE", "/orgs/acme/buttons/"+created.ID, nil, nil)
	h.must(http.StatusNotFound, "GET", "/orgs/acme/buttons/"+created.ID, nil, nil)
}

func TestAPIIntegration(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	sa := h.fake.NewServiceAccount("bot", "user.read")
	type out struct {
		Warnings    []app.Warning   `json:"warnings"`
		Integration IntegrationJSON `json:"integration"`
	}
	full := map[string]any{
		"clientId": sa.ClientID, "clientSecret": sa.ClientSecret + "\u3000", "serviceAccount": " " + sa.ServiceAccountID,
		// A key file with CRLF line endings and scopes typed with a space are
		// fine as they are: stored normalised, without a warning.
		"privateKey": strings.ReplaceAll(string(sa.PrivateKey), "\n", "\r\n"), "botId": "2000001 ", "botSecret": "\ufeffbot-secret", "adminUserId": "admin@example.com\u200b",
		"scopes": "bot user.read",
	}

	t.Run("pasted values are trimmed with warnings", func(t *testing.T) {
		var o out
		h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", full, &o)
		var fields []string
		for _, w := range o.Warnings {
			fields = append(fields, w.Field)
		}
		want := []string{"clientSecret", "serviceAccount", "botSecret", "adminUserId", "botId"}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Errorf("warned fields (-want +got):\n%s", diff)
		}
		if !o.Integration.Configured || o.Integration.BotID != 2000001 || o.Integration.AdminUserID != "admin@example.com" ||
			!o.Integration.HasClientSecret || !o.Integration.HasPrivateKey || !o.Integration.HasBotSecret {
			t.Errorf("integration = %+v", o.Integration)
		}
		stored, err := h.store.GetOrganizationWithSecrets(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if in := stored.Integration; in.ClientSecret != sa.ClientSecret || in.ServiceAccountID != sa.ServiceAccountID || in.BotSecret != "bot-secret" ||
			strings.Join(in.Scopes, " ") != "bot user.read" {
			t.Errorf("stored integration has untrimmed values: %+v", in.Scopes)
		}
		if logs := h.logs.String(); strings.Contains(logs, sa.ClientSecret) || strings.Contains(logs, "bot-secret") {
			t.Error("logs contain a secret")
		}
	})

	t.Run("verify", func(t *testing.T) {
		var v app.Verification
		h.must(http.StatusOK, "POST", "/orgs/acme/lineworks/verify", nil, &v)
		if !v.OK || strings.Join(v.Scopes, " ") != "bot user.read" {
			t.Errorf("verify = %+v", v)
		}
	})

	t.Run("omitted secrets are kept", func(t *testing.T) {
		var o out
		h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", map[string]any{"clientSecret": "", "defaultChannelId": "room-9"}, &o)
		if len(o.Warnings) != 0 || !o.Integration.HasClientSecret || !o.Integration.HasPrivateKey || o.Integration.DefaultChannelID != "room-9" {
			t.Errorf("after a partial PUT: %+v", o)
		}
		var v app.Verification
		h.must(http.StatusOK, "POST", "/orgs/acme/lineworks/verify", nil, &v)
		if !v.OK {
			t.Errorf("verify after a partial PUT = %+v", v)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		for name, key := range map[string]string{
			"not PEM":    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
			"public key": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
		} {
			got, data, _ := h.do("PUT", "/orgs/acme/lineworks", testAdminToken, map[string]any{"privateKey": key})
			var e errBody
			_ = json.Unmarshal(data, &e)
			if got != http.StatusBadRequest || e.Field != "privateKey" {
				t.Errorf("%s: PUT = %d %s, want 400 naming privateKey", name, got, data)
			}
		}
		// A well-formed key of another app passes the form but not LINE WORKS.
		_, other := lineworkstest.GenerateKey()
		h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", map[string]any{"privateKey": string(other)}, nil)
		var v app.Verification
		h.must(http.StatusOK, "POST", "/orgs/acme/lineworks/verify", nil, &v)
		if v.OK || v.Field != "privateKey" {
			t.Errorf("verify with another app's key = %+v, want a failure naming privateKey", v)
		}
	})

	t.Run("missing credential", func(t *testing.T) {
		h.must(http.StatusCreated, "PUT", "/orgs/fresh", map[string]string{"name": "Fresh"}, nil)
		got, data, _ := h.do("PUT", "/orgs/fresh/lineworks", testAdminToken, map[string]any{"clientId": "abc"})
		var e errBody
		_ = json.Unmarshal(data, &e)
		if got != http.StatusBadRequest || e.Field != "clientSecret" {
			t.Errorf("PUT = %d %s, want 400 naming clientSecret", got, data)
		}
	})
}

// TestAPICreateBot walks "create bot" as the set-up uses it: the bot is
// created, its secret issued through POST /bots/{botId}/secret and stored
// (the create answer does not carry it), its domain found from the
// administrator's user record and the bot registered there; running it
// again completes nothing twice; a reissue replaces the stored secret.
func TestAPICreateBot(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	ctx := context.Background()
	sa := h.fake.NewServiceAccount("bot", "user.read")
	h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", map[string]any{
		"clientId": sa.ClientID, "clientSecret": sa.ClientSecret, "serviceAccount": sa.ServiceAccountID, "privateKey": string(sa.PrivateKey),
		"scopes": "bot user.read",
	}, nil)
	got, data, _ := h.do("POST", "/orgs/acme/lineworks/bot", testAdminToken, nil)
	var e errBody
	_ = json.Unmarshal(data, &e)
	if got != http.StatusBadRequest || e.Field != "adminUserId" {
		t.Fatalf("bot without admin = %d %s, want 400 naming adminUserId", got, data)
	}
	h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", map[string]any{"adminUserId": lineworkstest.AdminUserID}, nil)
	var b app.BotSetup
	h.must(http.StatusCreated, "POST", "/orgs/acme/lineworks/bot", nil, &b)
	if !b.Created || !b.SecretIssued || !b.HasBotSecret || b.DomainID != lineworkstest.DefaultDomainID || !b.DomainRegistered || len(b.Warnings) != 0 {
		t.Fatalf("create bot = %+v", b)
	}
	bot, ok := h.fake.Bot(b.BotID)
	if !ok || bot.CallbackURL != "https://uketsuke.example.test/callback/lineworks" || bot.Administrators[0] != lineworkstest.AdminUserID {
		t.Fatalf("bot at the fake = %+v", bot)
	}
	stored, _ := h.store.GetOrganizationWithSecrets(ctx, "acme")
	if in := stored.Integration; in.BotID != b.BotID || in.BotSecret == "" || in.BotSecret != bot.BotSecret || in.DomainID != lineworkstest.DefaultDomainID || !in.Configured() {
		t.Errorf("stored bot %d, domain %d, secret matches the fake's %v", in.BotID, in.DomainID, in.BotSecret == bot.BotSecret)
	}
	if domains := botDomains(t, sa, h.fake, b.BotID); len(domains) != 1 || domains[0] != lineworkstest.DefaultDomainID {
		t.Errorf("bot registered to domains %v, want [%d]", domains, lineworkstest.DefaultDomainID)
	}

	var again app.BotSetup
	h.must(http.StatusOK, "POST", "/orgs/acme/lineworks/bot", nil, &again)
	if again.Created || again.SecretIssued || again.BotID != b.BotID || !again.DomainRegistered {
		t.Errorf("second call = %+v, want the existing bot, nothing redone", again)
	}
	if now, _ := h.fake.Bot(b.BotID); now.BotSecret != bot.BotSecret {
		t.Error("the second call reissued the secret")
	}

	var re app.SecretReissue
	h.must(http.StatusOK, "POST", "/orgs/acme/lineworks/bot/secret", nil, &re)
	after, _ := h.fake.Bot(b.BotID)
	stored, _ = h.store.GetOrganizationWithSecrets(ctx, "acme")
	if !re.SecretIssued || after.BotSecret == bot.BotSecret || stored.Integration.BotSecret != after.BotSecret {
		t.Errorf("reissue = %+v; stored secret is the fake's new one: %v", re, stored.Integration.BotSecret == after.BotSecret)
	}
	if strings.Contains(h.logs.String(), after.BotSecret) || strings.Contains(string(data), after.BotSecret) {
		t.Error("the bot secret leaked into logs or an answer")
	}
}

// Without user.read the administrator's domain cannot be read: the bot is
// created and its secret stored, and the answer says how to get the domain
// (sign in); once the sign-in stored it, running it again registers the bot.
func TestAPICreateBotWithoutDomain(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	sa := h.fake.NewServiceAccount("bot")
	h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", map[string]any{
		"clientId": sa.ClientID, "clientSecret": sa.ClientSecret, "serviceAccount": sa.ServiceAccountID, "privateKey": string(sa.PrivateKey),
		"adminUserId": lineworkstest.AdminUserID,
	}, nil)
	var b app.BotSetup
	h.must(http.StatusCreated, "POST", "/orgs/acme/lineworks/bot", nil, &b)
	if !b.Created || !b.HasBotSecret || b.DomainRegistered || len(b.Warnings) != 1 || b.Warnings[0].Field != "domainId" ||
		!strings.Contains(b.Warnings[0].Message, "sign in with LINE WORKS") {
		t.Fatalf("create bot without user.read = %+v", b)
	}
	if domains := botDomains(t, sa, h.fake, b.BotID); len(domains) != 0 {
		t.Errorf("bot registered to %v", domains)
	}
	// What the sign-in stores.
	h.must(http.StatusOK, "PUT", "/orgs/acme/lineworks", map[string]any{"domainId": lineworkstest.DefaultDomainID}, nil)
	var again app.BotSetup
	h.must(http.StatusOK, "POST", "/orgs/acme/lineworks/bot", nil, &again)
	if !again.DomainRegistered || again.Created || again.SecretIssued {
		t.Errorf("second call = %+v", again)
	}
	if domains := botDomains(t, sa, h.fake, b.BotID); len(domains) != 1 {
		t.Errorf("bot registered to %v after the second call", domains)
	}
}

func botDomains(t *testing.T, sa *lineworks.ServiceAccount, fake *lineworkstest.Server, botID int64) []int64 {
	t.Helper()
	ctx := context.Background()
	ts, err := sa.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for d, err := range client.Bots.ListDomains(ctx, botID) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.DomainID)
	}
	return out
}

func TestAPIVisitsCSV(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	var first, second struct{ VisitID string }
	h.must(http.StatusCreated, "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "佐藤 花子", "company": "=HYPERLINK(1)", "count": 2}}, &first)
	h.must(http.StatusCreated, "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "田中 一郎"}}, &second)
	handled := time.Now().Add(time.Minute).Truncate(time.Second)
	if _, err := h.store.ClaimVisit(context.Background(), "acme", first.VisitID, "user-yamada", handled); err != nil {
		t.Fatal(err)
	}

	var visits []VisitJSON
	h.must(http.StatusOK, "GET", "/orgs/acme/visits?status=accepted&date="+time.Now().UTC().Format(time.DateOnly), nil, &visits)
	if len(visits) != 1 || visits[0].ID != first.VisitID || visits[0].Handler != "山田 太郎" || visits[0].Button != "営業部" {
		t.Fatalf("accepted visits = %+v", visits)
	}
	h.must(http.StatusOK, "GET", "/orgs/acme/visits?date=2001-01-01", nil, &visits)
	if len(visits) != 0 {
		t.Errorf("visits of another day = %+v", visits)
	}

	got, data, hdr := h.do("GET", "/orgs/acme/visits", testAdminToken, nil, "Accept", "text/csv")
	if got != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV = %d %s: %s", got, hdr.Get("Content-Type"), data)
	}
	data, ok := bytes.CutPrefix(data, []byte("\ufeff"))
	if !ok {
		t.Error("CSV has no BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(visitCSVHeader, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %q", rows)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	byID := map[string][]string{rows[1][0]: rows[1], rows[2][0]: rows[2]}
	acc := byID[first.VisitID]
	if acc == nil || acc[col["handler"]] != "山田 太郎" || acc[col["handler_user_id"]] != "user-yamada" || acc[col["status"]] != "accepted" {
		t.Errorf("accepted row = %q", acc)
	}
	if ht, err := time.Parse(time.RFC3339, acc[col["handled_at"]]); err != nil || !ht.Equal(handled) {
		t.Errorf("handled_at = %q, want %v", acc[col["handled_at"]], handled)
	}
	if acc[col["company"]] != "'=HYPERLINK(1)" {
		t.Errorf("company cell = %q, want a defused formula", acc[col["company"]])
	}
	if w := byID[second.VisitID]; w == nil || w[col["status"]] != "waiting" || w[col["handler"]] != "" || w[col["handled_at"]] != "" {
		t.Errorf("waiting row = %q", w)
	}
}

func TestJSONField(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Integration.ClientID": "clientId", "ChannelIDs[2]": "rooms[2]", "Reminder.After": "reminder.after",
		"Labels[en]": "labels[en]", "VisitorName": "visitor.name", "visitor.count": "visitor.count", "ID": "id",
	} {
		if got := jsonField(in); got != want {
			t.Errorf("jsonField(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAPIInternalErrorsAreLogged: a 500 answers "internal error" and the
// cause goes to the server log (the client learns nothing more).
func TestAPIInternalErrorsAreLogged(t *testing.T) {
	h := newAPIHarness(t)
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	status, data, _ := h.do("GET", "/orgs/acme/buttons", testAdminToken, nil)
	if status != http.StatusInternalServerError || !strings.Contains(string(data), "internal error") || strings.Contains(string(data), "closed") {
		t.Fatalf("GET on a closed store = %d %s, want 500 internal error without the cause", status, data)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "API request failed") || !strings.Contains(logs, "store is closed") {
		t.Errorf("the 500's cause is not in the log:\n%s", logs)
	}
}

// A rename that leaves the locale (or the fallback text) out keeps it: the
// staff messages of an English organization stay English. Creating without
// a locale leaves it empty (the default language).
func TestAPIRenameKeepsLocale(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	var o OrgJSON
	h.must(http.StatusCreated, "PUT", "/orgs/intl", map[string]any{"name": "Intl", "locale": "en", "kioskFallback": "Call 100"}, &o)
	if o.Locale != "en" || o.KioskToken == "" {
		t.Fatalf("created = %+v", o)
	}
	o = OrgJSON{} // omitted fields must not carry over from the last answer
	h.must(http.StatusOK, "PUT", "/orgs/intl", map[string]any{"name": "Intl 2"}, &o)
	if o.Name != "Intl 2" || o.Locale != "en" || o.KioskFallback != "Call 100" || o.KioskToken != "" {
		t.Errorf("after a rename without locale = %+v; want en and the fallback kept, no token shown", o)
	}
	h.must(http.StatusOK, "PUT", "/orgs/intl", map[string]any{"name": "Intl 2", "locale": "ja"}, &o)
	if o.Locale != "ja" {
		t.Errorf("locale after setting ja = %q", o.Locale)
	}
	h.must(http.StatusCreated, "PUT", "/orgs/plain", map[string]any{"name": "Plain"}, &o)
	if o.Locale != "" {
		t.Errorf("locale of an organization created without one = %q", o.Locale)
	}
}

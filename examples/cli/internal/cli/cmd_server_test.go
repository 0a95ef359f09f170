package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reception is an httptest server with exactly the two routes of the
// uketsuke server's JSON API the tool uses.
type reception struct {
	*httptest.Server
	mu       sync.Mutex
	checkins []map[string]any
}

const serverToken = "server-api-token-abcdef"

func newReception(t *testing.T) *reception {
	t.Helper()
	rc := &reception{}
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+serverToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid API token"}`)
			return false
		}
		return true
	}
	mux.HandleFunc("POST /api/v1/orgs/{org}/checkins", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"error":"bad JSON"}`, http.StatusBadRequest)
			return
		}
		if body["staffId"] == "ghost" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"no staff member with this ID","field":"staffId"}`)
			return
		}
		if r.PathValue("org") != "acme" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"no such organization"}`)
			return
		}
		rc.mu.Lock()
		rc.checkins = append(rc.checkins, body)
		n := len(rc.checkins)
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"visitId":"visit-%d"}`, n)
	})
	mux.HandleFunc("GET /api/v1/orgs/{org}/rooms", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"channelId":"channel-1","title":"受付","joinedAt":"2026-01-01T09:00:00Z"},{"channelId":"channel-2","title":"総務","joinedAt":"2026-01-01T09:00:00Z","leftAt":"2026-01-02T09:00:00Z"}]`)
	})
	rc.Server = httptest.NewServer(mux)
	t.Cleanup(rc.Close)
	return rc
}

func TestRooms(t *testing.T) {
	t.Parallel()
	rc := newReception(t)
	r := run(t, nil, "", "rooms", "--server", rc.URL, "--org", "acme", "--token", serverToken).want(t, ExitOK)
	golden(t, "rooms", r.stdout)
	env := map[string]string{EnvServerURL: rc.URL + "/", EnvOrg: "acme", EnvServerToken: serverToken}
	r = run(t, env, "", "rooms", "--json").want(t, ExitOK)
	golden(t, "rooms_json", r.stdout)

	r = run(t, env, "", "rooms", "--token", "wrong").want(t, ExitFailure)
	want := "uketsuke rooms: GET " + rc.URL + "/api/v1/orgs/acme/rooms: 401 Unauthorized: invalid API token (check --token or UKETSUKE_SERVER_TOKEN)\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%q\nwant\n%q", r.stderr, want)
	}
}

func TestCheckin(t *testing.T) {
	t.Parallel()
	rc := newReception(t)
	r := run(t, nil, "", "checkin", "--server", rc.URL, "--org", "acme", "--token", serverToken,
		"--button", "front", "--name", "山田 太郎", "--company", "山田商事", "--count", "2", "--staff", "staff-1").want(t, ExitOK)
	golden(t, "checkin", r.stdout)
	r = run(t, map[string]string{EnvServerToken: serverToken}, "", "checkin", "--server", rc.URL, "--org", "acme",
		"--button", "front", "--name", "Jane", "--json").want(t, ExitOK)
	golden(t, "checkin_json", r.stdout)
	// With a reception code the appointment has the visitor: no button,
	// no visitor unless one is given.
	r = run(t, map[string]string{EnvServerToken: serverToken}, "", "checkin", "--server", rc.URL, "--org", "acme",
		"--code", "123456").want(t, ExitOK)
	if r.stdout != "checked in: visit visit-3\n" {
		t.Errorf("checkin --code printed %q", r.stdout)
	}

	want := []map[string]any{
		{"buttonId": "front", "visitor": map[string]any{"name": "山田 太郎", "company": "山田商事", "count": 2.0}, "staffId": "staff-1"},
		{"buttonId": "front", "visitor": map[string]any{"name": "Jane", "count": 1.0}},
		{"code": "123456"},
	}
	rc.mu.Lock()
	got := rc.checkins
	rc.mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request bodies (-want +got):\n%s", diff)
	}

	r = run(t, nil, "", "checkin", "--server", rc.URL, "--org", "other", "--token", serverToken, "--button", "b", "--name", "n").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "404 Not Found: no such organization (check --server and --org)") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = run(t, nil, "", "checkin", "--server", rc.URL, "--org", "acme", "--token", serverToken, "--button", "b", "--name", "n", "--staff", "ghost").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "400 Bad Request: no staff member with this ID; field staffId\n") {
		t.Errorf("stderr: %q", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, serverToken) {
		t.Error("the server token was echoed")
	}
}

// TestServerBadInput: a token with inner white space and a server URL with
// a password are refused, naming the setting without echoing the secret.
func TestServerBadInput(t *testing.T) {
	t.Parallel()
	r := run(t, map[string]string{EnvServerToken: "tok en-secret"}, "", "rooms", "--server", "http://127.0.0.1:1", "--org", "acme").want(t, ExitUsage)
	if !strings.Contains(r.stderr, EnvServerToken) || strings.Contains(r.stderr, "en-secret") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = run(t, nil, "", "rooms", "--server", "http://u:url-secret@127.0.0.1:1", "--org", "acme").want(t, ExitUsage)
	if !strings.Contains(r.stderr, "--server") || strings.Contains(r.stderr, "url-secret") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

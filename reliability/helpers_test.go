package reliability

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/pgstore"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

// full reports whether the full sizes of RELIABILITY.md were asked for.
func full() bool { return os.Getenv("UKETSUKE_RELIABILITY_FULL") == "1" }

// size picks a test's size: with -short, by default, or in full.
func size(short, def, fullSize int) int {
	switch {
	case full():
		return fullSize
	case testing.Short():
		return short
	}
	return def
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// evidence is everything the suite produced that a person could read — log
// output, errors, stored last errors — and every secret it handed out. Each
// test checks its own output when it ends, and TestMain checks all output
// against all secrets once more at the end, so that a secret of one test
// showing up in another's log is caught too.
var evidence struct {
	mu      sync.Mutex
	secrets map[string]string // value → what it is
	texts   []func() (name, text string)
}

// secret registers a value that must never appear in any output. Very short
// values would match by accident and are refused.
func secret(what, value string) {
	value = strings.TrimSpace(value)
	if len(value) < 12 {
		panic("reliability: secret " + what + " is too short to search for")
	}
	evidence.mu.Lock()
	defer evidence.mu.Unlock()
	if evidence.secrets == nil {
		evidence.secrets = map[string]string{}
	}
	evidence.secrets[value] = what
}

// privateKeySecrets registers a PEM private key: the whole block, each line
// of its Base64 body, and the PEM header (nothing logs a key by accident
// with it).
func privateKeySecrets(what string, pemKey []byte) {
	secret(what, string(pemKey))
	for _, line := range strings.Split(string(pemKey), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secret(what+" (line)", line)
		}
	}
}

// output registers a source of output to scan; text is read when scanned.
func output(name string, text func() string) {
	evidence.mu.Lock()
	defer evidence.mu.Unlock()
	evidence.texts = append(evidence.texts, func() (string, string) { return name, text() })
}

// outputText registers fixed output, e.g. an error seen by a test.
func outputText(name, text string) { output(name, func() string { return text }) }

// leaks returns every secret found in registered output, one line each.
func leaks(from int) (found []string, scanned int, bytesScanned int) {
	evidence.mu.Lock()
	texts := append([]func() (string, string)(nil), evidence.texts[from:]...)
	secrets := make(map[string]string, len(evidence.secrets))
	for k, v := range evidence.secrets {
		secrets[k] = v
	}
	evidence.mu.Unlock()
	for _, f := range texts {
		name, text := f()
		scanned++
		bytesScanned += len(text)
		for value, what := range secrets {
			if strings.Contains(text, value) {
				found = append(found, fmt.Sprintf("%s contains %s (%.6s…)", name, what, value))
			}
		}
		// Whatever the registry missed: the marks of a PEM key or a bearer
		// header must never be printed.
		for _, mark := range []string{"PRIVATE KEY-----", "Bearer fake1"} {
			if strings.Contains(text, mark) {
				found = append(found, fmt.Sprintf("%s contains %q", name, mark))
			}
		}
	}
	return found, scanned, bytesScanned
}

// checkSecretsAtEnd makes t fail if any output registered from now until t
// ends contains a registered secret.
func checkSecretsAtEnd(t *testing.T) {
	evidence.mu.Lock()
	from := len(evidence.texts)
	evidence.mu.Unlock()
	t.Cleanup(func() {
		found, n, size := leaks(from)
		for _, f := range found {
			t.Errorf("secret leaked: %s", f)
		}
		t.Logf("secrets: searched %d outputs (%d bytes) for %d secrets", n, size, secretCount())
	})
}

func secretCount() int {
	evidence.mu.Lock()
	defer evidence.mu.Unlock()
	return len(evidence.secrets)
}

func TestMain(m *testing.M) {
	code := m.Run()
	found, n, size := leaks(0)
	for _, f := range found {
		fmt.Fprintln(os.Stderr, "reliability: secret leaked:", f)
	}
	if len(found) > 0 && code == 0 {
		code = 1
	}
	if testing.Verbose() {
		fmt.Printf("reliability: searched %d outputs (%d bytes) for %d secrets: %d found\n", n, size, secretCount(), len(found))
	}
	servertest.Cleanup()
	os.Exit(code)
}

// tap stands in front of a fake LINE WORKS and observes what the fake's
// answers did: which sends got a success back to the client (so that a
// message recorded by the fake without a success reaching the client is
// known to be ambiguous), and every credential exchanged at the token
// endpoint (registered as secrets).
type tap struct {
	fake *lineworkstest.Server
	srv  *httptest.Server
	// APIURL and TokenURL are the fake's, through the tap.
	APIURL, TokenURL, AuthURL string

	mu       sync.Mutex
	answered map[string]int // message key → 2xx answers that reached the client
	inFlight int            // requests being handled
	idle     chan struct{}  // closed when inFlight falls to 0
}

func newTap(t testing.TB, fake *lineworkstest.Server) *tap {
	tp := &tap{fake: fake, answered: map[string]int{}, idle: make(chan struct{})}
	tp.srv = httptest.NewServer(tp)
	t.Cleanup(tp.srv.Close)
	tp.APIURL = tp.srv.URL + lineworkstest.APIPrefix + "/"
	tp.TokenURL = tp.srv.URL + lineworkstest.TokenPath
	tp.AuthURL = tp.srv.URL + "/oauth2/v2.0/"
	return tp
}

// observer records an answer's status and whether the connection was taken
// over (the fake's Drop fault) so that no answer reached the client.
type observer struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	keepBody bool
	hijacked bool
}

func (o *observer) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *observer) Write(p []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	if o.keepBody {
		o.body.Write(p)
	}
	return o.ResponseWriter.Write(p)
}

func (o *observer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	o.hijacked = true
	return o.ResponseWriter.(http.Hijacker).Hijack()
}

func (tp *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tp.mu.Lock()
	tp.inFlight++
	tp.mu.Unlock()
	defer func() {
		tp.mu.Lock()
		if tp.inFlight--; tp.inFlight == 0 {
			close(tp.idle)
			tp.idle = make(chan struct{})
		}
		tp.mu.Unlock()
	}()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	o := &observer{ResponseWriter: w}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == lineworkstest.TokenPath:
		if form, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range []string{"client_secret", "assertion", "refresh_token", "code"} {
				if v := form.Get(k); len(v) >= 12 {
					secret("token request "+k, v)
				}
			}
		}
		o.keepBody = true
		tp.fake.Handler().ServeHTTP(o, r)
		var tok struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if json.Unmarshal(o.body.Bytes(), &tok) == nil {
			if tok.Access != "" {
				secret("access token", tok.Access)
			}
			if tok.Refresh != "" {
				secret("refresh token", tok.Refresh)
			}
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages"):
		if h := r.Header.Get("Authorization"); len(h) > 7 {
			secret("access token (as sent)", strings.TrimPrefix(h, "Bearer "))
		}
		var req struct {
			Content json.RawMessage `json:"content"`
		}
		_ = json.Unmarshal(body, &req)
		tp.fake.Handler().ServeHTTP(o, r)
		if o.status >= 200 && o.status < 300 && !o.hijacked && r.Context().Err() == nil {
			tp.mu.Lock()
			tp.answered[messageKey(req.Content)]++
			tp.mu.Unlock()
		}
	default:
		tp.fake.Handler().ServeHTTP(o, r)
	}
}

// waitIdle waits until no request is being handled (e.g. those a killed
// server had in flight, which the fake still answers and records) or ctx
// ends.
func (tp *tap) waitIdle(ctx context.Context) error {
	for {
		tp.mu.Lock()
		n, idle := tp.inFlight, tp.idle
		tp.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("%d requests to the fake still in flight: %w", n, ctx.Err())
		}
	}
}

// answeredCount returns how many sends of key got a success back.
func (tp *tap) answeredCount(key string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.answered[key]
}

// messageKey names what a message is about: "visit:<id>" for a visit's
// notification (its 「対応します」 postback names the visit), otherwise the
// message's text, which for room ID and claim replies is unique.
func messageKey(content json.RawMessage) string {
	var c struct {
		Text        string `json:"text"`
		ContentText string `json:"contentText"`
		Actions     []struct {
			Postback string `json:"postback"`
		} `json:"actions"`
	}
	_ = json.Unmarshal(content, &c)
	for _, a := range c.Actions {
		if id, ok := strings.CutPrefix(a.Postback, "uk1:accept:"); ok {
			return "visit:" + id
		}
	}
	if c.Text == "" {
		c.Text = c.ContentText
	}
	return "text:" + c.Text
}

// textOf returns a message's text.
func textOf(m lineworkstest.Message) string {
	var c struct {
		Text        string `json:"text"`
		ContentText string `json:"contentText"`
	}
	_ = json.Unmarshal(m.Content, &c)
	if c.Text == "" {
		return c.ContentText
	}
	return c.Text
}

// countByKey counts the fake's messages by messageKey.
func countByKey(msgs []lineworkstest.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		out[messageKey(m.Content)]++
	}
	return out
}

// waitFor polls cond until it holds or d passes. It polls because its
// conditions are read from another process (the fake's record as a server
// binary fills it, a database): where a channel or hook exists, wait on it.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// withStoreOf opens the database of a server run by startServer with
// serverEnv (a SQLite file or a PostgreSQL URL), passes it to f and closes
// it: to look at what a stopped (or killed) server left.
func withStoreOf(t testing.TB, db string, f func(reception.Store)) {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(secretKeyB64)
	box, err := reception.NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var st interface {
		reception.Store
		Close() error
	}
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		st, err = pgstore.Open(ctx, db, box)
	} else {
		st, err = sqlitestore.Open(ctx, db, box)
	}
	if err != nil {
		t.Fatalf("opening the server's database: %v", err)
	}
	f(st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkNothingPending fails the test if any organization in orgs has an
// outbox entry still to send. With the senders stopped (Run returned, or
// the server stopped with SIGTERM, which finishes sends in flight), it
// proves the fake's record final: no late duplicate can come.
func checkNothingPending(t testing.TB, st reception.Store, orgs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, org := range orgs {
		pending, err := st.ListOutbox(ctx, org, reception.OutboxFilter{State: reception.OutboxPending})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range pending {
			t.Errorf("%s: outbox entry %s (visit %q) still pending after the senders stopped: %s", org, e.ID, e.VisitID, e.LastError)
		}
	}
}

package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// TestNotificationTemplateLimits: templates that would run for long or
// write without bound are refused at save, quickly; ordinary ones pass.
func TestNotificationTemplateLimits(t *testing.T) {
	refused := map[string]string{
		"huge range":          "{{range 20000000}}{{end}}{{.Visitor}}",
		"nested ranges":       "{{range 100}}{{range 100}}x{{end}}{{end}}",
		"party size nested":   "{{range .PartySize}}{{range 2}}x{{end}}{{end}}",
		"range over variable": "{{$n := 20000000}}{{range $n}}{{end}}",
		"range over call":     "{{range len .Name}}{{end}}",
		"define":              `{{define "x"}}{{template "x"}}{{end}}{{template "x"}}`,
		"template call":       `{{template "Notification"}}`,
		"printf width":        `{{printf "%0999999999d" 1}}`,
		"printf precision":    `{{printf "%.200f" 1.0}}`,
		"printf star":         `{{printf "%*d" 100000000 1}}`,
		"printf dynamic":      `{{printf .Name 1}}`,
		"output over 16 KiB":  "{{range 1000}}0123456789abcdefgh{{end}}",
	}
	for name, tpl := range refused {
		start := time.Now()
		err := notify.ValidateNotificationTemplate(tpl)
		if took := time.Since(start); took > 50*time.Millisecond {
			t.Errorf("%s: validation took %v", name, took)
		}
		if fes := reception.FieldErrors(err); len(fes) != 1 || fes[0].Field != "Template" {
			t.Errorf("%s: %q accepted (err %v)", name, tpl, err)
		}
	}
	for _, tpl := range []string{
		"{{.Company}} {{.Name}} 様（{{.Button}}）",
		"{{range .PartySize}}👤{{end}} {{.Visitor}}",
		"{{range $i := 3}}{{$i}}{{end}}",
		`{{printf "%-10s|%5d" .Name .PartySize}}`,
		"{{if .Note}}{{.Note}}{{else}}-{{end}}",
	} {
		if err := notify.ValidateNotificationTemplate(tpl); err != nil {
			t.Errorf("%q refused: %v", tpl, err)
		}
	}
}

// TestStoredHeavyTemplateFallsBack: a template stored without the check
// (before it existed, or by another program) is not run at check-in: the
// visitor is announced with the standard text, at once.
func TestStoredHeavyTemplateFallsBack(t *testing.T) {
	h := newHarness(t, memstore.New(testBox(t)))
	ctx := context.Background()
	if err := h.store.PutButton(ctx, &reception.Button{ID: "heavy", OrgID: h.org.ID, Label: "重い", Enabled: true, ChannelIDs: []string{roomID},
		Template: "{{range 20000000}}{{end}}{{.Visitor}}"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.checkIn(notify.CheckInRequest{ButtonID: "heavy", Visitor: notify.Visitor{Name: "山田"}})
	h.settle()
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("check-in and delivery took %v", took)
	}
	msgs := h.fake.Messages()
	if len(msgs) != 1 || !strings.Contains(textOf(t, msgs[0]), "でお越しです") {
		t.Fatalf("messages = %+v, want the standard notification", msgs)
	}
}

// TestCheckInNameCharacters: control characters and bidi overrides in a
// visitor's name or company are refused with the field named.
func TestCheckInNameCharacters(t *testing.T) {
	h := newHarness(t, memstore.New(testBox(t)))
	for field, v := range map[string]notify.Visitor{
		"visitor.name":    {Name: "山田\u202eおろた"},
		"visitor.company": {Company: "ACME\x07"},
	} {
		_, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: v})
		if fes := reception.FieldErrors(err); len(fes) != 1 || fes[0].Field != field {
			t.Errorf("%+v: err = %v, want a FieldError for %s", v, err, field)
		}
	}
	if vs, _ := h.store.ListVisits(context.Background(), h.org.ID, reception.VisitFilter{}); len(vs) != 0 {
		t.Errorf("%d visits stored", len(vs))
	}
}

// countingStore counts the reads of bot secrets.
type countingStore struct {
	reception.Store
	secretReads atomic.Int64
}

func (c *countingStore) GetOrganizationWithSecrets(ctx context.Context, id string) (*reception.Organization, error) {
	c.secretReads.Add(1)
	return c.Store.GetOrganizationWithSecrets(ctx, id)
}

// TestCallbackSecretCache: 500 forged callbacks for a known bot cost at
// most one secret read; a secret changed in the store (a reissue here or
// on another replica) is picked up by the first genuine callback signed
// with it, at once after a load and otherwise once secretRecheck (5 s) has
// passed since the last re-read.
func TestCallbackSecretCache(t *testing.T) {
	clk := &manualClock{now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	store := &countingStore{Store: memstore.New(testBox(t))}
	h := newHarness(t, store, func(c *harnessConfig) { c.clock = clk.Now })
	srv := httptest.NewServer(h.svc.CallbackHandler())
	t.Cleanup(srv.Close)
	genuine := lineworkstest.CallbackSender{BotID: botID, Secret: botSecret, URL: srv.URL}
	forged := lineworkstest.CallbackSender{BotID: botID, Secret: "forged-secret", URL: srv.URL}
	ctx := context.Background()
	send := func(s lineworkstest.CallbackSender, room string) int {
		t.Helper()
		status, err := s.Send(ctx, lineworkstest.JoinEvent(room))
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	if got := send(genuine, "room-1"); got != http.StatusOK {
		t.Fatalf("genuine = %d", got)
	}
	before := store.secretReads.Load()
	for i := range 500 {
		if got := send(forged, "room-forged"); got != http.StatusUnauthorized {
			t.Fatalf("forged %d = %d", i, got)
		}
	}
	if reads := store.secretReads.Load() - before; reads > 1 {
		t.Errorf("500 forged callbacks read the secret %d times, want at most 1 (the first mismatch re-reads)", reads)
	}

	org, err := store.GetOrganizationWithSecrets(ctx, h.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	org.Integration.BotSecret = "reissued-bot-secret"
	if err := store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	reissued := lineworkstest.CallbackSender{BotID: botID, Secret: "reissued-bot-secret", URL: srv.URL}
	clk.Advance(6 * time.Second)
	if got := send(reissued, "room-2"); got != http.StatusOK {
		t.Errorf("callback with the reissued secret = %d, want 200", got)
	}
	if got := send(genuine, "room-3"); got != http.StatusUnauthorized {
		t.Errorf("callback with the old secret after the reissue = %d, want 401", got)
	}
}

// TestCallbackSecretReissuedHere: a secret changed right after it was
// loaded (a reissue on this replica) is accepted by its first callback.
func TestCallbackSecretReissuedHere(t *testing.T) {
	h := newHarness(t, memstore.New(testBox(t)))
	srv := httptest.NewServer(h.svc.CallbackHandler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	if status, err := (lineworkstest.CallbackSender{BotID: botID, Secret: botSecret, URL: srv.URL}).Send(ctx, lineworkstest.JoinEvent("room-1")); err != nil || status != http.StatusOK {
		t.Fatalf("genuine = %d %v", status, err)
	}
	org, _ := h.store.GetOrganizationWithSecrets(ctx, h.org.ID)
	org.Integration.BotSecret = "reissued-bot-secret"
	if err := h.store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if status, err := (lineworkstest.CallbackSender{BotID: botID, Secret: "reissued-bot-secret", URL: srv.URL}).Send(ctx, lineworkstest.JoinEvent("room-2")); err != nil || status != http.StatusOK {
		t.Errorf("first callback with the reissued secret = %d %v, want 200", status, err)
	}
}

package httpserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// pages serves the HTML pages: the kiosk (/kiosk/{org}), the admin pages
// (/admin) and the admins' LINE WORKS sign-in (/auth/...). They are
// server-rendered html/template with a little plain JavaScript; they read
// their forms into package app's inputs and call it, as the JSON API does,
// so validation, trimming and warnings exist once.
type pages struct {
	app        *app.App
	adminToken []byte
	log        *slog.Logger
	now        func() time.Time

	sessions *sessionStore
	guard    *guard
	// oauthCookies seals LINE WORKS sign-ins in progress (see oauth.go).
	oauthCookies sealer
	// kioskFlash seals a kiosk token just issued, for the next page only
	// (kioskflash.go).
	kioskFlash sealer
	// kioskReturn is how long the kiosk's completion screen stays; 0
	// keeps it until the visitor taps.
	kioskReturn time.Duration
}

func newPages(a *app.App, adminToken []byte) *pages {
	return &pages{app: a, adminToken: adminToken, log: a.Log, now: a.Now, sessions: newSessionStore(adminToken, a.Now),
		oauthCookies: newSealer(adminToken, "lineworks-sign-in"), kioskFlash: newSealer(adminToken, "kiosk-token-flash")}
}

// register adds the pages to mux. Their requests carry the logger, so
// that an unexpected error behind a page is logged with its cause.
func (p *pages) register(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, withLogger(p.log, h)) }
	p.registerKiosk(handle)
	p.registerAdmin(handle)
	p.registerOAuth(handle)
}

// ---- templates ----

var pageFuncs = template.FuncMap{
	"join": strings.Join,
	// deref reads the API's optional booleans, whose absence means true.
	"deref":     func(b *bool) bool { return b == nil || *b },
	"reminders": func() []string { return reminderChoices },
	"has": func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	},
}

// pageTemplate parses the shared layout with one page's templates.
func pageTemplate(files ...string) *template.Template {
	paths := []string{"web/templates/layout.html"}
	for _, f := range files {
		paths = append(paths, "web/templates/"+f)
	}
	return template.Must(template.New("layout.html").Funcs(pageFuncs).ParseFS(webFS, paths...))
}

// render writes a page. Pages are never cached: they show tokens and
// secrets' presence.
func (p *pages) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		p.log.Error("rendering a page", "template", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ---- helpers ----

// baseURL is where browsers reach this server: UKETSUKE_PUBLIC_URL, or the
// request's own host for local use.
func (p *pages) baseURL(r *http.Request) string {
	if p.app.PublicURL != "" {
		return p.app.PublicURL
	}
	scheme := "http"
	if secureRequest(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// mac is a keyed SHA-256 of parts, base64url.
func mac(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, s := range parts {
		fmt.Fprintf(m, "%d:%s;", len(s), s)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// limitForm parses a form body of at most n bytes (multipart or urlencoded).
func limitForm(w http.ResponseWriter, r *http.Request, n int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, n)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(n)
	}
	return r.ParseForm()
}

// fieldMsgs maps form fields to messages shown next to them.
type fieldMsgs map[string]string

// formError is what a page shows for err: the API's message for it and
// per-field messages; the first field is the one to highlight.
func formError(r *http.Request, err error) (msg string, fields fieldMsgs) {
	fields = fieldMsgs{}
	ae := apiErrorOf(r, err)
	for _, f := range ae.Fields {
		if _, dup := fields[f.Field]; !dup {
			fields[f.Field] = f.Error
		}
	}
	if ae.Field != "" {
		if _, dup := fields[ae.Field]; !dup {
			fields[ae.Field] = strings.TrimPrefix(ae.Msg, ae.Field+": ")
		}
	}
	return ae.Msg, fields
}

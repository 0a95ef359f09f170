package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// pages serves the HTML pages: the kiosk (/kiosk/{org}), the admin pages
// (/admin) and the admins' LINE WORKS sign-in (/auth/...). They are
// server-rendered html/template with a little plain JavaScript; every change
// they make goes through the JSON API's handlers, called in-process (see
// callAPI), so validation, trimming and warnings exist once.
type pages struct {
	a *api
	// apiMux is the JSON API, which sends the demo organization's LINE
	// WORKS requests to the in-process fake itself (api.urlsFor).
	apiMux http.Handler
	dm     *demo
	log    *slog.Logger
	now    func() time.Time

	sessions *sessionStore
	// oauthCookies seals LINE WORKS sign-ins in progress (see oauth.go).
	oauthCookies sealer
}

func newPages(a *api, dm *demo) *pages {
	p := &pages{a: a, dm: dm, log: a.log, now: a.now, sessions: newSessionStore(a.adminToken, a.now),
		oauthCookies: newSealer(a.adminToken, "lineworks-sign-in")}
	mux := http.NewServeMux()
	a.register(mux)
	p.apiMux = mux
	return p
}

func (p *pages) register(mux *http.ServeMux) {
	p.registerKiosk(mux)
	p.registerAdmin(mux)
	p.registerOAuth(mux)
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
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ---- the JSON API, in-process ----

// callAPI runs one JSON API request in-process with the given bearer token
// (the admin token when empty) and decodes a 2xx answer into out. A 4xx or
// 5xx answer comes back as an *apiError with the field at fault.
func (p *pages) callAPI(ctx context.Context, orgID, token, method, path string, body, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, apiPrefix+path, rd)
	if err != nil {
		return err
	}
	if token == "" {
		token = string(p.a.adminToken)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	p.apiMux.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	if rec.code >= 400 {
		var e errorJSON
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		if e.Error == "" {
			e.Error = http.StatusText(rec.code)
		}
		return &apiError{Status: rec.code, Msg: e.Error, Field: e.Field, Fields: e.Fields}
	}
	if out != nil && rec.body.Len() > 0 {
		return json.Unmarshal(rec.body.Bytes(), out)
	}
	return nil
}

// recorder is the ResponseWriter of an in-process API call.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

// ---- helpers ----

// baseURL is where browsers reach this server: UKETSUKE_PUBLIC_URL, or the
// request's own host for local use.
func (p *pages) baseURL(r *http.Request) string {
	if p.a.cfg.PublicURL != "" {
		return p.a.cfg.PublicURL
	}
	scheme := "http"
	if secureRequest(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// secureRequest reports whether the browser talks https to us (directly or
// through a proxy that says so); cookies are then marked Secure.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
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

// formError splits an API error into a general message and per-field
// messages; the first field is the one to highlight.
func formError(err error) (msg string, fields fieldMsgs) {
	fields = fieldMsgs{}
	ae, ok := err.(*apiError)
	if !ok {
		return err.Error(), fields
	}
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

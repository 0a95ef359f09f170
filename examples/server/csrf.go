package main

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"time"
)

// Admin sessions. Signing in with the admin token creates a session: the
// cookie holds a random session ID (never the token), HttpOnly and
// SameSite=Strict; the session holds the CSRF token every admin form
// carries in a hidden field. Sessions live in this process's memory: a
// restart signs admins out, and several replicas need sticky sessions.

const (
	sessionCookie   = "uk_admin"
	loginCSRFCookie = "uk_login"
	sessionTTL      = 12 * time.Hour
	csrfField       = "csrf"
	maxSessions     = 10000
)

type session struct {
	id      string
	csrf    string
	expires time.Time
}

type sessionStore struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*session
}

func newSessionStore(now func() time.Time) *sessionStore {
	return &sessionStore{now: now, m: map[string]*session{}}
}

func (s *sessionStore) create() *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= maxSessions {
		for id, ss := range s.m {
			if now.After(ss.expires) {
				delete(s.m, id)
			}
		}
	}
	ss := &session{id: randomToken(32), csrf: randomToken(32), expires: now.Add(sessionTTL)}
	s.m[ss.id] = ss
	return ss
}

func (s *sessionStore) get(id string) *session {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	if s.now().After(ss.expires) {
		delete(s.m, id)
		return nil
	}
	return ss
}

func (s *sessionStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// session returns the request's admin session, or nil.
func (p *pages) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return p.sessions.get(c.Value)
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge time.Duration, same http.SameSite) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, SameSite: same, Secure: secureRequest(r)}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// adminGET wraps a page that needs a session; without one it shows the
// sign-in form.
func (p *pages) adminGET(h func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := p.session(r)
		if s == nil {
			p.loginPage(w, r, http.StatusOK, "")
			return
		}
		h(w, r, s)
	}
}

// adminPOST wraps a form handler: it needs a session and the session's
// CSRF token in the form; anything else is refused with 403 before the
// handler runs.
func (p *pages) adminPOST(h func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := limitForm(w, r, 1<<20); err != nil {
			p.message(w, http.StatusBadRequest, "フォームを読めませんでした", "The form could not be read: "+err.Error(), "/admin")
			return
		}
		s := p.session(r)
		if s == nil || subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(s.csrf)) != 1 {
			p.log.Warn("admin form refused: missing session or CSRF token", "path", r.URL.Path)
			p.message(w, http.StatusForbidden, "操作を受け付けられませんでした",
				"This form is expired or did not come from this site (CSRF check failed). Reload the page and try again.", "/admin")
			return
		}
		h(w, r, s)
	}
}

type loginData struct {
	layoutData
	LoginCSRF string
	Error     string
}

// loginPage shows the admin-token form. The form carries a double-submit
// token (a cookie and a hidden field of the same random value), so even
// the sign-in cannot be posted from another site.
func (p *pages) loginPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	tok := randomToken(24)
	setCookie(w, r, loginCSRFCookie, tok, "/admin", 30*time.Minute, http.SameSiteStrictMode)
	p.render(w, status, adminLoginTmpl, loginData{layoutData: layoutData{Title: "管理画面にサインイン"}, LoginCSRF: tok, Error: errMsg})
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	if err := limitForm(w, r, 16<<10); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		p.message(w, http.StatusForbidden, "操作を受け付けられませんでした",
			"The sign-in form expired or did not come from this site. Open /admin again.", "/admin")
		return
	}
	token, _ := trimmedForm(r, "token")
	if subtle.ConstantTimeCompare([]byte(token), p.a.adminToken) != 1 {
		p.log.Warn("admin sign-in with a wrong token", "remote", r.RemoteAddr)
		p.loginPage(w, r, http.StatusUnauthorized, "管理者トークンが正しくありません (wrong admin token)")
		return
	}
	s := p.sessions.create()
	setCookie(w, r, sessionCookie, s.id, "/", sessionTTL, http.SameSiteStrictMode)
	setCookie(w, r, loginCSRFCookie, "", "/admin", -1, http.SameSiteStrictMode)
	p.log.Info("admin signed in")
	next := r.PostFormValue("next")
	if !localPath(next) {
		next = "/admin"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request, s *session) {
	p.sessions.delete(s.id)
	setCookie(w, r, sessionCookie, "", "/", -1, http.SameSiteStrictMode)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// localPath accepts only same-site absolute paths as redirect targets.
func localPath(s string) bool {
	return len(s) > 1 && s[0] == '/' && s[1] != '/' && s[1] != '\\'
}

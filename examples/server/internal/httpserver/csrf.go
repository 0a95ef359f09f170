package httpserver

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// Admin sessions. Signing in with the admin token creates a session: the
// cookie holds a sealed session ID and expiry (never the token), HttpOnly
// and SameSite=Strict; the session's CSRF token, which every admin form
// carries in a hidden field, is derived from its ID. Both keys are derived
// from the admin token, so every replica configured with the same token
// accepts the same sessions, a restart keeps admins signed in, and changing
// the token signs everyone out. Signing out is remembered by the process
// that served it, until it restarts (the browser drops its cookie in any
// case); a copied cookie stays valid elsewhere until it expires.

const (
	sessionCookie   = "uk_admin"
	loginCSRFCookie = "uk_login"
	sessionTTL      = 12 * time.Hour
	csrfField       = "csrf"
	maxRevoked      = 10000
)

type session struct {
	id      string
	csrf    string
	expires time.Time
	cookie  string // the sealed value of the session cookie
}

// sessionClaims is what a session cookie seals.
type sessionClaims struct {
	ID      string `json:"id"`
	Expires int64  `json:"exp"` // Unix seconds
}

type sessionStore struct {
	now     func() time.Time
	cookies sealer
	csrf    sealer

	mu      sync.Mutex
	revoked map[string]time.Time // signed-out session ID → its expiry
}

func newSessionStore(adminToken []byte, now func() time.Time) *sessionStore {
	return &sessionStore{now: now, cookies: newSealer(adminToken, "admin-session"), csrf: newSealer(adminToken, "admin-csrf"),
		revoked: map[string]time.Time{}}
}

func (s *sessionStore) create() *session {
	c := sessionClaims{ID: app.NewToken(24), Expires: s.now().Add(sessionTTL).Unix()}
	ss := s.session(c)
	ss.cookie = s.cookies.seal(c)
	return ss
}

func (s *sessionStore) session(c sessionClaims) *session {
	return &session{id: c.ID, expires: time.Unix(c.Expires, 0),
		csrf: base64.RawURLEncoding.EncodeToString(s.csrf.mac(c.ID))}
}

// get returns the session a cookie value seals, or nil when it is forged,
// expired or signed out.
func (s *sessionStore) get(cookie string) *session {
	var c sessionClaims
	if cookie == "" || !s.cookies.open(cookie, &c) || !s.valid(c.ID, time.Unix(c.Expires, 0)) {
		return nil
	}
	ss := s.session(c)
	ss.cookie = cookie
	return ss
}

// valid reports whether the session id, expiring at expires, is still on.
func (s *sessionStore) valid(id string, expires time.Time) bool {
	if id == "" || !s.now().Before(expires) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, out := s.revoked[id]
	return !out
}

// delete signs the session out in this process.
func (s *sessionStore) delete(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.revoked) >= maxRevoked {
		now := s.now()
		for id, exp := range s.revoked {
			if !now.Before(exp) {
				delete(s.revoked, id)
			}
		}
	}
	// Only an admin can sign out, so the map stays small; the pruning
	// above only keeps it from holding sessions that expired anyway.
	s.revoked[ss.id] = ss.expires
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
	tok := app.NewToken(24)
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
	if !p.guard.waitTurn(w, r, p.tooManyGuesses) {
		return
	}
	ok := subtle.ConstantTimeCompare([]byte(token), p.adminToken) == 1
	p.guard.guessed(r, ok)
	if !ok {
		p.log.Warn("admin sign-in with a wrong token", "remote", r.RemoteAddr)
		p.loginPage(w, r, http.StatusUnauthorized, "管理者トークンが正しくありません (wrong admin token)")
		return
	}
	s := p.sessions.create()
	setCookie(w, r, sessionCookie, s.cookie, "/", sessionTTL, http.SameSiteStrictMode)
	setCookie(w, r, loginCSRFCookie, "", "/admin", -1, http.SameSiteStrictMode)
	p.log.Info("admin signed in")
	next := r.PostFormValue("next")
	if !localPath(next) {
		next = "/admin"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request, s *session) {
	p.sessions.delete(s)
	setCookie(w, r, sessionCookie, "", "/", -1, http.SameSiteStrictMode)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// localPath accepts only same-site absolute paths as redirect targets.
// Control characters are refused anywhere: browsers drop tabs and line
// breaks from URLs, so "/\t/evil.example" would become "//evil.example".
func localPath(s string) bool {
	return len(s) > 1 && s[0] == '/' && s[1] != '/' && s[1] != '\\' && !strings.ContainsFunc(s, unicode.IsControl)
}

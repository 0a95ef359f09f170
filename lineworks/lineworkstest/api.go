package lineworkstest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
)

// Message is a message the fake received through the send APIs.
type Message struct {
	BotID int64
	// ChannelID is set for channel messages, UserID for 1:1 messages.
	ChannelID string
	UserID    string
	// Content is the "content" object exactly as received.
	Content  json.RawMessage
	DomainID int64
	Received time.Time
}

// state holds the fake's resources. Routes for each API live in their own
// files and share it.
type state struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever messages change
	messages []Message
	codes    map[string]*authCode
	signIn   string    // user ID that "signs in" at the authorize endpoint
	res      resources // users, channels, bots, files, menus (resources.go)
}

type authCode struct {
	app    *App
	userID string
	scopes []string
}

func newState() *state {
	return &state{changed: make(chan struct{}), codes: map[string]*authCode{}, signIn: AdminUserID}
}

// The administrator every new fake has, and the user its authorize endpoint
// signs in (until SetSignInUser names another): the person who sets up the
// app and the bot. GET /users/me answers this user to a token from the
// authorization code grant.
const (
	// AdminUserID is shaped like a LINE WORKS user ID (UUID-like); it is
	// fixed so that tests and printed set-up notes can name it.
	AdminUserID = "a0d1e2f3-0000-4000-8000-00000000ad01"
	AdminEmail  = "admin@example.com"
)

// seedAdmin adds the administrator user; AddUser may replace it.
func (s *Server) seedAdmin() {
	s.AddUser(User{UserID: AdminUserID, Email: AdminEmail, LastName: "管理", FirstName: "太郎",
		I18nNames:       []lineworks.I18nName{{Language: lineworks.LanguageEnUS, LastName: "Kanri", FirstName: "Taro"}},
		IsAdministrator: true, DomainID: DefaultDomainID})
}

// SignInUser returns the user the authorize endpoint signs in, as
// GET /users/me would answer it; ok is false when SetSignInUser named a user
// that was not seeded (then only UserID is set, and /users/me answers 404).
func (s *Server) SignInUser() (u User, ok bool) {
	s.state.mu.Lock()
	id := s.state.signIn
	s.state.mu.Unlock()
	rs, unlock := s.res()
	defer unlock()
	if found := rs.findUser(id); found != nil {
		return cloneUser(*found), true
	}
	return User{UserID: id}, false
}

func (st *state) recordMessage(m Message) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.messages = append(st.messages, m)
	close(st.changed)
	st.changed = make(chan struct{})
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Message {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return append([]Message(nil), s.state.messages...)
}

// WaitMessages blocks until at least n messages have been received (and
// returns them all) or ctx ends.
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	if err := s.WaitMessageCount(ctx, n); err != nil {
		return nil, err
	}
	return s.Messages(), nil
}

// WaitMessageCount blocks until at least n messages have been received or
// ctx ends. Unlike WaitMessages it copies nothing, so a load test or a
// benchmark can wait for its thousandth message as cheaply as for its first.
func (s *Server) WaitMessageCount(ctx context.Context, n int) error {
	for {
		s.state.mu.Lock()
		got, ch := len(s.state.messages), s.state.changed
		s.state.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Changed returns a channel closed at the next change of the message record,
// for pages that stream the conversation.
func (s *Server) Changed() <-chan struct{} {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.state.changed
}

// SetSignInUser sets the user the authorize endpoint signs in without asking
// (the fake has no login page); the default is AdminUserID. Seed the user
// with AddUser for GET /users/me to find it.
func (s *Server) SetSignInUser(userID string) {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	s.state.signIn = userID
}

func (s *Server) registerAPI() {
	s.mux.HandleFunc("GET "+AuthorizePath, s.serveAuthorize)
	s.handle("POST /bots/{botId}/users/{userId}/messages", s.serveSend)
	s.handle("POST /bots/{botId}/channels/{channelId}/messages", s.serveSend)
	// The rest of the API, one call per routes_*.go file: listed here rather
	// than added from init functions, so that reading this function shows
	// every route the fake serves and where it is.
	s.registerAttachmentRoutes()
	s.registerBotRoutes()
	s.registerChannelRoutes()
	s.registerMeRoutes()
	s.registerMenuRoutes()
	s.registerUserRoutes()
}

// maxSendBody is generous: flex messages are bounded at 30 KB.
const maxSendBody = 1 << 20

func (s *Server) serveSend(w http.ResponseWriter, r *http.Request) {
	t := s.begin(w, r, "bot.message")
	if t == nil {
		return
	}
	botID, err := strconv.ParseInt(r.PathValue("botId"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "botId must be a number")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxSendBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "Request body cannot be read.")
		return
	}
	var body struct {
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(data, &body) != nil || len(body.Content) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "Request body cannot be parsed.")
		return
	}
	m := Message{BotID: botID, ChannelID: r.PathValue("channelId"), UserID: r.PathValue("userId"), Content: body.Content, DomainID: t.app.DomainID, Received: s.now()}
	if code, desc := s.validateSend(m); code != "" {
		status := http.StatusBadRequest
		if code == "NOT_FOUND" || strings.HasSuffix(code, "_NOT_EXIST") {
			status = http.StatusNotFound
		}
		writeError(w, status, code, desc)
		return
	}
	s.state.recordMessage(m)
	w.WriteHeader(http.StatusCreated)
}

// serveAuthorize signs the configured user in without a login page and
// redirects back with a code, as LINE WORKS does after a real login.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	app := s.apps[q.Get("client_id")]
	s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if app == nil || err != nil || redirect.Scheme == "" || q.Get("response_type") != "code" {
		http.Error(w, "invalid client_id, redirect_uri or response_type", http.StatusBadRequest)
		return
	}
	v := redirect.Query()
	scopes, ok := s.checkScopes(q.Get("scope"), app)
	if !ok {
		v.Set("error", "invalid_scope")
		v.Set("state", q.Get("state"))
		redirect.RawQuery = v.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
		return
	}
	code := "code" + randomHex(12)
	s.state.mu.Lock()
	s.state.codes[code] = &authCode{app: app, userID: s.state.signIn, scopes: scopes}
	s.state.mu.Unlock()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// grantCode exchanges an authorization code, once.
func (s *Server) grantCode(w http.ResponseWriter, r *http.Request, app *App) {
	code := r.PostForm.Get("code")
	s.state.mu.Lock()
	c := s.state.codes[code]
	delete(s.state.codes, code)
	s.state.mu.Unlock()
	if c == nil || c.app != app {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the authorization code is invalid or was used")
		return
	}
	s.issue(w, &issuedToken{app: app, scopes: c.scopes, userID: c.userID}, true)
}

// TokenUser returns the user a user-account access token was issued to.
func (s *Server) TokenUser(access string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[access]
	if t == nil || t.userID == "" {
		return "", false
	}
	return t.userID, true
}

package lineworkstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/uketsuke/uketsuke/lineworks"
)

// registerMenuRoutes serves the persistent and rich menu routes:
// https://developers.worksmobile.com/jp/docs/bot-menu,
// bot-persistentmenu-*, bot-richmenu-*, bot-default-richmenu-*.
//
// GET /bots/{botId}/richmenus/{richmenuId}/image and
// GET /bots/{botId}/richmenus/users/{userId} overlap as patterns (a rich
// menu ID "users" would match both), so one route serves both:
// "GET /bots/{botId}/richmenus/{richmenuId}/{sub}" is the name to use with
// InjectFault for either. Rate limits are still counted per documented API.
func (s *Server) registerMenuRoutes() {
	s.handle("POST /bots/{botId}/persistentmenu", s.servePersistentMenuSet)
	s.handle("GET /bots/{botId}/persistentmenu", s.servePersistentMenuGet)
	s.handle("DELETE /bots/{botId}/persistentmenu", s.servePersistentMenuDelete)
	s.handle("POST /bots/{botId}/richmenus", s.serveRichMenuCreate)
	s.handle("GET /bots/{botId}/richmenus", s.serveRichMenuList)
	s.handle("GET /bots/{botId}/richmenus/{richmenuId}", s.serveRichMenuGet)
	s.handle("DELETE /bots/{botId}/richmenus/{richmenuId}", s.serveRichMenuDelete)
	s.handle("POST /bots/{botId}/richmenus/{richmenuId}/image", s.serveRichMenuImageSet)
	s.handle("GET /bots/{botId}/richmenus/{richmenuId}/{sub}", s.serveRichMenuSubGet)
	s.handle("POST /bots/{botId}/richmenus/{richmenuId}/set-default", s.serveRichMenuSetDefault)
	s.handle("GET /bots/{botId}/richmenus/default", s.serveRichMenuDefaultGet)
	s.handle("DELETE /bots/{botId}/richmenus/default", s.serveRichMenuDefaultDelete)
	s.handle("POST /bots/{botId}/richmenus/{richmenuId}/users/{userId}", s.serveRichMenuUserSet)
	s.handle("DELETE /bots/{botId}/richmenus/users/{userId}", s.serveRichMenuUserDelete)
}

// menusFor parses {botId} and returns the bot's menus locked; the caller
// unlocks.
func (s *Server) menusFor(w http.ResponseWriter, r *http.Request) (*botMenus, func()) {
	botID, ok := botIDParam(w, r)
	if !ok {
		return nil, nil
	}
	rs, unlock := s.res()
	return rs.botMenus(botID), unlock
}

func (s *Server) servePersistentMenuSet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	var body struct {
		Content struct {
			Actions []json.RawMessage `json:"actions"`
		} `json:"content"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	actions := make([]lineworks.Action, 0, len(body.Content.Actions))
	for _, raw := range body.Content.Actions {
		a, err := lineworks.DecodeAction(raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", describe(err))
			return
		}
		actions = append(actions, a)
	}
	if err := lineworks.ValidatePersistentMenu(actions); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", describe(err))
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	defer unlock()
	if len(m.richmenus) > 0 {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "a persistent menu cannot be set while the bot has rich menus")
		return
	}
	m.persistent, _ = json.Marshal(map[string]any{"actions": actions})
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) servePersistentMenuGet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	content := m.persistent
	unlock()
	if content == nil {
		notFound(w, "persistent menu")
		return
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"content": content})
}

func (s *Server) servePersistentMenuDelete(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	defer unlock()
	if m.persistent == nil {
		notFound(w, "persistent menu")
		return
	}
	m.persistent = nil
	w.WriteHeader(http.StatusNoContent)
}

const maxRichMenus = 1000

func (s *Server) serveRichMenuCreate(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	var menu lineworks.RichMenu
	if !decodeBody(w, r, &menu) {
		return
	}
	if err := menu.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", describe(err))
		return
	}
	botID, ok := botIDParam(w, r)
	if !ok {
		return
	}
	rs, unlock := s.res()
	defer unlock()
	m := rs.botMenus(botID)
	if len(m.richmenus) >= maxRichMenus {
		writeError(w, http.StatusForbidden, "LIMIT_EXCEEDED", "a bot can have at most 1000 rich menus")
		return
	}
	menu.RichmenuID = strconv.FormatInt(rs.nextMenu, 10)
	rs.nextMenu++
	m.richmenus[menu.RichmenuID] = &richMenuRecord{menu: menu}
	m.order = append(m.order, menu.RichmenuID)
	m.persistent = nil // a rich menu replaces the persistent menu
	writeJSON(w, http.StatusCreated, menu)
}

func (s *Server) serveRichMenuList(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	all := make([]lineworks.RichMenu, 0, len(m.order))
	for _, id := range m.order {
		all = append(all, m.richmenus[id].menu)
	}
	unlock()
	from, to, next, ok := pageBounds(w, r, "richmenus", len(all))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"richmenus": all[from:to], "responseMetaData": metaData{NextCursor: next}})
}

// richMenuFor finds {richmenuId}, answering 404 itself; the caller unlocks.
func (s *Server) richMenuFor(w http.ResponseWriter, r *http.Request) (*botMenus, *richMenuRecord, func()) {
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return nil, nil, nil
	}
	rec := m.richmenus[r.PathValue("richmenuId")]
	if rec == nil {
		unlock()
		notFound(w, "rich menu")
		return nil, nil, nil
	}
	return m, rec, unlock
}

func (s *Server) serveRichMenuGet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	_, rec, unlock := s.richMenuFor(w, r)
	if rec == nil {
		return
	}
	menu := rec.menu
	unlock()
	writeJSON(w, http.StatusOK, menu)
}

func (s *Server) serveRichMenuDelete(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	m, rec, unlock := s.richMenuFor(w, r)
	if rec == nil {
		return
	}
	defer unlock()
	id := rec.menu.RichmenuID
	delete(m.richmenus, id)
	m.order = slices.DeleteFunc(m.order, func(x string) bool { return x == id })
	if m.defaultMenu == id {
		m.defaultMenu = ""
	}
	for u, x := range m.userMenus {
		if x == id {
			delete(m.userMenus, u)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveRichMenuImageSet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	var img lineworks.RichMenuImage
	if !decodeBody(w, r, &img) {
		return
	}
	if img.FileID == "" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "fileId is required")
		return
	}
	_, rec, unlock := s.richMenuFor(w, r)
	if rec == nil {
		return
	}
	defer unlock()
	rs := &s.state.res // already locked by richMenuFor
	for _, id := range append([]string{img.FileID}, fileIDs(img.I18nFileIDs)...) {
		if f := rs.files[id]; f == nil || !f.Uploaded {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "fileId "+id+" is not an uploaded file")
			return
		}
	}
	rec.image = &img
	w.WriteHeader(http.StatusNoContent)
}

func fileIDs(items []lineworks.I18nFileID) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.FileID
	}
	return out
}

// serveRichMenuSubGet serves both GET …/richmenus/{richmenuId}/image and
// GET …/richmenus/users/{userId} (see the file comment).
func (s *Server) serveRichMenuSubGet(w http.ResponseWriter, r *http.Request) {
	route := "GET /bots/{botId}/richmenus/{richmenuId}/image"
	isUser := r.PathValue("richmenuId") == "users"
	if isUser {
		route = "GET /bots/{botId}/richmenus/users/{userId}"
	} else if r.PathValue("sub") != "image" {
		notFound(w, "resource")
		return
	}
	t, ok := s.authorize(w, r, "bot.message", "bot.read")
	if !ok || s.rateLimited(route, t, w) {
		return
	}
	if isUser {
		m, unlock := s.menusFor(w, r)
		if m == nil {
			return
		}
		rec := m.richmenus[m.userMenus[r.PathValue("sub")]]
		var menu lineworks.RichMenu
		if rec != nil {
			menu = rec.menu
		}
		unlock()
		if rec == nil {
			notFound(w, "user rich menu")
			return
		}
		writeJSON(w, http.StatusOK, menu)
		return
	}
	_, rec, unlock := s.richMenuFor(w, r)
	if rec == nil {
		return
	}
	img := rec.image
	unlock()
	if img == nil {
		notFound(w, "rich menu image")
		return
	}
	writeJSON(w, http.StatusOK, img)
}

func (s *Server) serveRichMenuSetDefault(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	m, rec, unlock := s.richMenuFor(w, r)
	if rec == nil {
		return
	}
	m.defaultMenu = rec.menu.RichmenuID
	unlock()
	botID, _ := botIDParam(w, r)
	// 201 as the jp, en and kr reference pages all say; no observation of
	// the service says otherwise.
	// https://developers.worksmobile.com/jp/docs/bot-default-richmenu-set
	writeJSON(w, http.StatusCreated, map[string]any{"botId": botID, "defaultRichmenuId": rec.menu.RichmenuID})
}

func (s *Server) serveRichMenuDefaultGet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	id := m.defaultMenu
	unlock()
	if id == "" {
		notFound(w, "default rich menu")
		return
	}
	botID, _ := botIDParam(w, r)
	writeJSON(w, http.StatusOK, map[string]any{"botId": botID, "defaultRichmenuId": id})
}

func (s *Server) serveRichMenuDefaultDelete(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	defer unlock()
	if m.defaultMenu == "" {
		notFound(w, "default rich menu")
		return
	}
	m.defaultMenu = ""
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveRichMenuUserSet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	m, rec, unlock := s.richMenuFor(w, r)
	if rec == nil {
		return
	}
	defer unlock()
	m.userMenus[r.PathValue("userId")] = rec.menu.RichmenuID
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveRichMenuUserDelete(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	m, unlock := s.menusFor(w, r)
	if m == nil {
		return
	}
	defer unlock()
	user := r.PathValue("userId")
	if m.userMenus[user] == "" {
		notFound(w, "user rich menu")
		return
	}
	delete(m.userMenus, user)
	w.WriteHeader(http.StatusNoContent)
}

package lineworkstest

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
)

// This file holds the resources the fake serves besides messages — users,
// channels, bots, files and menus — and the methods tests use to seed and
// inspect them. The routes live in routes_*.go.

// User is a user seeded with AddUser. Only UserID is required.
type User struct {
	UserID            string
	Email             string
	LastName          string
	FirstName         string
	PhoneticLastName  string
	PhoneticFirstName string
	NickName          string
	// I18nNames are the names in other languages.
	I18nNames []lineworks.I18nName
	// DomainID defaults to DefaultDomainID.
	DomainID int64
	// ExternalKey lets GET /users/externalKey:{key} find the user.
	ExternalKey   string
	Organizations []lineworks.Organization
	// IsAdministrator marks a tenant administrator (isAdministrator).
	IsAdministrator bool
}

func cloneUser(u User) User {
	u.I18nNames = slices.Clone(u.I18nNames)
	u.Organizations = slices.Clone(u.Organizations)
	for i := range u.Organizations {
		u.Organizations[i].OrgUnits = slices.Clone(u.Organizations[i].OrgUnits)
	}
	return u
}

// Channel is a talk room seeded with AddChannel.
type Channel struct {
	// ChannelID is generated when empty.
	ChannelID string
	Title     string
	// Members are user IDs; the bot itself is not listed.
	Members []string
	// Type defaults to MULTI_USERS (lineworks.ChannelTypeMultiUsers).
	Type      string
	OrgUnitID string
	GroupID   string
	// DomainID defaults to DefaultDomainID.
	DomainID int64
}

// Bot is a bot seeded with AddBot or created through POST /bots. BotSecret
// is the bot's current secret, which no bot API answer shows: only
// POST /bots/{botId}/secret returns one (a new one).
type Bot = lineworks.Bot

// File is a file the fake stores: uploaded through the attachment API or
// seeded with AddFile as if a user had sent it.
type File struct {
	FileID      string
	BotID       int64
	FileName    string
	ContentType string
	Data        []byte
	// Uploaded is false for a slot whose upload URL has not been used yet.
	Uploaded bool
}

type botRecord struct {
	bot     Bot
	domains map[int64]*domainRecord
}

type domainRecord struct {
	reg     lineworks.DomainRegistration
	members []string
}

type botMenus struct {
	persistent  json.RawMessage // the "content" object, nil when unset
	richmenus   map[string]*richMenuRecord
	order       []string
	defaultMenu string
	userMenus   map[string]string // user ID → rich menu ID
}

type richMenuRecord struct {
	menu  lineworks.RichMenu
	image *lineworks.RichMenuImage
}

// resources is the zero-value-ready store behind the non-message routes.
type resources struct {
	mu       sync.Mutex
	users    []*User
	channels map[int64][]*Channel // per bot, in creation order
	strict   bool
	bots     map[int64]*botRecord
	nextBot  int64
	files    map[string]*File
	nextFile int64
	menus    map[int64]*botMenus
	nextMenu int64
}

func (rs *resources) init() {
	if rs.channels == nil {
		rs.channels = map[int64][]*Channel{}
		rs.bots = map[int64]*botRecord{}
		rs.files = map[string]*File{}
		rs.menus = map[int64]*botMenus{}
		rs.nextBot = 2000001
		rs.nextMenu = 40001
	}
}

// res locks the store and returns it; callers defer the returned unlock.
func (s *Server) res() (*resources, func()) {
	rs := &s.state.res
	rs.mu.Lock()
	rs.init()
	return rs, rs.mu.Unlock
}

// uuidLike returns an ID shaped like LINE WORKS channel and user IDs.
func uuidLike() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AddUser seeds a user for GET /users/{userId}, found by user ID, e-mail
// (case-insensitively) or "externalKey:{key}". A user with the same ID is
// replaced.
func (s *Server) AddUser(u User) {
	if u.UserID == "" {
		panic("lineworkstest: AddUser needs a UserID")
	}
	if u.DomainID == 0 {
		u.DomainID = DefaultDomainID
	}
	rs, unlock := s.res()
	defer unlock()
	rs.users = slices.DeleteFunc(rs.users, func(x *User) bool { return x.UserID == u.UserID })
	rs.users = append(rs.users, &u)
}

// findUser looks a user up by ID first and only then by e-mail: the seeded
// administrator's e-mail (AdminEmail) must not hide a user a test seeded
// with that address as its ID.
func (rs *resources) findUser(id string) *User {
	key, isExt := strings.CutPrefix(id, "externalKey:")
	for _, u := range rs.users {
		if isExt && u.ExternalKey != "" && u.ExternalKey == key || u.UserID == id {
			return u
		}
	}
	for _, u := range rs.users {
		if u.Email != "" && strings.EqualFold(u.Email, id) {
			return u
		}
	}
	return nil
}

// AddChannel seeds a talk room botID is a member of, for the channel routes
// (and, with SetStrictChannels, as a valid message destination). It returns
// the channel ID, generated when c.ChannelID is empty.
func (s *Server) AddChannel(botID int64, c Channel) string {
	if c.ChannelID == "" {
		c.ChannelID = uuidLike()
	}
	if c.Type == "" {
		c.Type = lineworks.ChannelTypeMultiUsers
	}
	if c.DomainID == 0 {
		c.DomainID = DefaultDomainID
	}
	c.Members = slices.Clone(c.Members)
	rs, unlock := s.res()
	defer unlock()
	rs.channels[botID] = slices.DeleteFunc(rs.channels[botID], func(x *Channel) bool { return x.ChannelID == c.ChannelID })
	rs.channels[botID] = append(rs.channels[botID], &c)
	return c.ChannelID
}

// Channel returns a channel of botID as the fake knows it (seeded, or
// created through the API and not left).
func (s *Server) Channel(botID int64, channelID string) (Channel, bool) {
	rs, unlock := s.res()
	defer unlock()
	if c := rs.findChannel(botID, channelID); c != nil {
		cp := *c
		cp.Members = slices.Clone(c.Members)
		return cp, true
	}
	return Channel{}, false
}

func (rs *resources) findChannel(botID int64, channelID string) *Channel {
	for _, c := range rs.channels[botID] {
		if c.ChannelID == channelID {
			return c
		}
	}
	return nil
}

// SetStrictChannels makes sends to a channel the fake does not know fail
// with 404, as on the real service, for every bot that has channels (seeded
// with AddChannel or created through the API). It is off by default, so
// simple tests can send to any channel ID.
func (s *Server) SetStrictChannels(on bool) {
	rs, unlock := s.res()
	defer unlock()
	rs.strict = on
}

// AddBot seeds a bot and returns its ID (b.BotID, or a new one when zero).
// A bot secret is generated when b.BotSecret is empty.
func (s *Server) AddBot(b Bot) int64 {
	rs, unlock := s.res()
	defer unlock()
	return rs.addBot(b, s.now())
}

// botTime formats the read-only createdTime/modifiedTime of a bot. The
// bot-get page lists both members but the stored copies we checked show no
// example value, so the format (RFC 3339 with the offset, like issuedTime of
// callbacks) is an assumption; clients should treat the text as opaque.
func botTime(t time.Time) string { return t.Format(time.RFC3339) }

// addBot stores b; createdTime and modifiedTime default to now, as a bot
// seeded with AddBot has just been created as far as clients can tell.
func (rs *resources) addBot(b Bot, now time.Time) int64 {
	if b.CreatedTime == "" {
		b.CreatedTime = botTime(now)
	}
	if b.ModifiedTime == "" {
		b.ModifiedTime = b.CreatedTime
	}
	if b.BotID == 0 {
		for rs.bots[rs.nextBot] != nil {
			rs.nextBot++
		}
		b.BotID = rs.nextBot
		rs.nextBot++
	}
	if b.BotSecret == "" {
		b.BotSecret = newBotSecret()
	}
	rs.bots[b.BotID] = &botRecord{bot: cloneBot(b), domains: map[int64]*domainRecord{}}
	return b.BotID
}

// newBotSecret returns a random secret shaped like the one in the
// bot-secret-issue example ("12345a12-b12c-12d3-e123fghijkl").
func newBotSecret() string { return uuidLike() }

// Bot returns a bot as the fake stores it, BotSecret and callback settings
// included, so a test server can sign callbacks for a bot created through
// the API.
func (s *Server) Bot(botID int64) (Bot, bool) {
	rs, unlock := s.res()
	defer unlock()
	if r := rs.bots[botID]; r != nil {
		return cloneBot(r.bot), true
	}
	return Bot{}, false
}

// Bots returns every bot of the fake, seeded or created through the API,
// in the order of their IDs (so the newest is last).
func (s *Server) Bots() []Bot {
	rs, unlock := s.res()
	defer unlock()
	out := make([]Bot, 0, len(rs.bots))
	for _, r := range rs.bots {
		out = append(out, cloneBot(r.bot))
	}
	slices.SortFunc(out, func(a, b Bot) int { return cmp.Compare(a.BotID, b.BotID) })
	return out
}

// BotDomainMembers returns the users added to botID in domainID with
// POST /bots/{botId}/domains/{domainId}/members.
func (s *Server) BotDomainMembers(botID, domainID int64) []string {
	rs, unlock := s.res()
	defer unlock()
	if r := rs.bots[botID]; r != nil && r.domains[domainID] != nil {
		return slices.Clone(r.domains[domainID].members)
	}
	return nil
}

func cloneBot(b Bot) Bot {
	// Round-trip through JSON: every slice is copied, nothing shared.
	data, _ := json.Marshal(b)
	var out Bot
	_ = json.Unmarshal(data, &out)
	out.BotSecret = b.BotSecret
	return out
}

// AddFile stores a file as if a user had sent it to botID, for
// GET /bots/{botId}/attachments/{fileId}, and returns its file ID.
func (s *Server) AddFile(botID int64, fileName, contentType string, data []byte) string {
	rs, unlock := s.res()
	defer unlock()
	f := rs.newFile(botID, fileName)
	f.ContentType, f.Data, f.Uploaded = contentType, bytes.Clone(data), true
	return f.FileID
}

func (rs *resources) newFile(botID int64, fileName string) *File {
	rs.nextFile++
	// Shaped like a bot upload: {region}.{ms}.{expiry}.{n}.{botId}.0.0.0.
	id := fmt.Sprintf("jp1.%d.%d.%d.%d.0.0.0", 1628695315008671000+rs.nextFile, 1628781715, rs.nextFile, botID)
	f := &File{FileID: id, BotID: botID, FileName: fileName}
	rs.files[id] = f
	return f
}

// File returns a stored file: what a client uploaded, or what AddFile seeded.
func (s *Server) File(fileID string) (File, bool) {
	rs, unlock := s.res()
	defer unlock()
	if f := rs.files[fileID]; f != nil {
		cp := *f
		cp.Data = bytes.Clone(f.Data)
		return cp, true
	}
	return File{}, false
}

// PersistentMenu returns the "content" object of botID's persistent menu as
// it was set.
func (s *Server) PersistentMenu(botID int64) (json.RawMessage, bool) {
	rs, unlock := s.res()
	defer unlock()
	if m := rs.menus[botID]; m != nil && m.persistent != nil {
		return bytes.Clone(m.persistent), true
	}
	return nil, false
}

// UserRichMenu returns the rich menu ID set for userID, or the bot's default
// rich menu when none is: what the user would see.
func (s *Server) UserRichMenu(botID int64, userID string) string {
	rs, unlock := s.res()
	defer unlock()
	m := rs.menus[botID]
	if m == nil {
		return ""
	}
	if id := m.userMenus[userID]; id != "" {
		return id
	}
	return m.defaultMenu
}

func (rs *resources) botMenus(botID int64) *botMenus {
	m := rs.menus[botID]
	if m == nil {
		m = &botMenus{richmenus: map[string]*richMenuRecord{}, userMenus: map[string]string{}}
		rs.menus[botID] = m
	}
	return m
}

// Paging. Cursors are opaque base64 with '+', '/' and '=' in them, so a
// client that forgets to URL-encode them gets the wrong page or a 400.

const defaultPageCount = 50

var cursorMagic = []byte{0xfb, 0xef, 0xff}

func encodeCursor(kind string, offset int) string {
	b := append(bytes.Clone(cursorMagic), kind+":"+strconv.Itoa(offset)...)
	return base64.StdEncoding.EncodeToString(b)
}

// pageBounds reads count and cursor and returns the slice bounds of the page
// and the next cursor, or answers 400 itself.
func pageBounds(w http.ResponseWriter, r *http.Request, kind string, total int) (from, to int, next string, ok bool) {
	q := r.URL.Query()
	count := defaultPageCount
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "count must be between 1 and 100")
			return 0, 0, "", false
		}
		count = n
	}
	if c := q.Get("cursor"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		rest, okMagic := bytes.CutPrefix(raw, cursorMagic)
		k, off, _ := strings.Cut(string(rest), ":")
		n, errN := strconv.Atoi(off)
		if err != nil || !okMagic || k != kind || errN != nil || n < 0 || n > total {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "cursor is invalid")
			return 0, 0, "", false
		}
		from = n
	}
	to = min(from+count, total)
	if to < total {
		next = encodeCursor(kind, to)
	}
	return from, to, next, true
}

// metaData is the responseMetaData member.
type metaData struct {
	NextCursor string `json:"nextCursor"`
}

// apiRoute returns the reference template of the route r matched, the name
// used for rate limits and InjectFault.
func apiRoute(r *http.Request) string {
	return r.Method + " " + strings.TrimPrefix(r.Pattern[len(r.Method)+1:], APIPrefix)
}

// begin authorizes an API request for one of scopes and applies the rate
// limit; it answers the request itself and returns nil when either fails.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, scopes ...string) *issuedToken {
	t, ok := s.authorize(w, r, scopes...)
	if !ok {
		return nil
	}
	if s.rateLimited(apiRoute(r), t, w) {
		return nil
	}
	return t
}

// botIDParam parses {botId}, answering 400 when it is not a number.
func botIDParam(w http.ResponseWriter, r *http.Request) (int64, bool) {
	return int64Param(w, r, "botId")
}

func int64Param(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", name+" must be a positive number")
		return 0, false
	}
	return id, true
}

// maxBody bounds request bodies of the management routes.
const maxBody = 1 << 20

// decodeBody decodes a JSON request body into v, answering 400 like the
// real service when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "Request body cannot be parsed.")
		return false
	}
	return true
}

func notFound(w http.ResponseWriter, what string) {
	writeError(w, http.StatusNotFound, "NOT_FOUND", what+" not found")
}

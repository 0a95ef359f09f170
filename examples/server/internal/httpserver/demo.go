package httpserver

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

//go:embed web
var webFS embed.FS

var demoTemplate = template.Must(template.ParseFS(webFS, "web/demo.html"))

// Demo data. The bot ID is far outside the range of real bot IDs, so a
// demo organization left in a database never collides with a real bot.
const (
	DemoBotID   int64 = 900000000001
	demoRoomID        = "demo-room-reception"
	demoRoom          = "受付通知（デモ）"
	demoOrgName       = "デモ株式会社"
	demoBotName       = "受付ボット"
	// MaxLongPoll is the longest /demo/messages waits for a message.
	MaxLongPoll = 25 * time.Second
)

type demoPerson struct {
	staffID, userID, last, first string
}

var demoPeople = []demoPerson{
	{"yamada", "demo-user-yamada", "山田", "太郎"},
	{"sato", "demo-user-sato", "佐藤", "花子"},
	{"suzuki", "demo-user-suzuki", "鈴木", "一郎"},
}

var demoButtons = []*reception.Button{
	{ID: "sales", Label: "営業部", Labels: map[string]string{"en": "Sales", "zh-Hans": "销售部", "ko": "영업부"}, Order: 1, Enabled: true, ChannelIDs: []string{demoRoomID},
		Reminder: reception.ReminderPolicy{After: 5 * time.Minute, MentionAll: true, Max: 2}},
	{ID: "general", Label: "総務部", Labels: map[string]string{"en": "General affairs", "zh-Hans": "总务部", "ko": "총무부"}, Order: 2, Enabled: true, ChannelIDs: []string{demoRoomID}},
	{ID: "delivery", Label: "配達・宅配便", Labels: map[string]string{"en": "Deliveries", "zh-Hans": "快递·送货", "ko": "택배·배달"}, Order: 3, Enabled: true, ChannelIDs: []string{demoRoomID}},
}

// demo runs a fake LINE WORKS in the process, a demo organization wired to
// it, and the /demo page that shows the fake's talk room and lets the
// visitor play both the kiosk and the staff.
type Demo struct {
	fake  *lineworkstest.Server
	store reception.Store
	svc   *notify.Service
	log   *slog.Logger
	hc    *http.Client
	// selfURL is this server's loopback URL, where taps are delivered as
	// signed callbacks.
	selfURL string
	// needJoin is set when the demo room is new: the bot "joins" it once the
	// server listens, so the room-ID message shows in the feed.
	needJoin bool
	// kioskToken is the demo kiosk's token in clear: stores keep only its
	// hash, so the demo issues a new one at every start and prints it.
	kioskToken string
	// draining is closed when the server shuts down, ending long polls at
	// once instead of holding the shutdown for their full wait.
	draining chan struct{}
	// auto: the demo runs only until an organization other than the demo
	// one has a LINE WORKS integration (UKETSUKE_DEMO unset); then it ends
	// for good in this process (live).
	auto  bool
	ended atomic.Bool
	// checked is when live last read the organizations (UnixNano), so that
	// a flood of demo requests costs one store read per liveCheck.
	checked atomic.Int64
	// loc is UKETSUKE_TIME_ZONE, for the feed's times (UseLocation).
	loc *time.Location
}

// UseLocation sets the zone of the feed's times: the server's.
func (d *Demo) UseLocation(loc *time.Location) { d.loc = loc }

// zone is the feed's time zone.
func (d *Demo) zone() *time.Location {
	if d.loc == nil {
		return time.UTC
	}
	return d.loc
}

// liveCheck is how often an auto demo looks for a real integration.
const liveCheck = 5 * time.Second

// startDemo starts the fake and seeds it and the store. The fake gets fresh
// credentials on every start; the organization is updated to match.
//
// With auto, the demo ends once an organization other than the demo one has
// a LINE WORKS integration: its pages answer 404 and the demo
// organization's kiosk token stops working (it is shown on the open /demo
// page, so anyone may have it).
func StartDemo(ctx context.Context, store reception.Store, log *slog.Logger, now time.Time, auto bool) (*Demo, error) {
	fake := lineworkstest.NewServer()
	d := &Demo{fake: fake, store: store, log: log, hc: &http.Client{Timeout: 10 * time.Second}, draining: make(chan struct{}), auto: auto}
	if err := d.seed(ctx, now); err != nil {
		fake.Close()
		return nil, err
	}
	return d, nil
}

// Close stops the fake LINE WORKS.
func (d *Demo) Close() { d.fake.Close() }

// Endpoints are the fake's, where the demo organization's LINE WORKS
// requests go.
func (d *Demo) Endpoints() app.Endpoints {
	return app.Endpoints{API: d.fake.APIURL, Token: d.fake.TokenURL, Authorize: d.fake.AuthURL}
}

// Drain ends the long polls of /demo/messages at once: the server is
// shutting down and should not wait for their full wait.
func (d *Demo) Drain() { close(d.draining) }

// Listening tells the demo where the server listens (taps are delivered
// there as signed callbacks) and, for a new demo room, has the bot join it
// in the background, as LINE WORKS does when the bot is invited.
func (d *Demo) Listening(ctx context.Context, selfURL string) {
	d.selfURL = selfURL
	go d.joinRoom(ctx)
}

func (d *Demo) seed(ctx context.Context, now time.Time) error {
	sa := d.fake.NewServiceAccount("bot", "user.read")
	botSecret := app.NewToken(24)
	var members []string
	for _, p := range demoPeople {
		d.fake.AddUser(lineworkstest.User{UserID: p.userID, LastName: p.last, FirstName: p.first, Email: p.staffID + "@demo.uketsuke.example"})
		members = append(members, p.userID)
	}
	// "Sign in with LINE WORKS" on the demo organization signs in its
	// bot administrator, as it would in a real tenant.
	d.fake.SetSignInUser(demoPeople[0].userID)
	d.fake.AddBot(lineworkstest.Bot{BotID: DemoBotID, BotName: demoBotName, BotSecret: botSecret,
		Administrators: []string{demoPeople[0].userID}, EnableCallback: true, EnableGroupJoin: true})
	d.fake.AddChannel(DemoBotID, lineworkstest.Channel{ChannelID: demoRoomID, Title: demoRoom, Members: members})

	org, err := d.store.GetOrganization(ctx, app.DemoOrgID)
	switch {
	case errors.Is(err, reception.ErrNotFound):
		org = &reception.Organization{ID: app.DemoOrgID, CreatedAt: now}
	case err != nil:
		return err
	}
	d.kioskToken = app.NewToken(24)
	org.Name, org.Locale, org.UpdatedAt, org.KioskToken = demoOrgName, "ja", now, d.kioskToken
	org.Integration = reception.Integration{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PrivateKey: sa.PrivateKey, Scopes: sa.Scopes, BotID: DemoBotID, BotSecret: botSecret,
		DomainID: lineworkstest.DefaultDomainID, AdminUserID: demoPeople[0].userID, RateLimit: 240,
		DefaultChannelID: demoRoomID,
	}
	if err := d.store.PutOrganization(ctx, org); err != nil {
		return err
	}
	for _, p := range demoPeople {
		if _, err := d.store.GetStaff(ctx, app.DemoOrgID, p.staffID); errors.Is(err, reception.ErrNotFound) {
			st := &reception.Staff{ID: p.staffID, OrgID: app.DemoOrgID, Name: p.last + " " + p.first, UserID: p.userID, Active: true}
			if err := d.store.PutStaff(ctx, st); err != nil {
				return err
			}
		}
	}
	for _, b := range demoButtons {
		if _, err := d.store.GetButton(ctx, app.DemoOrgID, b.ID); errors.Is(err, reception.ErrNotFound) {
			b := b.Clone()
			b.OrgID = app.DemoOrgID
			if err := d.store.PutButton(ctx, b); err != nil {
				return err
			}
		}
	}
	_, err = d.store.GetRoom(ctx, app.DemoOrgID, demoRoomID)
	d.needJoin = errors.Is(err, reception.ErrNotFound)
	return nil
}

// joinRoom delivers the join callback of the demo room, as LINE WORKS does
// when the bot is invited.
func (d *Demo) joinRoom(ctx context.Context) {
	if !d.needJoin {
		return
	}
	if _, err := d.deliver(ctx, lineworkstest.JoinEvent(demoRoomID)); err != nil {
		d.log.Warn("demo: delivering the join callback", "err", err)
	}
}

// deliver signs body with the demo bot's stored secret and posts it to our
// own callback endpoint, exactly as LINE WORKS would.
func (d *Demo) deliver(ctx context.Context, body []byte) (int, error) {
	org, err := d.store.GetOrganizationWithSecrets(ctx, app.DemoOrgID)
	if err != nil {
		return 0, err
	}
	s := lineworkstest.CallbackSender{BotID: org.Integration.BotID, Secret: org.Integration.BotSecret, URL: d.selfURL + app.CallbackPath, Client: d.hc}
	status, err := s.Send(ctx, body)
	if err == nil && status != http.StatusOK {
		err = errors.New("callback answered " + strconv.Itoa(status))
	}
	return status, err
}

func (d *Demo) register(mux *http.ServeMux) {
	live := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !d.Live(r.Context()) {
				http.NotFound(w, r)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /demo", live(d.page))
	mux.HandleFunc("GET /demo/messages", live(d.messages))
	mux.HandleFunc("POST /demo/tap", live(d.tap))
	mux.HandleFunc("POST /demo/checkin", live(d.checkIn))
	mux.HandleFunc("GET /demo/files/{fileId}", live(d.file))
}

// Live reports whether demo mode is on. A nil Demo is off. An auto demo
// ends, for the rest of the process, once another organization has a LINE
// WORKS integration; a store error keeps it as it was.
func (d *Demo) Live(ctx context.Context) bool {
	if d == nil || d.ended.Load() {
		return false
	}
	if !d.auto {
		return true
	}
	now := time.Now().UnixNano()
	last := d.checked.Load()
	if now-last < int64(liveCheck) || !d.checked.CompareAndSwap(last, now) {
		return true
	}
	orgs, err := d.store.ListOrganizations(ctx)
	if err != nil {
		return true
	}
	for _, o := range orgs {
		if o.ID != app.DemoOrgID && o.Integration.Configured() {
			d.ended.Store(true)
			d.log.Info("demo mode ended: an organization has a LINE WORKS integration; /demo and the demo kiosk token are off until a restart in demo mode", "org", o.ID)
			return false
		}
	}
	return true
}

type FeedAction struct {
	Label    string `json:"label"`
	Text     string `json:"text,omitempty"`
	Postback string `json:"postback,omitempty"`
}

type FeedMessage struct {
	Seq       int    `json:"seq"`
	ChannelID string `json:"channelId,omitempty"`
	UserID    string `json:"userId,omitempty"`
	To        string `json:"to"`
	Type      string `json:"type"`
	Text      string `json:"text"`
	// Image is the URL of an image message's picture (/demo/files/…);
	// Text is then its alt text.
	Image   string       `json:"image,omitempty"`
	Actions []FeedAction `json:"actions,omitempty"`
	Time    string       `json:"time"`
}

type FeedJSON struct {
	Messages []FeedMessage `json:"messages"`
	Next     int           `json:"next"`
}

var mentionRE = regexp.MustCompile(`<m userId="([^"]*)">`)

// people maps LINE WORKS user IDs to staff names.
func (d *Demo) people(ctx context.Context) map[string]string {
	names := map[string]string{"all": "All"}
	if list, err := d.store.ListStaff(ctx, app.DemoOrgID); err == nil {
		for _, s := range list {
			names[s.UserID] = s.Name
		}
	}
	return names
}

// render turns what the fake received into something a person reads:
// mentions become @name, button templates list their buttons.
func render(i int, m lineworkstest.Message, names map[string]string, loc *time.Location) FeedMessage {
	out := FeedMessage{Seq: i + 1, ChannelID: m.ChannelID, UserID: m.UserID, Time: m.Received.In(loc).Format("15:04:05")}
	if m.ChannelID == demoRoomID {
		out.To = demoRoom
	} else if m.ChannelID != "" {
		out.To = m.ChannelID
	} else if n, ok := names[m.UserID]; ok {
		out.To = n + " さん（個別）"
	} else {
		out.To = m.UserID + "（個別）"
	}
	var c struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		ContentText string `json:"contentText"`
		FileID      string `json:"fileId"`
		Actions     []struct {
			Type     string `json:"type"`
			Label    string `json:"label"`
			Text     string `json:"text"`
			Postback string `json:"postback"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(m.Content, &c); err != nil {
		out.Type, out.Text = "unknown", string(m.Content)
		return out
	}
	out.Type = c.Type
	if c.Type == "image" && c.FileID != "" {
		// The only picture the bot sends is a reception code's QR code.
		out.Image, out.Text = "/demo/files/"+url.PathEscape(c.FileID), qrAlt
		return out
	}
	text := c.Text
	if text == "" {
		text = c.ContentText
	}
	if text == "" {
		text = "[" + c.Type + "]"
	}
	out.Text = mentionRE.ReplaceAllStringFunc(text, func(tag string) string {
		id := mentionRE.FindStringSubmatch(tag)[1]
		if n, ok := names[id]; ok {
			return "@" + n
		}
		return "@" + id
	})
	for _, a := range c.Actions {
		out.Actions = append(out.Actions, FeedAction{Label: a.Label, Text: a.Text, Postback: a.Postback})
	}
	return out
}

func (d *Demo) feed(ctx context.Context, after int) FeedJSON {
	msgs := d.fake.Messages()
	names := d.people(ctx)
	out := FeedJSON{Messages: []FeedMessage{}, Next: len(msgs)}
	for i := after; i < len(msgs); i++ {
		out.Messages = append(out.Messages, render(i, msgs[i], names, d.zone()))
	}
	return out
}

// messages answers the messages after ?after=N, waiting up to ?wait=
// seconds (at most 25) for one to arrive: long polling, which needs no
// more JavaScript than fetch in a loop.
func (d *Demo) messages(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	after = max(after, 0)
	wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
	deadline := time.NewTimer(min(time.Duration(max(wait, 0))*time.Second, MaxLongPoll))
	defer deadline.Stop()
	for {
		changed := d.fake.Changed() // before reading, so no change is missed
		if len(d.fake.Messages()) > after {
			break
		}
		select {
		case <-changed:
			continue
		case <-deadline.C:
		case <-d.draining:
		case <-r.Context().Done():
			return
		}
		break
	}
	writeJSON(w, http.StatusOK, d.feed(r.Context(), after))
}

// tap plays a staff member tapping a button in the talk room: LINE WORKS
// would post a message event carrying the action's postback, signed.
func (d *Demo) tap(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	user, postback, label, channel := r.FormValue("user"), r.FormValue("postback"), r.FormValue("label"), r.FormValue("channel")
	if _, ok := d.people(r.Context())[user]; !ok || user == "all" {
		d.answer(w, r, http.StatusBadRequest, "user", "スタッフを選んでください (unknown staff user)")
		return
	}
	if !strings.HasPrefix(postback, "uk1:") || len(postback) > 1000 || len([]rune(label)) > 100 {
		d.answer(w, r, http.StatusBadRequest, "postback", "不正なボタンです (not an uketsuke button)")
		return
	}
	if channel != "" && channel != demoRoomID {
		d.answer(w, r, http.StatusBadRequest, "channel", "unknown room")
		return
	}
	if _, err := d.deliver(r.Context(), lineworkstest.MessageTapEvent(user, channel, label, postback)); err != nil {
		d.log.Error("demo: delivering a tap", "err", err)
		d.answer(w, r, http.StatusBadGateway, "", "コールバックの送信に失敗しました: "+err.Error())
		return
	}
	d.answer(w, r, http.StatusOK, "", "")
}

// checkIn is the demo's stand-in for the kiosk.
func (d *Demo) checkIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	count, _ := strconv.Atoi(strings.TrimSpace(r.FormValue("count")))
	v, err := d.svc.CheckIn(r.Context(), app.DemoOrgID, notify.CheckInRequest{
		ButtonID: r.FormValue("buttonId"), StaffID: r.FormValue("staffId"),
		Visitor: notify.Visitor{Name: r.FormValue("name"), Company: r.FormValue("company"), Count: count},
	})
	if err != nil {
		field := ""
		if fes := reception.FieldErrors(err); len(fes) > 0 {
			field = jsonField(fes[0].Field)
		}
		d.answer(w, r, http.StatusBadRequest, field, "受付できませんでした: "+err.Error())
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusCreated, map[string]string{"visitId": v.ID})
		return
	}
	http.Redirect(w, r, "/demo", http.StatusSeeOther)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// answer replies with JSON to fetch and with a redirect (or a plain error)
// to a form posted without JavaScript.
func (d *Demo) answer(w http.ResponseWriter, r *http.Request, status int, field, msg string) {
	if wantsJSON(r) {
		if status >= 400 {
			writeJSON(w, status, errorJSON{Error: msg, Field: field})
		} else {
			writeJSON(w, status, map[string]bool{"ok": true})
		}
		return
	}
	if status >= 400 {
		http.Error(w, msg, status)
		return
	}
	http.Redirect(w, r, "/demo", http.StatusSeeOther)
}

type demoPage struct {
	Org      string
	Room     string
	Buttons  []*reception.Button
	Staff    []*reception.Staff
	Feed     FeedJSON
	RoomID   string
	APIHint  string
	Callback string
	// KioskURL opens the demo organization's kiosk page (with its token:
	// the demo page is as open as the demo kiosk).
	KioskURL string
}

func (d *Demo) page(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	buttons, err := d.store.ListButtons(ctx, app.DemoOrgID)
	if err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	staff, _ := d.store.ListStaff(ctx, app.DemoOrgID)
	enabled := buttons[:0]
	for _, b := range buttons {
		if b.Enabled {
			enabled = append(enabled, b)
		}
	}
	p := demoPage{Org: demoOrgName, Room: demoRoom, Buttons: enabled, Staff: staff, Feed: d.feed(ctx, 0), RoomID: demoRoomID}
	p.KioskURL = d.KioskPath()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := demoTemplate.Execute(w, p); err != nil {
		d.log.Error("demo: rendering the page", "err", err)
	}
}

// KioskPath is the demo kiosk's path with this start's token, for the
// banner and the demo page.
func (d *Demo) KioskPath() string {
	return "/kiosk/" + app.DemoOrgID + "?token=" + url.QueryEscape(d.kioskToken)
}

// qrAlt is the alt text of a QR code image in the feed.
const qrAlt = "受付コードのQRコード（画像） / QR code of the reception code"

// file answers a picture the bot uploaded to the fake (an image
// message's), so that the feed shows it.
func (d *Demo) file(w http.ResponseWriter, r *http.Request) {
	f, ok := d.fake.File(r.PathValue("fileId"))
	// The part's own type may be application/octet-stream: sniff it.
	ctype := http.DetectContentType(f.Data)
	if !ok || !f.Uploaded || !strings.HasPrefix(ctype, "image/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(f.Data)
}

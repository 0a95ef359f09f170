package notify

import (
	"fmt"
	"maps"
	"math"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// Texts are the message texts of one locale, as text/template sources.
// Visitor-supplied values (name, company, note) reach templates already
// escaped with lineworks.EscapeText, so a visitor cannot mention anyone or
// break the markup; mentions uketsuke makes itself (handler, @All) are
// passed as ready markup.
//
// Placeholders:
//   - Notification: .Visitor (company and name with honorific), .Name,
//     .Company, .PartySize, .Button, .Time, .Note, .Staff (chosen staff name)
//   - Accepted: .Visitor, .Handler (a mention or the handler's name), .Button
//   - AlreadyTaken: .Tapper (a mention), .Visitor, .Handler
//   - Escalated: .All (@All), .Visitor, .Requester, .Button
//   - Reminder: .All (empty unless the policy mentions everyone), .Visitor,
//     .Button, .Waiting (minutes), .Count
//   - RoomID: .ChannelID
//   - VisitorLanguage: .Language (the name of the visitor's language, from
//     LanguageNames); added under the notification when the visitor used
//     another language than the organization's
//   - Late: .Minutes (how late), .Time (when the visitor checked in); added
//     under the notification of a check-in the kiosk kept while offline
type Texts struct {
	Notification  string
	AcceptLabel   string
	EscalateLabel string
	Accepted      string
	AlreadyTaken  string
	Escalated     string
	Reminder      string
	RoomID        string
	UnknownVisit  string
	ClosedVisit   string
	NoRoom        string
	// NotHere answers a tap from someone outside the visit's audience
	// (see reception.Organization.OpenTaps); plain text.
	NotHere string
	// Honorific follows (ja) or precedes (en) the visitor's name.
	Honorific     string
	NamelessGuest string
	// VisitorLanguage and Late are notes under a notification (see above).
	VisitorLanguage string
	Late            string
	// LanguageNames names the kiosk's languages ("en", "zh-Hans", …) in
	// this locale; a language not listed is named by its tag.
	LanguageNames map[string]string

	parsed map[string]*template.Template
}

var defaultTexts = map[string]*Texts{
	"ja": mustParse(&Texts{
		Notification:    "{{.Visitor}}{{if .PartySize}}（{{.PartySize}}名）{{end}}が「{{.Button}}」でお越しです。\n受付時刻 {{.Time}}{{if .Staff}}\nご指名: {{.Staff}}{{end}}{{if .Note}}\n{{.Note}}{{end}}",
		AcceptLabel:     "対応します",
		EscalateLabel:   "他の人に対応を依頼",
		Accepted:        "{{.Visitor}}\n担当: {{.Handler}}",
		AlreadyTaken:    "{{.Tapper}} {{.Visitor}}は {{.Handler}} が対応中です。",
		Escalated:       "{{.All}} {{.Visitor}}の対応をお願いします（{{.Requester}} より依頼）",
		Reminder:        "{{if .All}}{{.All}} {{end}}まだ対応者がいません: {{.Visitor}}（「{{.Button}}」、{{.Waiting}}分お待ちです）",
		RoomID:          "このトークルームのルームIDは {{.ChannelID}} です",
		UnknownVisit:    "この受付は見つかりませんでした。",
		ClosedVisit:     "この受付はすでに終了しています。",
		NoRoom:          "依頼先のトークルームが設定されていません。管理者にお問い合わせください。",
		NotHere:         "この受付はここでは操作できません。通知されたトークルームまたは個別メッセージから操作してください。",
		Honorific:       " 様",
		NamelessGuest:   "お客様",
		VisitorLanguage: "※ 来訪者は受付で{{.Language}}を使いました",
		Late:            "※ 受付端末の通信が途切れていたため、{{.Minutes}}分遅れて届きました（受付 {{.Time}}）",
		LanguageNames:   map[string]string{"ja": "日本語", "en": "英語", "zh-Hans": "中国語（簡体字）", "ko": "韓国語"},
	}),
	"en": mustParse(&Texts{
		Notification:    "{{.Visitor}}{{if .PartySize}} (party of {{.PartySize}}){{end}} is here for \"{{.Button}}\".\nChecked in at {{.Time}}{{if .Staff}}\nAsked for: {{.Staff}}{{end}}{{if .Note}}\n{{.Note}}{{end}}",
		AcceptLabel:     "I'll take it",
		EscalateLabel:   "Ask someone else",
		Accepted:        "{{.Visitor}}\nHandled by {{.Handler}}",
		AlreadyTaken:    "{{.Tapper}} {{.Handler}} is already taking care of {{.Visitor}}.",
		Escalated:       "{{.All}} Could someone take care of {{.Visitor}}? (asked by {{.Requester}})",
		Reminder:        "{{if .All}}{{.All}} {{end}}Nobody has answered yet: {{.Visitor}} (\"{{.Button}}\", waiting {{.Waiting}} min)",
		RoomID:          "This talk room's room ID is {{.ChannelID}}",
		UnknownVisit:    "This check-in could not be found.",
		ClosedVisit:     "This check-in is already closed.",
		NoRoom:          "No talk room is set up to ask. Please contact your administrator.",
		NotHere:         "This check-in cannot be handled here. Please use the talk room or the message it was announced in.",
		Honorific:       "",
		NamelessGuest:   "A visitor",
		VisitorLanguage: "Note: the visitor used {{.Language}} at the kiosk.",
		Late:            "Note: the kiosk was offline; this arrives {{.Minutes}} min late (checked in at {{.Time}}).",
		LanguageNames:   map[string]string{"ja": "Japanese", "en": "English", "zh-Hans": "Chinese (Simplified)", "ko": "Korean"},
	}),
}

func mustParse(t *Texts) *Texts {
	if err := t.parse(); err != nil {
		panic(err)
	}
	return t
}

func (t *Texts) fields() map[string]string {
	return map[string]string{
		"Notification": t.Notification, "Accepted": t.Accepted, "AlreadyTaken": t.AlreadyTaken,
		"Escalated": t.Escalated, "Reminder": t.Reminder, "RoomID": t.RoomID,
		"VisitorLanguage": t.VisitorLanguage, "Late": t.Late,
	}
}

func (t *Texts) parse() error {
	t.parsed = map[string]*template.Template{}
	for name, src := range t.fields() {
		tpl, err := template.New(name).Option("missingkey=zero").Parse(src)
		if err != nil {
			return fmt.Errorf("notify: template %s: %w", name, err)
		}
		t.parsed[name] = tpl
	}
	return nil
}

// merge returns t with the non-empty fields of o.
func (t *Texts) merge(o Texts) *Texts {
	m := *t
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&m.Notification, o.Notification)
	set(&m.AcceptLabel, o.AcceptLabel)
	set(&m.EscalateLabel, o.EscalateLabel)
	set(&m.Accepted, o.Accepted)
	set(&m.AlreadyTaken, o.AlreadyTaken)
	set(&m.Escalated, o.Escalated)
	set(&m.Reminder, o.Reminder)
	set(&m.RoomID, o.RoomID)
	set(&m.UnknownVisit, o.UnknownVisit)
	set(&m.ClosedVisit, o.ClosedVisit)
	set(&m.NoRoom, o.NoRoom)
	set(&m.NotHere, o.NotHere)
	set(&m.Honorific, o.Honorific)
	set(&m.NamelessGuest, o.NamelessGuest)
	set(&m.VisitorLanguage, o.VisitorLanguage)
	set(&m.Late, o.Late)
	if len(o.LanguageNames) > 0 {
		names := make(map[string]string, len(t.LanguageNames)+len(o.LanguageNames))
		maps.Copy(names, t.LanguageNames)
		maps.Copy(names, o.LanguageNames)
		m.LanguageNames = names
	}
	m.parsed = nil
	return &m
}

// textsFor picks the texts of an organization's locale ("ja-JP" → "ja").
func (s *Service) textsFor(org *reception.Organization) *Texts {
	base := s.localeTexts(org)
	if org == nil {
		return base
	}
	o, ok := s.orgTexts[org.ID]
	if !ok {
		return base
	}
	// Merged per call: overrides are few and rendering is far from hot.
	m := base.merge(o)
	if err := m.parse(); err != nil {
		return base // validated by WithOrgTexts; unreachable
	}
	return m
}

func (s *Service) localeTexts(org *reception.Organization) *Texts {
	loc := defaultLocale
	if org != nil && org.Locale != "" {
		loc = org.Locale
	}
	if t, ok := s.texts[loc]; ok {
		return t
	}
	if base, _, ok := strings.Cut(loc, "-"); ok {
		if t, ok := s.texts[base]; ok {
			return t
		}
	}
	if t, ok := s.texts[defaultLocale]; ok {
		return t
	}
	return defaultTexts["ja"]
}

// LINE WORKS' limits on message text, in characters.
const (
	// contentTextLimit is the button template's contentText limit.
	contentTextLimit = 1000
	// textLimit is a text message's limit.
	textLimit = 2000
)

// safe escapes and truncates visitor input. Fields are cut to the lengths
// CheckIn accepts (MaxVisitorName and the rest): what a visitor typed is
// shown whole, and a visit stored by other means cannot push a message over
// its limit. The longest of each, with the default texts, fits a button
// template's 1,000 characters.
func safe(s string, n int) string {
	return lineworks.EscapeText(lineworks.TruncateText(strings.TrimSpace(s), n))
}

// visitorLabel is "Company Name 様" (ja) for messages.
func visitorLabel(t *Texts, v *reception.Visit) string {
	name := safe(v.VisitorName, MaxVisitorName)
	company := safe(v.Company, MaxVisitorCompany)
	if name == "" {
		name = t.NamelessGuest
	} else {
		name += t.Honorific
	}
	if company != "" {
		return company + " " + name
	}
	return name
}

func (t *Texts) render(name string, override string, data any, limit int) (string, error) {
	tpl := t.parsed[name]
	if override != "" {
		// An override may have been stored before the limits existed, or
		// by another program: it is checked at every use.
		var err error
		if tpl, err = parseOverride(name, override); err != nil {
			return "", fmt.Errorf("notify: template override: %w", err)
		}
	}
	b := &cappedWriter{n: maxTemplateOutput}
	if err := tpl.Execute(b, data); err != nil {
		return "", fmt.Errorf("notify: rendering %s: %w", name, err)
	}
	return lineworks.TruncateText(b.b.String(), limit), nil
}

// parseOverride parses a per-button template and checks its limits
// (templatelimits.go).
func parseOverride(name, text string) (*template.Template, error) {
	tpl, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, err
	}
	if err := checkTemplateLimits(tpl); err != nil {
		return nil, err
	}
	return tpl, nil
}

// notificationData is what the Notification template sees.
type notificationData struct {
	Visitor, Name, Company, Button, Time, Note, Staff string
	PartySize                                         int
}

// ValidateNotificationTemplate checks a per-button notification template
// (reception.Button.Template) before it is saved: it must parse as
// text/template and render with the fields the Notification text gets
// (.Visitor, .Name, .Company, .PartySize, .Button, .Time, .Note, .Staff). The
// error is a *reception.FieldError for "Template". An empty template means
// the standard text and is valid.
func ValidateNotificationTemplate(text string) error {
	if text == "" {
		return nil
	}
	tpl, err := parseOverride("Notification", text)
	if err == nil {
		sample := notificationData{Visitor: "ACME 山田 太郎 様", Name: "山田 太郎", Company: "ACME", Button: "営業部", Time: "09:30", Note: "10時の打ち合わせ", Staff: "鈴木 花子", PartySize: 2}
		err = tpl.Execute(&cappedWriter{n: maxTemplateOutput}, sample)
	}
	if err != nil {
		return &reception.FieldError{Field: "Template", Msg: "is not a valid notification template: " + strings.TrimPrefix(err.Error(), "template: ")}
	}
	return nil
}

// buttonLabel is b's label in the organization's language.
func buttonLabel(org *reception.Organization, b *reception.Button) string {
	if org != nil && org.Locale != "" {
		if l, ok := b.Labels[org.Locale]; ok && l != "" {
			return l
		}
	}
	return b.Label
}

// buildNotification renders the room (and personal) message of a visit: a
// button_template whose two buttons are message actions carrying postback
// values, because LINE WORKS does not allow postback actions in button
// templates. The tap then arrives as a message event with content.postback.
func (s *Service) buildNotification(t *Texts, org *reception.Organization, b *reception.Button, v *reception.Visit, staffName string, loc *time.Location, n visitNotes) (lineworks.Content, error) {
	label := buttonLabel(org, b)
	entered := v.CreatedAt
	if n.late(v.CreatedAt) {
		entered = n.enteredAt
	}
	data := notificationData{
		Visitor:   visitorLabel(t, v),
		Name:      safe(v.VisitorName, MaxVisitorName),
		Company:   safe(v.Company, MaxVisitorCompany),
		Button:    lineworks.EscapeText(label),
		Time:      entered.In(loc).Format("15:04"),
		Note:      safe(v.Note, MaxVisitorNote),
		Staff:     lineworks.EscapeText(staffName),
		PartySize: v.PartySize,
	}
	notes, err := n.render(t, org, v.CreatedAt, data.Time)
	if err != nil {
		return nil, err
	}
	limit := contentTextLimit - utf8.RuneCountInString(notes)
	text, err := t.render("Notification", b.Template, data, limit)
	if err != nil && b.Template != "" {
		// A broken per-button template (saved before it was checked, or by
		// another program) must not turn visitors away: announce them with
		// the standard text and tell the admin.
		s.log.Warn("the button's notification template fails; using the standard text", "org", v.OrgID, "button", b.ID, "err", err)
		text, err = t.render("Notification", "", data, limit)
	}
	if err != nil {
		return nil, err
	}
	text += notes
	return lineworks.ButtonTemplate{
		ContentText: text,
		Actions: []lineworks.Action{
			lineworks.MessageAction{Label: t.AcceptLabel, Text: t.AcceptLabel, Postback: encodePostback(actionAccept, v.ID)},
			lineworks.MessageAction{Label: t.EscalateLabel, Text: t.EscalateLabel, Postback: encodePostback(actionEscalate, v.ID)},
		},
	}, nil
}

// visitNotes is what the lines under a notification say: the visitor's
// language and whether the check-in comes late.
type visitNotes struct {
	language  string
	enteredAt time.Time
}

// late reports whether the visitor checked in before createdAt, when the
// server stored the visit.
func (n visitNotes) late(createdAt time.Time) bool {
	return !n.enteredAt.IsZero() && n.enteredAt.Before(createdAt)
}

// render returns the notes, each on a line of its own after a line break,
// or "". The language note appears only when the visitor's language is not
// the organization's (compared by their first subtag: "ja-JP" is "ja").
func (n visitNotes) render(t *Texts, org *reception.Organization, createdAt time.Time, entered string) (string, error) {
	var b strings.Builder
	if n.language != "" && !sameLanguage(n.language, orgLanguage(org)) {
		name := t.LanguageNames[n.language]
		if name == "" {
			name = n.language
		}
		s, err := t.render("VisitorLanguage", "", struct{ Language string }{lineworks.EscapeText(name)}, textLimit)
		if err != nil {
			return "", err
		}
		b.WriteString("\n" + s)
	}
	if n.late(createdAt) {
		minutes := int(math.Ceil(createdAt.Sub(n.enteredAt).Minutes()))
		s, err := t.render("Late", "", struct {
			Minutes int
			Time    string
		}{minutes, entered}, textLimit)
		if err != nil {
			return "", err
		}
		b.WriteString("\n" + s)
	}
	return b.String(), nil
}

// orgLanguage is the language an organization's messages are in.
func orgLanguage(org *reception.Organization) string {
	if org != nil && org.Locale != "" {
		return org.Locale
	}
	return "ja"
}

// sameLanguage compares two language tags by their first subtag, except
// that Chinese compares by script: "zh-Hans" is "zh-CN", not "zh-Hant".
func sameLanguage(a, b string) bool {
	return languageKey(a) == languageKey(b)
}

func languageKey(tag string) string {
	tag = strings.ToLower(tag)
	base, rest, _ := strings.Cut(tag, "-")
	if base != "zh" {
		return base
	}
	switch rest {
	case "hant", "tw", "hk", "mo", "hant-tw", "hant-hk":
		return "zh-hant"
	}
	return "zh-hans"
}

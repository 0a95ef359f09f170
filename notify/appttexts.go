package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// apptTexts are the texts of appointment messages in one language. They
// are not templates: the messages are built line by line, and the visitor
// e-mails carry both Japanese and English whatever the organization's
// language.
type apptTexts struct {
	Created, Changed, Cancelled, CodeLine, ForwardHint string
	Title, Room, Time, Visitors, Period, Party         string
	Arrived, Scheduled, CheckedIn, Reminder            string
	Label                                              string
	Weekdays                                           [7]string
	DateLayout                                         string
	Honorific                                          string
	// Chat booking (chatbooking.go).
	Understood, Confirm, Cancel, Refused, NotFound, Discarded, NotYours, Failed string
	Help                                                                        string
	// Escalation of an appointment's visit with nobody else to ask.
	NoOneElse string
}

var apptTextsByLang = map[string]*apptTexts{
	"ja": {
		Created:     "来客予約を登録しました。",
		Changed:     "来客予約が変更されました。",
		Cancelled:   "来客予約を取り消しました。受付コードは使えなくなりました。先にお送りした受付コード・QRコード・案内文は転送しないでください（転送済みなら、来訪者に取り消しをお知らせください）。",
		CodeLine:    "受付コード: ",
		ForwardHint: "来訪者には次の案内文とQRコードを転送してください。",
		Title:       "件名: ",
		Room:        "会議室: ",
		Time:        "日時: ",
		Visitors:    "来訪者: ",
		Period:      "有効期間: ",
		Party:       "%d名",
		Arrived:     "ご予約のお客様がお越しです。",
		Scheduled:   "予定 ",
		CheckedIn:   "受付 ",
		Reminder:    "まもなく来客の予定です。",
		Label:       "ご予約",
		Weekdays:    [7]string{"日", "月", "火", "水", "木", "金", "土"},
		DateLayout:  "2006/01/02",
		Honorific:   " 様",
		Understood:  "次の内容で来客予約を登録しますか？",
		Confirm:     "登録する",
		Cancel:      "やめる",
		Refused:     "来客予約は、登録されたスタッフだけが作れます。管理者にお問い合わせください。",
		NotFound:    "この予約の依頼は見つかりませんでした。もう一度メッセージを送ってください。",
		Discarded:   "来客予約の登録をやめました。",
		NotYours:    "この予約は依頼した本人だけが確定できます。",
		Failed:      "来客予約を登録できませんでした: ",
		NoOneElse: "ほかに依頼できる人がいません（この予約の担当者はあなただけで、依頼先のトークルームも設定されていません）。" +
			"誰にも送っていませんので、対応をお願いします。",
		Help: "来客予約は、このトークに次のように送ってください。\n" +
			"来客予約 12/3 14:00 テスト商事 佐藤様\n" +
			"（人数・会議室・件名も書けます: 2名 第1会議室 件名 定例）\n" +
			"英語でも書けます: book Dec 3 2pm Mr. Sato from Acme Inc.\n" +
			"確認が届いたら「登録する」か「やめる」のボタンを押してください。",
	},
	"en": {
		Created:     "Appointment registered.",
		Changed:     "An appointment was changed.",
		Cancelled:   "Appointment cancelled. Its reception code no longer works. Do not forward the code, QR code or text sent earlier (if you already did, please tell the visitors it is cancelled).",
		CodeLine:    "Reception code: ",
		ForwardHint: "Forward the next message and the QR code to the visitors.",
		Title:       "Title: ",
		Room:        "Room: ",
		Time:        "When: ",
		Visitors:    "Visitors: ",
		Period:      "Valid: ",
		Party:       "party of %d",
		Arrived:     "Your visitors with an appointment are here.",
		Scheduled:   "expected ",
		CheckedIn:   "checked in ",
		Reminder:    "Visitors are expected soon.",
		Label:       "Appointment",
		Weekdays:    [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		DateLayout:  "Jan 2, 2006",
		Understood:  "Register this appointment?",
		Confirm:     "Register",
		Cancel:      "Discard",
		Refused:     "Only registered staff can make appointments. Please ask your administrator.",
		NotFound:    "This request could not be found. Please send your message again.",
		Discarded:   "The appointment was not registered.",
		NotYours:    "Only the person who asked can confirm this appointment.",
		Failed:      "The appointment could not be registered: ",
		NoOneElse: "There is no one else to ask (you are the appointment's only host and no talk room is set up for it). " +
			"Nothing was sent, so please take care of the visitors.",
		Help: "To make an appointment, send a message like this here:\n" +
			"book Dec 3 2pm Mr. Sato from Acme Inc.\n" +
			"(party size, room and title too: 2 people room A re: weekly meeting)\n" +
			"In Japanese: 来客予約 12/3 14:00 テスト商事 佐藤様\n" +
			"When the confirmation arrives, tap its Register or Discard button.",
	},
}

// apptTextsFor picks the texts of an organization's language (Japanese
// unless it is English).
func apptTextsFor(org *reception.Organization) *apptTexts {
	if languageKey(orgLanguage(org)) == "en" {
		return apptTextsByLang["en"]
	}
	return apptTextsByLang["ja"]
}

// date formats a day with its weekday: "2026/12/03(木)", "Thu Dec 3, 2026".
func (t *apptTexts) date(at time.Time) string {
	if t.Honorific == "" {
		return t.Weekdays[at.Weekday()] + " " + at.Format(t.DateLayout)
	}
	return at.Format(t.DateLayout) + "(" + t.Weekdays[at.Weekday()] + ")"
}

// visitorList is "テスト商事 佐藤 様、山田 様" for messages, escaped.
func (t *apptTexts) visitorList(a *reception.Appointment) string {
	names := make([]string, 0, len(a.Visitors))
	for _, v := range a.Visitors {
		n := safe(bareName(v.Name), MaxVisitorName)
		if n != "" {
			n += t.Honorific
		}
		names = append(names, strings.TrimSpace(safe(v.Company, MaxVisitorCompany)+" "+n))
	}
	sep := "、"
	if t.Honorific == "" {
		sep = ", "
	}
	s := strings.Join(names, sep)
	if a.PartySize > len(a.Visitors) {
		s += "（" + fmt.Sprintf(t.Party, a.PartySize) + "）"
	}
	return s
}

// apptDetails are the lines that describe an appointment: time, visitors,
// title, room, and the validity of a period code.
func (s *Service) apptDetails(t *apptTexts, a *reception.Appointment) string {
	start := a.StartsAt.In(s.loc)
	lines := []string{t.Time + t.date(start) + " " + start.Format("15:04"), t.Visitors + t.visitorList(a)}
	if a.Title != "" {
		lines = append(lines, t.Title+safe(a.Title, 100))
	}
	if a.Room != "" {
		lines = append(lines, t.Room+safe(a.Room, 100))
	}
	if a.Period {
		last := a.ValidUntil.In(s.loc).Add(-time.Nanosecond)
		lines = append(lines, t.Period+t.date(a.ValidFrom.In(s.loc))+" – "+t.date(last))
	}
	return strings.Join(lines, "\n")
}

// forwardText is the text a host forwards to the visitors: in Japanese and
// English, since the host may not know the visitors' language. Each half
// has every detail: the date and time, the title, the room and the code.
func (s *Service) forwardText(org *reception.Organization, a *reception.Appointment) string {
	ja, en := apptTextsByLang["ja"], apptTextsByLang["en"]
	start := a.StartsAt.In(s.loc)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s %s にお待ちしております。\n", safe(org.Name, 100), ja.date(start), start.Format("15:04"))
	forwardDetails(&b, ja, a)
	fmt.Fprintf(&b, "受付のタブレットで「予約のある方」を押し、受付コード %s を入力するか、QRコードをカメラにかざしてください。\n\n", a.Code)
	fmt.Fprintf(&b, "We look forward to seeing you on %s at %s.\n", en.date(start), start.Format("15:04"))
	forwardDetails(&b, en, a)
	fmt.Fprintf(&b, "At the reception tablet, tap \"I have an appointment\" and enter the reception code %s, or show the QR code to the camera.", a.Code)
	return b.String()
}

// forwardDetails writes the title and room lines of a forward text's half.
func forwardDetails(b *strings.Builder, t *apptTexts, a *reception.Appointment) {
	if a.Title != "" {
		fmt.Fprintf(b, "%s%s\n", t.Title, safe(a.Title, 100))
	}
	if a.Room != "" {
		fmt.Fprintf(b, "%s%s\n", t.Room, safe(a.Room, 100))
	}
}

// nameHonorifics are the endings bareName strips: 様, さま, さん, 殿 and
// their katakana, full- and half-width.
var nameHonorifics = []string{"様", "さま", "サマ", "ｻﾏ", "さん", "サン", "ｻﾝ", "殿"}

// bareName is a visitor's name without a trailing honorific (「佐藤様」,
// 「佐藤 さん」 → 「佐藤」), the form the chat booking stores and messages
// add 様 to. A name that is nothing but an honorific is kept.
func bareName(name string) string {
	name = strings.TrimSpace(name)
	for _, h := range nameHonorifics {
		if rest, ok := strings.CutSuffix(name, h); ok {
			if rest = strings.TrimSpace(rest); rest != "" {
				return rest
			}
		}
	}
	return name
}

// bareNames strips the honorifics of a's visitors' names (bareName).
func bareNames(a *reception.Appointment) {
	for i := range a.Visitors {
		a.Visitors[i].Name = bareName(a.Visitors[i].Name)
	}
}

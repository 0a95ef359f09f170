package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// ErrNoMailer is the delivery error of an e-mail leased by a Service
// without a Mailer (a replica configured differently from the others): the
// mail waits, like an event without a handler, for a replica that has one.
var ErrNoMailer = errors.New("notify: an e-mail to send, and no mailer")

// mailContent is the outbox content of an e-mail (reception.TargetEmail):
// Target.ID is the address.
type mailContent struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// QRCode, when set, is attached as a QR code PNG.
	QRCode string `json:"qrCode,omitempty"`
}

// sendMail sends an e-mail entry through the Mailer.
func (s *Service) sendMail(ctx context.Context, e *reception.OutboxEntry) error {
	if s.mailer == nil {
		return ErrNoMailer
	}
	var c mailContent
	if err := json.Unmarshal(e.Content, &c); err != nil {
		return fmt.Errorf("notify: e-mail entry %s: %w", e.ID, errors.Join(lineworks.ErrInvalidContent, err))
	}
	m := &Mail{To: []string{e.Target.ID}, Subject: c.Subject, Text: c.Text, HTML: c.HTML}
	if c.QRCode != "" {
		png, err := qrPNG(c.QRCode)
		if err != nil {
			return err
		}
		m.Attachments = append(m.Attachments, MailAttachment{Name: qrFileName, ContentType: "image/png", Data: png})
	}
	return s.mailer.Send(ctx, m)
}

// visitorMails are the e-mails to an appointment's visitors who have an
// address, when a Mailer is set: the code and its QR code, or with
// reminder the reminder the day before. key prefixes the dedupe keys.
func (s *Service) visitorMails(org *reception.Organization, a *reception.Appointment, reminder bool, key string) ([]*reception.OutboxEntry, error) {
	if s.mailer == nil {
		return nil, nil
	}
	var out []*reception.OutboxEntry
	for i, v := range a.Visitors {
		if v.Email == "" {
			continue
		}
		raw, err := json.Marshal(s.visitorMail(org, a, v, reminder))
		if err != nil {
			return nil, err
		}
		out = append(out, s.entry(a.OrgID, "", reception.Target{Kind: reception.TargetEmail, ID: v.Email}, raw, fmt.Sprintf("%s/email/%d", key, i)))
	}
	return out, nil
}

// visitorMail is one visitor's e-mail, in Japanese and English.
func (s *Service) visitorMail(org *reception.Organization, a *reception.Appointment, v reception.AppointmentVisitor, reminder bool) mailContent {
	ja, en := apptTextsByLang["ja"], apptTextsByLang["en"]
	start := a.StartsAt.In(s.loc)
	who := strings.TrimSpace(oneLine(v.Company) + " " + oneLine(v.Name))
	subject := fmt.Sprintf("%s 受付コードのご案内 / Your reception code", oneLine(org.Name))
	lead, leadEn := "ご来訪をお待ちしております。", "We look forward to your visit."
	if reminder {
		subject = fmt.Sprintf("%s 明日のご来訪について / Your visit tomorrow", oneLine(org.Name))
		lead, leadEn = "明日のご来訪をお待ちしております。", "This is a reminder of your visit tomorrow."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s 様\n\n%s\n\n", who, lead)
	fmt.Fprintf(&b, "日時: %s %s\n", ja.date(start), start.Format("15:04"))
	if a.Room != "" {
		fmt.Fprintf(&b, "会議室: %s\n", oneLine(a.Room))
	}
	if a.Period {
		fmt.Fprintf(&b, "有効期間: %s – %s\n", ja.date(a.ValidFrom.In(s.loc)), ja.date(a.ValidUntil.In(s.loc).Add(-time.Nanosecond)))
	}
	fmt.Fprintf(&b, "受付コード: %s\n\n受付のタブレットで「予約のある方」を押し、受付コードを入力するか、添付のQRコードをカメラにかざしてください。\n\n", a.Code)
	fmt.Fprintf(&b, "----\n%s\n\nWhen: %s %s\n", leadEn, en.date(start), start.Format("15:04"))
	if a.Room != "" {
		fmt.Fprintf(&b, "Room: %s\n", oneLine(a.Room))
	}
	fmt.Fprintf(&b, "Reception code: %s\n\nAt the reception tablet, tap \"I have an appointment\" and enter the code, or show the attached QR code to the camera.\n\n%s\n", a.Code, oneLine(org.Name))
	return mailContent{Subject: subject, Text: b.String(), QRCode: a.Code}
}

package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Mail is one e-mail message.
type Mail struct {
	// To are the recipients' addresses ("name@example.com"). At least one.
	To []string
	// Subject is the subject line, any UTF-8.
	Subject string
	// Text is the plain-text body. Required.
	Text string
	// HTML is an HTML alternative of Text; optional.
	HTML string
	// Attachments are files attached to the message.
	Attachments []MailAttachment
}

// MailAttachment is one file attached to a Mail.
type MailAttachment struct {
	// Name is the file name the recipient sees ("code.png").
	Name string
	// ContentType is the file's media type ("image/png").
	ContentType string
	Data        []byte
}

// Mailer sends e-mail: appointment codes and reminders to visitors (see
// WithMailer). SMTPMailer is the one uketsuke provides.
type Mailer interface {
	// Send sends m. An error makes the outbox try again with backoff; an
	// SMTP 5xx answer (a *textproto.Error) is given up on at once.
	Send(ctx context.Context, m *Mail) error
}

// WithMailer makes the service e-mail visitors who have an address: the
// reception code with its QR code when an appointment is made, and a
// reminder the day before. Mail goes through the outbox like a LINE WORKS
// message (retried, given up on a permanent failure). Default: none, and
// no e-mail is queued.
func WithMailer(m Mailer) Option {
	return func(s *settings) error {
		if m == nil {
			return invalid("WithMailer(nil)", "no mailer")
		}
		s.mailer = m
		return nil
	}
}

// SMTPMailer sends mail through an SMTP server with net/smtp: STARTTLS when
// the server offers it (or TLS from the start with ImplicitTLS), then
// PLAIN authentication when Username is set, which net/smtp allows only
// over TLS or to localhost.
type SMTPMailer struct {
	// Addr is the server, "host:port" (587 for submission). Required.
	Addr string
	// From is the sender's address, in the envelope and the From header
	// ("受付 <reception@example.com>" or a bare address). Required.
	From string
	// Username and Password authenticate (PLAIN); empty means none.
	Username, Password string
	// ImplicitTLS connects with TLS from the start (port 465).
	ImplicitTLS bool
	// TLSConfig configures TLS; nil means the system's roots and Addr's
	// host as the server name.
	TLSConfig *tls.Config
	// Timeout bounds one Send when ctx has no deadline; 0 means 30 s.
	Timeout time.Duration
}

// Send implements Mailer.
func (m *SMTPMailer) Send(ctx context.Context, msg *Mail) error {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("notify: SMTPMailer.From: %w", err)
	}
	to, err := recipients(msg.To)
	if err != nil {
		return err
	}
	body, err := msg.encode(from)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := m.Timeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("notify: SMTP MAIL FROM: %w", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return fmt.Errorf("notify: SMTP RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: SMTP DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("notify: SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: SMTP DATA: %w", err)
	}
	return c.Quit()
}

// dial connects, says hello, starts TLS when it can and authenticates. The
// connection's deadline is ctx's.
func (m *SMTPMailer) dial(ctx context.Context) (*smtp.Client, error) {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTPMailer.Addr: %w", err)
	}
	cfg := m.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: host}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if m.ImplicitTLS {
		conn = tls.Client(conn, cfg)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: SMTP: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.ImplicitTLS {
		if err := c.StartTLS(cfg); err != nil {
			c.Close()
			return nil, fmt.Errorf("notify: SMTP STARTTLS: %w", err)
		}
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			c.Close()
			return nil, fmt.Errorf("notify: SMTP AUTH: %w", err)
		}
	}
	return c, nil
}

// recipients checks the addresses: bare addresses, no line breaks.
func recipients(to []string) ([]string, error) {
	if len(to) == 0 {
		return nil, errors.New("notify: a mail without recipients")
	}
	out := make([]string, 0, len(to))
	for _, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("notify: mail recipient: %w", err)
		}
		out = append(out, a.Address)
	}
	return out, nil
}

// encode renders the message as RFC 5322 with MIME parts: the text (and
// HTML alternative) as quoted-printable UTF-8, attachments as base64.
func (msg *Mail) encode(from *mail.Address) ([]byte, error) {
	if strings.TrimSpace(msg.Text) == "" {
		return nil, errors.New("notify: a mail without text")
	}
	to, err := recipients(msg.To)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.BEncoding.Encode("utf-8", oneLine(msg.Subject)))
	header("Date", time.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+randomToken()+"@"+domainOf(from.Address)+">")
	header("MIME-Version", "1.0")
	mixed := "m-" + randomToken()
	header("Content-Type", `multipart/mixed; boundary="`+mixed+`"`)
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "--%s\r\n", mixed)
	if msg.HTML != "" {
		alt := "a-" + randomToken()
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", alt)
		writeTextPart(&b, alt, "text/plain", msg.Text)
		writeTextPart(&b, alt, "text/html", msg.HTML)
		fmt.Fprintf(&b, "--%s--\r\n", alt)
	} else {
		writeTextBody(&b, "text/plain", msg.Text)
	}
	for _, a := range msg.Attachments {
		fmt.Fprintf(&b, "--%s\r\n", mixed)
		ctype := a.ContentType
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ctype)
		fmt.Fprintf(&b, "Content-Disposition: %s\r\n", mime.FormatMediaType("attachment", map[string]string{"filename": oneLine(a.Name)}))
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", mixed)
	return b.Bytes(), nil
}

func writeTextPart(b *bytes.Buffer, boundary, ctype, text string) {
	fmt.Fprintf(b, "--%s\r\n", boundary)
	writeTextBody(b, ctype, text)
}

func writeTextBody(b *bytes.Buffer, ctype, text string) {
	fmt.Fprintf(b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", ctype)
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")))
	_ = w.Close()
	b.WriteString("\r\n")
}

// oneLine keeps a header value on one line: no header injection.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "localhost"
}

package main

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	smtpserver "github.com/emersion/go-smtp"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// TestAppointmentMail: with UKETSUKE_SMTP_ADDR the server e-mails a
// visitor with an address their reception code when an appointment is
// made, through a real SMTP server on loopback (emersion/go-smtp).
func TestAppointmentMail(t *testing.T) {
	sink := &mailSink{got: make(chan []byte, 10)}
	srv := smtpserver.NewServer(sink)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })

	env := map[string]string{"UKETSUKE_SMTP_ADDR": l.Addr().String(), "UKETSUKE_SMTP_FROM": "受付 <reception@example.com>"}
	for k, v := range apptEnv {
		env[k] = v
	}
	ds := startInProcess(t, env, true)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, StartsAt: soon(),
		Visitors: []app.AppointmentVisitor{{Company: "テスト商事", Name: "メール 六郎", Email: "rokuro@example.com"}, {Name: "宛先なし 七子"}}})
	select {
	case raw := <-sink.got:
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if to := m.Header.Get("To"); !strings.Contains(to, "rokuro@example.com") {
			t.Errorf("mail to %q", to)
		}
		if text := mailText(t, m.Header.Get("Content-Type"), m.Body); !strings.Contains(text, ap.Code) {
			t.Errorf("the mail's text lacks the code %s:\n%s", ap.Code, text)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no mail arrived\n%s", ds.stderr)
	}
}

// mailText is the text/plain parts of a message.
func mailText(t *testing.T, ctype string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(body)
		return string(b)
	}
	var out strings.Builder
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch {
		case strings.HasPrefix(pt, "multipart/"):
			out.WriteString(mailText(t, p.Header.Get("Content-Type"), p))
		case pt == "text/plain":
			b, _ := io.ReadAll(p) // multipart decodes quoted-printable
			out.Write(b)
		}
	}
}

// mailSink is an SMTP backend that hands each message received to got.
type mailSink struct{ got chan []byte }

func (s *mailSink) NewSession(*smtpserver.Conn) (smtpserver.Session, error) {
	return &mailSession{sink: s}, nil
}

type mailSession struct{ sink *mailSink }

func (*mailSession) Reset()                                     {}
func (*mailSession) Logout() error                              { return nil }
func (*mailSession) Mail(string, *smtpserver.MailOptions) error { return nil }
func (*mailSession) Rcpt(string, *smtpserver.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		s.sink.got <- b
	}
	return err
}

package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	smtpserver "github.com/emersion/go-smtp"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// apptStart is "now" in the appointment tests: 2026-12-02 09:00 UTC (the
// harness's service runs in UTC).
var apptStart = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// apptHarness is a harness on a manual clock at apptStart, with a second
// staff member (s2, userB) besides s1 (userA).
func apptHarness(t *testing.T, store reception.Store, opts ...notify.Option) (*harness, *manualClock) {
	t.Helper()
	clock := &manualClock{now: apptStart}
	h := newHarness(t, store, func(c *harnessConfig) {
		c.clock = clock.Now
		c.options = append(c.options, opts...)
	})
	if err := store.PutStaff(context.Background(), &reception.Staff{ID: "s2", OrgID: h.org.ID, Name: "鈴木 花子", UserID: userB, Active: true}); err != nil {
		t.Fatal(err)
	}
	return h, clock
}

// appointment is a one-day appointment hosted by s1 at 14:00 today.
func appointment(h *harness) *reception.Appointment {
	return &reception.Appointment{
		OrgID: h.org.ID, HostStaffIDs: []string{"s1"},
		Visitors:  []reception.AppointmentVisitor{{Company: "テスト商事", Name: "佐藤"}},
		PartySize: 2, Title: "新製品の打ち合わせ", Room: "第1会議室",
		StartsAt: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC),
	}
}

func (h *harness) create(a *reception.Appointment) *reception.Appointment {
	h.t.Helper()
	got, err := h.svc.CreateAppointment(context.Background(), a)
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

// messagesTo returns the 1:1 messages userID received, oldest first.
func (h *harness) messagesTo(userID string) []lineworkstest.Message {
	var out []lineworkstest.Message
	for _, m := range h.fake.Messages() {
		if m.UserID == userID {
			out = append(out, m)
		}
	}
	return out
}

// imageCode downloads the image message m refers to from the fake and
// decodes the QR code in it.
func (h *harness) imageCode(m lineworkstest.Message) string {
	h.t.Helper()
	c := decoded(h.t, m)
	if c["type"] != "image" {
		h.t.Fatalf("message %s is not an image", m.Content)
	}
	id, _ := c["fileId"].(string)
	f, ok := h.fake.File(id)
	if !ok || !f.Uploaded {
		h.t.Fatalf("file %q was not uploaded to the fake", id)
	}
	if f.ContentType != "image/png" {
		h.t.Errorf("uploaded content type %q, want image/png", f.ContentType)
	}
	return decodeQR(h.t, f.Data)
}

// decodeQR reads the QR code in a PNG with gozxing, an independent
// decoder (the image was made with skip2/go-qrcode).
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("decoding the PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in the image: %v", err)
	}
	return res.GetText()
}

// smtpSink is a real SMTP server on loopback (emersion/go-smtp) that keeps
// what it receives.
type smtpSink struct {
	addr    string
	mu      sync.Mutex
	got     []receivedMail
	arrived chan struct{}
}

type receivedMail struct {
	from string
	to   []string
	data []byte
}

func newSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{arrived: make(chan struct{}, 100)}
	srv := smtpserver.NewServer(sink)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return sink
}

func (s *smtpSink) NewSession(*smtpserver.Conn) (smtpserver.Session, error) {
	return &smtpSession{sink: s}, nil
}

func (s *smtpSink) mails() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.got...)
}

type smtpSession struct {
	sink *smtpSink
	cur  receivedMail
}

func (s *smtpSession) Reset()        { s.cur = receivedMail{} }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtpserver.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtpserver.RcptOptions) error {
	if strings.HasPrefix(to, "nosuchuser@") {
		return &smtpserver.SMTPError{Code: 550, EnhancedCode: smtpserver.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.sink.mu.Lock()
	s.sink.got = append(s.sink.got, s.cur)
	s.sink.mu.Unlock()
	s.sink.arrived <- struct{}{}
	return nil
}

// parsedMail is a received message's subject, text and attachments.
type parsedMail struct {
	subject, text string
	files         map[string][]byte // by content type
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	out := parsedMail{subject: subject, files: map[string][]byte{}}
	walkParts(t, m.Header.Get("Content-Type"), m.Body, &out)
	return out
}

func walkParts(t *testing.T, ctype string, body io.Reader, out *parsedMail) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("unexpected top-level %s", mt)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch {
		case strings.HasPrefix(pt, "multipart/"):
			walkParts(t, p.Header.Get("Content-Type"), p, out)
		case pt == "text/plain":
			b, _ := io.ReadAll(p) // multipart decodes quoted-printable
			out.text += string(b)
		default:
			b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
			if err != nil {
				t.Fatal(err)
			}
			out.files[pt] = b
		}
	}
}

package config

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// Appointments are the settings of appointments: the hosts' reminder, the
// rooms told of an arrival, and the mail server that sends visitors their
// code.
type Appointments struct {
	// Reminder is how long before an appointment its hosts are reminded
	// 1:1; 0 turns the reminder off.
	Reminder time.Duration
	// Rooms also tells the talk rooms of the buttons that list a host when
	// a visitor checks in with a code.
	Rooms bool
	// SMTP is the mail server visitors' e-mails go through; nil sends none.
	SMTP *SMTP
}

// SMTP is a mail server (notify.SMTPMailer's settings).
type SMTP struct {
	Addr, From, Username, Password string
	// ImplicitTLS connects with TLS from the start (port 465); otherwise
	// STARTTLS when the server offers it.
	ImplicitTLS bool
}

// defaultApptReminder is the hosts' reminder before an appointment.
const defaultApptReminder = "30m"

var appointmentSettings = []setting{
	{"appointment-reminder", "UKETSUKE_APPOINTMENT_REMINDER", defaultApptReminder, "how long before an appointment its hosts get a LINE WORKS reminder (0: none)"},
	{"appointment-rooms", "UKETSUKE_APPOINTMENT_ROOMS", "0", "1: a check-in with a reception code also notifies the rooms of the buttons that list a host"},
	{"smtp-addr", "UKETSUKE_SMTP_ADDR", "", "mail server host:port; when set, visitors with an e-mail address get their reception code and QR code by mail"},
	{"smtp-from", "UKETSUKE_SMTP_FROM", "", `sender of visitors' mail, e.g. "受付 <reception@example.com>"`},
	{"smtp-username", "UKETSUKE_SMTP_USERNAME", "", "mail server user (PLAIN authentication); empty: none"},
	{"smtp-password", "UKETSUKE_SMTP_PASSWORD", "", "mail server password"},
	{"smtp-tls", "UKETSUKE_SMTP_TLS", "starttls", "starttls (port 587) or implicit (port 465)"},
}

// parseAppointments reads the appointments' settings.
func parseAppointments(get func(string) string) (Appointments, error) {
	var a Appointments
	d, err := time.ParseDuration(get("UKETSUKE_APPOINTMENT_REMINDER"))
	if get("UKETSUKE_APPOINTMENT_REMINDER") == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || d > 7*24*time.Hour {
		return a, &Error{"UKETSUKE_APPOINTMENT_REMINDER", "must be 0 or a duration up to 168h, e.g. 30m"}
	}
	a.Reminder = d
	switch strings.ToLower(get("UKETSUKE_APPOINTMENT_ROOMS")) {
	case "", "0", "false", "off", "no":
	case "1", "true", "on", "yes":
		a.Rooms = true
	default:
		return a, &Error{"UKETSUKE_APPOINTMENT_ROOMS", fmt.Sprintf("%q is not 1 or 0", get("UKETSUKE_APPOINTMENT_ROOMS"))}
	}
	a.SMTP, err = parseSMTP(get)
	return a, err
}

func parseSMTP(get func(string) string) (*SMTP, error) {
	addr := get("UKETSUKE_SMTP_ADDR")
	if addr == "" {
		return nil, nil
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return nil, &Error{"UKETSUKE_SMTP_ADDR", fmt.Sprintf("%q is not host:port, e.g. smtp.example.com:587", addr)}
	}
	s := &SMTP{Addr: addr, From: get("UKETSUKE_SMTP_FROM"), Username: get("UKETSUKE_SMTP_USERNAME"), Password: get("UKETSUKE_SMTP_PASSWORD")}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return nil, &Error{"UKETSUKE_SMTP_FROM", "must be the sender's address, e.g. reception@example.com or \"受付 <reception@example.com>\""}
	}
	switch strings.ToLower(get("UKETSUKE_SMTP_TLS")) {
	case "", "starttls":
	case "implicit":
		s.ImplicitTLS = true
	default:
		return nil, &Error{"UKETSUKE_SMTP_TLS", "must be starttls or implicit"}
	}
	return s, nil
}

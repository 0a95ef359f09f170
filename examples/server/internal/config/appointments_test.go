package config

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseAppointments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		env         map[string]string
		want        Appointments
		wantSetting string
	}{
		{name: "defaults", want: Appointments{Reminder: 30 * time.Minute}},
		{name: "all", env: map[string]string{"UKETSUKE_APPOINTMENT_REMINDER": "1h", "UKETSUKE_APPOINTMENT_ROOMS": "1",
			"UKETSUKE_SMTP_ADDR": "smtp.example.com:465", "UKETSUKE_SMTP_FROM": "受付 <reception@example.com>",
			"UKETSUKE_SMTP_USERNAME": "u", "UKETSUKE_SMTP_PASSWORD": "p", "UKETSUKE_SMTP_TLS": "implicit"},
			want: Appointments{Reminder: time.Hour, Rooms: true, SMTP: &SMTP{Addr: "smtp.example.com:465", From: "受付 <reception@example.com>",
				Username: "u", Password: "p", ImplicitTLS: true}}},
		{name: "no reminder", env: map[string]string{"UKETSUKE_APPOINTMENT_REMINDER": "0"}, want: Appointments{}},
		{name: "bad reminder", env: map[string]string{"UKETSUKE_APPOINTMENT_REMINDER": "soon"}, wantSetting: "UKETSUKE_APPOINTMENT_REMINDER"},
		{name: "bad rooms", env: map[string]string{"UKETSUKE_APPOINTMENT_ROOMS": "maybe"}, wantSetting: "UKETSUKE_APPOINTMENT_ROOMS"},
		{name: "no port", env: map[string]string{"UKETSUKE_SMTP_ADDR": "smtp.example.com", "UKETSUKE_SMTP_FROM": "a@example.com"}, wantSetting: "UKETSUKE_SMTP_ADDR"},
		{name: "no sender", env: map[string]string{"UKETSUKE_SMTP_ADDR": "smtp.example.com:587"}, wantSetting: "UKETSUKE_SMTP_FROM"},
		{name: "bad tls", env: map[string]string{"UKETSUKE_SMTP_ADDR": "smtp.example.com:587", "UKETSUKE_SMTP_FROM": "a@example.com", "UKETSUKE_SMTP_TLS": "ssl"}, wantSetting: "UKETSUKE_SMTP_TLS"},
	} {
		c, err := Parse(nil, envOf(tc.env), io.Discard)
		if tc.wantSetting != "" {
			if e, ok := err.(*Error); !ok || e.Setting != tc.wantSetting {
				t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.wantSetting)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d := cmp.Diff(tc.want, c.Appointments); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

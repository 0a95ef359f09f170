package main

import (
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
)

// TestTimeZone: appointments' days are UKETSUKE_TIME_ZONE's, whatever the
// machine's zone: a day code made for a Tokyo office is valid from
// midnight in Tokyo, and a period code's until is a Tokyo day.
func TestTimeZone(t *testing.T) {
	for _, zone := range []string{"Asia/Tokyo", "America/New_York"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			env := maps.Clone(apptEnv)
			env["UKETSUKE_TIME_ZONE"] = zone
			ds := startInProcess(t, env, true)
			start := time.Now().Add(72 * time.Hour).Truncate(time.Second)
			until := start.In(loc).AddDate(0, 0, 2).Format(time.DateOnly)
			ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "時差商事"}},
				StartsAt: start, Until: until})
			y, m, d := start.In(loc).Date()
			if want := time.Date(y, m, d, 0, 0, 0, 0, loc); !ap.ValidFrom.Equal(want) {
				t.Errorf("validFrom = %v, want %v (midnight in %s)", ap.ValidFrom, want, zone)
			}
			last, _ := time.ParseInLocation(time.DateOnly, until, loc)
			if want := last.AddDate(0, 0, 1); !ap.ValidUntil.Equal(want) || ap.Until != until {
				t.Errorf("validUntil = %v until %q, want %v and %q", ap.ValidUntil, ap.Until, want, until)
			}
			var got httpserver.AppointmentJSON
			if status, _ := jsonCall(t, "GET", ds.base+"/api/v1/orgs/demo/appointments/"+ap.ID, testAdminToken, nil, &got); status != http.StatusOK || got.Until != until {
				t.Errorf("GET = %d until %q, want %q", status, got.Until, until)
			}
		})
	}
}

// TestTimeZoneInMessages: the host's message gives the appointment's time
// in UKETSUKE_TIME_ZONE (Tokyo), not the machine's zone.
func TestTimeZoneInMessages(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	env := maps.Clone(apptEnv)
	env["UKETSUKE_TIME_ZONE"] = "Asia/Tokyo"
	ds := startInProcess(t, env, true)
	start := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "時刻確認商事"}}, StartsAt: start})
	want, other := start.In(tokyo).Format("15:04"), start.UTC().Format("15:04")
	after := 0
	for {
		var feed httpserver.FeedJSON
		if status, _ := jsonCall(t, "GET", fmt.Sprintf("%s/demo/messages?after=%d&wait=20", ds.base, after), "", nil, &feed); status != http.StatusOK {
			t.Fatalf("GET /demo/messages = %d", status)
		}
		if len(feed.Messages) == 0 {
			t.Fatal("no message names the appointment's time")
		}
		after = feed.Next
		for _, m := range feed.Messages {
			if strings.Contains(m.Text, want) {
				return
			}
			if strings.Contains(m.Text, other) {
				t.Fatalf("a message gives the time in UTC (%s, want %s): %q", other, want, m.Text)
			}
		}
	}
}

// TestEmbedsTZData: the server carries the zone database, so that
// UKETSUKE_TIME_ZONE works on a machine (or a container) without
// /usr/share/zoneinfo.
func TestEmbedsTZData(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Error("the server does not import time/tzdata")
	}
}

package main

import (
	"maps"
	"net/http"
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

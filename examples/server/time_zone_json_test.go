package main

import (
	"maps"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
)

// jst matches a time written with the +09:00 offset.
var jst = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$`)

// TestTimesInServerZone: the API writes every time of an appointment and
// a visit in the server's zone (UKETSUKE_TIME_ZONE) with its offset,
// whatever zone they were given or stored in: create, get, change,
// cancel, the visits' JSON and the not-yet-valid error's text.
func TestTimesInServerZone(t *testing.T) {
	env := maps.Clone(apptEnv)
	env["UKETSUKE_TIME_ZONE"] = "Asia/Tokyo"
	ds := startInProcess(t, env, true)
	base := ds.base + "/api/v1/orgs/demo"
	checkTimes := func(what string, ap httpserver.AppointmentJSON) {
		t.Helper()
		for name, tm := range map[string]time.Time{"startsAt": ap.StartsAt, "validFrom": ap.ValidFrom, "validUntil": ap.ValidUntil,
			"createdAt": ap.CreatedAt, "updatedAt": ap.UpdatedAt} {
			if s := tm.Format(time.RFC3339Nano); !jst.MatchString(s) {
				t.Errorf("%s: %s = %s, want +09:00", what, name, s)
			}
		}
	}
	// Given in UTC ("Z"): answered in the server's zone.
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "時刻商事"}}, StartsAt: soon().UTC()})
	checkTimes("POST", ap)
	var got httpserver.AppointmentJSON
	jsonCall(t, "GET", base+"/appointments/"+ap.ID, testAdminToken, nil, &got)
	checkTimes("GET", got)
	later := soon().Add(time.Minute).UTC()
	got = httpserver.AppointmentJSON{}
	jsonCall(t, "PATCH", base+"/appointments/"+ap.ID, testAdminToken, app.AppointmentChange{StartsAt: &later}, &got)
	checkTimes("PATCH", got)
	if status, _ := jsonCall(t, "POST", base+"/checkins", testAdminToken, app.CheckInInput{Code: ap.Code}, nil); status != http.StatusCreated {
		t.Fatalf("check-in = %d", status)
	}
	var visits []map[string]any
	jsonCall(t, "GET", base+"/visits", testAdminToken, nil, &visits)
	if len(visits) == 0 {
		t.Fatal("no visits")
	}
	appt, _ := visits[0]["appointment"].(map[string]any)
	for name, v := range map[string]any{"createdAt": visits[0]["createdAt"], "appointment.startsAt": appt["startsAt"]} {
		if s, _ := v.(string); !jst.MatchString(s) {
			t.Errorf("visit %s = %v, want +09:00", name, v)
		}
	}
	next := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "明後日商事"}},
		StartsAt: time.Now().Add(72 * time.Hour).UTC()})
	got = httpserver.AppointmentJSON{}
	jsonCall(t, "POST", base+"/appointments/"+next.ID+"/cancel", testAdminToken, nil, &got)
	checkTimes("cancel", got)
	early := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "早着商事"}},
		StartsAt: time.Now().Add(72 * time.Hour).UTC()})
	var e apiErr
	jsonCall(t, "POST", base+"/checkins", testAdminToken, app.CheckInInput{Code: early.Code}, &e)
	if !strings.Contains(e.Error, "not valid before") || !strings.Contains(e.Error, "+09:00") || strings.HasSuffix(e.Error, "Z") {
		t.Errorf("not-yet-valid error = %+v, want the time with +09:00", e)
	}
}

package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
)

// The appointments' JSON API and check-ins with a reception code, over
// real HTTP on loopback against the server in-process on SQLite, in demo
// mode (its staff are the hosts; its fake LINE WORKS takes the messages).

// apptEnv is the demo server with a small wrong-code limit: three unknown
// codes, then one an hour.
var apptEnv = map[string]string{"UKETSUKE_DEMO": "1", "UKETSUKE_ADMIN_TOKEN": testAdminToken,
	"UKETSUKE_KIOSK_CODE_BURST": "3", "UKETSUKE_KIOSK_CODE_RATE": "1/h"}

// apiErr is the API's error body.
type apiErr struct {
	Error   string `json:"error"`
	Field   string `json:"field"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// jsonCall sends body (nil for none) with a bearer token and decodes the
// answer into out (nil to skip); it returns the status and headers.
func jsonCall(t *testing.T, method, u, token string, body, out any) (int, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s = %d %s: %v", method, u, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode, resp.Header
}

// kioskToken is the token in a kiosk URL.
func kioskToken(t *testing.T, kioskURL string) string {
	t.Helper()
	u, err := url.Parse(kioskURL)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("kiosk URL %q has no token", kioskURL)
	}
	return u.Query().Get("token")
}

// createAppt makes an appointment through the API and fails the test
// unless it is created.
func createAppt(t *testing.T, base string, in app.AppointmentInput) httpserver.AppointmentJSON {
	t.Helper()
	var out httpserver.AppointmentJSON
	if status, _ := jsonCall(t, "POST", base+"/api/v1/orgs/demo/appointments", testAdminToken, in, &out); status != http.StatusCreated {
		t.Fatalf("creating an appointment = %d %+v", status, out)
	}
	return out
}

// soon is a start time today, a minute from now (the code works today).
func soon() time.Time { return time.Now().Add(time.Minute).Truncate(time.Second) }

func TestAppointmentsAPI(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	base := ds.base + "/api/v1/orgs/demo/appointments"
	visitor := []app.AppointmentVisitor{{Company: "テスト商事", Name: "佐藤 一郎", Email: "sato@example.com"}}
	today := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: visitor, PartySize: 2, Title: "打ち合わせ", Room: "第1会議室", StartsAt: soon()})
	if len(today.Code) != 6 || today.Status != "scheduled" || today.CreatedBy != "admin" || !slices.Equal(today.HostNames, []string{"佐藤 花子"}) {
		t.Errorf("created appointment = %+v", today)
	}
	later := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"yamada"}, Visitors: []app.AppointmentVisitor{{Company: "配送センター"}},
		StartsAt: time.Now().Add(48 * time.Hour).Truncate(time.Second), Until: time.Now().Add(96 * time.Hour).Format(time.DateOnly)})
	if !later.Period || later.Until == "" {
		t.Errorf("a period appointment = %+v", later)
	}

	for when, want := range map[string]string{"today": today.ID, "upcoming": later.ID} {
		var list []httpserver.AppointmentJSON
		if status, _ := jsonCall(t, "GET", base+"?when="+when, testAdminToken, nil, &list); status != http.StatusOK || len(list) != 1 || list[0].ID != want {
			t.Errorf("GET ?when=%s = %d %+v, want only %s", when, status, list, want)
		}
	}
	var e apiErr
	if status, _ := jsonCall(t, "GET", base+"?when=yesterday", testAdminToken, nil, &e); status != http.StatusBadRequest || e.Field != "when" {
		t.Errorf("GET ?when=yesterday = %d %+v", status, e)
	}
	var got httpserver.AppointmentJSON
	title := "契約の打ち合わせ"
	if status, _ := jsonCall(t, "PATCH", base+"/"+today.ID, testAdminToken, app.AppointmentChange{Title: &title}, &got); status != http.StatusOK || got.Title != title || got.Room != "第1会議室" || got.Code != today.Code {
		t.Errorf("PATCH title = %d %+v", status, got)
	}
	if status, _ := jsonCall(t, "GET", base+"/"+today.ID, testAdminToken, nil, &got); status != http.StatusOK || got.Title != title {
		t.Errorf("GET after PATCH = %d %+v", status, got)
	}
	if status, _ := jsonCall(t, "GET", base+"/nosuch", testAdminToken, nil, &e); status != http.StatusNotFound {
		t.Errorf("GET an unknown appointment = %d %+v", status, e)
	}
	// Wrong input names the field.
	for _, tc := range []struct {
		in    app.AppointmentInput
		field string
	}{
		{app.AppointmentInput{Visitors: visitor, StartsAt: soon()}, "hosts"},
		{app.AppointmentInput{Hosts: []string{"nobody"}, Visitors: visitor, StartsAt: soon()}, "hosts[0]"},
		{app.AppointmentInput{Hosts: []string{"sato"}, StartsAt: soon()}, "visitors"},
		{app.AppointmentInput{Hosts: []string{"sato"}, Visitors: visitor}, "startsAt"},
		{app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Name: "x", Email: "not-mail"}}, StartsAt: soon()}, "visitors[0].email"},
	} {
		e = apiErr{}
		if status, _ := jsonCall(t, "POST", base, testAdminToken, tc.in, &e); status != http.StatusBadRequest || e.Field != tc.field {
			t.Errorf("POST %+v = %d %+v, want 400 naming %s", tc.in, status, e, tc.field)
		}
	}
	if status, _ := jsonCall(t, "POST", base, kioskToken(t, ds.kiosk), app.AppointmentInput{}, &e); status != http.StatusUnauthorized {
		t.Errorf("the kiosk token made an appointment: %d", status)
	}
	codeCheckIns(t, ds, today, later)
	visitsCSVHasAppointment(t, ds, title)
	room := "第3会議室"
	if status, _ := jsonCall(t, "PATCH", base+"/"+today.ID, testAdminToken, app.AppointmentChange{Room: &room}, &e); status != http.StatusConflict || e.Field != "status" {
		t.Errorf("PATCH an arrived appointment = %d %+v, want 409 naming status", status, e)
	}
}

// TestAppointmentPeriodCode: a period code works for every arrival of its
// period, and is listed today while it is valid.
func TestAppointmentPeriodCode(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"suzuki"}, Visitors: []app.AppointmentVisitor{{Company: "定期便運輸"}},
		StartsAt: soon(), Until: time.Now().AddDate(0, 0, 7).Format(time.DateOnly)})
	kiosk := kioskToken(t, ds.kiosk)
	for i := 1; i <= 2; i++ {
		var res app.CheckInResult
		if status, _ := jsonCall(t, "POST", ds.base+"/api/v1/orgs/demo/checkins", kiosk, app.CheckInInput{Code: ap.Code}, &res); status != http.StatusCreated {
			t.Fatalf("arrival %d with the period code = %d %+v", i, status, res)
		}
	}
	var got httpserver.AppointmentJSON
	jsonCall(t, "GET", ds.base+"/api/v1/orgs/demo/appointments/"+ap.ID, testAdminToken, nil, &got)
	if got.Arrivals != 2 || got.Status != "arrived" || !got.Period {
		t.Errorf("after two arrivals: %+v", got)
	}
	var list []httpserver.AppointmentJSON
	jsonCall(t, "GET", ds.base+"/api/v1/orgs/demo/appointments?when=today", testAdminToken, nil, &list)
	if len(list) != 1 || list[0].ID != ap.ID {
		t.Errorf("today's list = %+v", list)
	}
}

// codeCheckIns checks in with codes through the API with the kiosk token:
// a good code once, then the refusals, each naming the field, the reason
// and the visitor's message; then the wrong-code limit.
func codeCheckIns(t *testing.T, ds *demoServer, today, later httpserver.AppointmentJSON) {
	t.Helper()
	kiosk := kioskToken(t, ds.kiosk)
	checkins := ds.base + "/api/v1/orgs/demo/checkins"
	var res app.CheckInResult
	if status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: today.Code, Language: "en"}, &res); status != http.StatusCreated || res.VisitID == "" {
		t.Fatalf("check-in with the code = %d %+v", status, res)
	}
	var got httpserver.AppointmentJSON
	jsonCall(t, "GET", ds.base+"/api/v1/orgs/demo/appointments/"+today.ID, testAdminToken, nil, &got)
	if got.Status != "arrived" || got.Arrivals != 1 || got.LastVisitID != res.VisitID {
		t.Errorf("after the check-in the appointment is %+v", got)
	}
	var cancelled httpserver.AppointmentJSON
	if status, _ := jsonCall(t, "POST", ds.base+"/api/v1/orgs/demo/appointments/"+later.ID+"/cancel", testAdminToken, nil, &cancelled); status != http.StatusOK || cancelled.Status != "cancelled" {
		t.Errorf("cancel = %d %+v", status, cancelled)
	}
	for _, tc := range []struct {
		code, lang, reason string
		status             int
		message            string
	}{
		{today.Code, "en", "used", http.StatusConflict, "already been used"},
		{later.Code, "ja", "cancelled", http.StatusConflict, "取り消されています"},
		{"12-34-5", "en", "malformed", http.StatusBadRequest, "all 6 digits"},
		{unusedCode(today.Code, later.Code, 0), "ko", "unknown", http.StatusNotFound, "찾을 수 없습니다"},
	} {
		var e apiErr
		status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: tc.code, Language: tc.lang}, &e)
		if status != tc.status || e.Field != "code" || e.Reason != tc.reason || !strings.Contains(e.Message, tc.message) {
			t.Errorf("check-in with %s (%s) = %d %+v, want %d reason %q message with %q", tc.code, tc.lang, status, e, tc.status, tc.reason, tc.message)
		}
	}
	// Three unknown codes are allowed (one above); the fourth try after
	// them is refused without looking, even for a good code.
	for i := 1; i <= 2; i++ {
		var e apiErr
		if status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: unusedCode(today.Code, later.Code, i)}, &e); status != http.StatusNotFound {
			t.Fatalf("wrong code %d = %d %+v", i+1, status, e)
		}
	}
	var e apiErr
	status, hdr := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: today.Code, Language: "zh-Hans"}, &e)
	if status != http.StatusTooManyRequests || e.Reason != "rate_limited" || e.Field != "code" || !strings.Contains(e.Message, "输入错误次数过多") || hdr.Get("Retry-After") == "" {
		t.Errorf("after three wrong codes = %d %+v (Retry-After %q)", status, e, hdr.Get("Retry-After"))
	}
	// The admin token is not limited.
	if status, _ := jsonCall(t, "POST", checkins, testAdminToken, app.CheckInInput{Code: today.Code}, &e); status != http.StatusConflict || e.Reason != "used" {
		t.Errorf("with the admin token = %d %+v", status, e)
	}
}

// unusedCode is a code that is neither of the appointments', the i-th.
func unusedCode(a, b string, i int) string {
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444"}[i:] {
		if c != a && c != b {
			return c
		}
	}
	return "555555"
}

// visitsCSVHasAppointment: today's visits as CSV carry the appointment's
// columns.
func visitsCSVHasAppointment(t *testing.T, ds *demoServer, title string) {
	t.Helper()
	req, _ := http.NewRequest("GET", ds.base+"/api/v1/orgs/demo/visits?format=csv&date="+time.Now().Format(time.DateOnly), nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("visits CSV: %d rows, %v", len(rows), err)
	}
	head, row := rows[0], rows[1]
	col := func(name string) string {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("CSV has no column %s: %v", name, head)
		}
		return row[i]
	}
	if col("appointment_id") == "" || col("appointment_title") != title || col("appointment_room") != "第1会議室" ||
		col("appointment_hosts") != "佐藤 花子" || col("company") != "テスト商事" || col("button_id") != "appointment" {
		t.Errorf("CSV row: %v\n%v", head, row)
	}
}

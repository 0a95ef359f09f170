package main

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// postCode posts code on a kiosk tablet's code page (c keeps the tablet's
// cookies) and returns the status, the redirect and the page.
func postCode(t *testing.T, ds *demoServer, c *http.Client, csrf, code, lang string) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(ds.base+"/kiosk/demo/code", url.Values{"csrf": {csrf}, "lang": {lang}, "code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// tablet is a kiosk tablet: its own cookie jar, enrolled with the kiosk
// URL, not following redirects.
func tablet(t *testing.T, ds *demoServer) (*http.Client, string) {
	t.Helper()
	c, csrf := kioskClient(t, ds)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, csrf
}

// TestWrongCodeLimitPerTablet: a visitor mistyping on one tablet locks
// that tablet's codes for a while, not the organization's other tablets.
func TestWrongCodeLimitPerTablet(t *testing.T) {
	ds := startInProcess(t, apptEnv, true) // three wrong codes, then one an hour
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "二台目工業"}}, StartsAt: soon()})
	a, csrfA := tablet(t, ds)
	b, csrfB := tablet(t, ds)
	for i := range 3 {
		if status, _, body := postCode(t, ds, a, csrfA, unusedCode(ap.Code, "", i), "en"); status != http.StatusNotFound {
			t.Fatalf("wrong code %d on tablet A = %d\n%s", i+1, status, body)
		}
	}
	if status, _, body := postCode(t, ds, a, csrfA, ap.Code, "en"); status != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong codes") {
		t.Errorf("tablet A after three wrong codes = %d\n%s", status, body)
	}
	if status, loc, body := postCode(t, ds, b, csrfB, ap.Code, "en"); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/kiosk/demo/done") {
		t.Errorf("tablet B with a good code = %d → %q, want the check-in\n%s", status, loc, body)
	}
}

// TestCodeCheckInLimitSaysWhich: once stored check-ins have spent the
// general check-in limit, its 429 on a code check-in names field code,
// reason rate_limited and says the reception is busy, not that codes were
// wrong, in the API and on the kiosk page. Refused codes (used, 409) do not
// spend it.
func TestCodeCheckInLimitSaysWhich(t *testing.T) {
	env := maps.Clone(apptEnv)
	env["UKETSUKE_KIOSK_BURST"], env["UKETSUKE_KIOSK_RATE"] = "3", "1/h"
	ds := startInProcess(t, env, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "使用済商事"}}, StartsAt: soon()})
	if status, _ := jsonCall(t, "POST", ds.base+"/api/v1/orgs/demo/checkins", testAdminToken, app.CheckInInput{Code: ap.Code}, nil); status != http.StatusCreated {
		t.Fatalf("check-in with the admin token = %d", status)
	}
	kiosk := kioskToken(t, ds.kiosk)
	checkins := ds.base + "/api/v1/orgs/demo/checkins"
	for i := range 3 {
		var e apiErr
		if status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: ap.Code, Language: "ja"}, &e); status != http.StatusConflict || e.Reason != "used" {
			t.Fatalf("used code %d = %d %+v", i+1, status, e)
		}
		if status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{ButtonID: "sales", Visitor: app.Visitor{Name: "来客"}}, &e); status != http.StatusCreated {
			t.Fatalf("button check-in %d = %d %+v", i+1, status, e)
		}
	}
	var e apiErr
	status, hdr := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: ap.Code, Language: "ja"}, &e)
	if status != http.StatusTooManyRequests || e.Field != "code" || e.Reason != "rate_limited" || !strings.Contains(e.Message, "混み合っています") ||
		strings.Contains(e.Message, "間違い") || hdr.Get("Retry-After") == "" {
		t.Errorf("after the check-in burst = %d %+v (Retry-After %q)", status, e, hdr.Get("Retry-After"))
	}
	c, csrf := tablet(t, ds)
	if status, _, body := postCode(t, ds, c, csrf, ap.Code, "en"); status != http.StatusTooManyRequests ||
		!strings.Contains(body, "The reception is busy") || strings.Contains(body, "wrong codes") {
		t.Errorf("kiosk page after the check-in burst = %d\n%s", status, body)
	}
}

// TestCodeErrorTexts: an unknown code's error reads cleanly, and a
// malformed code has a reason and a visitor's message.
func TestCodeErrorTexts(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	kiosk := kioskToken(t, ds.kiosk)
	checkins := ds.base + "/api/v1/orgs/demo/checkins"
	var e apiErr
	if status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: "000000"}, &e); status != http.StatusNotFound || e.Error != "no appointment has this reception code" {
		t.Errorf("unknown code = %d %+v", status, e)
	}
	e = apiErr{}
	if status, _ := jsonCall(t, "POST", checkins, kiosk, app.CheckInInput{Code: "12ab", Language: "en"}, &e); status != http.StatusBadRequest ||
		e.Field != "code" || e.Reason != "malformed" || !strings.Contains(e.Message, "6 digits") {
		t.Errorf("malformed code = %d %+v", status, e)
	}
}

// TestKioskCodePageAttributes: the code page's texts for kiosk_code.js are
// plain attribute values; html/template quotes attributes it takes for
// JavaScript (data-on… is read as an event handler), which showed the
// quotes to visitors.
func TestKioskCodePageAttributes(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	c, _ := kioskClient(t, ds)
	resp, err := c.Get(ds.base + "/kiosk/demo/code")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`data-msg-camera-on="([^"]*)"`).FindSubmatch(page)
	if m == nil || string(m[1]) != "QRコードをカメラに向けてください" {
		t.Errorf("the camera's status text = %q, want QRコードをカメラに向けてください without quotes", m)
	}
	if bad := regexp.MustCompile(`[a-z-]+="&#34;[^"]*"`).Find(page); bad != nil {
		t.Errorf("an attribute is quoted as JavaScript: %s", bad)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// apiFieldsErr is the API's error body with every field at fault.
type apiFieldsErr struct {
	Error  string `json:"error"`
	Field  string `json:"field"`
	Fields []struct {
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"fields"`
}

// rawCall sends body as is with the admin token.
func rawCall(t *testing.T, method, u, body string) (int, apiFieldsErr) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e apiFieldsErr
	_ = json.Unmarshal(data, &e)
	return resp.StatusCode, e
}

func (e apiFieldsErr) fieldNames() []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// TestAppointmentInputErrors: wrong appointment input names every field
// at fault at once, by its JSON name, in readable sentences.
func TestAppointmentInputErrors(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	base := ds.base + "/api/v1/orgs/demo/appointments"
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "誤り検査"}}, StartsAt: soon()})
	start := time.Now().Add(48 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		method, url, body string
		fields            []string
		text              []string // in the error, in this order
		notText           []string
	}{
		{"POST", base, `{"startsAt":"tomorrow","hosts":["sato"],"visitors":[{"name":"a"}]}`, []string{"startsAt"},
			[]string{"startsAt must be a time like 2026-12-03T14:00:00+09:00"}, []string{"JSON", "parsing"}},
		{"PATCH", base + "/" + ap.ID, `{"startsAt":"tomorrow"}`, []string{"startsAt"}, []string{"startsAt must be a time like"}, []string{"parsing"}},
		{"POST", base, `{}`, []string{"startsAt", "hosts", "visitors"}, []string{"startsAt is required", "hosts needs at least one host", "visitors needs at least one visitor"}, nil},
		{"POST", base, `{"startsAt":"` + start + `","hosts":["sato"],"visitors":[{}]}`, []string{"visitors[0].name"},
			[]string{"visitors[0].name is required when company is empty"}, []string{"Company"}},
		{"POST", base, `{"startsAt":"2020-01-01T10:00:00+09:00","hosts":["sato"],"visitors":[{"name":"a"}]}`, []string{"startsAt"},
			[]string{"startsAt is already past"}, []string{"startsAt the appointment"}},
		{"POST", base, `{"startsAt":"` + start + `","until":"` + time.Now().AddDate(1, 1, 0).Format(time.DateOnly) + `","hosts":["sato"],"visitors":[{"name":"a"}]}`,
			[]string{"until"}, []string{"until must be at most 366 days after the day of startsAt"}, nil},
		{"POST", base, `{"startsAt":"` + start + `","hosts":["nobody"],"visitors":[{"name":"a","email":"x"}]}`, []string{"visitors[0].email", "hosts[0]"},
			[]string{"visitors[0].email", "hosts[0] is no staff member: nobody"}, nil},
		// Every error in one pass: an unreadable or past time does not
		// hide the others, nor they it.
		{"POST", base, `{"hosts":["sato"],"visitors":[{}],"startsAt":"tomorrow"}`, []string{"startsAt", "visitors[0].name"},
			[]string{"startsAt must be a time like", "visitors[0].name is required"}, nil},
		{"POST", base, `{"hosts":["nobody"],"visitors":[{"name":"a"}],"startsAt":"tomorrow"}`, []string{"startsAt", "hosts[0]"},
			[]string{"startsAt must be a time like", "hosts[0] is no staff member: nobody"}, nil},
		{"POST", base, `{"hosts":["sato"],"visitors":[{}],"startsAt":"2020-01-01T00:00:00Z"}`, []string{"startsAt", "visitors[0].name"},
			[]string{"startsAt is already past", "visitors[0].name is required"}, nil},
		{"POST", base, `{"hosts":["sato"],"visitors":[{"name":"a"}],"partySize":-1,"startsAt":"tomorrow"}`, []string{"startsAt", "partySize"},
			[]string{"startsAt must be a time like", "partySize"}, nil},
		{"PATCH", base + "/" + ap.ID, `{"hosts":["nobody"],"startsAt":"tomorrow"}`, []string{"startsAt", "hosts[0]"},
			[]string{"startsAt must be a time like", "hosts[0] is no staff member"}, nil},
		{"PATCH", base + "/" + ap.ID, `{"visitors":[{}],"startsAt":"2020-01-01T00:00:00Z"}`, []string{"startsAt", "visitors[0].name"},
			[]string{"startsAt is already past", "visitors[0].name is required"}, nil},
	} {
		status, e := rawCall(t, tc.method, tc.url, tc.body)
		names := e.fieldNames()
		slices.Sort(names)
		want := slices.Clone(tc.fields)
		slices.Sort(want)
		if status != http.StatusBadRequest || e.Field == "" || !slices.Equal(names, want) {
			t.Errorf("%s %s = %d %+v, want 400 naming %v", tc.method, tc.body, status, e, tc.fields)
			continue
		}
		for _, s := range tc.text {
			if !strings.Contains(e.Error, s) {
				t.Errorf("%s %s: error %q lacks %q", tc.method, tc.body, e.Error, s)
			}
		}
		for _, s := range tc.notText {
			if strings.Contains(e.Error, s) {
				t.Errorf("%s %s: error %q has %q", tc.method, tc.body, e.Error, s)
			}
		}
	}
}

package httpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

// TestVisitHandlerByEmail: a staff member registered by login e-mail who
// claims a visit (HandlerUserID is their LINE WORKS user ID) is named on
// the visits page, in the JSON and in the CSV, not shown as the raw ID.
func TestVisitHandlerByEmail(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	h.fake.AddUser(lineworkstest.User{UserID: "a0d1e2f3-admin", LastName: "管理", FirstName: "花子", Email: "admin@example.com"})
	ctx := context.Background()
	if err := h.store.PutStaff(ctx, &reception.Staff{ID: "kanri", OrgID: "acme", Name: "管理 花子", UserID: "admin@example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	v := &reception.Visit{ID: "v1", OrgID: "acme", VisitorName: "鈴木 一郎", ButtonID: "sales", Status: reception.StatusWaiting, CreatedAt: now}
	if err := h.store.CheckIn(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ClaimVisit(ctx, "acme", "v1", "a0d1e2f3-admin", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	h.signIn(c)
	if _, page, _ := h.get(c, "/admin/acme/visits"); !strings.Contains(page, `class="handler">管理 花子</td>`) {
		t.Errorf("visits page does not name the handler:\n%s", page)
	}
	if _, csv, _ := h.get(c, "/admin/acme/visits.csv?date="+now.Format(time.DateOnly)); !strings.Contains(csv, "管理 花子") {
		t.Errorf("CSV does not name the handler:\n%s", csv)
	}
	status, body, _ := (&apiHarness{t: t, srv: h.srv}).do("GET", "/orgs/acme/visits", testAdminToken, nil)
	var out []struct {
		Handler string `json:"handler"`
	}
	if err := json.Unmarshal(body, &out); status != http.StatusOK || err != nil || len(out) != 1 || out[0].Handler != "管理 花子" {
		t.Errorf("visits JSON = %d %s", status, body)
	}
}

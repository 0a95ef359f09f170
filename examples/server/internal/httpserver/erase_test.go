package httpserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// TestAPIEraseVisit: POST …/visits/{id}/erase blanks the visitor's name,
// company and note now, records an erased event, and answers the visit;
// an unknown visit is 404 and the call needs the admin token.
func TestAPIEraseVisit(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	var in struct{ VisitID string }
	h.must(http.StatusCreated, "POST", "/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "佐藤 花子", "company": "テスト商事", "note": "10時"}}, &in)
	if got, _, _ := h.do("POST", "/orgs/acme/visits/"+in.VisitID+"/erase", "", nil); got != http.StatusUnauthorized {
		t.Errorf("erase without the admin token = %d, want 401", got)
	}
	var out VisitJSON
	h.must(http.StatusOK, "POST", "/orgs/acme/visits/"+in.VisitID+"/erase", map[string]string{"note": "request #12"}, &out)
	if out.Visitor.Name != "" || out.Visitor.Company != "" || out.Visitor.Note != "" || out.ErasedAt == nil || out.Status != "waiting" {
		t.Errorf("erased visit = %+v", out)
	}
	v, err := h.store.GetVisit(context.Background(), "acme", in.VisitID)
	if err != nil {
		t.Fatal(err)
	}
	last := v.Events[len(v.Events)-1]
	if v.VisitorName != "" || last.Kind != reception.EventErased || last.Note != "request #12" {
		t.Errorf("stored visit = %+v", v)
	}
	if msgs, _ := h.store.ListOutbox(context.Background(), "acme", reception.OutboxFilter{VisitID: in.VisitID}); len(msgs) != 0 {
		t.Errorf("the erased visit's messages are still queued: %d", len(msgs))
	}
	h.must(http.StatusOK, "POST", "/orgs/acme/visits/"+in.VisitID+"/erase", nil, &out) // again: no change
	if got, _, _ := h.do("POST", "/orgs/acme/visits/nope/erase", testAdminToken, nil); got != http.StatusNotFound {
		t.Errorf("erase of an unknown visit = %d, want 404", got)
	}
}

// TestAdminEraseVisit: the visits page offers the erase action per visit,
// the action needs the session's CSRF token, and the page then shows the
// visit as erased.
func TestAdminEraseVisit(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	csrf := h.signIn(c)
	now := time.Now().UTC()
	v := &reception.Visit{ID: "v1", OrgID: "acme", VisitorName: "鈴木 一郎", Company: "テスト商事", ButtonID: "sales", Status: reception.StatusWaiting, CreatedAt: now}
	if err := h.store.CheckIn(context.Background(), v, nil); err != nil {
		t.Fatal(err)
	}
	_, page, _ := h.get(c, "/admin/acme/visits")
	if !strings.Contains(page, `action="/admin/acme/visits/v1/erase"`) {
		t.Fatalf("visits page has no erase action:\n%s", page)
	}
	if status, _, _ := h.post(c, "/admin/acme/visits/v1/erase", url.Values{"csrf": {"wrong"}}); status == http.StatusSeeOther {
		t.Error("erase with a wrong CSRF token was accepted")
	}
	status, body, resp := h.post(c, "/admin/acme/visits/v1/erase", url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "notice=erased") {
		t.Fatalf("erase = %d %q:\n%s", status, resp.Header.Get("Location"), body)
	}
	_, page, _ = h.get(c, resp.Header.Get("Location"))
	if strings.Contains(page, "鈴木") || strings.Contains(page, "テスト商事") || !strings.Contains(page, "消去済み") || strings.Contains(page, `visits/v1/erase"`) {
		t.Errorf("visits page after the erase:\n%s", page)
	}
}

// TestOpenTapsSetting: the API's openTaps and the org page's form set
// Organization.OpenTaps; a PUT without it keeps it.
func TestOpenTapsSetting(t *testing.T) {
	t.Parallel()
	h := newAPIHarness(t)
	h.setup()
	var org OrgJSON
	h.must(http.StatusOK, "PUT", "/orgs/acme", map[string]any{"name": "ACME", "openTaps": true}, &org)
	if !org.OpenTaps {
		t.Error("PUT openTaps true: not set")
	}
	h.must(http.StatusOK, "PUT", "/orgs/acme", map[string]any{"name": "ACME"}, &org)
	if stored, _ := h.store.GetOrganization(context.Background(), "acme"); !org.OpenTaps || !stored.OpenTaps {
		t.Error("a PUT without openTaps cleared it")
	}

	p := newPagesHarness(t)
	c := p.client()
	csrf := p.signIn(c)
	if status, _, _ := p.post(c, "/admin/acme/taps", url.Values{"csrf": {csrf}, "openTaps": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("saving open taps = %d", status)
	}
	if o, _ := p.store.GetOrganization(context.Background(), "acme"); !o.OpenTaps {
		t.Error("the org page's form did not set OpenTaps")
	}
	p.post(c, "/admin/acme/taps", url.Values{"csrf": {csrf}})
	if o, _ := p.store.GetOrganization(context.Background(), "acme"); o.OpenTaps {
		t.Error("an unchecked box did not clear OpenTaps")
	}
}

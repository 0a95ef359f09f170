package httpserver

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// The visits page: one day's visits, and their CSV.

type visitRow struct {
	VisitJSON
	At, HandledAtText, StatusText, HandlerText string
}

type visitsData struct {
	layoutData
	Date, CSV string
	Visits    []visitRow
	Error     string
}

var statusText = map[string]string{
	string(reception.StatusWaiting): "対応待ち", string(reception.StatusAccepted): "対応中",
	string(reception.StatusEscalated): "他の人に依頼中", string(reception.StatusClosed): "完了",
}

func (p *pages) visitDate(r *http.Request) string {
	d := strings.TrimSpace(r.URL.Query().Get("date"))
	if d == "" {
		d = p.now().In(p.app.Loc).Format(time.DateOnly)
	}
	return d
}

func (p *pages) visitsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	date := p.visitDate(r)
	d := visitsData{layoutData: p.layout(r, s, "来訪履歴", "visits", org), Date: date,
		CSV: adminURL(org.ID, "/visits.csv", "") + "?date=" + url.QueryEscape(date)}
	_, visits, err := orgVisits(r, p.app, url.Values{"date": {date}})
	if err != nil {
		d.Error, _ = formError(r, err)
	}
	for _, v := range visits {
		row := visitRow{VisitJSON: v, At: p.timeText(v.CreatedAt), StatusText: statusText[v.Status], HandlerText: v.Handler}
		if row.StatusText == "" {
			row.StatusText = v.Status
		}
		if row.HandlerText == "" {
			row.HandlerText = v.HandlerUserID
		}
		if v.HandledAt != nil {
			row.HandledAtText = p.timeText(*v.HandledAt)
		}
		d.Visits = append(d.Visits, row)
	}
	p.render(w, http.StatusOK, adminVisitsTmpl, d)
}

// visitsCSV is the API's CSV export of the page's day.
func (p *pages) visitsCSV(w http.ResponseWriter, r *http.Request, s *session) {
	orgID, visits, err := orgVisits(r, p.app, url.Values{"date": {p.visitDate(r)}})
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	if err := writeVisitsCSV(w, orgID, p.app.Now(), p.app.Loc, visits); err != nil {
		p.log.Warn("admin: writing the visits CSV", "org", orgID, "err", err)
	}
}

// eraseVisit erases one visitor's personal data now (a data subject's
// request) and returns to the day's visits.
func (p *pages) eraseVisit(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	back := adminURL(org.ID, "/visits", "")
	v, err := p.app.EraseVisit(r.Context(), org.ID, r.PathValue("id"), "erased from the admin page")
	if err != nil {
		msg, _ := formError(r, err)
		p.message(w, http.StatusBadRequest, "個人情報を消去できませんでした", msg, back)
		return
	}
	date := v.CreatedAt.In(p.app.Loc).Format(time.DateOnly)
	http.Redirect(w, r, adminURL(org.ID, "/visits", "erased")+"&date="+url.QueryEscape(date), http.StatusSeeOther)
}

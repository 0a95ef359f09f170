package httpserver

import (
	"net/http"
	"time"
)

// The rooms page: the talk rooms the bot is in, which buttons notify.

type roomView struct {
	RoomJSON
	Joined, Left string
}

type roomsData struct {
	layoutData
	Rooms []roomView
}

func (p *pages) rooms(r *http.Request, orgID string) ([]roomView, error) {
	rooms, err := p.app.Rooms(r.Context(), orgID)
	if err != nil {
		return nil, err
	}
	out := make([]roomView, 0, len(rooms))
	for _, rm := range roomsOut(rooms) {
		v := roomView{RoomJSON: rm, Joined: p.timeText(rm.JoinedAt)}
		if rm.LeftAt != nil {
			v.Left = p.timeText(*rm.LeftAt)
		}
		out = append(out, v)
	}
	return out, nil
}

func (p *pages) timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.app.Loc).Format("2006-01-02 15:04")
}

func (p *pages) roomsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	rooms, err := p.rooms(r, org.ID)
	if err != nil {
		p.loadFailed(w, r, err)
		return
	}
	p.render(w, http.StatusOK, adminRoomsTmpl, roomsData{layoutData: p.layout(r, s, "ルーム", "rooms", org), Rooms: rooms})
}

// roomName is how a room is shown: its title and ID, or the ID alone.
func roomName(rooms []roomView, id string) string {
	for _, rm := range rooms {
		if rm.ChannelID == id && rm.Title != "" {
			return rm.Title + " (" + id + ")"
		}
	}
	return id
}

// loadFailed answers a page whose data could not be read.
func (p *pages) loadFailed(w http.ResponseWriter, r *http.Request, err error) {
	msg, _ := formError(r, err)
	p.message(w, http.StatusInternalServerError, "読み込めませんでした", msg, "/admin")
}

func (p *pages) refreshRooms(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	if _, _, err := p.app.RefreshRooms(r.Context(), org.ID); err != nil {
		msg, _ := formError(r, err)
		p.message(w, http.StatusBadGateway, "ルーム名を読み直せませんでした", msg, adminURL(org.ID, "/rooms", ""))
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "/rooms", "refreshed"), http.StatusSeeOther)
}

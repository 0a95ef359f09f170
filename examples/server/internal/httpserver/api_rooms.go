package httpserver

import (
	"net/http"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// RoomJSON is a talk room of the organization's bot in the JSON API.
type RoomJSON struct {
	ChannelID string     `json:"channelId"`
	Title     string     `json:"title,omitempty"`
	JoinedAt  time.Time  `json:"joinedAt"`
	LeftAt    *time.Time `json:"leftAt,omitempty"`
}

func roomsOut(rooms []*reception.Room) []RoomJSON {
	out := make([]RoomJSON, 0, len(rooms))
	for _, rm := range rooms {
		out = append(out, RoomJSON{ChannelID: rm.ChannelID, Title: rm.Title, JoinedAt: rm.JoinedAt, LeftAt: rm.LeftAt})
	}
	return out
}

func (a *api) listRooms(w http.ResponseWriter, r *http.Request) error {
	rooms, err := a.app.Rooms(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roomsOut(rooms))
	return nil
}

type roomsRefreshedJSON struct {
	Updated int        `json:"updated"`
	Rooms   []RoomJSON `json:"rooms"`
}

// refreshRooms reads the titles of the organization's rooms from LINE
// WORKS again (a room renamed, or joined while LINE WORKS did not answer).
func (a *api) refreshRooms(w http.ResponseWriter, r *http.Request) error {
	n, rooms, err := a.app.RefreshRooms(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roomsRefreshedJSON{Updated: n, Rooms: roomsOut(rooms)})
	return nil
}

package notify_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

// A join callback carries only the channel ID; the room is recorded with
// its title read from LINE WORKS, and a room joined while LINE WORKS could
// not be asked gets its title on RefreshRoomTitles.
func TestRoomTitles(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			ctx := context.Background()
			ts, err := h.sa.TokenSource(ctx)
			if err != nil {
				t.Fatal(err)
			}
			client, err := lineworks.NewClient(ts, lineworks.WithBaseURL(h.fake.APIURL))
			if err != nil {
				t.Fatal(err)
			}
			newRoom := func(title string) string {
				ch, err := client.Channels.Create(ctx, botID, lineworks.ChannelCreate{Members: []string{userA}, Title: title})
				if err != nil {
					t.Fatal(err)
				}
				return ch.ChannelID
			}
			join := func(channelID string) *reception.Room {
				t.Helper()
				if rec := h.sender.ServeTo(h.svc.CallbackHandler(), lineworkstest.JoinEvent(channelID)); rec.Code != http.StatusOK {
					t.Fatalf("join answered %d", rec.Code)
				}
				h.settle()
				room, err := h.store.GetRoom(ctx, h.org.ID, channelID)
				if err != nil {
					t.Fatalf("room %s was not recorded: %v\nlogs:\n%s", channelID, err, h.logs)
				}
				return room
			}

			named := newRoom("受付チーム")
			if room := join(named); room.Title != "受付チーム" {
				t.Errorf("joined room title = %q, want 受付チーム", room.Title)
			}

			// LINE WORKS does not answer the title lookup: the room is
			// recorded all the same, untitled, and the refresh names it.
			h.fake.InjectFault("GET /bots/{botId}/channels/{channelId}", 10, lineworkstest.Fault{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"})
			later := newRoom("総務")
			if room := join(later); room.Title != "" {
				t.Errorf("room joined during an outage has title %q", room.Title)
			}
			h.fake.ClearFaults()
			n, err := h.svc.RefreshRoomTitles(ctx, h.org.ID)
			if err != nil || n != 1 {
				t.Fatalf("RefreshRoomTitles = %d, %v; want 1 room updated", n, err)
			}
			if room, _ := h.store.GetRoom(ctx, h.org.ID, later); room.Title != "総務" {
				t.Errorf("refreshed title = %q, want 総務", room.Title)
			}
			if n, err := h.svc.RefreshRoomTitles(ctx, h.org.ID); err != nil || n != 0 {
				t.Errorf("second refresh = %d, %v; want nothing to update", n, err)
			}
		})
	}
}

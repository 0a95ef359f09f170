package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
)

func TestRealNameWithUserRead(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.scopes = []string{"bot", "user.read"} })
			h.fake.AddUser(lineworkstest.User{UserID: userA, LastName: "山田", FirstName: "太郎"})
			h.run()
			if _, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "客"}}); err != nil {
				t.Fatal(err)
			}
			msgs := h.waitMessages(1)
			_, values := postbacks(t, msgs[0])
			h.tap(userA, roomID, "対応します", values[0])
			msgs = h.waitMessages(2)
			if txt := textOf(t, msgs[1]); !strings.Contains(txt, "担当: 山田 太郎") {
				t.Errorf("accepted = %q, want the real name", txt)
			}
		})
	}
}

// TestRealNameLookedUpOnce: with user.read, two accepts by the same user
// (two visits) show the real name both times and call the Users API once.
func TestRealNameLookedUpOnce(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.scopes = []string{"bot", "user.read"} })
			h.fake.AddUser(lineworkstest.User{UserID: userA, LastName: "山田", FirstName: "太郎"})
			// A fault with neither status nor delay answers normally: here it
			// only counts the requests to the Users API (FaultStats.Injected).
			h.fake.InjectFault(usersRoute, 1000, lineworkstest.Fault{})
			for _, name := range []string{"一人目", "二人目"} {
				v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: name}})
				h.settle()
				h.tap(userA, roomID, "対応します", notify.AcceptPostback(v.ID))
				h.settle()
			}
			msgs := h.fake.Messages()
			if len(msgs) != 4 {
				t.Fatalf("messages = %d, want two notifications and two accept replies", len(msgs))
			}
			for _, i := range []int{1, 3} {
				if txt := textOf(t, msgs[i]); !strings.Contains(txt, "担当: 山田 太郎") {
					t.Errorf("accept reply %d = %q, want the real name", i, txt)
				}
			}
			if n := h.fake.FaultStats().Injected; n != 1 {
				t.Errorf("Users API requests = %d, want 1 (the name is cached)", n)
			}
			// Cross-check: every other API request was one received message.
			if n := h.fake.APIRequests() - int64(len(msgs)); n != 1 {
				t.Errorf("API requests besides sends = %d, want 1", n)
			}
		})
	}
}

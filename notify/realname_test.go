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

package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// TestVisitorHonorificOnce: a name entered with its honorific (「佐藤様」,
// 「佐藤 さま」, 「佐藤ｻﾝ」, 「佐藤殿」) reads 「佐藤 様」 once in the host's
// code message, arrival notification and accept reply, as a name booked
// from chat (where 様 is stripped) does.
func TestVisitorHonorificOnce(t *testing.T) {
	for _, name := range []string{"佐藤様", "佐藤 さま", "佐藤ｻﾝ", "佐藤殿", "佐藤"} {
		t.Run(name, func(t *testing.T) {
			h, _ := apptHarness(t, storeFactories[0].new(t))
			ctx := context.Background()
			a := appointment(h)
			a.Visitors[0].Name = name
			a = h.create(a)
			if a.Visitors[0].Name != "佐藤" {
				t.Errorf("stored name %q, want 佐藤", a.Visitors[0].Name)
			}
			h.settle()
			v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: a.Code})
			if err != nil {
				t.Fatal(err)
			}
			h.settle()
			c := newChat(h)
			c.post(lineworkstest.MessageTapEvent(userA, "", "対応します", notify.AcceptPostback(v.ID)))
			msgs := h.messagesTo(userA)
			for _, i := range []int{0, len(msgs) - 2, len(msgs) - 1} {
				text := textOf(t, msgs[i])
				if !strings.Contains(text, "テスト商事 佐藤 様") || strings.Contains(text, "様 様") {
					t.Errorf("message %d %q, want 「テスト商事 佐藤 様」 once", i, text)
				}
			}
		})
	}
}

// TestVisitorHonorificChatAndUpdate: the chat path stores the same bare
// name, and so does a change that writes the name with 様.
func TestVisitorHonorificChatAndUpdate(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	c := newChat(h)
	c.say(userA, "来客予約 12/2 14:00 テスト商事 佐藤様")
	labels, values := postbacks(t, c.last(userA))
	c.post(lineworkstest.MessageTapEvent(userA, "", labels[0], values[0]))
	list, err := h.store.ListAppointments(ctx, h.org.ID, reception.AppointmentFilter{})
	if err != nil || len(list) != 1 || list[0].Visitors[0].Name != "佐藤" {
		t.Fatalf("chat appointment %+v, %v", list, err)
	}
	a, err := h.svc.UpdateAppointment(ctx, h.org.ID, list[0].ID, func(a *reception.Appointment) error {
		a.Visitors[0].Name = "鈴木さん"
		return nil
	})
	if err != nil || a.Visitors[0].Name != "鈴木" {
		t.Fatalf("changed appointment %+v, %v", a, err)
	}
	h.settle()
	msgs := h.messagesTo(userA)
	if text := textOf(t, msgs[len(msgs)-3]); !strings.Contains(text, "変更") || strings.Contains(text, "さん") || !strings.Contains(text, "鈴木 様") {
		t.Errorf("change message %q", text)
	}
}

// TestForwardTextHasEveryDetail: both halves of the forward text have the
// date and time, the title, the room and the code.
func TestForwardTextHasEveryDetail(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	a := h.create(appointment(h))
	h.settle()
	msgs := h.messagesTo(userA)
	fwd := textOf(t, msgs[len(msgs)-1])
	ja, en, ok := strings.Cut(fwd, "\n\n")
	if !ok {
		t.Fatalf("forward text %q has no English half", fwd)
	}
	for _, want := range []string{"2026/12/02(水) 14:00", "件名: 新製品の打ち合わせ", "会議室: 第1会議室", a.Code} {
		if !strings.Contains(ja, want) {
			t.Errorf("Japanese half %q lacks %q", ja, want)
		}
	}
	for _, want := range []string{"Dec 2, 2026 at 14:00", "Title: 新製品の打ち合わせ", "Room: 第1会議室", a.Code} {
		if !strings.Contains(en, want) {
			t.Errorf("English half %q lacks %q", en, want)
		}
	}
}

package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
)

// countingMetrics is a notify.Metrics that counts name/label pairs.
type countingMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *countingMetrics) Inc(name, label string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[name+"/"+label]++
}

func (m *countingMetrics) snapshot() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.n {
		out[k] = v
	}
	return out
}

// TestMetricsCountTheFlow: a flow with a retried and a dead message, a
// reminder, claims won, lost and repeated, an escalation, a join and a
// duplicate callback is counted exactly.
func TestMetricsCountTheFlow(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			metrics := &countingMetrics{}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) {
				c.clock = clk.Now
				c.options = []notify.Option{notify.WithMetrics(metrics)}
			})
			ctx := context.Background()
			callback := func(body []byte) {
				t.Helper()
				if rec := h.sender.ServeTo(h.svc.CallbackHandler(), body); rec.Code != http.StatusOK {
					t.Fatalf("callback answered %d", rec.Code)
				}
				h.settle()
			}

			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "計測"}})
			h.settle() // 500: retried
			clk.Advance(time.Minute)
			h.settle() // sent
			clk.Advance(4 * time.Minute)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RemindOnce = %d, %v", n, err)
			}
			h.settle() // reminder sent

			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 403, Code: "FORBIDDEN"})
			h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "届かない"}})
			h.settle() // 403: dead

			callback(lineworkstest.MessageTapEvent(userA, roomID, "対応します", notify.AcceptPostback(v.ID))) // won, reply sent
			callback(lineworkstest.MessageTapEvent(userB, roomID, "対応します", notify.AcceptPostback(v.ID))) // conflict, reply sent
			// A later issuedTime: a new tap by the handler, not the winning one.
			callback(issuedLater(t, lineworkstest.MessageTapEvent(userA, roomID, "対応します", notify.AcceptPostback(v.ID)), time.Second)) // repeat, nothing sent
			callback(lineworkstest.MessageTapEvent(userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID)))                        // the handler asks for help
			join := lineworkstest.JoinEvent("room-new")
			callback(join) // room ID message sent
			callback(join) // the same body again: a duplicate

			got := metrics.snapshot()
			want := map[string]int{
				notify.MetricCheckIns + "/":           2,
				notify.MetricSent + "/room":           6, // notification, reminder, two replies, escalation, room ID
				notify.MetricRetried + "/room":        1,
				notify.MetricDead + "/room":           1,
				notify.MetricReminders + "/":          1,
				notify.MetricClaims + "/won":          1,
				notify.MetricClaims + "/conflict":     1,
				notify.MetricClaims + "/repeat":       1,
				notify.MetricEscalated + "/":          1,
				notify.MetricCallbacks + "/message":   4,
				notify.MetricCallbacks + "/join":      1,
				notify.MetricCallbacks + "/duplicate": 1,
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s = %d, want %d", k, got[k], n)
				}
			}
			for k, n := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected metric %s = %d", k, n)
				}
			}
			if n := len(h.fake.Messages()); n != 6 {
				t.Errorf("messages = %d, want the 6 counted as sent", n)
			}
		})
	}
}

// logLine returns the fields of the one log line with msg, failing the test
// unless exactly one matches.
func logLine(t *testing.T, logs, msg string) []string {
	t.Helper()
	var found [][]string
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, fmt.Sprintf("msg=%q", msg)) {
			found = append(found, strings.Fields(line))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d log lines with msg=%q, want 1; logs:\n%s", len(found), msg, logs)
	}
	return found[0]
}

// TestLogLinesNameOrganizationAndVisit: the log lines of a check-in, a
// retried and a dead delivery, and an accept carry org= and visit= with the
// right IDs.
func TestLogLinesNameOrganizationAndVisit(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			// The service's clock stands still, so the retried entry waits
			// until the clock is moved instead of taking the 403 meant for
			// the second visit.
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 403, Code: "FORBIDDEN"})
			retried := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "再送"}})
			h.settle() // 500: retried
			dead := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "断念"}})
			h.settle() // 403: dead
			clk.Advance(time.Minute)
			h.settle() // the retried one is sent
			h.tap(userA, roomID, "対応します", notify.AcceptPostback(retried.ID))
			h.settle()
			if n := len(h.fake.Messages()); n != 2 {
				t.Fatalf("messages = %d, want the retried notification and the accept reply", n)
			}
			// Run never ran and settle waited for every goroutine it started:
			// nothing writes to the buffer now.
			logs := h.logs.String()
			for _, c := range []struct {
				msg   string
				visit string
			}{
				{"message will be retried", retried.ID},
				{"message given up", dead.ID},
				{"visit accepted", retried.ID},
			} {
				fields := logLine(t, logs, c.msg)
				for _, want := range []string{"org=" + h.org.ID, "visit=" + c.visit} {
					if !slices.Contains(fields, want) {
						t.Errorf("log line %q lacks %s", strings.Join(fields, " "), want)
					}
				}
			}
			// One "checked in" line per visit, each naming it.
			var checkedIn []string
			for line := range strings.SplitSeq(logs, "\n") {
				if !strings.Contains(line, `msg="checked in"`) {
					continue
				}
				f := strings.Fields(line)
				if !slices.Contains(f, "org="+h.org.ID) {
					t.Errorf("log line %q lacks org=%s", line, h.org.ID)
				}
				for _, id := range []string{retried.ID, dead.ID} {
					if slices.Contains(f, "visit="+id) {
						checkedIn = append(checkedIn, id)
					}
				}
			}
			if slices.Sort(checkedIn); !slices.Equal(checkedIn, slices.Sorted(slices.Values([]string{retried.ID, dead.ID}))) {
				t.Errorf("checked-in log lines name visits %v, want %s and %s once each", checkedIn, retried.ID, dead.ID)
			}
		})
	}
}

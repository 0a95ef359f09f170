package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

func testCheckIn(e *env) {
	e.putOrg(newOrg("org-a", 1))
	v := newVisit("org-a", "v1", at(0))
	e.step("a check-in stores the visit and its entries", func(e *env) {
		e1, e2 := newEntry("org-a", "o1", "visit/v1/room", at(0)), newEntry("org-a", "o2", "visit/v1/user", at(0))
		e1.VisitID = "v1"
		e2.Target = reception.Target{Kind: reception.TargetUser, ID: "user-1"}
		e2.NextAttemptAt = time.Time{} // zero means CreatedAt
		e.checkIn(v, e1, e2)
		e.diff("GetVisit after CheckIn", checkedIn(v), e.visit("org-a", "v1"))
		want2 := e2.Clone()
		want2.NextAttemptAt = want2.CreatedAt
		e.diff("outbox after CheckIn", []*reception.OutboxEntry{e1, want2}, e.outbox("org-a", reception.OutboxFilter{}))
	})
	// Each failing check-in leaves nothing behind.
	for _, tc := range refusedCheckIns() {
		e.step("refused, leaving nothing: "+tc.name, func(e *env) {
			err := e.s.CheckIn(e.ctx, tc.visit, tc.entries)
			e.is(tc.name, err, tc.want)
			if tc.field != "" {
				e.field(tc.name, err, tc.field)
			}
			if _, err := e.s.GetVisit(e.ctx, "org-a", "v2"); !errors.Is(err, reception.ErrNotFound) {
				e.t.Errorf("%s: the visit was stored (GetVisit error %v)", tc.name, err)
			}
			e.diff(tc.name+": visit v1", checkedIn(v), e.visit("org-a", "v1"))
			e.diff(tc.name+": outbox", []string{"o1", "o2"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))
		})
	}
}

// refusedCheckIn is a check-in CheckIn must refuse with want (ErrInvalid
// naming field, when field is set), after testCheckIn checked in v1 with
// entries o1 and o2.
type refusedCheckIn struct {
	name    string
	visit   *reception.Visit
	entries []*reception.OutboxEntry
	want    error
	field   string
}

func refusedCheckIns() []refusedCheckIn {
	return []refusedCheckIn{{
		name:  "duplicate dedupe key among the entries",
		visit: newVisit("org-a", "v2", at(time.Minute)),
		entries: []*reception.OutboxEntry{
			newEntry("org-a", "o3", "visit/v2/room", at(time.Minute)),
			newEntry("org-a", "o4", "visit/v2/room", at(time.Minute)),
		},
		want: reception.ErrConflict,
	}, {
		name:    "dedupe key used by an earlier check-in",
		visit:   newVisit("org-a", "v2", at(time.Minute)),
		entries: []*reception.OutboxEntry{newEntry("org-a", "o3", "visit/v2/room", at(time.Minute)), newEntry("org-a", "o4", "visit/v1/room", at(time.Minute))},
		want:    reception.ErrConflict,
	}, {
		name:    "outbox ID used before",
		visit:   newVisit("org-a", "v2", at(time.Minute)),
		entries: []*reception.OutboxEntry{newEntry("org-a", "o1", "visit/v2/room", at(time.Minute))},
		want:    reception.ErrConflict,
	}, {
		name:  "invalid entry",
		visit: newVisit("org-a", "v2", at(time.Minute)),
		entries: []*reception.OutboxEntry{newEntry("org-a", "o3", "visit/v2/room", at(time.Minute)), func() *reception.OutboxEntry {
			bad := newEntry("org-a", "o4", "visit/v2/user", at(time.Minute))
			bad.Content = []byte(`{"type":`)
			return bad
		}()},
		want: reception.ErrInvalid, field: "Entries[1].Content",
	}, {
		name:    "entry of another organization",
		visit:   newVisit("org-a", "v2", at(time.Minute)),
		entries: []*reception.OutboxEntry{newEntry("org-b", "o3", "visit/v2/room", at(time.Minute))},
		want:    reception.ErrInvalid, field: "Entries[0].OrgID",
	}, {
		name: "visit not waiting",
		visit: func() *reception.Visit {
			v := newVisit("org-a", "v2", at(time.Minute))
			v.Status = reception.StatusClosed
			return v
		}(),
		want: reception.ErrInvalid, field: "Status",
	}, {
		name: "visit name too long",
		visit: func() *reception.Visit {
			v := newVisit("org-a", "v2", at(time.Minute))
			v.VisitorName = strings.Repeat("名", 101)
			return v
		}(),
		want: reception.ErrInvalid, field: "VisitorName",
	}, {
		name:    "visit ID used before",
		visit:   newVisit("org-a", "v1", at(time.Minute)),
		entries: []*reception.OutboxEntry{newEntry("org-a", "o3", "visit/v1b/room", at(time.Minute))},
		want:    reception.ErrConflict,
	}}
}

// testClaimRace has 100 goroutines, spread over two Stores when the harness
// can open them, claim one visit as 100 different users.
func testClaimRace(e *env) {
	e.putOrg(newOrg("org-a", 1))
	e.checkIn(newVisit("org-a", "v1", at(0)))
	stores := e.stores()
	const n = 100
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
		losers  []*reception.ClaimConflictError
		others  []error
	)
	for i := range n {
		wg.Go(func() {
			user := fmt.Sprintf("user-%02d", i)
			v, err := stores[i%len(stores)].ClaimVisit(e.ctx, "org-a", "v1", user, at(time.Duration(i)*time.Millisecond))
			mu.Lock()
			defer mu.Unlock()
			var cce *reception.ClaimConflictError
			switch {
			case err == nil && v.HandlerUserID == user:
				winners = append(winners, user)
			case errors.As(err, &cce) && errors.Is(err, reception.ErrConflict):
				losers = append(losers, cce)
			default:
				others = append(others, fmt.Errorf("%s: visit %+v, error %v", user, v, err))
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 || len(losers) != n-1 || len(others) > 0 {
		e.t.Fatalf("got %d winners %q, %d conflicts, unexpected results %v; want 1 winner and %d conflicts", len(winners), winners, len(losers), others, n-1)
	}
	winner := winners[0]
	got := e.visit("org-a", "v1")
	for _, l := range losers {
		if l.Handler != winner || !l.At.Equal(got.HandledAt) || l.Status != reception.StatusAccepted {
			e.t.Fatalf("conflict %+v, want handler %s at %v", l, winner, got.HandledAt)
		}
	}
	if got.Status != reception.StatusAccepted || got.HandlerUserID != winner {
		e.t.Errorf("visit is %s handled by %q, want accepted by %s", got.Status, got.HandlerUserID, winner)
	}
	accepted := 0
	for _, ev := range got.Events {
		if ev.Kind == reception.EventAccepted {
			accepted++
			if ev.ActorUserID != winner {
				e.t.Errorf("accepted event by %q, want %s", ev.ActorUserID, winner)
			}
		}
	}
	if accepted != 1 {
		e.t.Errorf("%d accepted events, want 1", accepted)
	}

	// The winner tapping again succeeds and changes nothing.
	again, err := e.s.ClaimVisit(e.ctx, "org-a", "v1", winner, at(time.Hour))
	e.ok(err)
	e.diff("visit after the winner claims again", got, again)
	e.diff("stored visit after the winner claims again", got, e.visit("org-a", "v1"))

	// Nobody can claim a closed visit, not even its handler.
	_, err = e.s.AppendVisitEvent(e.ctx, "org-a", "v1", reception.VisitEvent{Kind: reception.EventClosed, At: at(2 * time.Hour), ActorUserID: winner})
	e.ok(err)
	for _, user := range []string{winner, "late-user"} {
		_, err = e.s.ClaimVisit(e.ctx, "org-a", "v1", user, at(3*time.Hour))
		var cce *reception.ClaimConflictError
		if !errors.As(err, &cce) || !errors.Is(err, reception.ErrConflict) || cce.Status != reception.StatusClosed {
			e.t.Errorf("claim of a closed visit by %s: error %v, want a *ClaimConflictError with status closed", user, err)
		}
	}
	e.field("ClaimVisit without a user", func() error {
		_, err := e.s.ClaimVisit(e.ctx, "org-a", "v1", "", at(0))
		return err
	}(), "UserID")
}

// testTimeline walks a visit through its states and checks the timeline is
// ordered by time, ties in the order recorded.
func testTimeline(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	v := newVisit("org-a", "v1", at(0))
	e.checkIn(v)
	ev := func(kind reception.EventKind, d time.Duration, actor, note string) reception.VisitEvent {
		return reception.VisitEvent{Kind: kind, At: at(d), ActorUserID: actor, Note: note}
	}
	app := func(x reception.VisitEvent) *reception.Visit {
		e.t.Helper()
		got, err := s.AppendVisitEvent(ctx, "org-a", "v1", x)
		e.ok(err)
		return got
	}
	// Recorded out of time order on purpose: the dispatcher may record a
	// notification after a staff member already reacted.
	app(ev(reception.EventNotified, 3*time.Second, "", "room ch-1"))
	app(ev(reception.EventNotified, time.Second, "", "user staff-1"))
	app(ev(reception.EventNotified, 3*time.Second, "", "user staff-2"))
	claimed, err := s.ClaimVisit(ctx, "org-a", "v1", "user-a", at(10*time.Second))
	e.ok(err)
	if claimed.Status != reception.StatusAccepted || claimed.HandlerUserID != "user-a" || !claimed.HandledAt.Equal(at(10*time.Second)) {
		e.t.Errorf("after the claim: status %s, handler %q at %v", claimed.Status, claimed.HandlerUserID, claimed.HandledAt)
	}
	// A bystander cannot escalate a visit someone handles: the handler is
	// named and nothing changes.
	_, err = s.AppendVisitEvent(ctx, "org-a", "v1", ev(reception.EventEscalated, 15*time.Second, "user-c", ""))
	var cc *reception.ClaimConflictError
	if !errors.As(err, &cc) || cc.Handler != "user-a" || !errors.Is(err, reception.ErrConflict) {
		e.t.Errorf("escalation by a bystander = %v, want a *ClaimConflictError naming user-a", err)
	}
	if got := e.visit("org-a", "v1"); got.Status != reception.StatusAccepted || got.HandlerUserID != "user-a" || len(got.Events) != len(claimed.Events) {
		e.t.Errorf("after a refused escalation: status %s, handler %q, %d events; want unchanged", got.Status, got.HandlerUserID, len(got.Events))
	}
	esc := app(ev(reception.EventEscalated, 20*time.Second, "user-a", "会議中"))
	if esc.Status != reception.StatusEscalated || esc.HandlerUserID != "" || !esc.HandledAt.IsZero() {
		e.t.Errorf("after escalating: status %s, handler %q at %v; want escalated without handler", esc.Status, esc.HandlerUserID, esc.HandledAt)
	}
	_, err = s.ClaimVisit(ctx, "org-a", "v1", "user-b", at(30*time.Second))
	e.ok(err)
	closed := app(ev(reception.EventClosed, 40*time.Second, "user-b", "ご案内済み"))

	want := checkedIn(v)
	want.Status, want.HandlerUserID, want.HandledAt = reception.StatusClosed, "user-b", at(30*time.Second)
	want.Events = []reception.VisitEvent{
		{Kind: reception.EventCheckedIn, At: at(0)},
		ev(reception.EventNotified, time.Second, "", "user staff-1"),
		ev(reception.EventNotified, 3*time.Second, "", "room ch-1"),
		ev(reception.EventNotified, 3*time.Second, "", "user staff-2"),
		ev(reception.EventAccepted, 10*time.Second, "user-a", ""),
		ev(reception.EventEscalated, 20*time.Second, "user-a", "会議中"),
		ev(reception.EventAccepted, 30*time.Second, "user-b", ""),
		ev(reception.EventClosed, 40*time.Second, "user-b", "ご案内済み"),
	}
	e.diff("visit returned by the closing AppendVisitEvent", want, closed)
	e.diff("GetVisit", want, e.visit("org-a", "v1"))

	_, err = s.AppendVisitEvent(ctx, "org-a", "v1", ev(reception.EventEscalated, time.Minute, "user-c", ""))
	e.is("escalating a closed visit", err, reception.ErrConflict)
	_, err = s.AppendVisitEvent(ctx, "org-a", "v1", ev(reception.EventClosed, time.Minute, "user-c", ""))
	e.is("closing a closed visit", err, reception.ErrConflict)
	for _, kind := range []reception.EventKind{reception.EventAccepted, reception.EventReminded, reception.EventCheckedIn, "bogus"} {
		_, err = s.AppendVisitEvent(ctx, "org-a", "v1", ev(kind, time.Minute, "user-c", ""))
		e.field("AppendVisitEvent("+string(kind)+")", err, "Kind")
	}
	_, err = s.AppendVisitEvent(ctx, "org-a", "v1", reception.VisitEvent{Kind: reception.EventNotified})
	e.field("AppendVisitEvent without At", err, "At")
	// A late notification record is still welcome on a closed visit.
	late := app(ev(reception.EventNotified, 50*time.Second, "", "late"))
	want.Events = append(want.Events, ev(reception.EventNotified, 50*time.Second, "", "late"))
	e.diff("visit after a late notified event", want, late)
}

func testListVisits(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	var all []*reception.Visit
	for i := range 5 {
		v := newVisit("org-a", fmt.Sprintf("v%d", i), at(time.Duration(i)*time.Hour))
		e.checkIn(v)
		all = append(all, checkedIn(v))
	}
	// v5 has v4's time: ties are ordered by ID, descending.
	v5 := newVisit("org-a", "v5", at(4*time.Hour))
	e.checkIn(v5)
	all = append(all, checkedIn(v5))
	got, err := s.ClaimVisit(ctx, "org-a", "v1", "user-a", at(90*time.Minute))
	e.ok(err)
	all[1] = got
	list := func(f reception.VisitFilter) []string {
		e.t.Helper()
		vs, err := s.ListVisits(ctx, "org-a", f)
		e.ok(err)
		return ids(vs, visitID)
	}
	vs, err := s.ListVisits(ctx, "org-a", reception.VisitFilter{})
	e.ok(err)
	e.diff("ListVisits (newest first, with timelines)", []*reception.Visit{all[5], all[4], all[3], all[2], all[1], all[0]}, vs)
	e.diff("From/To", []string{"v3", "v2", "v1"}, list(reception.VisitFilter{From: at(time.Hour), To: at(4 * time.Hour)}))
	e.diff("Status", []string{"v1"}, list(reception.VisitFilter{Status: reception.StatusAccepted}))
	e.diff("Status and Limit", []string{"v5", "v4"}, list(reception.VisitFilter{Status: reception.StatusWaiting, Limit: 2}))
	_, err = s.ListVisits(ctx, "org-a", reception.VisitFilter{Status: "bogus"})
	e.field("ListVisits with a bad status", err, "Status")
}

// testReminders checks due reminders are found across organizations and
// recorded exactly once however many replicas try.
func testReminders(e *env) {
	seedReminders(e)
	e.step("due reminders are listed across organizations in order", remindersDue)
	// Many replicas find due-a due at once; each tries to record the first
	// reminder with its own outbox entry. Only one may succeed.
	stores := e.stores()
	e.step("one of many replicas records a reminder", func(e *env) { remindersRace(e, stores) })
	e.step("the recorded reminder counts once", remindersRecorded)
	e.step("a stale count, an accepted or a closed visit conflicts", func(e *env) {
		e.is("a stale count", recordReminder(e, "due-a", 0), reception.ErrConflict)
		e.is("an accepted visit", recordReminder(e, "accepted", 0), reception.ErrConflict)
		e.is("a closed visit", recordReminder(e, "closed", 0), reception.ErrConflict)
	})
	e.step("a used dedupe key undoes the whole reminder", func(e *env) {
		// A conflicting dedupe key undoes the whole reminder.
		usedKey := e.outbox("org-a", reception.OutboxFilter{VisitID: "due-a"})[0].DedupeKey
		e.is("reminder with a used dedupe key", recordReminder(e, "due-early", 0, newEntry("org-a", "rem-dup", usedKey, at(11*time.Minute))), reception.ErrConflict)
		if got := e.visit("org-a", "due-early"); got.Reminders != 0 || len(got.Events) != 1 {
			e.t.Errorf("a reminder refused for its dedupe key changed the visit: %d reminders, %d events", got.Reminders, len(got.Events))
		}
	})
	e.step("a reminder without Next is the last", func(e *env) {
		// Next zero: no more reminders.
		e.ok(recordReminder(e, "due-early", 0))
		due, err := e.s.ListDueReminders(e.ctx, at(time.Hour), 10)
		e.ok(err)
		e.diff("ListDueReminders after the last reminder of due-early", []string{"due-b", "escalated", "due-a", "later"}, ids(due, visitID))
	})
	e.step("an entry of another organization is refused", func(e *env) {
		e.field("RecordReminder with an entry of another organization",
			recordReminder(e, "later", 0, newEntry("org-b", "rem-x", "x", at(0))), "Entries[0].OrgID")
	})
	e.step("a postponed reminder moves the due time only", remindersPostponed)
}

// seedReminders checks in the visits of testReminders: due-a, due-b (of
// org-b) and due-early, due 5 or 3 minutes in; escalated, due at 9; later,
// at 20; never, without reminders; accepted and closed, due at 5 but no
// longer waiting.
func seedReminders(e *env) {
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	mk := func(org, id string, next time.Duration) *reception.Visit {
		v := newVisit(org, id, at(0))
		v.NextReminderAt = at(next)
		if next < 0 {
			v.NextReminderAt = time.Time{}
		}
		e.checkIn(v)
		return v
	}
	mk("org-b", "due-b", 5*time.Minute)
	mk("org-a", "due-a", 5*time.Minute)
	mk("org-a", "due-early", 3*time.Minute)
	mk("org-a", "escalated", 9*time.Minute)
	_, err := e.s.AppendVisitEvent(e.ctx, "org-a", "escalated", reception.VisitEvent{Kind: reception.EventEscalated, At: at(time.Minute)})
	e.ok(err)
	mk("org-a", "later", 20*time.Minute)
	mk("org-a", "never", -1)
	mk("org-a", "accepted", 5*time.Minute)
	_, err = e.s.ClaimVisit(e.ctx, "org-a", "accepted", "user-a", at(time.Minute))
	e.ok(err)
	mk("org-a", "closed", 5*time.Minute)
	_, err = e.s.AppendVisitEvent(e.ctx, "org-a", "closed", reception.VisitEvent{Kind: reception.EventClosed, At: at(time.Minute)})
	e.ok(err)
}

func remindersDue(e *env) {
	due, err := e.s.ListDueReminders(e.ctx, at(10*time.Minute), 10)
	e.ok(err)
	e.diff("ListDueReminders (by NextReminderAt, OrgID, ID)", []string{"due-early", "due-a", "due-b", "escalated"}, ids(due, visitID))
	e.diff("ListDueReminders returns timelines", e.visit("org-a", "due-early"), due[0])
	due, err = e.s.ListDueReminders(e.ctx, at(5*time.Minute), 2)
	e.ok(err)
	e.diff("ListDueReminders at the due time, limited", []string{"due-early", "due-a"}, ids(due, visitID))
	_, err = e.s.ListDueReminders(e.ctx, at(0), 0)
	e.field("ListDueReminders with limit 0", err, "Limit")
}

// remindersRace has replicas spread over stores record the first reminder
// of due-a at once, each with its own outbox entry.
func remindersRace(e *env, stores []reception.Store) {
	const n = 40
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok        int
		conflicts int
		others    []error
	)
	for i := range n {
		wg.Go(func() {
			en := newEntry("org-a", fmt.Sprintf("rem-%02d", i), fmt.Sprintf("visit/due-a/reminder/1/replica-%02d", i), at(10*time.Minute))
			en.VisitID = "due-a"
			_, err := stores[i%len(stores)].RecordReminder(e.ctx, "org-a", "due-a", &reception.Reminder{
				Seen: 0, At: at(10 * time.Minute), Next: at(15 * time.Minute), Note: "@All", Entries: []*reception.OutboxEntry{en},
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, reception.ErrConflict):
				conflicts++
			default:
				others = append(others, err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || conflicts != n-1 || len(others) > 0 {
		e.t.Fatalf("RecordReminder from %d replicas: %d recorded, %d conflicts, other errors %v; want 1 and %d", n, ok, conflicts, others, n-1)
	}
}

// remindersRecorded checks due-a after remindersRace.
func remindersRecorded(e *env) {
	got := e.visit("org-a", "due-a")
	if got.Reminders != 1 || !got.NextReminderAt.Equal(at(15*time.Minute)) || got.Status != reception.StatusWaiting {
		e.t.Errorf("after the reminder: %d reminders, next at %v, status %s; want 1, %v, waiting", got.Reminders, got.NextReminderAt, got.Status, at(15*time.Minute))
	}
	last := got.Events[len(got.Events)-1]
	e.diff("reminded event", reception.VisitEvent{Kind: reception.EventReminded, At: at(10 * time.Minute), Note: "@All"}, last)
	if entries := e.outbox("org-a", reception.OutboxFilter{VisitID: "due-a"}); len(entries) != 1 {
		e.t.Errorf("%d reminder entries enqueued, want 1", len(entries))
	}
	due, err := e.s.ListDueReminders(e.ctx, at(10*time.Minute), 10)
	e.ok(err)
	e.diff("ListDueReminders after recording", []string{"due-early", "due-b", "escalated"}, ids(due, visitID))
}

// recordReminder records a reminder of visit id of org-a at 11 minutes,
// the last (no Next), having seen seen reminders.
func recordReminder(e *env, id string, seen int, entries ...*reception.OutboxEntry) error {
	_, err := e.s.RecordReminder(e.ctx, "org-a", id, &reception.Reminder{Seen: seen, At: at(11 * time.Minute), Entries: entries})
	return err
}

func remindersPostponed(e *env) {
	ctx, s := e.ctx, e.s
	// A postponed reminder moves the due time only: no count, no event,
	// and the visit is not due before the new time.
	before := e.visit("org-a", "escalated")
	postpone := func(seen int, next time.Duration) error {
		_, err := s.RecordReminder(ctx, "org-a", "escalated", &reception.Reminder{Seen: seen, At: at(12 * time.Minute), Next: at(next), Postpone: true})
		return err
	}
	e.ok(postpone(0, 2*time.Hour))
	got := e.visit("org-a", "escalated")
	want := before.Clone()
	want.NextReminderAt = at(2 * time.Hour)
	e.diff("visit after a postponed reminder", want, got)
	due, err := s.ListDueReminders(ctx, at(time.Hour), 10)
	e.ok(err)
	e.diff("ListDueReminders after postponing escalated", []string{"due-b", "due-a", "later"}, ids(due, visitID))
	e.is("postponing with a stale count", postpone(1, 3*time.Hour), reception.ErrConflict)
	_, err = s.RecordReminder(ctx, "org-a", "escalated", &reception.Reminder{At: at(12 * time.Minute), Postpone: true})
	e.field("postponing without Next", err, "Next")
	_, err = s.RecordReminder(ctx, "org-a", "escalated", &reception.Reminder{At: at(12 * time.Minute), Next: at(3 * time.Hour), Postpone: true,
		Entries: []*reception.OutboxEntry{newEntry("org-a", "rem-p", "p", at(0))}})
	e.field("postponing with messages", err, "Entries")
}

package notify

import (
	"context"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// Fairness. Every send — the check-in fast path, the dispatcher's leases
// (which carry reminders and the replies to staff taps too) — goes through
// one fairQueue. It keeps one FIFO lane per organization and API and hands
// the service's delivery slots (WithDelivery's concurrency) to the lanes in
// turn. A slot is held only while a request is on the wire:
//
//   - a send whose tenant has no room in its rate budget is put back at the
//     head of its lane, the lane is parked until the budget has room, and
//     the slot goes to the next lane;
//   - after a 429 the tenant's budget is held closed (for every replica,
//     with a shared RateLimiter) until rateLimit-reset; after a 503, 5xx,
//     timeout or broken credentials the lane is parked for the backoff
//     instead of sending its next message into the same failure;
//   - one organization has at most tenantSlots sends on the wire at once,
//     so a tenant whose API hangs holds that many slots, never all;
//   - a lane that would keep a leased entry waiting past its lease hands
//     the entry back to the store, postponed to when its budget will have
//     room (no attempt used), instead of letting the lease lapse.
//
// So a quiet tenant's notification waits for at most one round of the
// other lanes, not for another tenant's budget.
type fairQueue struct {
	s *Service

	mu       sync.Mutex
	lanes    map[string]*lane
	ring     []*lane // lanes with queued work, served in turn
	next     int
	inflight int
	orgBusy  map[string]int
}

// lane is the queue of one organization's sends to one API.
type lane struct {
	key   string
	org   string
	queue []*job
	// until is when the lane may send again (zero: now); timer pumps then.
	until time.Time
	timer *time.Timer
	// interval is the pace of the lane's budget, learnt from the last
	// attempt, to estimate when queued jobs will go.
	interval time.Duration
	inRing   bool
	inflight int
}

// job is one leased entry to send.
type job struct {
	e     *reception.OutboxEntry
	typed lineworks.Content
	ctx   context.Context // values only
	// stop, when closed before the send started, drops the job: its lease
	// stays with the service until Run releases it (or it lapses).
	stop <-chan struct{}
	done func()
}

func (j *job) stopped() bool {
	select {
	case <-j.stop:
		return true
	default:
		return false
	}
}

func newFairQueue(s *Service) *fairQueue {
	return &fairQueue{s: s, lanes: map[string]*lane{}, orgBusy: map[string]int{}}
}

func laneKey(e *reception.OutboxEntry) string {
	return e.OrgID + "\x00" + string(e.Target.Kind)
}

// submit queues jobs and starts what the slots allow.
func (q *fairQueue) submit(jobs ...*job) {
	var trimmed []trim
	q.mu.Lock()
	for _, j := range jobs {
		k := laneKey(j.e)
		l := q.lanes[k]
		if l == nil {
			l = &lane{key: k, org: j.e.OrgID}
			q.lanes[k] = l
		}
		l.queue = append(l.queue, j)
		if !l.inRing {
			l.inRing = true
			q.ring = append(q.ring, l)
		}
	}
	for _, j := range jobs {
		trimmed = append(trimmed, q.trimLocked(q.lanes[laneKey(j.e)])...)
	}
	q.mu.Unlock()
	q.postpone(trimmed)
	q.pump()
}

// ready returns how many jobs are on the wire or could start now: queued
// in lanes that are neither parked nor at their organization's limit.
// Jobs waiting for a tenant's budget, backoff or hung API do not count, so
// they never keep the dispatcher from leasing other tenants' entries.
func (q *fairQueue) ready() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	n := q.inflight
	for _, l := range q.ring {
		if !l.until.After(now) && q.orgBusy[l.org] < q.s.tenantSlots {
			n += len(l.queue)
		}
	}
	return n
}

// pump starts sends while slots are free, taking lanes in turn.
func (q *fairQueue) pump() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	for q.inflight < q.s.concurrency {
		started := false
		for tries := len(q.ring); tries > 0 && len(q.ring) > 0; tries-- {
			if q.next >= len(q.ring) {
				q.next = 0
			}
			l := q.ring[q.next]
			for len(l.queue) > 0 && l.queue[0].stopped() {
				l.queue[0].done()
				l.queue[0] = nil
				l.queue = l.queue[1:]
			}
			if len(l.queue) == 0 {
				q.unringLocked(q.next)
				continue
			}
			q.next++
			if l.until.After(now) || q.orgBusy[l.org] >= q.s.tenantSlots {
				continue
			}
			j := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			q.inflight++
			l.inflight++
			q.orgBusy[l.org]++
			go q.run(l, j)
			started = true
			break
		}
		if !started {
			break
		}
	}
	if len(q.lanes) > 2*len(q.ring)+64 {
		q.sweepLocked(now)
	}
}

// unringLocked takes the empty lane at i out of the ring.
func (q *fairQueue) unringLocked(i int) {
	q.ring[i].inRing = false
	q.ring = append(q.ring[:i], q.ring[i+1:]...)
	if q.next > i {
		q.next--
	}
}

// sweepLocked forgets idle lanes, so that memory follows the tenants with
// work rather than every tenant ever served.
func (q *fairQueue) sweepLocked(now time.Time) {
	for k, l := range q.lanes {
		if !l.inRing && len(l.queue) == 0 && l.inflight == 0 && !l.until.After(now) {
			if l.timer != nil {
				l.timer.Stop()
			}
			delete(q.lanes, k)
		}
	}
}

// dropStoppedLocked finishes the queued jobs whose stop closed.
func (q *fairQueue) dropStoppedLocked(l *lane) {
	kept := l.queue[:0]
	for _, j := range l.queue {
		if j.stopped() {
			j.done()
			continue
		}
		kept = append(kept, j)
	}
	clear(l.queue[len(kept):])
	l.queue = kept
}

// stopped drops every queued job whose stop closed, e.g. when Run ends.
func (q *fairQueue) stopped() {
	q.mu.Lock()
	for _, l := range q.lanes {
		q.dropStoppedLocked(l)
	}
	q.mu.Unlock()
	q.pump()
}

// run makes one attempt at j and settles the lane.
func (q *fairQueue) run(l *lane, j *job) {
	r := q.s.attempt(j)
	q.mu.Lock()
	q.inflight--
	l.inflight--
	if q.orgBusy[l.org]--; q.orgBusy[l.org] <= 0 {
		delete(q.orgBusy, l.org)
	}
	if r.interval > 0 {
		l.interval = r.interval
	}
	if r.requeue {
		l.queue = append([]*job{j}, l.queue...)
	} else {
		j.done()
	}
	if r.park > 0 {
		q.parkLocked(l, time.Now().Add(r.park))
	}
	if len(l.queue) > 0 && !l.inRing {
		l.inRing = true
		q.ring = append(q.ring, l)
	}
	trimmed := q.trimLocked(l)
	q.mu.Unlock()
	q.postpone(trimmed)
	q.pump()
}

// parkLocked keeps l from sending before t.
func (q *fairQueue) parkLocked(l *lane, t time.Time) {
	if !t.After(l.until) {
		return
	}
	l.until = t
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = time.AfterFunc(time.Until(t), q.pump)
}

// trim is a queued job handed back to the store until a time.
type trim struct {
	j     *job
	until time.Time
}

// trimHorizon is how far ahead a lane keeps the jobs its budget will send;
// later ones wait in the store, where they hold no lease and no room in
// the dispatcher's share of the queue.
const trimHorizon = 5 * time.Second

// trimLocked takes out of l the jobs that would wait past their lease or
// past trimHorizon: the job i places back waits about i intervals after
// the lane may send again. They go back to the store postponed to that
// estimate, so a tenant's backlog waits in the database, not in leases.
func (q *fairQueue) trimLocked(l *lane) []trim {
	if l.interval <= 0 || len(l.queue) == 0 {
		return nil
	}
	wall := time.Now()
	now := q.s.now()
	start := now
	if l.until.After(wall) {
		start = now.Add(l.until.Sub(wall))
	}
	margin := q.s.leaseFor/4 + time.Second
	for i, j := range l.queue {
		at := start.Add(time.Duration(i) * l.interval)
		if j.e.LeaseExpiresAt.IsZero() {
			continue
		}
		limit := j.e.LeaseExpiresAt.Add(-margin)
		if h := now.Add(trimHorizon); h.Before(limit) {
			limit = h
		}
		if !at.After(limit) {
			continue
		}
		var out []trim
		for k, j := range l.queue[i:] {
			out = append(out, trim{j: j, until: start.Add(time.Duration(i+k) * l.interval)})
		}
		clear(l.queue[i:])
		l.queue = l.queue[:i]
		return out
	}
	return nil
}

// postpone hands trimmed jobs back to the store.
func (q *fairQueue) postpone(ts []trim) {
	if len(ts) == 0 {
		return
	}
	go func() {
		for _, t := range ts {
			q.s.postponeJob(t.j, t.until, "waiting for the organization's LINE WORKS rate budget")
			t.j.done()
		}
	}()
}

// result is what one attempt tells the queue.
type result struct {
	// requeue: the job was not sent (no room in the budget); it goes back
	// to the head of its lane.
	requeue bool
	// park keeps the lane from sending for this long.
	park time.Duration
	// interval is the pace of the tenant's budget, when known.
	interval time.Duration
}

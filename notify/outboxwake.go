package notify

import (
	"sync"
	"time"
)

// Waking the dispatcher. Between kicks, runOutbox sleeps for the poll
// interval; an entry this service hands back to the store for a later
// time (a retry's backoff, a postponement behind the tenant's budget or
// behind an appointment's message being sent) would otherwise wait for
// the next poll after that time. wakes remembers those times so that the
// dispatcher wakes at the earliest of them instead.
type wakes struct {
	mu    sync.Mutex
	times []time.Time
}

// maxWakes bounds the remembered times; past it, entries wait for the
// poll as before.
const maxWakes = 1024

// wakeAt makes the dispatcher look for due entries at t (service clock).
func (s *Service) wakeAt(t time.Time) {
	s.wakes.mu.Lock()
	if len(s.wakes.times) < maxWakes {
		s.wakes.times = append(s.wakes.times, t)
	}
	s.wakes.mu.Unlock()
	// The dispatcher may be asleep for a whole poll interval: let it
	// recompute how long to sleep.
	kick(s.kickOutbox)
}

// outboxWait is how long runOutbox sleeps when idle: the poll interval, or
// less when a time noted by wakeAt comes first (0 when one has passed).
// The times passed are forgotten: the next dispatch leases their entries.
func (s *Service) outboxWait() time.Duration {
	now := s.now()
	d := s.pollInterval
	s.wakes.mu.Lock()
	defer s.wakes.mu.Unlock()
	kept := s.wakes.times[:0]
	for _, t := range s.wakes.times {
		if !t.After(now) {
			d = 0
			continue
		}
		kept = append(kept, t)
		d = min(d, t.Sub(now))
	}
	clear(s.wakes.times[len(kept):])
	s.wakes.times = kept
	return d
}

// sendingSteps are the appointment messages (code sequence steps) this
// service is checking or sending: registered before a step checks whether
// its appointment was cancelled, and settled when its outcome is recorded.
// A cancel notice waits in-process for those to the same host (apptGate),
// so it follows them at once, with no polling.
type sendingSteps struct {
	mu    sync.Mutex
	steps map[string]sendingStep // by entry ID
}

type sendingStep struct {
	key  string // appointment ID and target
	done chan struct{}
}

// startStep registers e, a code sequence step, as being sent; the
// returned function settles it.
func (s *Service) startStep(key, entryID string) func() {
	done := make(chan struct{})
	s.sending.mu.Lock()
	if s.sending.steps == nil {
		s.sending.steps = map[string]sendingStep{}
	}
	s.sending.steps[entryID] = sendingStep{key: key, done: done}
	s.sending.mu.Unlock()
	return func() {
		s.sending.mu.Lock()
		delete(s.sending.steps, entryID)
		s.sending.mu.Unlock()
		close(done)
	}
}

// stepBeingSent returns the done channel of a step with key that this
// service is sending, other than entry except; nil when there is none.
func (s *Service) stepBeingSent(key, except string) <-chan struct{} {
	s.sending.mu.Lock()
	defer s.sending.mu.Unlock()
	for id, st := range s.sending.steps {
		if st.key == key && id != except {
			return st.done
		}
	}
	return nil
}

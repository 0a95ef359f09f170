package notify

import (
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Hooks for the tests in notify_test, compiled only with them.

// ExpireOrgCache stands in for orgCacheTTL passing: that cache keeps wall-
// clock time (it is a performance cache, not domain time), which WithClock
// does not drive.
func (s *Service) ExpireOrgCache() {
	s.orgsMu.Lock()
	defer s.orgsMu.Unlock()
	clear(s.orgs)
}

// Running reports whether Run has started (and not yet returned), so that
// a test can check in on the fast path without guessing how long Run takes
// to start.
func (s *Service) Running() bool {
	s.fastMu.Lock()
	defer s.fastMu.Unlock()
	return s.running
}

// CodeVisitID is the ID of the visit a check-in with a code makes, so a
// test can stand in for a crash between the arrival and the visit.
func CodeVisitID(orgID string, req CheckInRequest, a *reception.Appointment) string {
	return codeVisit(orgID, req, a, time.Time{}).ID
}

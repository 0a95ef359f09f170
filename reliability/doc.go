// Package reliability holds uketsuke's reliability suite: tests that hold
// the whole system — store, notification engine, LINE WORKS client, callback
// endpoint and the server binary — under faults, crashes, floods and races,
// and check that nothing accepted is lost, nothing is done twice beyond what
// the fake LINE WORKS counted as ambiguous, and no secret leaks into a log.
//
// The package has no API; its tests run with go test ./... at reduced sizes
// (smaller still with -short). UKETSUKE_RELIABILITY_FULL=1 runs the full
// sizes reported in RELIABILITY.md at the root of the module.
package reliability

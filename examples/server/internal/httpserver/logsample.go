package httpserver

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Rejected callbacks (forged signatures, unknown bots, scanners) are
// logged at Warn by lineworks' handler, one line each: a flood of forged
// requests would fill the log. sampledHandler passes at most sampleBurst
// Warn records per sampleWindow and then counts the rest, reporting the
// count with the first record of a later window. Errors always pass.
const (
	sampleBurst  = 10
	sampleWindow = time.Minute
)

type sampledHandler struct {
	slog.Handler
	st *sampleState
}

type sampleState struct {
	now func() time.Time

	mu         sync.Mutex
	start      time.Time
	passed     int
	suppressed int
}

func newSampledHandler(h slog.Handler, now func() time.Time) *sampledHandler {
	return &sampledHandler{Handler: h, st: &sampleState{now: now}}
}

func (h *sampledHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		return h.Handler.Handle(ctx, r)
	}
	st := h.st
	st.mu.Lock()
	now := st.now()
	if now.Sub(st.start) >= sampleWindow {
		st.start, st.passed = now, 0
	}
	pass := st.passed < sampleBurst
	dropped := 0
	if pass {
		st.passed++
		dropped, st.suppressed = st.suppressed, 0
	} else {
		st.suppressed++
	}
	st.mu.Unlock()
	if !pass {
		return nil
	}
	if dropped > 0 {
		r.AddAttrs(slog.Int("suppressedBefore", dropped))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *sampledHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &sampledHandler{Handler: h.Handler.WithAttrs(as), st: h.st}
}

func (h *sampledHandler) WithGroup(name string) slog.Handler {
	return &sampledHandler{Handler: h.Handler.WithGroup(name), st: h.st}
}

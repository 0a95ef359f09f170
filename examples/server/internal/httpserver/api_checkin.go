package httpserver

import (
	"net/http"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// checkIn is a kiosk's check-in (the kiosk token is accepted here). With a
// kiosk token it is held to the check-in limits, before anything is stored.
func (a *api) checkIn(w http.ResponseWriter, r *http.Request) error {
	var in app.CheckInInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	done := func(bool) {}
	if kiosk, _ := r.Context().Value(kioskAuthKey{}).(string); kiosk != "" {
		var (
			wait time.Duration
			ok   bool
		)
		if done, wait, ok = a.guard.admitCheckIn(r, kiosk); !ok {
			retryAfter(w, wait)
			return &apiError{Status: http.StatusTooManyRequests, Msg: "too many check-ins with this kiosk token or from this address; retry after the time in Retry-After"}
		}
	}
	out, err := a.app.CheckIn(r.Context(), r.PathValue("org"), in)
	done(err == nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

package httpserver

import (
	"net/http"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// checkIn is a kiosk's check-in (the kiosk token is accepted here).
func (a *api) checkIn(w http.ResponseWriter, r *http.Request) error {
	var in app.CheckInInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.app.CheckIn(r.Context(), r.PathValue("org"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

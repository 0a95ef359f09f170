package httpserver

import (
	"net/http"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// createBot sets the organization's bot up (app.SetUpBot); the body, which
// names the bot, is optional.
func (a *api) createBot(w http.ResponseWriter, r *http.Request) error {
	var in app.BotInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	out, err := a.app.SetUpBot(r.Context(), r.PathValue("org"), in)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(out.Created), out)
	return nil
}

// reissueBotSecret issues and stores a new secret for the organization's
// bot (app.ReissueBotSecret).
func (a *api) reissueBotSecret(w http.ResponseWriter, r *http.Request) error {
	out, err := a.app.ReissueBotSecret(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

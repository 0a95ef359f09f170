package httpserver

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// checkIn is a kiosk's check-in (the kiosk token is accepted here). With a
// kiosk token it is held to the check-in limits, before anything is stored,
// and a check-in with a reception code to the kiosk's wrong-code limit.
func (a *api) checkIn(w http.ResponseWriter, r *http.Request) error {
	var in app.CheckInInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	kiosk, _ := r.Context().Value(kioskAuthKey{}).(string)
	key := codeKey(kiosk, "api", a.guard.addr(r))
	if in.Code != "" {
		if in.Code = normalizeCode(in.Code); !reception.ValidCode(in.Code) {
			return a.codeError(codeRefusal{Status: http.StatusBadRequest, Reason: codeMalformed, Message: kioskText[apiLang(in.Language)]["codeShort"]},
				in.Language, "code: must be 6 digits 0–9")
		}
		if wait, ok := a.guard.codeAllowed(kiosk, key); kiosk != "" && !ok {
			retryAfter(w, wait)
			return a.codeError(codeRefusal{Status: http.StatusTooManyRequests, Reason: codeLimited}, in.Language,
				"too many wrong reception codes from this kiosk; retry after the time in Retry-After")
		}
	}
	done := func(bool) {}
	if kiosk != "" {
		var (
			wait time.Duration
			ok   bool
		)
		if done, wait, ok = a.guard.admitCheckIn(r, kiosk); !ok {
			retryAfter(w, wait)
			const msg = "too many check-ins with this kiosk token or from this address; retry after the time in Retry-After"
			if in.Code != "" {
				return a.codeError(codeRefusal{Status: http.StatusTooManyRequests, Reason: codeLimited,
					Message: kioskText[apiLang(in.Language)]["codeBusy"]}, in.Language, msg)
			}
			return &apiError{Status: http.StatusTooManyRequests, Msg: msg}
		}
	}
	out, err := a.app.CheckIn(r.Context(), r.PathValue("org"), in)
	done(err == nil)
	if err != nil {
		if ref, ok := codeRefusalOf(err, apiLang(in.Language), a.app.Loc); ok && in.Code != "" {
			if ref.Reason == codeUnknown && kiosk != "" {
				a.guard.wrongCode(kiosk, key)
			}
			return a.codeError(ref, in.Language, codeErrorText(err, a.app.Loc))
		}
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// codeError is the API's answer to a refused reception code: the status,
// field "code", the reason for programs, msg for developers and the
// visitor's message in their language (the kiosk's wording).
func (a *api) codeError(ref codeRefusal, lang, msg string) error {
	lang = apiLang(lang)
	if ref.Message == "" {
		ref.Message = kioskText[lang]["codeLimited"]
	}
	return &apiError{Status: ref.Status, Field: "code", Msg: trimReception(msg), Reason: ref.Reason, Message: ref.Message}
}

// codeErrorText is err's text for developers, without the packages'
// prefixes ("not found: notify: …"); a time in it is in loc, the server's
// zone, as in the appointments' JSON.
func codeErrorText(err error, loc *time.Location) string {
	if isUnknownCode(err) {
		return "no appointment has this reception code"
	}
	var ce *reception.CodeError
	if errors.As(err, &ce) && ce.Reason == reception.CodeNotYetValid {
		return "the reception code is not valid before " + inZone(ce.ValidFrom, loc).Format(time.RFC3339)
	}
	return trimReception(err.Error())
}

// apiLang is a check-in's language if the kiosk speaks it, else the
// kiosk's default.
func apiLang(lang string) string {
	if slices.Contains(app.KioskLanguages, lang) {
		return lang
	}
	return app.KioskLanguages[0]
}

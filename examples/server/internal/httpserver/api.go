package httpserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// api serves the JSON API under /api/v1: it reads JSON into the use
// cases' inputs, calls package app and writes the answers as JSON.
type api struct {
	app        *app.App
	adminToken []byte
	log        *slog.Logger
	guard      *guard
}

// APIPrefix is the JSON API's path prefix.
const APIPrefix = "/api/v1"

// maxAPIBody bounds a JSON request body.
const maxAPIBody = 64 << 10

func (a *api) register(mux *http.ServeMux) {
	admin := func(pattern string, h apiFunc) { mux.Handle(pattern, a.auth(false, h)) }
	org := APIPrefix + "/orgs/{org}"
	admin("GET "+APIPrefix+"/orgs", a.listOrgs)
	admin("GET "+org, a.getOrg)
	admin("PUT "+org, a.putOrg)
	admin("DELETE "+org, a.deleteOrg)
	admin("GET "+org+"/lineworks", a.getIntegration)
	admin("PUT "+org+"/lineworks", a.putIntegration)
	admin("POST "+org+"/lineworks/verify", a.verifyIntegration)
	admin("POST "+org+"/lineworks/bot", a.createBot)
	admin("POST "+org+"/lineworks/bot/secret", a.reissueBotSecret)
	admin("GET "+org+"/buttons", a.listButtons)
	admin("POST "+org+"/buttons", a.createButton)
	admin("GET "+org+"/buttons/{id}", a.getButton)
	admin("PUT "+org+"/buttons/{id}", a.putButton)
	admin("DELETE "+org+"/buttons/{id}", a.deleteButton)
	admin("GET "+org+"/staff", a.listStaff)
	admin("POST "+org+"/staff", a.createStaff)
	admin("GET "+org+"/staff/{id}", a.getStaff)
	admin("PUT "+org+"/staff/{id}", a.putStaff)
	admin("DELETE "+org+"/staff/{id}", a.deleteStaff)
	admin("GET "+org+"/rooms", a.listRooms)
	admin("POST "+org+"/rooms/refresh", a.refreshRooms)
	admin("GET "+org+"/visits", a.listVisits)
	admin("POST "+org+"/visits/{id}/erase", a.eraseVisit)
	a.registerAppointments(admin)
	mux.Handle("POST "+org+"/checkins", a.auth(true, a.checkIn))
	mux.Handle(APIPrefix+"/", apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		return &apiError{Status: http.StatusNotFound, Msg: "no such API endpoint: " + r.Method + " " + r.URL.Path}
	}))
}

// apiFunc is a handler that returns its error; ServeHTTP answers it as JSON.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

func (f apiFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		writeAPIError(w, r, err)
	}
}

// apiError is an error with its HTTP status and the JSON field at fault.
type apiError struct {
	Status int
	Msg    string
	Field  string
	Fields []fieldJSON
	// Reason and Message explain a refused reception code: a keyword for
	// programs, and what the kiosk tells the visitor, in their language.
	Reason  string
	Message string
}

func (e *apiError) Error() string { return e.Msg }

type fieldJSON struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

type errorJSON struct {
	Error   string      `json:"error"`
	Field   string      `json:"field,omitempty"`
	Fields  []fieldJSON `json:"fields,omitempty"`
	Reason  string      `json:"reason,omitempty"`
	Message string      `json:"message,omitempty"`
}

// loggerKey carries the request's logger to writeAPIError.
type loggerKey struct{}

func writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	ae := apiErrorOf(r, err)
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="uketsuke"`)
	}
	writeJSON(w, ae.Status, errorJSON{Error: ae.Msg, Field: ae.Field, Fields: ae.Fields, Reason: ae.Reason, Message: ae.Message})
}

// apiErrorOf is how the API answers err, and so what the pages show for
// it: the status, the message and the fields at fault (by their JSON
// names). An unexpected error is logged, with the request's logger when it
// has one, and answered as "internal error".
func apiErrorOf(r *http.Request, err error) *apiError {
	var (
		ae *apiError
		ue *app.Error
		mb *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &ue):
		ae = &apiError{Status: appStatus[ue.Code], Field: ue.Field, Msg: ue.Msg}
	case errors.As(err, &mb):
		ae = &apiError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body larger than %d bytes", mb.Limit)}
	case len(reception.FieldErrors(err)) > 0:
		ae = &apiError{Status: http.StatusBadRequest}
		for _, fe := range reception.FieldErrors(err) {
			ae.Fields = append(ae.Fields, fieldJSON{Field: jsonField(fe.Field), Error: fe.Msg})
		}
		ae.Field = ae.Fields[0].Field
		msgs := make([]string, len(ae.Fields))
		for i, f := range ae.Fields {
			msgs[i] = f.Field + " " + f.Error
		}
		ae.Msg = strings.Join(msgs, "; ")
	default:
		ae = domainError(r, err)
	}
	if ae.Status == 0 {
		ae.Status = http.StatusBadRequest
	}
	return ae
}

// appStatus is the HTTP status of each kind of app.Error.
var appStatus = map[app.Code]int{
	app.Invalid: http.StatusBadRequest, app.NotFound: http.StatusNotFound,
	app.Conflict: http.StatusConflict, app.Upstream: http.StatusBadGateway,
}

// domainError answers reception's sentinel errors, and anything else as
// an internal error.
func domainError(r *http.Request, err error) *apiError {
	ae := &apiError{Msg: trimReception(err.Error())}
	switch {
	case errors.Is(err, reception.ErrNotFound):
		ae.Status = http.StatusNotFound
	case errors.Is(err, reception.ErrConflict):
		ae.Status = http.StatusConflict
	case errors.Is(err, reception.ErrInvalid):
		ae.Status = http.StatusBadRequest
	case errors.Is(err, reception.ErrSecretOpen):
		// Not an internal mystery: the key changed. Say which setting,
		// and that re-entering the credentials (PUT …/lineworks) works
		// without the old key.
		ae.Status, ae.Msg = http.StatusConflict, "the stored LINE WORKS secrets cannot be opened with this server's key "+
			"(UKETSUKE_SECRET_KEY or its key file changed): restore the key, or enter the credentials again with PUT …/lineworks"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		ae.Status, ae.Msg = http.StatusServiceUnavailable, "the request was canceled or timed out"
	default:
		if l, ok := r.Context().Value(loggerKey{}).(*slog.Logger); ok {
			l.Error("API request failed", "method", r.Method, "pattern", r.Pattern, "err", err)
		}
		ae.Status, ae.Msg = http.StatusInternalServerError, "internal error"
	}
	return ae
}

// trimReception drops the "reception: " prefix of reception's errors.
func trimReception(msg string) string { return strings.TrimPrefix(msg, "reception: ") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// goFields maps the Go field paths of reception's FieldErrors to the JSON
// names of this API. Paths not listed (notify's are JSON already) pass.
var goFields = map[string]string{
	"ID": "id", "Name": "name", "Locale": "locale", "KioskToken": "kioskToken", "KioskFallback": "kioskFallback",
	"Integration.ClientID": "clientId", "Integration.ClientSecret": "clientSecret",
	"Integration.ServiceAccountID": "serviceAccount", "Integration.PrivateKey": "privateKey",
	"Integration.BotID": "botId", "Integration.BotSecret": "botSecret", "Integration.DomainID": "domainId",
	"Integration.AdminUserID": "adminUserId", "Integration.Scopes": "scopes",
	"Integration.RateLimit": "rateLimit", "Integration.DefaultChannelID": "defaultChannelId",
	"Label": "label", "Labels": "labels", "Order": "order", "ChannelIDs": "rooms", "StaffIDs": "staff",
	"Template": "template", "Reminder.After": "reminder.after", "Reminder.Max": "reminder.max",
	"UserID": "userId", "ButtonIDs": "buttons",
	"VisitorName": "visitor.name", "Company": "visitor.company", "PartySize": "visitor.count",
	"Note": "visitor.note", "ButtonID": "buttonId", "StaffID": "staffId",
}

// jsonField translates a reception field path such as "ChannelIDs[1]".
func jsonField(goPath string) string {
	best := ""
	for k := range goFields {
		if (goPath == k || strings.HasPrefix(goPath, k+"[") || strings.HasPrefix(goPath, k+".")) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return goPath
	}
	return goFields[best] + goPath[len(best):]
}

// auth checks the bearer token: the admin token, or with kiosk the
// organization's kiosk token too. Both comparisons take constant time.
func (a *api) auth(kiosk bool, h apiFunc) http.Handler {
	check := apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		token, ok := bearer(r)
		if !ok {
			return &apiError{Status: http.StatusUnauthorized, Msg: "missing bearer token (Authorization: Bearer <token>)"}
		}
		if !a.guard.waitTurn(w, r, tooManyGuesses) {
			return nil
		}
		if subtle.ConstantTimeCompare([]byte(token), a.adminToken) == 1 {
			a.guard.guessed(r, true)
			return h(w, r)
		}
		if kiosk {
			org, err := a.app.Store.GetOrganization(r.Context(), r.PathValue("org"))
			if err == nil && reception.KioskTokenMatches(org.KioskToken, token) &&
				a.guard.kioskAllowed(r.Context(), org.ID) {
				a.guard.guessed(r, true)
				return h(w, r.WithContext(context.WithValue(r.Context(), kioskAuthKey{}, org.ID)))
			}
		}
		a.guard.guessed(r, false)
		return &apiError{Status: http.StatusUnauthorized, Msg: "invalid token"}
	})
	// The logger goes into the request that apiFunc answers errors for,
	// so that a 500 is logged with its cause.
	return withLogger(a.log, check)
}

// withLogger puts log into the request, so that an internal error is
// logged with its cause (apiErrorOf).
func withLogger(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loggerKey{}, log)))
	})
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// decode reads a size-limited JSON body into v, rejecting unknown fields
// (a typo should not be silently ignored) and trailing data.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var (
			mb *http.MaxBytesError
			te *json.UnmarshalTypeError
		)
		switch {
		case errors.As(err, &mb):
			return err
		case errors.Is(err, io.EOF):
			return &apiError{Status: http.StatusBadRequest, Msg: "the request body is empty; send a JSON object"}
		case errors.As(err, &te) && te.Field == "":
			return &apiError{Status: http.StatusBadRequest, Msg: "the request body must be a JSON object"}
		case errors.As(err, &te):
			return &apiError{Status: http.StatusBadRequest, Field: te.Field, Msg: fmt.Sprintf("%s: must be %s", te.Field, jsonType(te.Type.Kind().String()))}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &apiError{Status: http.StatusBadRequest, Field: f, Msg: "unknown field " + f}
		}
		var fe *fieldDecodeError
		if errors.As(err, &fe) {
			return &apiError{Status: http.StatusBadRequest, Field: fe.Field, Msg: fe.Field + ": " + fe.Msg}
		}
		return &apiError{Status: http.StatusBadRequest, Msg: "the request body is not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return &apiError{Status: http.StatusBadRequest, Msg: "the request body has data after the JSON object"}
	}
	return nil
}

// fieldDecodeError is returned by custom UnmarshalJSON methods.
type fieldDecodeError struct{ Field, Msg string }

func (e *fieldDecodeError) Error() string { return e.Field + ": " + e.Msg }

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

// kioskAuthKey marks a request authorized by a kiosk token (not the admin
// token); the value is the organization's ID.
type kioskAuthKey struct{}

// tooManyGuesses answers a token check refused by the back-off.
func tooManyGuesses(w http.ResponseWriter, r *http.Request, _ time.Duration) {
	writeJSON(w, http.StatusTooManyRequests, errorJSON{Error: "too many wrong tokens from this address; retry after the time in Retry-After"})
}

package main

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

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// api serves the JSON API under /api/v1.
type api struct {
	store      reception.Store
	svc        *notify.Service
	adminToken []byte
	cfg        *config
	log        *slog.Logger
	hc         *http.Client // token and bot requests to LINE WORKS
	now        func() time.Time
	loc        *time.Location
	// demoURLs are the in-process fake's, which the demo organization's
	// requests go to; nil without demo mode.
	demoURLs *lineworksURLs
}

// lineworksURLs are where one organization's requests to LINE WORKS go.
type lineworksURLs struct {
	API, Token, Authorize string
}

// urlsFor returns the LINE WORKS endpoints of orgID: the fake's for the demo
// organization in demo mode, so that verifying its credentials, creating its
// bot or signing in to it never reaches the real LINE WORKS; the
// configured ones for everyone else.
func (a *api) urlsFor(orgID string) lineworksURLs {
	if orgID == demoOrgID && a.demoURLs != nil {
		return *a.demoURLs
	}
	return lineworksURLs{API: a.cfg.APIURL, Token: a.cfg.TokenURL, Authorize: a.cfg.AuthURL + "authorize"}
}

const apiPrefix = "/api/v1"

func (a *api) register(mux *http.ServeMux) {
	admin := func(pattern string, h apiFunc) { mux.Handle(pattern, a.auth(false, h)) }
	admin("GET "+apiPrefix+"/orgs", a.listOrgs)
	admin("GET "+apiPrefix+"/orgs/{org}", a.getOrg)
	admin("PUT "+apiPrefix+"/orgs/{org}", a.putOrg)
	admin("DELETE "+apiPrefix+"/orgs/{org}", a.deleteOrg)
	admin("GET "+apiPrefix+"/orgs/{org}/lineworks", a.getIntegration)
	admin("PUT "+apiPrefix+"/orgs/{org}/lineworks", a.putIntegration)
	admin("POST "+apiPrefix+"/orgs/{org}/lineworks/verify", a.verifyIntegration)
	admin("POST "+apiPrefix+"/orgs/{org}/lineworks/bot", a.createBot)
	admin("POST "+apiPrefix+"/orgs/{org}/lineworks/bot/secret", a.reissueBotSecret)
	buttons, staff := a.buttons(), a.staff()
	admin("GET "+apiPrefix+"/orgs/{org}/buttons", buttons.listAll)
	admin("POST "+apiPrefix+"/orgs/{org}/buttons", buttons.create)
	admin("GET "+apiPrefix+"/orgs/{org}/buttons/{id}", buttons.getOne)
	admin("PUT "+apiPrefix+"/orgs/{org}/buttons/{id}", buttons.put)
	admin("DELETE "+apiPrefix+"/orgs/{org}/buttons/{id}", buttons.delete)
	admin("GET "+apiPrefix+"/orgs/{org}/staff", staff.listAll)
	admin("POST "+apiPrefix+"/orgs/{org}/staff", staff.create)
	admin("GET "+apiPrefix+"/orgs/{org}/staff/{id}", staff.getOne)
	admin("PUT "+apiPrefix+"/orgs/{org}/staff/{id}", staff.put)
	admin("DELETE "+apiPrefix+"/orgs/{org}/staff/{id}", staff.delete)
	admin("GET "+apiPrefix+"/orgs/{org}/rooms", a.listRooms)
	admin("POST "+apiPrefix+"/orgs/{org}/rooms/refresh", a.refreshRooms)
	admin("GET "+apiPrefix+"/orgs/{org}/visits", a.listVisits)
	mux.Handle("POST "+apiPrefix+"/orgs/{org}/checkins", a.auth(true, a.checkIn))
	mux.Handle(apiPrefix+"/", apiFunc(func(w http.ResponseWriter, r *http.Request) error {
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
}

func (e *apiError) Error() string { return e.Msg }

type fieldJSON struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

type errorJSON struct {
	Error  string      `json:"error"`
	Field  string      `json:"field,omitempty"`
	Fields []fieldJSON `json:"fields,omitempty"`
}

// loggerKey carries the request's logger to writeAPIError.
type loggerKey struct{}

func writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ae *apiError
		mb *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mb):
		ae = &apiError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body larger than %d bytes", mb.Limit)}
	default:
		if fes := reception.FieldErrors(err); len(fes) > 0 {
			ae = &apiError{Status: http.StatusBadRequest}
			for _, fe := range fes {
				ae.Fields = append(ae.Fields, fieldJSON{Field: jsonField(fe.Field), Error: fe.Msg})
			}
			ae.Field = ae.Fields[0].Field
			ae.Msg = ae.Field + " " + ae.Fields[0].Error
			break
		}
		ae = &apiError{Msg: strings.TrimPrefix(err.Error(), "reception: ")}
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
	}
	if ae.Status == 0 {
		ae.Status = http.StatusBadRequest
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="uketsuke"`)
	}
	writeJSON(w, ae.Status, errorJSON{Error: ae.Msg, Field: ae.Field, Fields: ae.Fields})
}

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
		if subtle.ConstantTimeCompare([]byte(token), a.adminToken) == 1 {
			return h(w, r)
		}
		if kiosk {
			org, err := a.store.GetOrganization(r.Context(), r.PathValue("org"))
			if err == nil && org.KioskToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(org.KioskToken)) == 1 {
				return h(w, r)
			}
		}
		return &apiError{Status: http.StatusUnauthorized, Msg: "invalid token"}
	})
	// The logger goes into the request that apiFunc answers errors for,
	// so that a 500 is logged with its cause.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		check.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loggerKey{}, a.log)))
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

func needID(field, id string) error {
	if !reception.ValidID(id) {
		return &apiError{Status: http.StatusBadRequest, Field: field, Msg: fmt.Sprintf("%s must be 1–%d characters of A–Z, a–z, 0–9, '-', '_' or '.'", field, reception.MaxIDLen)}
	}
	return nil
}

// orgOf returns the organization named in the path (secrets redacted).
func (a *api) orgOf(r *http.Request) (*reception.Organization, error) {
	id := r.PathValue("org")
	org, err := a.store.GetOrganization(r.Context(), id)
	if errors.Is(err, reception.ErrNotFound) {
		return nil, &apiError{Status: http.StatusNotFound, Field: "org", Msg: "no organization " + id}
	}
	return org, err
}

// ---- organizations ----

type orgJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Locale     string `json:"locale"`
	KioskToken string `json:"kioskToken,omitempty"`
	// KioskFallback is the stored fallback text ("" = the default);
	// KioskFallbackText is what kiosks show.
	KioskFallback     string          `json:"kioskFallback"`
	KioskFallbackText string          `json:"kioskFallbackText"`
	Integration       integrationJSON `json:"integration"`
	// Delivery is the organization's delivery health (GET only).
	Delivery  *deliveryJSON `json:"delivery,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

type integrationJSON struct {
	Configured       bool     `json:"configured"`
	ClientID         string   `json:"clientId"`
	ServiceAccount   string   `json:"serviceAccount"`
	BotID            int64    `json:"botId,omitempty"`
	DomainID         int64    `json:"domainId,omitempty"`
	AdminUserID      string   `json:"adminUserId,omitempty"`
	Scopes           []string `json:"scopes"`
	DefaultChannelID string   `json:"defaultChannelId,omitempty"`
	RateLimit        int      `json:"rateLimit,omitempty"`
	HasClientSecret  bool     `json:"hasClientSecret"`
	HasPrivateKey    bool     `json:"hasPrivateKey"`
	HasBotSecret     bool     `json:"hasBotSecret"`
	CallbackURL      string   `json:"callbackUrl,omitempty"`
}

func (a *api) integrationOut(in *reception.Integration) integrationJSON {
	have := in.Present() | in.Stored
	out := integrationJSON{
		Configured: in.Configured(), ClientID: in.ClientID, ServiceAccount: in.ServiceAccountID,
		BotID: in.BotID, DomainID: in.DomainID, AdminUserID: in.AdminUserID, Scopes: in.Scopes,
		DefaultChannelID: in.DefaultChannelID, RateLimit: in.RateLimit,
		HasClientSecret: have.Has(reception.SecretClientSecret), HasPrivateKey: have.Has(reception.SecretPrivateKey),
		HasBotSecret: have.Has(reception.SecretBotSecret),
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if a.cfg.PublicURL != "" {
		out.CallbackURL = a.cfg.PublicURL + callbackPath
	}
	return out
}

func (a *api) orgOut(o *reception.Organization) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Locale: o.Locale, KioskToken: o.KioskToken,
		KioskFallback: o.KioskFallback, KioskFallbackText: o.KioskFallbackText(),
		Integration: a.integrationOut(&o.Integration), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func (a *api) listOrgs(w http.ResponseWriter, r *http.Request) error {
	orgs, err := a.store.ListOrganizations(r.Context())
	if err != nil {
		return err
	}
	out := make([]orgJSON, 0, len(orgs))
	for _, o := range orgs {
		j := a.orgOut(o)
		a.withDelivery(r.Context(), &j)
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) getOrg(w http.ResponseWriter, r *http.Request) error {
	org, err := a.orgOf(r)
	if err != nil {
		return err
	}
	out := a.orgOut(org)
	a.withDelivery(r.Context(), &out)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) putOrg(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string `json:"name"`
		Locale string `json:"locale"`
		// RotateKioskToken issues a new kiosk token.
		RotateKioskToken bool `json:"rotateKioskToken"`
		// KioskFallback replaces the kiosk's fallback text; absent keeps
		// it, "" restores the default.
		KioskFallback *string `json:"kioskFallback"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("org")
	if err := needID("org", id); err != nil {
		return err
	}
	now := a.now()
	org, err := a.store.GetOrganization(r.Context(), id)
	created := errors.Is(err, reception.ErrNotFound)
	switch {
	case created:
		org = &reception.Organization{ID: id, CreatedAt: now, KioskToken: randomToken(24)}
	case err != nil:
		return err
	}
	org.Name, org.Locale, org.UpdatedAt = strings.TrimSpace(in.Name), strings.TrimSpace(in.Locale), now
	if in.KioskFallback != nil {
		org.KioskFallback = strings.TrimSpace(*in.KioskFallback)
	}
	if in.RotateKioskToken || org.KioskToken == "" {
		org.KioskToken = randomToken(24)
	}
	if err := a.store.PutOrganization(r.Context(), org); err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		a.log.Info("organization created", "org", id)
	}
	writeJSON(w, status, a.orgOut(org))
	return nil
}

func (a *api) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	if err := a.store.DeleteOrganization(r.Context(), r.PathValue("org")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

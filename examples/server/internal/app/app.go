// Package app is the reception server's use cases: create an organization,
// save its LINE WORKS integration, set its bot up, edit its buttons and
// staff, list its visits, check a visitor in. The JSON API and the admin
// and kiosk pages (package httpserver) both call it, and differ only in how
// they read input and render output; so validation, trimming and warnings
// exist once.
//
// It calls reception (the store) and notify (delivery) directly and knows
// nothing of HTTP: its errors are *Error values with a Code and the field
// at fault, or reception's and notify's own errors, which the HTTP layer
// maps to status codes.
package app

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// DemoOrgID is the demo organization, whose LINE WORKS is the in-process
// fake in demo mode.
const DemoOrgID = "demo"

// CallbackPath is where LINE WORKS posts callbacks on this server; a bot's
// callback URL is the public URL and this path.
const CallbackPath = "/callback/lineworks"

// App holds what the use cases need. Every field but Demo is required.
type App struct {
	Store  reception.Store
	Notify *notify.Service
	Log    *slog.Logger
	// HTTPClient makes token and Bot API requests to LINE WORKS.
	HTTPClient *http.Client
	Now        func() time.Time
	// Loc is the server's time zone: visit dates are days in it.
	Loc *time.Location
	// PublicURL is this server's public https URL without a trailing
	// slash, "" when unset; bots are created with callbacks to it.
	PublicURL string
	// LineWorks are the configured LINE WORKS endpoints.
	LineWorks Endpoints
	// Demo are the in-process fake's endpoints, which the demo
	// organization's requests go to; nil without demo mode.
	Demo *Endpoints
	// KioskTexts are the organizations' own kiosk texts per language
	// (UKETSUKE_KIOSK_TEXTS); nil for none.
	KioskTexts KioskTexts
}

// Endpoints are where one organization's requests to LINE WORKS go.
type Endpoints struct {
	API, Token, Authorize string
}

// EndpointsFor returns the LINE WORKS endpoints of orgID: the fake's for the
// demo organization in demo mode, so that verifying its credentials,
// creating its bot or signing in to it never reaches the real LINE WORKS;
// the configured ones for everyone else.
func (a *App) EndpointsFor(orgID string) Endpoints {
	if orgID == DemoOrgID && a.Demo != nil {
		return *a.Demo
	}
	return a.LineWorks
}

// CallbackURL is the bot callback URL LINE WORKS must be given, "" while
// the public URL is unset.
func (a *App) CallbackURL() string {
	if a.PublicURL == "" {
		return ""
	}
	return a.PublicURL + CallbackPath
}

// NewToken returns a URL-safe random token of n random bytes: kiosk
// tokens, session IDs, the demo bot's secret.
func NewToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

package httpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// OrgJSON is an organization in the JSON API.
type OrgJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Locale string `json:"locale"`
	// KioskToken is shown only in the answer that issued it: the store
	// keeps its hash. HasKioskToken says whether one is in force.
	KioskToken    string `json:"kioskToken,omitempty"`
	HasKioskToken bool   `json:"hasKioskToken"`
	// KioskFallback is the stored fallback text ("" = the default);
	// KioskFallbackText is what kiosks show.
	KioskFallback     string `json:"kioskFallback"`
	KioskFallbackText string `json:"kioskFallbackText"`
	// OpenTaps takes accept and escalate taps from anyone, in any room;
	// false takes them only from the visit's rooms and staff.
	OpenTaps    bool            `json:"openTaps"`
	Integration IntegrationJSON `json:"integration"`
	// Delivery is the organization's delivery health (GET only).
	Delivery  *deliveryJSON `json:"delivery,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// IntegrationJSON is an organization's LINE WORKS integration in the JSON
// API: what is stored, secrets only as whether they are.
type IntegrationJSON struct {
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

func integrationOut(a *app.App, in *reception.Integration) IntegrationJSON {
	have := in.Present() | in.Stored
	out := IntegrationJSON{
		Configured: in.Configured(), ClientID: in.ClientID, ServiceAccount: in.ServiceAccountID,
		BotID: in.BotID, DomainID: in.DomainID, AdminUserID: in.AdminUserID, Scopes: in.Scopes,
		DefaultChannelID: in.DefaultChannelID, RateLimit: in.RateLimit,
		HasClientSecret: have.Has(reception.SecretClientSecret), HasPrivateKey: have.Has(reception.SecretPrivateKey),
		HasBotSecret: have.Has(reception.SecretBotSecret), CallbackURL: a.CallbackURL(),
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	return out
}

func orgOut(a *app.App, o *reception.Organization) OrgJSON {
	return OrgJSON{ID: o.ID, Name: o.Name, Locale: o.Locale, KioskToken: issuedKioskToken(o), HasKioskToken: o.KioskToken != "",
		KioskFallback: o.KioskFallback, KioskFallbackText: o.KioskFallbackText(), OpenTaps: o.OpenTaps,
		Integration: integrationOut(a, &o.Integration), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// orgView is an organization as GET shows it: with its delivery health.
// A failure to tell the health is logged and leaves it out rather than
// failing the read.
func orgView(ctx context.Context, a *app.App, o *reception.Organization) OrgJSON {
	out := orgOut(a, o)
	h, err := a.Notify.Health(ctx, o.ID)
	if err != nil {
		a.Log.Error("reading an organization's delivery health", "org", o.ID, "err", err)
		return out
	}
	out.Delivery = deliveryOut(h)
	return out
}

func (a *api) listOrgs(w http.ResponseWriter, r *http.Request) error {
	orgs, err := a.app.Orgs(r.Context())
	if err != nil {
		return err
	}
	out := make([]OrgJSON, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, orgView(r.Context(), a.app, o))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) getOrg(w http.ResponseWriter, r *http.Request) error {
	org, err := a.app.Org(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgView(r.Context(), a.app, org))
	return nil
}

func (a *api) putOrg(w http.ResponseWriter, r *http.Request) error {
	var in app.OrgInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	in.ID = r.PathValue("org")
	org, created, err := a.app.SaveOrg(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), orgOut(a.app, org))
	return nil
}

// createdOrOK is the status of a PUT or POST that may create.
func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (a *api) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, a.app.DeleteOrg(r.Context(), r.PathValue("org")))
}

// issuedKioskToken is the organization's kiosk token when it was issued
// just now (the answer to the create or reissue that made it), else "": the
// store keeps only a hash, so a token is shown once.
func issuedKioskToken(o *reception.Organization) string {
	if reception.IsHashedKioskToken(o.KioskToken) {
		return ""
	}
	return o.KioskToken
}

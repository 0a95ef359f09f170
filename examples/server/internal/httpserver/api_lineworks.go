package httpserver

import (
	"encoding/json"
	"net/http"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// integrationIn is the body of PUT /orgs/{org}/lineworks: app.IntegrationInput
// as JSON, where IDs may be numbers or strings and scopes a list or one
// string.
type integrationIn struct {
	ClientID         *string    `json:"clientId"`
	ClientSecret     *string    `json:"clientSecret"`
	ServiceAccount   *string    `json:"serviceAccount"`
	PrivateKey       *string    `json:"privateKey"`
	BotID            *flexInt   `json:"botId"`
	BotSecret        *string    `json:"botSecret"`
	DomainID         *flexInt   `json:"domainId"`
	AdminUserID      *string    `json:"adminUserId"`
	Scopes           *scopeList `json:"scopes"`
	DefaultChannelID *string    `json:"defaultChannelId"`
	RateLimit        *int       `json:"rateLimit"`
}

func (in *integrationIn) input() app.IntegrationInput {
	out := app.IntegrationInput{
		ClientID: in.ClientID, ClientSecret: in.ClientSecret, ServiceAccount: in.ServiceAccount, PrivateKey: in.PrivateKey,
		BotID: in.BotID.text(), DomainID: in.DomainID.text(), BotSecret: in.BotSecret, AdminUserID: in.AdminUserID,
		DefaultChannelID: in.DefaultChannelID, RateLimit: in.RateLimit,
	}
	if in.Scopes != nil {
		scopes := []string(*in.Scopes)
		out.Scopes = &scopes
	}
	return out
}

// flexInt is an ID LINE WORKS shows as a number, accepted as a JSON number
// or a string (forms send strings; pasted values carry spaces). It keeps the
// raw JSON, so that app.SaveIntegration reports a bad value under the
// field's name.
type flexInt json.RawMessage

func (f *flexInt) UnmarshalJSON(b []byte) error {
	*f = append((*f)[:0], b...)
	return nil
}

// text is the value as typed: a string's contents, or else the JSON text
// itself (a number's digits; anything else fails to parse as a number).
func (f *flexInt) text() *string {
	if f == nil {
		return nil
	}
	var s string
	if json.Unmarshal(*f, &s) != nil {
		s = string(*f)
	}
	return &s
}

// scopeList accepts ["bot","user.read"] or "bot,user.read" / "bot user.read".
type scopeList []string

func (s *scopeList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*s = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return &fieldDecodeError{Field: "scopes", Msg: "must be an array of scopes or one string"}
	}
	*s = scopeList{one}
	return nil
}

type integrationOutJSON struct {
	Warnings    []app.Warning   `json:"warnings"`
	Integration IntegrationJSON `json:"integration"`
}

func (a *api) getIntegration(w http.ResponseWriter, r *http.Request) error {
	org, err := a.app.Org(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, integrationOut(a.app, &org.Integration))
	return nil
}

func (a *api) putIntegration(w http.ResponseWriter, r *http.Request) error {
	var in integrationIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	saved, warnings, err := a.app.SaveIntegration(r.Context(), r.PathValue("org"), in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, integrationOutJSON{Warnings: warnings, Integration: integrationOut(a.app, saved)})
	return nil
}

// verifyIntegration makes a real token request with the stored credentials.
// A refused request is a successful check with ok=false: the answer says
// which credential is likely wrong.
func (a *api) verifyIntegration(w http.ResponseWriter, r *http.Request) error {
	out, err := a.app.VerifyIntegration(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

package httpserver

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// Admins' LINE WORKS sign-in. An admin (signed in with the admin token)
// clicks 「LINE WORKS でサインインして設定」: /auth/lineworks/start sends the
// browser to LINE WORKS with a random state, kept (sealed, with the
// organization and the admin session) in a short-lived HttpOnly cookie;
// /auth/callback/lineworks checks it, exchanges the code with the
// organization's own app credentials, asks GET /users/me who signed in and
// stores that user as the organization's admin user ID (the bot's
// administrator), so nobody has to copy a user ID by hand. Nothing is kept
// in the process between the two: the callback may reach another replica.

const (
	oauthStartPath    = "/auth/lineworks/start"
	oauthCallbackPath = "/auth/callback/lineworks"
	oauthStateCookie  = "uk_oauth_state"
	oauthTTL          = 10 * time.Minute
)

// oauthPending is a sign-in in progress, sealed in the state cookie: the
// state sent to LINE WORKS, the organization and the admin session that
// started it. The callback arrives as a cross-site navigation, which does
// not carry the SameSite=Strict session cookie, so the session comes from
// here instead.
type oauthPending struct {
	State          string `json:"state"`
	Org            string `json:"org"`
	Session        string `json:"sid"`
	SessionExpires int64  `json:"sexp"` // Unix seconds
	Expires        int64  `json:"exp"`  // Unix seconds
}

func (p *pages) registerOAuth(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET "+oauthStartPath, p.adminGET(p.oauthStart))
	handle("GET "+oauthCallbackPath, p.oauthCallback)
}

// userAuth is the organization's user-account OAuth flow. The demo
// organization signs in at the in-process fake.
func (p *pages) userAuth(r *http.Request, org *reception.Organization) lineworks.UserAuth {
	urls := p.app.EndpointsFor(org.ID)
	// GET /users/me needs user.read; apps granted only the profile subset
	// ask for that.
	scope := "user.profile.read"
	if org.Integration.HasScope("user.read") {
		scope = "user.read"
	}
	return lineworks.UserAuth{Config: &oauth2.Config{
		ClientID: org.Integration.ClientID, ClientSecret: org.Integration.ClientSecret,
		RedirectURL: p.baseURL(r) + oauthCallbackPath,
		Scopes:      []string{scope},
		Endpoint:    oauth2.Endpoint{AuthURL: urls.Authorize, TokenURL: urls.Token, AuthStyle: oauth2.AuthStyleInParams},
	}}
}

func (p *pages) oauthStart(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.URL.Query().Get("org")
	org, err := p.app.Store.GetOrganizationWithSecrets(r.Context(), id)
	if err != nil {
		p.message(w, http.StatusNotFound, "組織が見つかりません", "No organization "+id, "/admin")
		return
	}
	if org.Integration.ClientID == "" || org.Integration.ClientSecret == "" {
		p.message(w, http.StatusBadRequest, "先に Client ID と Client Secret を保存してください",
			"LINE WORKS sign-in uses the organization's own app (Client ID and Client Secret); save them first.", adminURL(id, "", ""))
		return
	}
	authURL, state, err := p.userAuth(r, org).AuthCodeURL()
	if err != nil {
		p.message(w, http.StatusInternalServerError, "サインインを開始できませんでした", err.Error(), adminURL(id, "", ""))
		return
	}
	pend := oauthPending{State: state, Org: org.ID, Session: s.id, SessionExpires: s.expires.Unix(), Expires: p.now().Add(oauthTTL).Unix()}
	// Lax, not Strict: the cookie must come back with LINE WORKS' redirect.
	setCookie(w, r, oauthStateCookie, p.oauthCookies.seal(pend), "/auth/", oauthTTL, http.SameSiteLaxMode)
	http.Redirect(w, r, authURL, http.StatusFound)
}

type signedInData struct {
	layoutData
	Name, UserID, Next string
}

var signedInTmpl = pageTemplate("signed_in.html")

func (p *pages) oauthCallback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(oauthStateCookie)
	if err != nil || c.Value == "" {
		p.message(w, http.StatusBadRequest, "サインインの有効期限が切れました",
			"The sign-in expired or was started in another browser. Start it again from the admin page.", "/admin")
		return
	}
	var pend oauthPending
	if !p.oauthCookies.open(c.Value, &pend) || !p.now().Before(time.Unix(pend.Expires, 0)) ||
		!p.sessions.valid(pend.Session, time.Unix(pend.SessionExpires, 0)) {
		p.message(w, http.StatusForbidden, "サインインを確認できませんでした",
			"This sign-in was not started from an admin session here, or it expired. Start it again from the admin page.", "/admin")
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, p.app.HTTPClient)
	org, err := p.app.Store.GetOrganizationWithSecrets(ctx, pend.Org)
	if err != nil {
		p.message(w, http.StatusNotFound, "組織が見つかりません", err.Error(), "/admin")
		return
	}
	tok, err := p.userAuth(r, org).Exchange(ctx, r, pend.State)
	if errors.Is(err, lineworks.ErrStateMismatch) {
		// A forged or replayed redirect: refuse it, and leave the real
		// sign-in (its state cookie) alone.
		p.log.Warn("LINE WORKS sign-in refused: state mismatch", "org", org.ID)
		p.message(w, http.StatusForbidden, "サインインを確認できませんでした (state mismatch)",
			"The sign-in response does not belong to the sign-in this browser started.", adminURL(org.ID, "", ""))
		return
	}
	setCookie(w, r, oauthStateCookie, "", "/auth/", -1, http.SameSiteLaxMode)
	if err != nil {
		// A fixed text: the provider's error and description come from the
		// redirect URL, which anyone can write; they go to the log only.
		p.log.Warn("LINE WORKS sign-in failed", "org", org.ID, "err", err)
		p.message(w, http.StatusBadGateway, "LINE WORKS でサインインできませんでした",
			"LINE WORKS did not complete the sign-in (canceled, refused, or the code could not be exchanged; the server log has the reason). "+
				"Check that the app's Redirect URL is "+p.baseURL(r)+oauthCallbackPath+" and try again.", adminURL(org.ID, "", ""))
		return
	}
	client, err := lineworks.NewClient(oauth2.StaticTokenSource(tok), lineworks.WithBaseURL(p.app.EndpointsFor(org.ID).API), lineworks.WithHTTPClient(p.app.HTTPClient))
	var me *lineworks.User
	if err == nil {
		me, err = client.Users.Get(ctx, "me")
	}
	if err != nil {
		p.log.Warn("LINE WORKS sign-in: GET /users/me failed", "org", org.ID, "err", err)
		p.message(w, http.StatusBadGateway, "サインインしたユーザーを確認できませんでした", err.Error(), adminURL(org.ID, "", ""))
		return
	}
	// The signed-in user's domain is the tenant's: "create bot" registers
	// the bot there, so nobody has to look up a domain ID either.
	learned := app.IntegrationInput{AdminUserID: &me.UserID}
	if me.DomainID != 0 {
		domain := strconv.FormatInt(me.DomainID, 10)
		learned.DomainID = &domain
	}
	if _, _, err := p.app.SaveIntegration(ctx, org.ID, learned); err != nil {
		msg, _ := formError(r, err)
		p.message(w, http.StatusBadRequest, "管理者ユーザーIDを保存できませんでした", msg, adminURL(org.ID, "", ""))
		return
	}
	p.log.Info("admin user set from the LINE WORKS sign-in", "org", org.ID, "domain", me.DomainID)
	next := adminURL(org.ID, "", "signed-in")
	// A page rather than a redirect: the admin page's session cookie is
	// SameSite=Strict and would not be sent on a redirect that started at
	// LINE WORKS; the refresh below is a same-site navigation.
	p.render(w, http.StatusOK, signedInTmpl, signedInData{
		layoutData: layoutData{Title: "サインインしました", Refresh: "2;url=" + next},
		Name:       me.DisplayName(), UserID: me.UserID, Next: next,
	})
}

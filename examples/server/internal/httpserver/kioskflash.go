package httpserver

import (
	"net/http"
	"time"
)

// A kiosk token is shown once, when it is issued: stores keep only its
// hash. The POST that issues it (creating an organization, reissuing the
// token) redirects to the organization's page as every admin form does, so
// the token travels to that page in a short-lived cookie, sealed, HttpOnly,
// SameSite=Strict and limited to /admin/, which the page reads and clears.
// It is the one sealed value that carries a secret: the admin who issued
// the token is the one shown it, in the same browser, within minutes.

const (
	kioskFlashCookie = "uk_kiosk_issued"
	kioskFlashTTL    = 5 * time.Minute
)

type kioskFlashValue struct {
	Org     string `json:"org"`
	Token   string `json:"token"`
	Expires int64  `json:"exp"` // Unix seconds
}

// flashKioskToken hands token, just issued for orgID, to the next page.
func (p *pages) flashKioskToken(w http.ResponseWriter, r *http.Request, orgID, token string) {
	v := kioskFlashValue{Org: orgID, Token: token, Expires: p.now().Add(kioskFlashTTL).Unix()}
	setCookie(w, r, kioskFlashCookie, p.kioskFlash.seal(v), "/admin/", kioskFlashTTL, http.SameSiteStrictMode)
}

// takeKioskToken returns the token just issued for orgID, once, and clears
// the cookie; "" when there is none (or it is for another organization,
// expired or forged).
func (p *pages) takeKioskToken(w http.ResponseWriter, r *http.Request, orgID string) string {
	c, err := r.Cookie(kioskFlashCookie)
	if err != nil {
		return ""
	}
	setCookie(w, r, kioskFlashCookie, "", "/admin/", -1, http.SameSiteStrictMode)
	var v kioskFlashValue
	if !p.kioskFlash.open(c.Value, &v) || v.Org != orgID || !p.now().Before(time.Unix(v.Expires, 0)) {
		return ""
	}
	return v.Token
}

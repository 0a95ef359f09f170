package httpserver

import (
	"context"
	"net/http"
	"strings"
)

// contentSecurityPolicy is sent with every response. Pages load scripts,
// styles and images only from this server, never inline (an injected
// <script> or onclick= does not run), and no other site may frame them
// (clickjacking). form-action is left out on purpose: the LINE WORKS
// sign-in redirects to another origin, and browsers apply form-action to
// redirects.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// hstsValue keeps browsers on https for a year once they have seen the
// public https URL.
const hstsValue = "max-age=31536000"

// secureKey marks a request whose cookies must be Secure.
type secureKey struct{}

// securityHeaders sets the headers every response carries and, when the
// server's public URL is https, marks the request so that setCookie makes
// its cookies Secure even when TLS ends at a proxy that does not say
// X-Forwarded-Proto: a cookie sent once over plain http can be read on the
// way.
func securityHeaders(h http.Handler, httpsPublic bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		if httpsPublic {
			hd.Set("Strict-Transport-Security", hstsValue)
			r = r.WithContext(context.WithValue(r.Context(), secureKey{}, true))
		}
		h.ServeHTTP(w, r)
	})
}

// httpsURL reports whether a public URL is https.
func httpsURL(u string) bool {
	return strings.HasPrefix(strings.ToLower(u), "https://")
}

// secureRequest reports whether cookies set on r must be Secure: the public
// URL is https, or the browser talks https to us (directly or through a
// proxy that says so).
func secureRequest(r *http.Request) bool {
	if on, _ := r.Context().Value(secureKey{}).(bool); on {
		return true
	}
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

package lineworkstest

import "net/http"

// registerMeRoutes serves GET /users/me: the user a user-account access
// token was issued to
// (https://developers.worksmobile.com/jp/docs/user-get, the "me" user ID).
// Service-account tokens have no "me" on the real service either.
func (s *Server) registerMeRoutes() {
	s.handle("GET /users/me", s.serveUserMe)
}

func (s *Server) serveUserMe(w http.ResponseWriter, r *http.Request) {
	t, ok := s.authorize(w, r, "user.read", "user", "directory", "directory.read", "user.profile.read")
	if !ok {
		return
	}
	if t.userID == "" {
		writeError(w, http.StatusForbidden, "FORBIDDEN", "me is available to user-account tokens only, not to a service account")
		return
	}
	r.SetPathValue("userId", t.userID)
	s.serveUserGet(w, r) // authorizes again and applies the rate limit
}

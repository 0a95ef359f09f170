package lineworkstest

import (
	"net/http"

	"github.com/uketsuke/uketsuke/lineworks"
)

// registerUserRoutes serves the user routes:
// https://developers.worksmobile.com/jp/docs/user-get,
// https://developers.worksmobile.com/jp/docs/user-get-profile and
// https://developers.worksmobile.com/jp/docs/user-list.
func (s *Server) registerUserRoutes() {
	s.handle("GET /users/{userId}", s.serveUserGet)
	s.handle("GET /users", s.serveUserList)
}

func (s *Server) serveUserGet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "user.read", "user", "directory", "directory.read", "user.profile.read") == nil {
		return
	}
	rs, unlock := s.res()
	u := rs.findUser(r.PathValue("userId"))
	if u == nil {
		unlock()
		notFound(w, "user")
		return
	}
	out := apiUser(u)
	unlock()
	writeJSON(w, http.StatusOK, out)
}

// serveUserList pages through the users in the order they were seeded.
// The list needs a directory-reading scope; user.profile.read is for one
// user's profile only (user-get-profile), so it is not accepted here.
func (s *Server) serveUserList(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "user.read", "user", "directory", "directory.read") == nil {
		return
	}
	rs, unlock := s.res()
	all := make([]lineworks.User, 0, len(rs.users))
	for _, u := range rs.users {
		all = append(all, apiUser(u))
	}
	unlock()
	from, to, next, ok := pageBounds(w, r, "users", len(all))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": all[from:to], "responseMetaData": metaData{NextCursor: next}})
}

// apiUser is the user resource as the API answers it; the caller holds the
// resources lock.
func apiUser(u *User) lineworks.User {
	out := lineworks.User{
		DomainID:        u.DomainID,
		UserID:          u.UserID,
		UserExternalKey: u.ExternalKey,
		Email:           u.Email,
		UserName: lineworks.UserName{LastName: u.LastName, FirstName: u.FirstName,
			PhoneticLastName: u.PhoneticLastName, PhoneticFirstName: u.PhoneticFirstName},
		I18nNames:       u.I18nNames,
		NickName:        u.NickName,
		Organizations:   u.Organizations,
		IsAdministrator: u.IsAdministrator,
	}
	if out.Organizations == nil {
		out.Organizations = []lineworks.Organization{{DomainID: u.DomainID, Primary: true, Email: u.Email}}
	}
	return out
}

package lineworkstest

import (
	"net/http"

	"github.com/uketsuke/uketsuke/lineworks"
)

// User route: https://developers.worksmobile.com/jp/docs/user-get.

func init() {
	extraRoutes = append(extraRoutes, func(s *Server) {
		s.handle("GET /users/{userId}", s.serveUserGet)
	})
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
	unlock()
	writeJSON(w, http.StatusOK, out)
}

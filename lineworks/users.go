package lineworks

import (
	"context"
	"net/http"
	"strings"
)

// User is a member of the tenant, as GET /users/{userId} returns it (the
// members this package models; the rest are dropped).
//
// See https://developers.worksmobile.com/jp/docs/user-get.
type User struct {
	DomainID        int64          `json:"domainId,omitempty"`
	UserID          string         `json:"userId"`
	UserExternalKey string         `json:"userExternalKey,omitempty"`
	Email           string         `json:"email,omitempty"`
	UserName        UserName       `json:"userName"`
	I18nNames       []I18nName     `json:"i18nNames,omitempty"`
	NickName        string         `json:"nickName,omitempty"`
	IsAdministrator bool           `json:"isAdministrator,omitempty"`
	Organizations   []Organization `json:"organizations,omitempty"`
}

// UserName is a user's name in the tenant's main language. The placement of
// the phonetic (furigana) names is not confirmed by the reference.
type UserName struct {
	LastName          string `json:"lastName,omitempty"`
	FirstName         string `json:"firstName,omitempty"`
	PhoneticLastName  string `json:"phoneticLastName,omitempty"`
	PhoneticFirstName string `json:"phoneticFirstName,omitempty"`
}

// I18nName is a user's name in another language.
type I18nName struct {
	Language  Language `json:"language"`
	FirstName string   `json:"firstName,omitempty"`
	LastName  string   `json:"lastName,omitempty"`
}

// Organization is a user's membership in one domain's organisation chart.
type Organization struct {
	DomainID int64     `json:"domainId,omitempty"`
	Primary  bool      `json:"primary,omitempty"`
	Email    string    `json:"email,omitempty"`
	OrgUnits []OrgUnit `json:"orgUnits,omitempty"`
}

// OrgUnit is a user's place in one organisation unit.
type OrgUnit struct {
	OrgUnitID    string `json:"orgUnitId,omitempty"`
	OrgUnitName  string `json:"orgUnitName,omitempty"`
	Primary      bool   `json:"primary,omitempty"`
	PositionName string `json:"positionName,omitempty"`
	IsManager    bool   `json:"isManager,omitempty"`
}

const apiUserGet = "GET /users/{userId}"

// Get returns a user. userID may be the user ID, the login e-mail or
// "externalKey:{key}"; it is URL-encoded. It needs the user.read (or user,
// directory, directory.read) scope, or user.profile.read, with which the
// same route answers the profile subset (name, e-mail, organizations; no
// isAdministrator and the like). Callbacks never carry names, so callers
// that show them should cache the result per user ID.
//
// See https://developers.worksmobile.com/jp/docs/user-get and
// https://developers.worksmobile.com/jp/docs/user-get-profile.
func (s *UsersService) Get(ctx context.Context, userID string) (*User, error) {
	if err := validString("Users.Get", "userID", userID); err != nil {
		return nil, err
	}
	var u User
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiUserGet, path: pathf("users/%s", userID)}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// DisplayName returns the name to show for u, Japanese style: family name
// first, "山田 太郎". Without a name it falls back to the nickname, then the
// e-mail, then the user ID, so it is never empty for a user LINE WORKS
// returned.
func (u *User) DisplayName() string {
	if u == nil {
		return ""
	}
	if n := joinName(u.UserName.LastName, u.UserName.FirstName); n != "" {
		return n
	}
	for _, s := range []string{u.NickName, u.Email, u.UserID} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// DisplayNameIn returns the user's name in lang from I18nNames — given name
// first for English ("Taro Yamada"), family name first otherwise — and
// DisplayName when there is no name in that language.
func (u *User) DisplayNameIn(lang Language) string {
	if u == nil {
		return ""
	}
	for _, n := range u.I18nNames {
		if n.Language != lang {
			continue
		}
		name := joinName(n.LastName, n.FirstName)
		if lang == LanguageEnUS {
			name = joinName(n.FirstName, n.LastName)
		}
		if name != "" {
			return name
		}
	}
	return u.DisplayName()
}

func joinName(a, b string) string {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

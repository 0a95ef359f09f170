package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Staff may be registered by LINE WORKS user ID or by login e-mail (the
// admin form allows both), and a 1:1 message to either reaches the user;
// callbacks, though, always carry the user ID. isUser bridges the two:
// for a candidate that looks like an e-mail it asks the Users API
// (https://developers.worksmobile.com/jp/docs/user-get) for the user's
// e-mail and compares case-insensitively. The answer is cached per
// organization for emailCacheTTL, in at most emailCacheMax entries.
const (
	emailCacheTTL = 10 * time.Minute
	emailCacheMax = 4096
)

// UserEmailer is implemented by an API that can look up a user's login
// e-mail (LineWorksConnector's does). Without it, staff registered by
// e-mail are refused where a callback's user ID must match them.
type UserEmailer interface {
	UserEmail(ctx context.Context, userID string) (string, error)
}

type cachedEmail struct {
	email   string
	expires time.Time
}

// isUser reports whether the LINE WORKS user userID (from a callback) is
// one of ids: the same ID, or, for an id that is an e-mail, the user's
// e-mail. A failed lookup refuses (fails closed) and logs why.
func (s *Service) isUser(ctx context.Context, org *reception.Organization, userID string, ids []string) bool {
	if userID == "" {
		return false
	}
	anyEmail := false
	for _, id := range ids {
		if id == userID {
			return true
		}
		anyEmail = anyEmail || strings.Contains(id, "@")
	}
	if !anyEmail || strings.Contains(userID, "@") {
		return false
	}
	email, err := s.userEmail(ctx, org, userID)
	if err != nil {
		s.log.Warn("cannot match a user to staff registered by e-mail: looking up the user's e-mail failed (needs the user.read scope)",
			"org", org.ID, "user", userID, "err", errorText(err))
		return false
	}
	for _, id := range ids {
		if strings.Contains(id, "@") && strings.EqualFold(strings.TrimSpace(id), email) {
			return true
		}
	}
	return false
}

// userEmail returns userID's login e-mail, cached.
func (s *Service) userEmail(ctx context.Context, org *reception.Organization, userID string) (string, error) {
	key := org.ID + "\x00" + userID
	now := s.now()
	s.namesMu.Lock()
	c, ok := s.emails[key]
	s.namesMu.Unlock()
	if ok && now.Before(c.expires) {
		return c.email, nil
	}
	full, err := s.store.GetOrganizationWithSecrets(ctx, org.ID)
	if err != nil {
		return "", err
	}
	api, err := s.connector.Connect(ctx, full)
	if err != nil {
		return "", err
	}
	ue, ok := api.(UserEmailer)
	if !ok {
		return "", fmt.Errorf("the API %T cannot look up e-mails", api)
	}
	email, err := ue.UserEmail(ctx, userID)
	if err != nil {
		return "", err
	}
	if email == "" {
		return "", fmt.Errorf("the user %s has no e-mail", userID)
	}
	s.namesMu.Lock()
	defer s.namesMu.Unlock()
	if len(s.emails) >= emailCacheMax {
		for k, c := range s.emails {
			if !now.Before(c.expires) {
				delete(s.emails, k)
			}
		}
		for k := range s.emails {
			if len(s.emails) < emailCacheMax {
				break
			}
			delete(s.emails, k)
		}
	}
	s.emails[key] = cachedEmail{email: email, expires: now.Add(emailCacheTTL)}
	return email, nil
}

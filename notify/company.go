package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Company is the set-up of one company with one LINE WORKS app and a few
// department rooms, for NewCompany. Multi-tenant applications use the
// organization and button vocabulary of package reception instead; a
// Company is one organization whose departments are its buttons.
type Company struct {
	// ID names the company's organization in the store; the default is
	// "company". Pass it to CheckIn.
	ID string
	// Name is the company's name; the default is ID.
	Name string
	// Locale is the language of the messages, "ja" (the default) or "en".
	Locale string

	// The LINE WORKS app's credentials (Developer Console): Client ID and
	// Secret, the service account, its private key (PEM), and the bot's ID
	// and secret. All are required.
	ClientID         string
	ClientSecret     string
	ServiceAccountID string
	PrivateKey       []byte
	BotID            int64
	BotSecret        string
	// Scopes are the OAuth scopes granted to the app; the default is
	// "bot". Add "user.read" to name handlers by their real names.
	Scopes []string
	// RateLimit is the plan's API budget in requests a minute; the default
	// 0 assumes the Free plan's 60.
	RateLimit int

	// Departments maps each department — what a check-in names as its
	// CheckInRequest.ButtonID, e.g. "sales" — to the channel ID of the
	// talk room notified. At least one is required.
	Departments map[string]string
	// Labels maps departments to the names messages show, e.g. "sales" →
	// "営業部"; the default is the department key itself.
	Labels map[string]string
	// DefaultRoom is the channel ID of the room of check-ins to no
	// department in particular (optional).
	DefaultRoom string
	// Reminder re-notifies a department's visits nobody accepted; the
	// default (zero) sends no reminders.
	Reminder reception.ReminderPolicy

	// APIURL and TokenURL default to the real LINE WORKS; tests point them
	// at lineworkstest.
	APIURL, TokenURL string
}

// NewCompany writes c into store — an organization with c's credentials
// (sealed by the store's SecretBox) and one button per department, in the
// order of their keys; departments no longer in c are deleted — and
// returns a Service for it that reaches LINE WORKS with a
// LineWorksConnector, configured further by opts. Calling it again at
// every start is the intended use: the store then follows c.
func NewCompany(ctx context.Context, store reception.Store, c Company, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, errors.New("notify: NewCompany needs a store")
	}
	if len(c.Departments) == 0 {
		return nil, &reception.FieldError{Field: "Departments", Msg: "name at least one department and its room"}
	}
	org := companyOrg(c, time.Now())
	if old, err := store.GetOrganization(ctx, org.ID); err == nil {
		org.CreatedAt, org.KioskToken, org.KioskFallback = old.CreatedAt, old.KioskToken, old.KioskFallback
	} else if !errors.Is(err, reception.ErrNotFound) {
		return nil, err
	}
	if err := store.PutOrganization(ctx, org); err != nil {
		return nil, fmt.Errorf("notify: NewCompany: %w", err)
	}
	if err := putDepartments(ctx, store, org.ID, c); err != nil {
		return nil, fmt.Errorf("notify: NewCompany: %w", err)
	}
	return New(store, &LineWorksConnector{APIURL: c.APIURL, TokenURL: c.TokenURL}, opts...)
}

// companyOrg is the organization of c, with its defaults.
func companyOrg(c Company, now time.Time) *reception.Organization {
	id := cmp.Or(c.ID, "company")
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"bot"}
	}
	return &reception.Organization{
		ID: id, Name: cmp.Or(c.Name, id), Locale: cmp.Or(c.Locale, "ja"), CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, ServiceAccountID: c.ServiceAccountID,
			PrivateKey: c.PrivateKey, BotID: c.BotID, BotSecret: c.BotSecret, Scopes: scopes,
			RateLimit: c.RateLimit, DefaultChannelID: c.DefaultRoom,
		},
	}
}

// putDepartments makes the organization's buttons c's departments.
func putDepartments(ctx context.Context, store reception.Store, orgID string, c Company) error {
	keys := slices.Sorted(maps.Keys(c.Departments))
	for i, dept := range keys {
		b := &reception.Button{ID: dept, OrgID: orgID, Label: cmp.Or(c.Labels[dept], dept), Order: i, Enabled: true,
			ChannelIDs: []string{c.Departments[dept]}, Reminder: c.Reminder}
		if err := store.PutButton(ctx, b); err != nil {
			return err
		}
	}
	old, err := store.ListButtons(ctx, orgID)
	if err != nil {
		return err
	}
	for _, b := range old {
		if _, ok := c.Departments[b.ID]; !ok {
			if err := store.DeleteButton(ctx, orgID, b.ID); err != nil && !errors.Is(err, reception.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

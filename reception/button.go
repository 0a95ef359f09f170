package reception

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLabelLen is the longest button label, in characters. LINE WORKS limits
// message-action labels to 20 characters; a label also appears in kiosk
// buttons, so keep it short.
const MaxLabelLen = 20

// Button is a reception button (受付ボタン) on the kiosk, e.g. "営業部" or
// "Deliveries": where its visits are announced and how.
type Button struct {
	// ID identifies the button within its organization.
	ID string
	// OrgID is the organization the button belongs to.
	OrgID string
	// Label is shown on the kiosk in the organization's locale. Required.
	Label string
	// Labels holds translations of Label by language tag ("en" → "Sales").
	Labels map[string]string
	// Order sorts buttons on the kiosk, ascending; ties by ID.
	Order int
	// Enabled buttons are shown on the kiosk.
	Enabled bool
	// ChannelIDs are the talk rooms notified of a visit. Empty means the
	// organization's Integration.DefaultChannelID.
	ChannelIDs []string
	// StaffIDs are the staff (Staff.ID) also notified 1:1.
	StaffIDs []string
	// PersonalFirst, when the visitor chose a staff member on the kiosk,
	// notifies only that person instead of the rooms; reminders then go to
	// the rooms.
	PersonalFirst bool
	// Template overrides the notification text. Empty uses the default; the
	// notify package defines the placeholders.
	Template string
	// Reminder says when to re-notify if nobody accepts.
	Reminder ReminderPolicy
}

// ReminderPolicy says how to re-notify when nobody accepts a visit. The zero
// value sends no reminders.
type ReminderPolicy struct {
	// After is the time between the check-in and the first reminder, and
	// between reminders. Zero disables reminders.
	After time.Duration
	// MentionAll mentions everyone in the room (@All) in reminders.
	MentionAll bool
	// Max is the number of reminders sent at most; 0 with After set means 1.
	Max int
}

// Next returns when reminder number sent+1 is due for a visit checked in at
// createdAt, and false when no further reminder is due. Callers store the
// result in Visit.NextReminderAt (at check-in) and Reminder.Next (when
// recording one), which is how the store finds due reminders without knowing
// the policy.
func (p ReminderPolicy) Next(createdAt time.Time, sent int) (time.Time, bool) {
	limit := p.Max
	if limit == 0 {
		limit = 1
	}
	if p.After <= 0 || sent >= limit {
		return time.Time{}, false
	}
	return createdAt.Add(time.Duration(sent+1) * p.After), true
}

// Validate checks the button; the error names each wrong field.
func (b *Button) Validate() error {
	var f fieldErrs
	f.id("ID", b.ID)
	f.id("OrgID", b.OrgID)
	label := func(field, s string) {
		switch n := utf8.RuneCountInString(s); {
		case strings.TrimSpace(s) == "":
			f.add(field, "is required")
		case n > MaxLabelLen:
			f.addf(field, "is %d characters long; at most %d fit a LINE WORKS button", n, MaxLabelLen)
		default:
			f.name(field, s)
		}
	}
	label("Label", b.Label)
	for _, lang := range slices.Sorted(maps.Keys(b.Labels)) {
		if lang == "" || len(lang) > 35 || strings.ContainsAny(lang, " \t\r\n") {
			f.addf("Labels", "key %q is not a language tag", lang)
			continue
		}
		label("Labels["+lang+"]", b.Labels[lang])
	}
	for i, c := range b.ChannelIDs {
		f.token("ChannelIDs["+itoa(i)+"]", c, true)
	}
	for i, s := range b.StaffIDs {
		f.id("StaffIDs["+itoa(i)+"]", s)
	}
	if len(b.Template) > 2000 {
		f.add("Template", "is longer than the 2000-character message limit")
	}
	if b.Reminder.After < 0 {
		f.add("Reminder.After", "must not be negative")
	} else if b.Reminder.After > 0 && b.Reminder.After < time.Minute {
		// Shorter intervals spam the room and eat the tenant's rate limit.
		f.add("Reminder.After", "must be at least one minute")
	}
	if b.Reminder.Max < 0 || b.Reminder.Max > 10 {
		f.add("Reminder.Max", "must be between 0 and 10")
	}
	return f.err()
}

// Clone returns a deep copy of b.
func (b *Button) Clone() *Button {
	if b == nil {
		return nil
	}
	c := *b
	c.Labels = maps.Clone(b.Labels)
	c.ChannelIDs = slices.Clone(b.ChannelIDs)
	c.StaffIDs = slices.Clone(b.StaffIDs)
	return &c
}

// Staff is a person who can be notified personally and chosen on the kiosk.
type Staff struct {
	// ID identifies the staff member within the organization.
	ID string
	// OrgID is the organization.
	OrgID string
	// Name is the display name. Required.
	Name string
	// UserID is the person's LINE WORKS user ID (or login email), used to
	// send 1:1 messages. Required.
	UserID string
	// ButtonIDs are the buttons under which the kiosk offers this person.
	ButtonIDs []string
	// Active staff are offered on the kiosk and notified.
	Active bool
}

// Validate checks the staff member; the error names each wrong field.
func (s *Staff) Validate() error {
	var f fieldErrs
	f.id("ID", s.ID)
	f.id("OrgID", s.OrgID)
	if strings.TrimSpace(s.Name) == "" {
		f.add("Name", "is required")
	}
	f.name("Name", s.Name)
	f.token("UserID", s.UserID, true)
	for i, b := range s.ButtonIDs {
		f.id("ButtonIDs["+itoa(i)+"]", b)
	}
	return f.err()
}

// Clone returns a deep copy of s.
func (s *Staff) Clone() *Staff {
	if s == nil {
		return nil
	}
	c := *s
	c.ButtonIDs = slices.Clone(s.ButtonIDs)
	return &c
}

// Room is a LINE WORKS talk room the bot was invited into, as learned from
// join and leave callbacks. Admins pick button rooms from these.
type Room struct {
	// OrgID is the organization whose bot is in the room.
	OrgID string
	// ChannelID is LINE WORKS' ID of the room; unique per organization.
	ChannelID string
	// Title is the room's title, if known.
	Title string
	// JoinedAt is when the bot joined.
	JoinedAt time.Time
	// LeftAt is when the bot left; nil while it is in the room.
	LeftAt *time.Time
}

// Validate checks the room; the error names each wrong field.
func (r *Room) Validate() error {
	var f fieldErrs
	f.id("OrgID", r.OrgID)
	f.token("ChannelID", r.ChannelID, true)
	if r.JoinedAt.IsZero() {
		f.add("JoinedAt", "is required")
	}
	if r.LeftAt != nil && r.LeftAt.Before(r.JoinedAt) {
		f.add("LeftAt", "is before JoinedAt")
	}
	return f.err()
}

// Clone returns a deep copy of r.
func (r *Room) Clone() *Room {
	if r == nil {
		return nil
	}
	c := *r
	if r.LeftAt != nil {
		t := *r.LeftAt
		c.LeftAt = &t
	}
	return &c
}

func itoa(i int) string { return strconv.Itoa(i) }

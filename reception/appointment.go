package reception

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/mail"
	"slices"
	"time"
)

// AppointmentStatus is where an appointment stands.
type AppointmentStatus string

// The statuses of an appointment. Stores keep scheduled, arrived and
// cancelled; expired is never stored but derived from the validity by
// [Appointment.StatusAt], so an appointment expires without a write.
const (
	AppointmentScheduled AppointmentStatus = "scheduled"
	AppointmentArrived   AppointmentStatus = "arrived"
	AppointmentCancelled AppointmentStatus = "cancelled"
	AppointmentExpired   AppointmentStatus = "expired"
)

// Stored reports whether s is a status a store keeps.
func (s AppointmentStatus) Stored() bool {
	return s == AppointmentScheduled || s == AppointmentArrived || s == AppointmentCancelled
}

// Valid reports whether s is one of the defined statuses.
func (s AppointmentStatus) Valid() bool { return s.Stored() || s == AppointmentExpired }

// CodeLen is the length of a reception code: six ASCII digits.
const CodeLen = 6

// MaxAppointmentVisitors caps the visitors named on one appointment.
const MaxAppointmentVisitors = 50

// AppointmentVisitor is one visitor expected by an appointment.
type AppointmentVisitor struct {
	// Company is the visitor's company; optional.
	Company string
	// Name is the visitor's name; optional, but a visitor has a name or a
	// company.
	Name string
	// Email is where the code (and the reminder the day before) goes;
	// optional.
	Email string
}

// Appointment is a visit registered in advance: the visitors check in with
// its reception code (typed, or shown as a QR code) and its hosts are told
// personally.
type Appointment struct {
	// ID identifies the appointment within its organization.
	ID string
	// OrgID is the organization visited.
	OrgID string
	// Code is the reception code, CodeLen ASCII digits, unique among the
	// organization's live appointments (not cancelled and not past
	// ValidUntil). Store.CreateAppointment makes one when it is empty.
	Code string
	// HostStaffIDs are the Staff.IDs of the hosts, who are told when the
	// visitors arrive. At least one.
	HostStaffIDs []string
	// Visitors are the expected visitors. At least one.
	Visitors []AppointmentVisitor
	// PartySize is the number of visitors when it is more than the names
	// (「2名」); 0 means len(Visitors).
	PartySize int
	// Title is what the meeting is about; optional.
	Title string
	// Room is the meeting room; optional.
	Room string
	// StartsAt is when the visitors are expected. Required.
	StartsAt time.Time
	// ValidFrom and ValidUntil bound when the code works: ValidFrom ≤ now <
	// ValidUntil. For an ordinary appointment they are the local day of
	// StartsAt (DayValidity); a period appointment (regular vendors) spans
	// several days.
	ValidFrom, ValidUntil time.Time
	// Period makes the code work for every arrival within the validity; an
	// ordinary code works once.
	Period bool
	// Status is scheduled, arrived or cancelled as stored; see StatusAt.
	Status AppointmentStatus
	// Arrivals counts the check-ins made with the code.
	Arrivals int
	// ArrivedAt is the last arrival; zero before the first.
	ArrivedAt time.Time
	// LastVisitID is the visit of the last arrival.
	LastVisitID string
	// HostReminderAt is when the hosts' reminder is due; zero when there
	// is none or it was sent.
	HostReminderAt time.Time
	// VisitorReminderAt is when the visitors' e-mail reminder is due; zero
	// when there is none or it was sent.
	VisitorReminderAt time.Time
	// CreatedBy is the LINE WORKS user ID of the staff member who made the
	// appointment, or "admin" for one made on the admin page or API.
	CreatedBy string
	// CreatedAt and UpdatedAt are set by the caller. CreatedAt is required.
	CreatedAt, UpdatedAt time.Time
}

// CreatedByAdmin is Appointment.CreatedBy for an appointment made by an
// administrator rather than a staff member in LINE WORKS.
const CreatedByAdmin = "admin"

// NewReceptionCode returns a random reception code: CodeLen decimal digits
// from crypto/rand. A million codes, few of them live at once, and check-in
// rate limits make guessing one impractical.
func NewReceptionCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("reception: crypto/rand failed: " + err.Error()) // never, on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// ValidCode reports whether s has the shape of a reception code.
func ValidCode(s string) bool {
	if len(s) != CodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DayValidity is the validity of an ordinary appointment starting at start:
// the whole local day of start in loc (nil means UTC).
func DayValidity(start time.Time, loc *time.Location) (from, until time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	t := start.In(loc)
	from = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// validEmail reports whether s is a bare e-mail address (no display name,
// no angle brackets), as a mailer's RCPT TO takes it.
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && len(s) <= 254
}

// Expected is the number of visitors expected: PartySize, or the number of
// visitors named when that is more.
func (a *Appointment) Expected() int { return max(a.PartySize, len(a.Visitors)) }

// Validate checks the appointment; the error names each wrong field.
func (a *Appointment) Validate() error {
	var f fieldErrs
	f.id("ID", a.ID)
	f.id("OrgID", a.OrgID)
	if !ValidCode(a.Code) {
		f.addf("Code", "must be %d digits 0–9", CodeLen)
	}
	if len(a.HostStaffIDs) == 0 {
		f.add("HostStaffIDs", "needs at least one host")
	}
	for i, id := range a.HostStaffIDs {
		f.id("HostStaffIDs["+itoa(i)+"]", id)
	}
	a.validateVisitors(&f)
	if a.PartySize < 0 || a.PartySize > 1000 {
		f.add("PartySize", "must be between 0 and 1000")
	}
	f.name("Title", a.Title)
	f.name("Room", a.Room)
	if len([]rune(a.Title)) > 100 {
		f.add("Title", "is longer than 100 characters")
	}
	if len([]rune(a.Room)) > 100 {
		f.add("Room", "is longer than 100 characters")
	}
	a.validateTimes(&f)
	if !a.Status.Stored() {
		f.addf("Status", "must be scheduled, arrived or cancelled, not %q", a.Status)
	}
	if a.Arrivals < 0 {
		f.add("Arrivals", "must not be negative")
	}
	f.optID("LastVisitID", a.LastVisitID)
	f.token("CreatedBy", a.CreatedBy, true)
	return f.err()
}

func (a *Appointment) validateVisitors(f *fieldErrs) {
	switch {
	case len(a.Visitors) == 0:
		f.add("Visitors", "needs at least one visitor")
	case len(a.Visitors) > MaxAppointmentVisitors:
		f.addf("Visitors", "has more than %d visitors", MaxAppointmentVisitors)
	}
	for i, v := range a.Visitors {
		p := "Visitors[" + itoa(i) + "]."
		if v.Name == "" && v.Company == "" {
			f.add(p+"Name", "is required when Company is empty")
		}
		if len([]rune(v.Name)) > 100 {
			f.add(p+"Name", "is longer than 100 characters")
		}
		if len([]rune(v.Company)) > 100 {
			f.add(p+"Company", "is longer than 100 characters")
		}
		f.name(p+"Name", v.Name)
		f.name(p+"Company", v.Company)
		if v.Email != "" && !validEmail(v.Email) {
			f.add(p+"Email", "is not an e-mail address (name@example.com)")
		}
	}
}

func (a *Appointment) validateTimes(f *fieldErrs) {
	if a.StartsAt.IsZero() {
		f.add("StartsAt", "is required")
	}
	switch {
	case a.ValidFrom.IsZero():
		f.add("ValidFrom", "is required")
	case a.ValidUntil.IsZero():
		f.add("ValidUntil", "is required")
	case !a.ValidUntil.After(a.ValidFrom):
		f.add("ValidUntil", "must be after ValidFrom")
	case !a.StartsAt.IsZero() && (a.StartsAt.Before(a.ValidFrom) || !a.StartsAt.Before(a.ValidUntil)):
		f.add("StartsAt", "must be within ValidFrom and ValidUntil")
	case !a.Period && a.ValidUntil.Sub(a.ValidFrom) > 26*time.Hour:
		// A day is 23–25 hours around a DST change; more needs Period.
		f.add("ValidUntil", "must be within a day of ValidFrom unless Period is set")
	}
	if a.CreatedAt.IsZero() {
		f.add("CreatedAt", "is required")
	}
}

// Clone returns a deep copy of a.
func (a *Appointment) Clone() *Appointment {
	if a == nil {
		return nil
	}
	c := *a
	c.HostStaffIDs = slices.Clone(a.HostStaffIDs)
	c.Visitors = slices.Clone(a.Visitors)
	return &c
}

// Live reports whether the appointment holds its code at now: not
// cancelled and not past ValidUntil. A live code is unique within the
// organization.
func (a *Appointment) Live(now time.Time) bool {
	return a.Status != AppointmentCancelled && now.Before(a.ValidUntil)
}

// StatusAt is the appointment's status at now: the stored status, or
// expired for a scheduled or arrived appointment past ValidUntil.
func (a *Appointment) StatusAt(now time.Time) AppointmentStatus {
	if a.Status != AppointmentCancelled && !now.Before(a.ValidUntil) {
		return AppointmentExpired
	}
	return a.Status
}

// CodeReason says why a reception code cannot be used now.
type CodeReason string

// The reasons a known code is refused.
const (
	CodeNotYetValid CodeReason = "not_yet_valid"
	CodeExpired     CodeReason = "expired"
	CodeCancelled   CodeReason = "cancelled"
	CodeUsed        CodeReason = "used"
)

// CodeError is returned when a reception code belongs to an appointment
// but cannot be used now. errors.Is(err, ErrConflict) holds for it.
type CodeError struct {
	// Reason is why.
	Reason CodeReason
	// ValidFrom is when a code not yet valid starts to work.
	ValidFrom time.Time
}

// Error implements error. It never quotes the code.
func (e *CodeError) Error() string {
	switch e.Reason {
	case CodeNotYetValid:
		return "reception: the reception code is not valid before " + e.ValidFrom.Format(time.RFC3339)
	case CodeExpired:
		return "reception: the reception code has expired"
	case CodeCancelled:
		return "reception: the appointment was cancelled"
	default:
		return "reception: the reception code was already used"
	}
}

// Is reports whether target is ErrConflict.
func (e *CodeError) Is(target error) bool { return target == ErrConflict }

// CodeUsableAt reports whether a visitor can check in with the code at
// now: nil, or a *CodeError saying why not.
func (a *Appointment) CodeUsableAt(now time.Time) error {
	switch {
	case a.Status == AppointmentCancelled:
		return &CodeError{Reason: CodeCancelled}
	case now.Before(a.ValidFrom):
		return &CodeError{Reason: CodeNotYetValid, ValidFrom: a.ValidFrom}
	case !now.Before(a.ValidUntil):
		return &CodeError{Reason: CodeExpired}
	case a.Status == AppointmentArrived && !a.Period:
		return &CodeError{Reason: CodeUsed}
	}
	return nil
}

// Arrive records a check-in with the code at at, which made visit visitID:
// the appointment becomes arrived. An ordinary code works once; a period
// code for every arrival within the validity. A code that cannot be used
// at at returns its *CodeError and changes nothing.
func (a *Appointment) Arrive(at time.Time, visitID string) error {
	var f fieldErrs
	f.id("VisitID", visitID)
	if at.IsZero() {
		f.add("At", "is required")
	}
	if err := f.err(); err != nil {
		return err
	}
	if a.LastVisitID == visitID && a.Arrivals > 0 {
		return nil // the same check-in, recorded again after a crash
	}
	if err := a.CodeUsableAt(at); err != nil {
		return err
	}
	a.Status, a.Arrivals, a.ArrivedAt, a.LastVisitID = AppointmentArrived, a.Arrivals+1, at, visitID
	a.HostReminderAt, a.VisitorReminderAt = time.Time{}, time.Time{}
	a.UpdatedAt = at
	return nil
}

// Cancel cancels the appointment at at: its code stops working and its
// reminders are dropped. Cancelling a cancelled appointment changes
// nothing; an expired one cannot be cancelled (ErrConflict).
func (a *Appointment) Cancel(at time.Time) error {
	if a.Status == AppointmentCancelled {
		return nil
	}
	if a.StatusAt(at) == AppointmentExpired {
		return conflictf("appointment %s has expired", a.ID)
	}
	a.Status, a.UpdatedAt = AppointmentCancelled, at
	a.HostReminderAt, a.VisitorReminderAt = time.Time{}, time.Time{}
	return nil
}

// HasPersonalData reports whether a visitor's name, company or e-mail, or
// the title, is still held.
func (a *Appointment) HasPersonalData() bool {
	for _, v := range a.Visitors {
		if v.Name != "" || v.Company != "" || v.Email != "" {
			return true
		}
	}
	return a.Title != ""
}

// ErasePersonalData erases the visitors' names, companies and e-mail
// addresses and the title, keeping the count of visitors, the times and
// the status for statistics.
func (a *Appointment) ErasePersonalData() {
	for i := range a.Visitors {
		a.Visitors[i] = AppointmentVisitor{}
	}
	a.Title = ""
}

// AppointmentFilter selects appointments for ListAppointments.
type AppointmentFilter struct {
	// StartsFrom and StartsBefore bound StartsAt: StartsFrom ≤ StartsAt <
	// StartsBefore. Zero means unbounded.
	StartsFrom, StartsBefore time.Time
	// Status selects one stored status; empty means any.
	Status AppointmentStatus
	// Limit caps the number returned; 0 means no limit.
	Limit int
}

// Validate checks the filter.
func (fl *AppointmentFilter) Validate() error {
	var f fieldErrs
	if fl.Status != "" && !fl.Status.Stored() {
		f.addf("Status", "must be scheduled, arrived or cancelled, not %q", fl.Status)
	}
	if fl.Limit < 0 {
		f.add("Limit", "must not be negative")
	}
	return f.err()
}

// Match reports whether a passes the filter (ignoring Limit).
func (fl *AppointmentFilter) Match(a *Appointment) bool {
	return (fl.StartsFrom.IsZero() || !a.StartsAt.Before(fl.StartsFrom)) &&
		(fl.StartsBefore.IsZero() || a.StartsAt.Before(fl.StartsBefore)) &&
		(fl.Status == "" || a.Status == fl.Status)
}

// EarliestAppointmentFirst orders appointments as ListAppointments returns
// them: StartsAt, then ID.
func EarliestAppointmentFirst(a, b *Appointment) int {
	if c := a.StartsAt.Compare(b.StartsAt); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// ReminderDueAt is the earlier of the appointment's due reminders, zero
// when none is due: only a scheduled appointment has reminders.
func (a *Appointment) ReminderDueAt() time.Time {
	if a.Status != AppointmentScheduled {
		return time.Time{}
	}
	h, v := a.HostReminderAt, a.VisitorReminderAt
	switch {
	case h.IsZero():
		return v
	case v.IsZero() || h.Before(v):
		return h
	}
	return v
}

// ReminderDue reports whether a reminder of the appointment is due at now:
// ReminderDueAt is set and not after now.
func (a *Appointment) ReminderDue(now time.Time) bool {
	due := a.ReminderDueAt()
	return !due.IsZero() && !due.After(now)
}

// EarliestAppointmentReminderFirst orders appointments as
// ListDueAppointmentReminders returns them: ReminderDueAt, then OrgID,
// then ID.
func EarliestAppointmentReminderFirst(a, b *Appointment) int {
	return cmp.Or(a.ReminderDueAt().Compare(b.ReminderDueAt()), cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.ID, b.ID))
}

// ErrCodeInUse is returned (wrapped) when a reception code is held by
// another live appointment of the organization. It wraps ErrConflict. A
// caller choosing codes itself (to put the code in the messages it
// enqueues with the appointment) draws another code on it.
var ErrCodeInUse = fmt.Errorf("reception code held by another live appointment: %w", ErrConflict)

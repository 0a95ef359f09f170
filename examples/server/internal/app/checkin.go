package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// Values of CheckInResult.Delivery.
const (
	// DeliveryQueued: the notifications are queued and expected to go out;
	// the kiosk tells the visitor staff were notified.
	DeliveryQueued = "queued"
	// DeliveryUnavailable: the check-in is stored and queued, but the
	// organization cannot deliver now; the kiosk shows the fallback text.
	DeliveryUnavailable = "unavailable"
)

// Visitor is who checks in; every field is optional.
type Visitor struct {
	Name    string `json:"name"`
	Company string `json:"company,omitempty"`
	Count   int    `json:"count,omitempty"`
	Note    string `json:"note,omitempty"`
}

// CheckInInput is one check-in at a kiosk.
type CheckInInput struct {
	ButtonID string `json:"buttonId,omitempty"`
	// Code is a reception code, in place of ButtonID: the visitor has an
	// appointment, whose hosts are told.
	Code    string  `json:"code,omitempty"`
	Visitor Visitor `json:"visitor"`
	StaffID string  `json:"staffId,omitempty"`
	// Language is the kiosk language the visitor used ("ja", "en",
	// "zh-Hans", "ko"); the notification names it when it is not the
	// organization's.
	Language string `json:"language,omitempty"`
	// IdempotencyKey makes a check-in sent again (after a network drop)
	// count once; see notify.CheckInRequest.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// QueuedMS is how long, in milliseconds, the kiosk kept the check-in
	// before it could send it: the notification is marked late. Measured
	// on the kiosk's own clock, so a tablet whose clock is off does not
	// matter.
	QueuedMS int64 `json:"queuedMs,omitempty"`
}

// maxQueued is the longest QueuedMS believed: a kiosk offline for longer
// still delivers, marked as late by this much.
const maxQueued = 7 * 24 * time.Hour

// CheckInResult answers a check-in. The visit is stored and its
// notifications queued in every case; Delivery says whether the kiosk may
// tell the visitor staff were notified (DeliveryQueued) or must show
// Fallback (DeliveryUnavailable).
type CheckInResult struct {
	VisitID  string `json:"visitId"`
	Status   string `json:"status"`
	Delivery string `json:"delivery"`
	// Fallback is the organization's kiosk fallback text; only with
	// DeliveryUnavailable.
	Fallback string `json:"fallback,omitempty"`
}

// CheckIn stores a visit, queues its notifications and says whether they
// can be delivered.
func (a *App) CheckIn(ctx context.Context, orgID string, in CheckInInput) (*CheckInResult, error) {
	req := notify.CheckInRequest{ButtonID: in.ButtonID, Code: in.Code, StaffID: in.StaffID, Language: in.Language, IdempotencyKey: in.IdempotencyKey,
		Visitor: notify.Visitor{Name: in.Visitor.Name, Company: in.Visitor.Company, Count: in.Visitor.Count, Note: in.Visitor.Note}}
	if in.QueuedMS > 0 {
		req.EnteredAt = a.Now().Add(-time.Duration(min(in.QueuedMS, maxQueued.Milliseconds())) * time.Millisecond)
	}
	v, err := a.Notify.CheckIn(ctx, orgID, req)
	if err != nil {
		return nil, checkInError(err)
	}
	out := &CheckInResult{VisitID: v.ID, Status: string(v.Status), Delivery: a.checkInDelivery(ctx, orgID)}
	// The organization is read again only when the fallback text is
	// needed, which keeps the usual check-in at one extra read (Health's).
	if out.Delivery == DeliveryUnavailable {
		out.Fallback = reception.DefaultKioskFallback
		if org, err := a.Store.GetOrganization(ctx, orgID); err == nil {
			out.Fallback = org.KioskFallbackText()
		}
	}
	return out, nil
}

// checkInDelivery is the check-in answer's Delivery for orgID. When health
// cannot be read, the visitor is not told staff were notified.
func (a *App) checkInDelivery(ctx context.Context, orgID string) string {
	h, err := a.Notify.Health(ctx, orgID)
	if err != nil {
		a.Log.Error("reading an organization's delivery health after a check-in", "org", orgID, "err", err)
		return DeliveryUnavailable
	}
	if !h.CanDeliver() {
		return DeliveryUnavailable
	}
	return DeliveryQueued
}

// checkInError names the field of CheckIn's not-found errors.
func checkInError(err error) error {
	if errors.Is(err, reception.ErrNotFound) && strings.Contains(err.Error(), "buttonId") {
		return invalid("buttonId", "buttonId: no such button")
	}
	if errors.Is(err, notify.ErrNoRoute) {
		return invalid("buttonId", strings.TrimPrefix(err.Error(), "reception: invalid: notify: "))
	}
	return err
}

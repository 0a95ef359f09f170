package notify_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

func mustHealth(t *testing.T, svc *notify.Service, orgID string) notify.DeliveryHealth {
	t.Helper()
	h, err := svc.Health(context.Background(), orgID)
	if err != nil {
		t.Fatalf("Health(%s): %v", orgID, err)
	}
	return h
}

func wantHealth(t *testing.T, what string, got notify.DeliveryHealth, status notify.DeliveryStatus, cause notify.DeliveryCause, detail string) {
	t.Helper()
	if got.Status != status || got.Cause != cause || !strings.Contains(got.Detail, detail) {
		t.Errorf("%s: Health = %+v, want status %q, cause %q, detail containing %q", what, got, status, cause, detail)
	}
}

// TestHealthWithoutIntegration: an organization without a bot cannot
// deliver; its check-ins are still stored and queued, the cause names
// what is missing, and the log says so once however often it is asked.
func TestHealthWithoutIntegration(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			ctx := context.Background()
			org := h.org.Clone()
			org.Integration.BotID, org.Integration.BotSecret = 0, ""
			if err := h.store.PutOrganization(ctx, org); err != nil {
				t.Fatal(err)
			}
			v, err := h.svc.CheckIn(ctx, org.ID, notify.CheckInRequest{ButtonID: "sales"})
			if err != nil {
				t.Fatalf("CheckIn of an organization that cannot deliver: %v; want it stored", err)
			}
			queued, err := h.store.ListOutbox(ctx, org.ID, reception.OutboxFilter{VisitID: v.ID})
			if err != nil || len(queued) != 1 {
				t.Fatalf("queued = %v, %v; want the notification queued", queued, err)
			}
			got := mustHealth(t, h.svc, org.ID)
			wantHealth(t, "no bot", got, notify.DeliveryUnavailable, notify.CauseNoIntegration, "bot (Bot ID)")
			if got.CanDeliver() {
				t.Error("CanDeliver() = true for an organization without a bot")
			}
			mustHealth(t, h.svc, org.ID)
			list, err := h.svc.UndeliverableOrganizations(ctx)
			if err != nil || len(list) != 1 || list[0].OrgID != org.ID || list[0].Cause != notify.CauseNoIntegration {
				t.Errorf("UndeliverableOrganizations = %+v, %v; want %s without integration", list, err, org.ID)
			}
			if n := strings.Count(h.logs.String(), "organization cannot deliver"); n != 1 {
				t.Errorf("logged the transition %d times, want once:\n%s", n, h.logs)
			}
			if _, err := h.svc.Health(ctx, "nobody"); err == nil {
				t.Error("Health of a missing organization: no error")
			}
		})
	}
}

// TestHealthCredentialsRefused: one send whose token LINE WORKS refuses
// makes the organization unavailable at once; the next successful send
// clears it, and the log names both transitions.
func TestHealthCredentialsRefused(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			wantHealth(t, "before any send", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")
			h.fake.InjectFault(lineworkstest.TokenRoute, 100, lineworkstest.Fault{Status: 401, Code: "invalid_client", Description: "client authentication failed"})
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("DispatchOnce = %d, %v", n, err)
			}
			got := mustHealth(t, h.svc, h.org.ID)
			wantHealth(t, "token refused", got, notify.DeliveryUnavailable, notify.CauseCredentials, "token request failed")
			if !got.Since.Equal(clk.Now()) {
				t.Errorf("Since = %v, want %v", got.Since, clk.Now())
			}
			if strings.Contains(got.Detail, h.sa.ClientSecret) || strings.Contains(h.logs.String(), h.sa.ClientSecret) {
				t.Error("the detail or the log contains the client secret")
			}

			h.fake.ClearFaults()
			clk.Advance(time.Hour)
			if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("DispatchOnce after the fix = %d, %v", n, err)
			}
			wantHealth(t, "after a successful send", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")
			logs := h.logs.String()
			if !strings.Contains(logs, "organization cannot deliver") || !strings.Contains(logs, "cause=credentials") ||
				!strings.Contains(logs, "organization delivers notifications again") {
				t.Errorf("log does not name both transitions:\n%s", logs)
			}
		})
	}
}

// TestHealthChangedOrganizationForgetsFailure: an admin who re-enters the
// credentials sees the old failure go (the next send tells again).
func TestHealthChangedOrganizationForgetsFailure(t *testing.T) {
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) { c.clock = clk.Now })
	ctx := context.Background()
	h.fake.InjectFault(lineworkstest.TokenRoute, 100, lineworkstest.Fault{Status: 401, Code: "invalid_client"})
	if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.DispatchOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, "token refused", mustHealth(t, h.svc, h.org.ID), notify.DeliveryUnavailable, notify.CauseCredentials, "")
	org := h.org.Clone()
	org.UpdatedAt = org.UpdatedAt.Add(time.Minute)
	if err := h.store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, "after the admin changed the organization", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")
}

// TestHealthFailingSends: transient failures count only after three sends
// in a row; a replica that sent nothing itself sees the stuck outbox when
// it scans; a success clears both.
func TestHealthFailingSends(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			replica, err := notify.New(h.store, &notify.LineWorksConnector{APIURL: h.fake.APIURL, TokenURL: h.fake.TokenURL},
				notify.WithClock(clk.Now), notify.WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))), notify.WithLocation(time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			h.fake.InjectFault(sendRoute, 1000, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
					t.Fatalf("DispatchOnce %d = %d, %v", i, n, err)
				}
				clk.Advance(time.Minute)
				if i < 2 {
					wantHealth(t, "after one or two failures", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")
				}
			}
			wantHealth(t, "after three failures", mustHealth(t, h.svc, h.org.ID), notify.DeliveryUnavailable, notify.CauseFailing, "3 sends in a row failed")

			// The replica has no memory of these sends: Health, which
			// never scans, says OK until a scan finds the stuck message.
			wantHealth(t, "replica before a scan", mustHealth(t, replica, h.org.ID), notify.DeliveryOK, "", "")
			list, err := replica.UndeliverableOrganizations(ctx)
			if err != nil || len(list) != 1 || list[0].Cause != notify.CauseFailing || !strings.Contains(list[0].Detail, "after 3 attempts") {
				t.Fatalf("replica's UndeliverableOrganizations = %+v, %v; want acme failing", list, err)
			}
			wantHealth(t, "replica after a scan", mustHealth(t, replica, h.org.ID), notify.DeliveryUnavailable, notify.CauseFailing, "500")

			h.fake.ClearFaults()
			if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("DispatchOnce after recovery = %d, %v", n, err)
			}
			wantHealth(t, "after a success", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")
			if list, err := replica.UndeliverableOrganizations(ctx); err != nil || len(list) != 0 {
				t.Errorf("replica's UndeliverableOrganizations after recovery = %+v, %v; want none", list, err)
			}
		})
	}
}

// TestHealthBotWithoutSecret: messages go out, but callbacks are refused:
// degraded, and the kiosk may still say staff were notified.
func TestHealthBotWithoutSecret(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t))
	org := h.org.Clone()
	org.Integration.BotSecret = ""
	if err := h.store.PutOrganization(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	got := mustHealth(t, h.svc, org.ID)
	wantHealth(t, "no bot secret", got, notify.DeliveryDegraded, notify.CauseNoBotSecret, "callbacks")
	if !got.CanDeliver() {
		t.Error("CanDeliver() = false for a bot without a secret; its messages still go out")
	}
}

// TestHealthNoteCredentialCheck: an admin's verification that LINE WORKS
// refused makes the organization unavailable at once (kiosks and the admin
// page then agree with what the admin was just told); a network failure or
// a success records nothing; changing the organization again forgets it.
func TestHealthNoteCredentialCheck(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	refused := &lineworks.TokenError{StatusCode: 400, ErrorCode: "invalid_grant", Cause: lineworks.CauseServiceAccount}
	network := &lineworks.TokenError{Cause: lineworks.CauseNetwork, Err: context.DeadlineExceeded}

	// As the server passes it: the organization as stored (times as the
	// store keeps them), not the value the harness put.
	stored, err := h.store.GetOrganization(ctx, h.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.svc.NoteCredentialCheck(stored, network)
	h.svc.NoteCredentialCheck(stored, nil)
	wantHealth(t, "after a network failure and a success", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")

	h.svc.NoteCredentialCheck(stored, refused)
	wantHealth(t, "after a refused verification", mustHealth(t, h.svc, h.org.ID), notify.DeliveryUnavailable, notify.CauseCredentials, "invalid_grant")

	org := stored.Clone()
	org.UpdatedAt = org.UpdatedAt.Add(time.Minute)
	if err := h.store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, "after the admin changed the organization", mustHealth(t, h.svc, h.org.ID), notify.DeliveryOK, "", "")
}

package httpserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/uketsuke/uketsuke/notify"
)

// Delivery health in the server: the organization's status in the JSON API
// (and so on the admin page), /readyz's
// body and the uketsuke_organizations_undeliverable gauge. The notify
// package decides; this file only shows it.

// deliveryJSON is an organization's delivery health in the API.
type deliveryJSON struct {
	// Status is "ok", "degraded" or "unavailable".
	Status string `json:"status"`
	// Cause is one of notify.DeliveryCauses; absent when ok.
	Cause  string `json:"cause,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Fix tells the admin what to do (Japanese / English).
	Fix   string     `json:"fix,omitempty"`
	Since *time.Time `json:"since,omitempty"`
}

// deliveryFixes say, per cause, what the admin does about it.
var deliveryFixes = map[notify.DeliveryCause]string{
	notify.CauseNoIntegration: "LINE WORKS 連携の認証情報を入力し、Botを作成してください / Enter the app's credentials and create the bot.",
	notify.CauseCredentials: "Developer Console の Client ID・Client Secret・Service Account・秘密鍵を確認し、入力し直して「保存して確認」してください / " +
		"Check the credentials against the Developer Console, enter them again and use Save and verify.",
	notify.CauseSecretKey: "保存した認証情報をこのサーバーの鍵で開けません。UKETSUKE_SECRET_KEY（または鍵ファイル）を保存時と同じにして再起動してください / " +
		"The stored secrets cannot be opened with this server's key: restart with the same UKETSUKE_SECRET_KEY (or key file) they were saved with.",
	notify.CauseFailing: "LINE WORKS への送信が失敗し続けています。詳細のエラーを確認してください（Bot がトークルームにいるか、ネットワーク、LINE WORKS の障害） / " +
		"Sends keep failing: check the error (is the bot in the room? network? a LINE WORKS outage?).",
	notify.CauseNoBotSecret: "Bot Secret がないため、ルームへの招待やスタッフのタップを受け付けられません。「Bot Secret を再発行」を押してください / " +
		"Without the bot secret, callbacks (room joins, taps) are refused: press \"Bot Secret を再発行\" (reissue the bot secret).",
}

func deliveryOut(h notify.DeliveryHealth) *deliveryJSON {
	out := &deliveryJSON{Status: string(h.Status), Cause: string(h.Cause), Detail: h.Detail, Fix: deliveryFixes[h.Cause]}
	if !h.Since.IsZero() {
		since := h.Since
		out.Since = &since
	}
	return out
}

// readyBody writes /readyz's body after "ok" (server.go): how many
// organizations cannot deliver, by cause code. /readyz stays 200 for them:
// one tenant's broken credentials must not take a replica out of its load
// balancer. /readyz needs no sign-in, so it names no organization (in a
// shared server their IDs are the customers' names) and quotes no error:
// the organizations and details are on the admin page and in the log.
func readyBody(ctx context.Context, w io.Writer, svc *notify.Service, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	orgs, err := svc.UndeliverableOrganizations(ctx)
	if err != nil {
		log.Error("readyz: reading the organizations' delivery health", "err", err)
		fmt.Fprintf(w, "organizations: unknown (see the log)\n")
		return
	}
	unavailable, degraded := map[notify.DeliveryCause]int{}, map[notify.DeliveryCause]int{}
	for _, h := range orgs {
		if h.CanDeliver() {
			degraded[h.Cause]++
		} else {
			unavailable[h.Cause]++
		}
	}
	writeCounts(w, "undeliverable organizations", unavailable)
	writeCounts(w, "degraded organizations", degraded)
}

// writeCounts writes "<what>: N" and one "  <cause>: n" line per cause, in
// the order of notify.DeliveryCauses.
func writeCounts(w io.Writer, what string, by map[notify.DeliveryCause]int) {
	total := 0
	for _, n := range by {
		total += n
	}
	fmt.Fprintf(w, "%s: %d\n", what, total)
	for _, c := range notify.DeliveryCauses {
		if by[c] > 0 {
			fmt.Fprintf(w, "  %s: %d\n", c, by[c])
		}
	}
}

// watchDelivery binds the undeliverable-organizations gauge to svc.
func watchDelivery(m Metrics, svc *notify.Service, log *slog.Logger) {
	m.Undeliverable(func(ctx context.Context) (map[string]int, error) {
		counts, err := undeliverableCounts(ctx, svc)
		if err != nil {
			log.Error("metrics: counting undeliverable organizations", "err", err)
		}
		return counts, err
	})
}

// undeliverableCounts counts the organizations that are not OK, by cause,
// for the gauge; every cause is present (0 when none) so that a dashboard
// sees a count drop back to zero.
func undeliverableCounts(ctx context.Context, svc *notify.Service) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	orgs, err := svc.UndeliverableOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, c := range notify.DeliveryCauses {
		out[string(c)] = 0
	}
	for _, h := range orgs {
		out[string(h.Cause)]++
	}
	return out, nil
}

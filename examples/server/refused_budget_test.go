package main

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// TestRefusedCodesKeepCheckInBudget: all of an organization's tablets share
// one kiosk token, so refused check-ins (wrong codes) must not spend its
// check-in budget: five wrong codes on tablet A and five on tablet B leave
// tablet C's good code accepted and a button check-in through the API
// working. Only the wrong-code limit (per tablet) stops A and B.
func TestRefusedCodesKeepCheckInBudget(t *testing.T) {
	env := maps.Clone(apptEnv)
	env["UKETSUKE_KIOSK_BURST"], env["UKETSUKE_KIOSK_RATE"] = "10", "60/h"
	env["UKETSUKE_KIOSK_CODE_BURST"], env["UKETSUKE_KIOSK_CODE_RATE"] = "5", "1/h"
	ds := startInProcess(t, env, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "三台目商事"}}, StartsAt: soon()})
	for _, name := range []string{"A", "B"} {
		c, csrf := tablet(t, ds)
		for i := range 5 {
			if status, _, body := postCode(t, ds, c, csrf, unusedCode(ap.Code, "", i), "ja"); status != http.StatusNotFound {
				t.Fatalf("wrong code %d on tablet %s = %d\n%s", i+1, name, status, body)
			}
		}
	}
	c, csrf := tablet(t, ds)
	if status, loc, body := postCode(t, ds, c, csrf, ap.Code, "ja"); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/kiosk/demo/done") {
		t.Fatalf("tablet C with a good code = %d → %q, want the check-in\n%s", status, loc, body)
	}
	var e apiErr
	in := app.CheckInInput{ButtonID: "sales", Visitor: app.Visitor{Name: "鈴木 一郎"}}
	if status, _ := jsonCall(t, "POST", ds.base+"/api/v1/orgs/demo/checkins", kioskToken(t, ds.kiosk), in, &e); status != http.StatusCreated {
		t.Errorf("button check-in with the kiosk token = %d %+v", status, e)
	}
}

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminAppointmentErrors: the admin page shows every error of
// a refused appointment at once, in Japanese, by the form's labels (the
// line of 「ほかの来訪者」 at fault), and keeps what was entered.
func TestBrowserAdminAppointmentErrors(t *testing.T) {
	src := axeSource(t)
	ctx := newBrowser(t)
	ds := startInProcess(t, apptEnv, true)
	now := time.Now().Add(2 * time.Minute)
	const other = "A社 / 一郎 / not-mail\n\nB社 / 次郎 / also-not-mail"
	do(t, ctx, "sign in", chromedp.Navigate(ds.base+"/admin"), chromedp.SendKeys(chromedp.CSS("#token"), testAdminToken),
		chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/demo"]`)))
	do(t, ctx, "a form with three errors", chromedp.Navigate(ds.base+"/admin/demo/appointments"), chromedp.WaitVisible(chromedp.CSS("#appt-form")),
		evalTrue(fmt.Sprintf(`document.getElementById("appt-date").value = %q; document.getElementById("appt-time").value = %q;
			document.getElementById("appt-other").value = %q; true`, now.Format(time.DateOnly), now.Format("15:04"), other)),
		chromedp.SendKeys(chromedp.CSS("#appt-name"), "受付 三郎"),
		chromedp.Click(chromedp.CSS("#appt-save")), chromedp.WaitVisible(chromedp.CSS("#appt-error")))
	list := text(t, ctx, "#appt-error ul")
	for _, want := range []string{"「担当者」：1人以上選んでください", "「ほかの来訪者」1行目のメールアドレス：メールアドレスの形", "「ほかの来訪者」3行目のメールアドレス：メールアドレスの形"} {
		if !strings.Contains(list, want) {
			t.Errorf("the errors %q lack %q", list, want)
		}
	}
	for _, english := range []string{"needs", "visitors[", "hosts", "e-mail"} {
		if strings.Contains(list, english) {
			t.Errorf("the errors %q are in English (%q)", list, english)
		}
	}
	if got := text(t, ctx, "#appt-other ~ .field-error"); !strings.Contains(got, "3行目") {
		t.Errorf("the message at 「ほかの来訪者」 = %q", got)
	}
	name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("appt-name").value`))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("appt-other").value`))
	if err != nil {
		t.Fatal(err)
	}
	if name != "受付 三郎" || strings.ReplaceAll(kept, "\r\n", "\n") != other {
		t.Errorf("the form lost what was entered: name %q, other %q", name, kept)
	}
	axeCheck(t, ctx, "admin appointments, three errors", src)
}

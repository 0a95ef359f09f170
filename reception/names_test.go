package reception_test

import (
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// TestNamesRefuseControlAndBidi: every name people read refuses control
// characters and bidi overrides, naming the field; ordinary names (with
// full-width space, emoji, RTL letters) pass.
func TestNamesRefuseControlAndBidi(t *testing.T) {
	now := time.Now()
	validate := map[string]func(name string) error{
		"Name": func(n string) error {
			return (&reception.Organization{ID: "acme", Name: n}).Validate()
		},
		"Label": func(n string) error {
			return (&reception.Button{ID: "b", OrgID: "acme", Label: n}).Validate()
		},
		"Labels[en]": func(n string) error {
			return (&reception.Button{ID: "b", OrgID: "acme", Label: "受付", Labels: map[string]string{"en": n}}).Validate()
		},
		"Staff Name": func(n string) error {
			return (&reception.Staff{ID: "s", OrgID: "acme", Name: n, UserID: "u1"}).Validate()
		},
		"VisitorName": func(n string) error {
			return (&reception.Visit{ID: "v", OrgID: "acme", VisitorName: n, ButtonID: "b", Status: reception.StatusWaiting, CreatedAt: now}).Validate()
		},
		"Company": func(n string) error {
			return (&reception.Visit{ID: "v", OrgID: "acme", Company: n, ButtonID: "b", Status: reception.StatusWaiting, CreatedAt: now}).Validate()
		},
	}
	for field, v := range validate {
		want := field
		if field == "Staff Name" {
			want = "Name"
		}
		for _, bad := range []string{"山田\u202eおろた", "a\u2066b", "a\u2069", "a\u202a", "tab\there", "nl\nx", "bell\x07", "del\x7f", "c1\u0085"} {
			fes := reception.FieldErrors(validate[field](bad))
			if len(fes) != 1 || fes[0].Field != want {
				t.Errorf("%s = %q: errors %v, want one for %s", field, bad, fes, want)
			}
		}
		for _, good := range []string{"山田 太郎", "山田\u3000太郎", "🍣 Sushi", "שלום", "O'Brien & Co."} {
			if err := v(good); err != nil {
				t.Errorf("%s = %q refused: %v", field, good, err)
			}
		}
	}
}

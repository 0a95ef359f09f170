package lineworkstest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestTenantRateLimit: a tenant's own budget overrides SetRateLimit's for
// it alone; the 429 carries rateLimit-* headers with that budget.
func TestTenantRateLimit(t *testing.T) {
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.SetRateLimit(6000) // burst of 200
	sa := fake.NewServiceAccount("bot")
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL), lineworks.WithRateLimit(0), lineworks.WithRetryPolicy(lineworks.NoRetry))
	if err != nil {
		t.Fatal(err)
	}
	send := func() error {
		return c.Bots.SendToChannel(context.Background(), 1, "room", lineworks.Text{Text: "x"})
	}
	for range 10 {
		if err := send(); err != nil {
			t.Fatalf("within the shared budget: %v", err)
		}
	}
	fake.SetTenantRateLimit(lineworkstest.DefaultDomainID, 60) // burst of 2
	ok := 0
	var last error
	for range 5 {
		if last = send(); last == nil {
			ok++
		}
	}
	var ae *lineworks.APIError
	if ok != 2 || !errors.As(last, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.RateLimit.Limit != 60 {
		t.Errorf("with the tenant's 60 a minute: %d of 5 went, last error %v; want 2 and a 429 saying 60", ok, last)
	}
	if st := fake.FaultStats(); st.RateLimited != 3 {
		t.Errorf("RateLimited = %d, want 3", st.RateLimited)
	}
	fake.SetTenantRateLimit(lineworkstest.DefaultDomainID, 0)
	if err := send(); err != nil {
		t.Errorf("override removed: %v", err)
	}
}

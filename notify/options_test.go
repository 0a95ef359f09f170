package notify_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// Every option checks its value when New applies it: the error wraps
// ErrInvalidArgument and names the option; a nil option is skipped.
func TestOptionsRejectBadValues(t *testing.T) {
	box, err := reception.NewSecretBox(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New(box)
	for _, tc := range []struct {
		opt  notify.Option
		name string
	}{
		{notify.WithClock(nil), "WithClock"},
		{notify.WithLogger(nil), "WithLogger"},
		{notify.WithMetrics(nil), "WithMetrics"},
		{notify.WithOwner(""), "WithOwner"},
		{notify.WithLease(0), "WithLease"},
		{notify.WithPollInterval(-time.Second), "WithPollInterval"},
		{notify.WithBatchSize(0), "WithBatchSize"},
		{notify.WithConcurrency(-1), "WithConcurrency"},
		{notify.WithMaxAttempts(0), "WithMaxAttempts"},
		{notify.WithBackoff(time.Minute, time.Second), "WithBackoff"},
		{notify.WithBackoff(0, time.Second), "WithBackoff"},
		{notify.WithTexts("en", notify.Texts{Accepted: "{{"}), "WithTexts"},
		{notify.WithOrgTexts("acme", notify.Texts{Accepted: "{{"}), "WithOrgTexts"},
		{notify.WithLocation(nil), "WithLocation"},
	} {
		// A good option before and a nil one around the bad one: the
		// first error is returned.
		_, err := notify.New(store, &notify.LineWorksConnector{}, notify.WithBatchSize(1), nil, tc.opt, nil)
		if !errors.Is(err, notify.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.name+"(") {
			t.Errorf("%s: got %v, want ErrInvalidArgument naming it", tc.name, err)
		}
	}
	if _, err := notify.New(store, &notify.LineWorksConnector{}, nil, notify.WithLease(time.Minute), notify.WithLease(time.Second)); err != nil {
		t.Errorf("good options: %v", err)
	}
}

package lineworkstest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestWaitMessageCount checks that WaitMessageCount returns only once the
// fake holds n messages, and with ctx's error when ctx ends first.
func TestWaitMessageCount(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	ctx := context.Background()
	ts, err := fake.NewServiceAccount("bot").TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fake.WaitMessageCount(ctx, 2) }()

	if err := client.Bots.SendToChannel(ctx, 1, "room-1", lineworks.Text{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("WaitMessageCount(2) returned %v after one message", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := client.Bots.SendToChannel(ctx, 1, "room-1", lineworks.Text{Text: "two"}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("WaitMessageCount(2) = %v after two messages", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitMessageCount(2) still waiting after two messages")
	}
	if n := len(fake.Messages()); n != 2 {
		t.Errorf("fake has %d messages, want 2", n)
	}

	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := fake.WaitMessageCount(cctx, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMessageCount(3) with a short deadline = %v, want DeadlineExceeded", err)
	}
}

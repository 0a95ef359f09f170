package lineworks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/uketsuke/uketsuke/lineworks"
)

// TestTokenErrorRedactsEchoedAssertion: a token endpoint that quotes the
// rejected JWT assertion in error_description must not put it in our error
// text; the assertion, with the client secret, buys access tokens.
func TestTokenErrorRedactsEchoedAssertion(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	var assertion string
	mt.RegisterResponder(http.MethodPost, "https://auth.example.test/token", func(r *http.Request) (*http.Response, error) {
		_ = r.ParseForm()
		assertion = r.PostForm.Get("assertion")
		return httpmock.NewStringResponse(400, `{"error":"invalid_grant","error_description":"bad assertion `+assertion+`"}`), nil
	})
	sa := &lineworks.ServiceAccount{
		ClientID: "FRFzmahSt6vPPCsmU4hO", ClientSecret: "XXXXXXXXXX", ServiceAccountID: "t1vk1.serviceaccount@example.com",
		PrivateKey: readKey(t, "pkcs8.key"), TokenURL: "https://auth.example.test/token",
		HTTPClient: &http.Client{Transport: mt},
	}
	ts, err := sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token()
	var te *lineworks.TokenError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *TokenError", err)
	}
	if assertion == "" {
		t.Fatal("no assertion was sent")
	}
	if strings.Contains(err.Error(), assertion) || strings.Contains(te.Description, assertion) {
		t.Errorf("error contains the JWT assertion: %v", err)
	}
	if te.Cause != lineworks.CauseServiceAccount {
		t.Errorf("Cause = %q, want %q", te.Cause, lineworks.CauseServiceAccount)
	}
}

// TestDownloadRedirectToBaseHostInClear: an https client must not send its
// bearer token over plain http, not even to the API host itself.
func TestDownloadRedirectToBaseHostInClear(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://api.example.test/v1.0/bots/1/attachments/f1", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(302, "")
		resp.Header.Set("Location", "http://api.example.test/files/f1")
		return resp, nil
	})
	var auth string
	mt.RegisterResponder("GET", "http://api.example.test/files/f1", func(r *http.Request) (*http.Response, error) {
		auth = r.Header.Get("Authorization")
		return httpmock.NewStringResponse(200, "data"), nil
	})
	c := mockClient(t, mt)
	body, _, err := c.Attachments.Download(context.Background(), 1, "f1")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, body)
	body.Close()
	if auth != "" {
		t.Errorf("Authorization sent in clear text: %q", auth)
	}
	err = c.Attachments.Upload(context.Background(), &lineworks.UploadSlot{FileID: "f", UploadURL: "http://api.example.test/upload"}, "a.txt", strings.NewReader("x"))
	if !errors.Is(err, lineworks.ErrInvalidArgument) {
		t.Errorf("upload to http://<API host>: err = %v, want ErrInvalidArgument", err)
	}
}

// TestTokenCachedWithoutOrShortExpiresIn: a token response without
// expires_in, or with a lifetime shorter than the expiry margin, must not
// make every API call mint a new token.
func TestTokenCachedWithoutOrShortExpiresIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"missing", `{"access_token":"jp1AAAA","token_type":"Bearer","scope":"bot"}`},
		{"shorter than the margin", `{"access_token":"jp1AAAA","token_type":"Bearer","scope":"bot","expires_in":"120"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, "https://auth.example.test/token", httpmock.NewStringResponder(200, tc.body))
			sa := &lineworks.ServiceAccount{
				ClientID: "FRFzmahSt6vPPCsmU4hO", ClientSecret: "XXXXXXXXXX", ServiceAccountID: "t1vk1.serviceaccount@example.com",
				PrivateKey: readKey(t, "pkcs8.key"), TokenURL: "https://auth.example.test/token",
				HTTPClient: &http.Client{Transport: mt},
			}
			ts, err := sa.TokenSource(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := ts.Token(); err != nil {
					t.Fatal(err)
				}
			}
			if n := mt.GetTotalCallCount(); n != 1 {
				t.Errorf("token requests = %d, want 1", n)
			}
		})
	}
}

// TestStorageURLNotInErrors: upload and download storage URLs are
// capabilities; an error answer from them must not quote the URL's path.
func TestStorageURLNotInErrors(t *testing.T) {
	t.Parallel()
	const secretPath = "/k/emsg/r/jp1/1622170089118062107.capability-token/FileData"
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://apis-storage.worksmobile.com"+secretPath, httpmock.NewStringResponder(403, `{"code":"FORBIDDEN"}`))
	mt.RegisterResponder("GET", "https://api.example.test/v1.0/bots/1/attachments/f1", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(302, "")
		resp.Header.Set("Location", "https://apis-storage.worksmobile.com"+secretPath)
		return resp, nil
	})
	mt.RegisterResponder("GET", "https://apis-storage.worksmobile.com"+secretPath, httpmock.NewStringResponder(404, `{"code":"NOT_FOUND"}`))
	c := mockClient(t, mt)
	upErr := c.Attachments.Upload(context.Background(), &lineworks.UploadSlot{FileID: "f", UploadURL: "https://apis-storage.worksmobile.com" + secretPath}, "a.txt", strings.NewReader("x"))
	_, _, downErr := c.Attachments.Download(context.Background(), 1, "f1")
	for name, err := range map[string]error{"upload": upErr, "download": downErr} {
		var ae *lineworks.APIError
		if !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want an *APIError", name, err)
			continue
		}
		if strings.Contains(err.Error(), "capability-token") || strings.Contains(ae.Path, "capability-token") {
			t.Errorf("%s: error quotes the storage URL: %v", name, err)
		}
	}
}

func TestBotStringHidesSecret(t *testing.T) {
	b := &lineworks.Bot{BotID: 7, BotName: "受付", BotSecret: "s3cr3t-bot-key"}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("bot", "bot", b)
	for _, s := range []string{fmt.Sprintf("%v", b), fmt.Sprintf("%+v", *b), b.String(), logs.String()} {
		if strings.Contains(s, "s3cr3t") || !strings.Contains(s, "7") {
			t.Errorf("%q: want the bot ID and no secret", s)
		}
	}
}

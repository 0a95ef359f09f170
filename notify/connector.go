package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// LineWorksConnector builds one lineworks.Client per organization from its
// stored credentials and keeps it while they stay the same; a change of any
// credential, scope or rate limit builds a new one (with a new token).
type LineWorksConnector struct {
	// APIURL and TokenURL default to the real LINE WORKS; tests and demo
	// mode point them at lineworkstest.
	APIURL   string
	TokenURL string
	// HTTPClient is used for API and token requests; nil means a client
	// with a 15 s timeout.
	HTTPClient *http.Client
	// RetryPolicy of each client; nil means two attempts with short
	// backoff, because the outbox retries on its own with longer waits.
	RetryPolicy lineworks.RetryPolicy

	mu      sync.Mutex
	clients map[string]connected
}

type connected struct {
	fingerprint string
	api         *clientAPI
}

// Connect implements Connector.
func (c *LineWorksConnector) Connect(ctx context.Context, org *reception.Organization) (API, error) {
	fp := fingerprint(org)
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.clients[org.ID]; ok && got.fingerprint == fp {
		return got.api, nil
	}
	in := org.Integration
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	sa := &lineworks.ServiceAccount{
		ClientID: in.ClientID, ClientSecret: in.ClientSecret, ServiceAccountID: in.ServiceAccountID,
		PrivateKey: in.PrivateKey, Scopes: in.Scopes, TokenURL: c.TokenURL, HTTPClient: hc,
	}
	ts, err := sa.TokenSource(ctx)
	if err != nil {
		return nil, err
	}
	rate := in.RateLimit
	if rate <= 0 {
		rate = 60 // unknown plan: assume the Free plan's budget
	}
	policy := c.RetryPolicy
	if policy == nil {
		policy = lineworks.Backoff{MaxAttempts: 2, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second}
	}
	opts := []lineworks.Option{lineworks.WithHTTPClient(hc), lineworks.WithRateLimit(rate), lineworks.WithRetryPolicy(policy)}
	if c.APIURL != "" {
		opts = append(opts, lineworks.WithBaseURL(c.APIURL))
	}
	client, err := lineworks.NewClient(ts, opts...)
	if err != nil {
		return nil, err
	}
	if c.clients == nil {
		c.clients = map[string]connected{}
	}
	api := &clientAPI{client: client}
	c.clients[org.ID] = connected{fingerprint: fp, api: api}
	return api, nil
}

// Forget drops an organization's client (e.g. after it was deleted).
func (c *LineWorksConnector) Forget(orgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, orgID)
}

// fingerprint hashes everything a client is built from, so that the cache
// notices a change without keeping a second copy of the secrets around.
func fingerprint(org *reception.Organization) string {
	in := org.Integration
	h := sha256.New()
	for _, s := range []string{in.ClientID, in.ClientSecret, in.ServiceAccountID, string(in.PrivateKey), strings.Join(in.Scopes, " "), strconv.Itoa(in.RateLimit)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// clientAPI adapts a lineworks.Client to API.
type clientAPI struct {
	client *lineworks.Client
}

func (a *clientAPI) SendToChannel(ctx context.Context, botID int64, channelID string, msg lineworks.Content) error {
	return a.client.Bots.SendToChannel(ctx, botID, channelID, msg)
}

func (a *clientAPI) SendToUser(ctx context.Context, botID int64, userID string, msg lineworks.Content) error {
	return a.client.Bots.SendToUser(ctx, botID, userID, msg)
}

func (a *clientAPI) DisplayName(ctx context.Context, userID string) (string, error) {
	u, err := a.client.Users.Get(ctx, userID)
	if err != nil {
		return "", err
	}
	return u.DisplayName(), nil
}

// ChannelTitle implements RoomInfo.
func (a *clientAPI) ChannelTitle(ctx context.Context, botID int64, channelID string) (string, error) {
	ch, err := a.client.Channels.Get(ctx, botID, channelID)
	if err != nil {
		return "", err
	}
	return ch.Title, nil
}

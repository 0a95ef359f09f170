package notify

import (
	"container/list"
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
// credential, scope or rate limit builds a new one (with a new token) and
// drops the old one. The cache is bounded: at most MaxClients clients, the
// least recently used dropped first, and a client unused for IdleTimeout
// (a deleted organization's, say) is dropped.
type LineWorksConnector struct {
	// APIURL and TokenURL default to the real LINE WORKS; tests and demo
	// mode point them at lineworkstest.
	APIURL   string
	TokenURL string
	// HTTPClient is used for API and token requests; nil means a client
	// with a 15 s timeout.
	HTTPClient *http.Client
	// RetryPolicy of each client; nil means one attempt: the outbox
	// retries on its own, with longer waits, and without holding a
	// delivery slot while it waits (a retry inside the client would).
	RetryPolicy lineworks.RetryPolicy
	// MaxClients bounds the cached clients (0: DefaultMaxClients).
	MaxClients int
	// IdleTimeout drops a client unused this long (0: DefaultClientIdle).
	IdleTimeout time.Duration

	mu      sync.Mutex
	clients map[string]*list.Element // of *connected, in lru
	lru     list.List                // most recently used first
	swept   time.Time
}

// Defaults of LineWorksConnector's cache.
const (
	DefaultMaxClients = 1000
	DefaultClientIdle = time.Hour
)

type connected struct {
	orgID       string
	fingerprint string
	api         *clientAPI
	used        time.Time
}

// Len returns how many clients are cached.
func (c *LineWorksConnector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.clients)
}

// cachedLocked returns org's client if cached with fingerprint fp, and
// drops a stale one.
func (c *LineWorksConnector) cachedLocked(orgID, fp string, now time.Time) *clientAPI {
	el, ok := c.clients[orgID]
	if !ok {
		return nil
	}
	got := el.Value.(*connected)
	if got.fingerprint != fp {
		c.lru.Remove(el)
		delete(c.clients, orgID)
		return nil
	}
	got.used = now
	c.lru.MoveToFront(el)
	return got.api
}

// addLocked caches api and keeps the cache within its bounds.
func (c *LineWorksConnector) addLocked(orgID, fp string, api *clientAPI, now time.Time) {
	if c.clients == nil {
		c.clients = map[string]*list.Element{}
	}
	if el, ok := c.clients[orgID]; ok {
		c.lru.Remove(el)
	}
	c.clients[orgID] = c.lru.PushFront(&connected{orgID: orgID, fingerprint: fp, api: api, used: now})
	maxClients := c.MaxClients
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	for len(c.clients) > maxClients {
		c.removeLocked(c.lru.Back())
	}
	idle := c.IdleTimeout
	if idle <= 0 {
		idle = DefaultClientIdle
	}
	if now.Sub(c.swept) < idle/4 {
		return
	}
	c.swept = now
	for el := c.lru.Back(); el != nil; {
		prev := el.Prev()
		if now.Sub(el.Value.(*connected).used) < idle {
			break
		}
		c.removeLocked(el)
		el = prev
	}
}

func (c *LineWorksConnector) removeLocked(el *list.Element) {
	c.lru.Remove(el)
	delete(c.clients, el.Value.(*connected).orgID)
}

// Connect implements Connector.
func (c *LineWorksConnector) Connect(ctx context.Context, org *reception.Organization) (API, error) {
	fp := fingerprint(org)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if api := c.cachedLocked(org.ID, fp, now); api != nil {
		return api, nil
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
		policy = lineworks.NoRetry
	}
	opts := []lineworks.Option{lineworks.WithHTTPClient(hc), lineworks.WithRateLimit(rate), lineworks.WithRetryPolicy(policy)}
	if c.APIURL != "" {
		opts = append(opts, lineworks.WithBaseURL(c.APIURL))
	}
	client, err := lineworks.NewClient(ts, opts...)
	if err != nil {
		return nil, err
	}
	api := &clientAPI{client: client}
	c.addLocked(org.ID, fp, api, now)
	return api, nil
}

// Forget drops an organization's client (e.g. after it was deleted).
func (c *LineWorksConnector) Forget(orgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.clients[orgID]; ok {
		c.removeLocked(el)
	}
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

// UserEmail implements UserEmailer.
func (a *clientAPI) UserEmail(ctx context.Context, userID string) (string, error) {
	u, err := a.client.Users.Get(ctx, userID)
	if err != nil {
		return "", err
	}
	return u.Email, nil
}

// ChannelTitle implements RoomInfo.
func (a *clientAPI) ChannelTitle(ctx context.Context, botID int64, channelID string) (string, error) {
	ch, err := a.client.Channels.Get(ctx, botID, channelID)
	if err != nil {
		return "", err
	}
	return ch.Title, nil
}

package app

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// The bot's set-up through the Bot API, so that an admin copies nothing but
// the app's credentials: POST …/lineworks/bot creates the bot, issues and
// stores its secret, finds the tenant's domain and registers the bot there;
// POST …/lineworks/bot/secret issues a new secret for an existing bot. Each
// step is stored as soon as it succeeds, so running "create bot" again after
// a failure resumes where it stopped instead of creating a second bot.

// BotInput names the bot to create; every field has a default.
type BotInput struct {
	BotName     string `json:"botName"`
	Description string `json:"description"`
	PhotoURL    string `json:"photoUrl"`
}

// BotSetup reports what the set-up did and what is left. Secrets are
// stored, never returned.
type BotSetup struct {
	BotID            int64     `json:"botId"`
	Created          bool      `json:"created"`
	SecretIssued     bool      `json:"secretIssued"`
	HasBotSecret     bool      `json:"hasBotSecret"`
	DomainID         int64     `json:"domainId,omitempty"`
	DomainRegistered bool      `json:"domainRegistered"`
	Warnings         []Warning `json:"warnings"`
}

// SecretReissue answers a reissue: the secret itself is stored, never
// shown.
type SecretReissue struct {
	BotID        int64 `json:"botId"`
	SecretIssued bool  `json:"secretIssued"`
	HasBotSecret bool  `json:"hasBotSecret"`
}

// orgBot is one set-up run: the organization read with its secrets and a
// client of its LINE WORKS app.
type orgBot struct {
	a      *App
	org    *reception.Organization
	client *lineworks.Client
	out    BotSetup
}

func (a *App) newOrgBot(ctx context.Context, orgID string) (*orgBot, error) {
	org, err := a.Store.GetOrganizationWithSecrets(ctx, orgID)
	if err != nil {
		return nil, err
	}
	ts, err := a.serviceAccount(org).TokenSource(ctx)
	if err != nil {
		return nil, lineworksError(err)
	}
	client, err := lineworks.NewClient(ts, lineworks.WithBaseURL(a.EndpointsFor(org.ID).API), lineworks.WithHTTPClient(a.HTTPClient))
	if err != nil {
		return nil, err
	}
	ig := org.Integration
	return &orgBot{a: a, org: org, client: client, out: BotSetup{
		BotID: ig.BotID, HasBotSecret: ig.BotSecret != "", DomainID: ig.DomainID, Warnings: []Warning{},
	}}, nil
}

func (b *orgBot) warn(field, msg string) {
	b.out.Warnings = append(b.out.Warnings, Warning{Field: field, Message: msg})
}

// save applies change to the stored integration (secrets redacted, so
// those not set by change keep their stored values).
func (b *orgBot) save(ctx context.Context, change func(*reception.Integration)) error {
	cur, err := b.a.Store.GetOrganization(ctx, b.org.ID)
	if err != nil {
		return err
	}
	change(&cur.Integration)
	cur.UpdatedAt = b.a.Now()
	return b.a.Store.PutOrganization(ctx, cur)
}

// SetUpBot sets the organization's bot up; see the top of this file. An
// organization that has a bot keeps it: the call then completes what is
// missing (its secret, its domain).
func (a *App) SetUpBot(ctx context.Context, orgID string, in BotInput) (*BotSetup, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	b, err := a.newOrgBot(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if b.org.Integration.BotID == 0 {
		if err := b.create(ctx, in); err != nil {
			return nil, err
		}
	}
	if !b.out.HasBotSecret {
		if err := b.issueSecret(ctx); err != nil {
			return nil, err
		}
	}
	if err := b.registerDomain(ctx); err != nil {
		return nil, err
	}
	a.Log.Info("bot set up", "org", b.org.ID, "bot", b.out.BotID, "created", b.out.Created,
		"secretIssued", b.out.SecretIssued, "domain", b.out.DomainID, "domainRegistered", b.out.DomainRegistered)
	return &b.out, nil
}

// create registers a new bot with the admin as its administrator and this
// server's callback URL, and stores its ID at once.
func (b *orgBot) create(ctx context.Context, in BotInput) error {
	ig, publicURL := b.org.Integration, b.a.PublicURL
	if ig.AdminUserID == "" {
		return invalid("adminUserId", "adminUserId: sign in with LINE WORKS first (it sets the bot's administrator), or PUT …/lineworks with adminUserId")
	}
	if !callbackURLUsable(publicURL) {
		return invalid("publicUrl", "UKETSUKE_PUBLIC_URL must be this server's public https URL: LINE WORKS posts callbacks to <url>"+CallbackPath)
	}
	if in.BotName == "" {
		in.BotName = truncateRunes(b.org.Name+" 受付", 100)
	}
	if in.Description == "" {
		in.Description = "来客受付の通知 (uketsuke)"
	}
	if in.PhotoURL == "" {
		in.PhotoURL = publicURL + "/static/bot.png"
	}
	bot, err := b.client.Bots.Create(ctx, lineworks.BotCreate{
		BotName: in.BotName, Description: in.Description, PhotoURL: in.PhotoURL,
		Administrators: []string{ig.AdminUserID},
		EnableCallback: true, CallbackURL: publicURL + CallbackPath,
		CallbackEvents:  []string{lineworks.CallbackEventText},
		ChannelEvents:   []string{"message", "postback", "join", "leave"},
		EnableGroupJoin: true,
	})
	if err != nil {
		return lineworksError(err)
	}
	b.out.BotID, b.out.Created = bot.BotID, true
	// Whatever the create answer held, the secret is issued next: LINE
	// WORKS does not promise it there (bot-create), and a secret this
	// server did not issue itself may not be the one in force.
	return b.save(ctx, func(in *reception.Integration) { in.BotID, in.BotSecret = bot.BotID, "" })
}

// issueSecret issues the bot's secret (the previous one stops working at
// once) and stores it: without it every callback — a room joined, a tap —
// is refused as unsigned.
func (b *orgBot) issueSecret(ctx context.Context) error {
	secret, err := b.client.Bots.ReissueSecret(ctx, b.out.BotID)
	if err != nil {
		return lineworksError(err)
	}
	if err := b.save(ctx, func(in *reception.Integration) { in.BotSecret = secret }); err != nil {
		return err
	}
	b.out.SecretIssued, b.out.HasBotSecret = true, true
	return nil
}

// registerDomain registers the bot to the tenant's domain, which LINE WORKS
// requires before anyone can invite it. The domain comes from the stored
// integration (set by the LINE WORKS sign-in) or from the bot
// administrator's user record; failing both, the admin is told how to get
// it, and the call still succeeds with what it did.
func (b *orgBot) registerDomain(ctx context.Context) error {
	if b.out.DomainID == 0 {
		b.out.DomainID = b.findDomain(ctx)
		if b.out.DomainID == 0 {
			return nil
		}
		if err := b.save(ctx, func(in *reception.Integration) { in.DomainID = b.out.DomainID }); err != nil {
			return err
		}
	}
	registered, err := b.domainRegistered(ctx)
	if err != nil {
		b.warn("domainId", "could not check the bot's domains: "+err.Error())
		return nil
	}
	if !registered {
		err := b.client.Bots.RegisterDomain(ctx, b.out.BotID, b.out.DomainID, lineworks.DomainRegistration{Visible: true})
		if err != nil && !errors.Is(err, lineworks.ErrConflict) {
			b.warn("domainId", "the bot could not be registered to domain "+strconv.FormatInt(b.out.DomainID, 10)+": "+err.Error())
			return nil
		}
	}
	b.out.DomainRegistered = true
	return nil
}

// findDomain reads the domain of the bot's administrator. It needs the
// user.read (or user.profile.read) scope; without it the admin signs in
// with LINE WORKS, which learns the domain from the signed-in user.
func (b *orgBot) findDomain(ctx context.Context) int64 {
	admin := b.org.Integration.AdminUserID
	if admin == "" {
		b.warn("domainId", "the bot's domain is unknown: sign in with LINE WORKS (it sets the domain), then create the bot again")
		return 0
	}
	u, err := b.client.Users.Get(ctx, admin)
	if err != nil || u.DomainID == 0 {
		msg := "the bot's domain is unknown"
		if err != nil {
			msg += " (GET /users/" + admin + ": " + err.Error() + ")"
		}
		b.warn("domainId", msg+": sign in with LINE WORKS (it sets the domain), then create the bot again")
		return 0
	}
	return u.DomainID
}

func (b *orgBot) domainRegistered(ctx context.Context) (bool, error) {
	for d, err := range b.client.Bots.ListDomains(ctx, b.out.BotID) {
		if err != nil {
			return false, err
		}
		if d.DomainID == b.out.DomainID {
			return true, nil
		}
	}
	return false, nil
}

// ReissueBotSecret issues a new secret for the organization's bot and
// stores it; the old one stops working at once. It is the fix when
// callbacks are refused for a bad signature.
func (a *App) ReissueBotSecret(ctx context.Context, orgID string) (*SecretReissue, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	b, err := a.newOrgBot(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if b.out.BotID == 0 {
		return nil, &Error{Code: Conflict, Field: "botId", Msg: "botId: the organization has no bot yet; create it first (POST …/lineworks/bot)"}
	}
	if err := b.issueSecret(ctx); err != nil {
		return nil, err
	}
	a.Log.Info("bot secret reissued", "org", b.org.ID, "bot", b.out.BotID)
	return &SecretReissue{BotID: b.out.BotID, SecretIssued: true, HasBotSecret: true}, nil
}

func truncateRunes(s string, n int) string {
	r := []rune(strings.TrimFunc(s, unicode.IsSpace))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// callbackURLUsable reports whether a bot can be given callbacks at
// publicURL: https, as LINE WORKS requires, or http on this machine, which
// only `uketsuke fake` accepts (LINE WORKS' refusal would then be shown
// as it answered).
func callbackURLUsable(publicURL string) bool {
	u, err := url.Parse(publicURL)
	switch {
	case err != nil || publicURL == "":
		return false
	case u.Scheme == "https":
		return true
	case u.Scheme != "http":
		return false
	case u.Hostname() == "localhost":
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

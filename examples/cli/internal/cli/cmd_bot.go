package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
)

func (a *app) cmdBot(args []string) error {
	return a.subcommand("bot", "Manage the tenant's bots (scope bot).", args, []subcmd{
		{"create", "register a new bot", a.cmdBotCreate},
		{"get", "show a bot's settings", a.cmdBotGet},
		{"list", "list the tenant's bots", a.cmdBotList},
		{"register", "make a bot available in a domain", a.cmdBotRegister},
		{"secret", "issue a new bot secret (the old one stops working)", a.cmdBotSecret},
	})
}

// credCmd builds a command that needs credentials.
func (a *app) credCmd(name, synopsis, doc string) (*cmd, *credFlags) {
	c := newCmd(name, synopsis, strings.TrimSpace(doc)+"\n\n"+credDoc)
	return c, addCredFlags(c.fs)
}

// clientFor resolves the credentials and builds a client.
func (a *app) clientFor(cf *credFlags) (*lineworks.Client, *creds, error) {
	cr, err := a.resolve(cf)
	if err != nil {
		return nil, nil, err
	}
	cl, err := a.client(cr)
	if err != nil {
		return nil, nil, err
	}
	return cl, cr, nil
}

// botClientFor is clientFor for commands that act as the bot: it also
// needs the bot ID.
func (a *app) botClientFor(cf *credFlags) (*lineworks.Client, int64, error) {
	cl, cr, err := a.clientFor(cf)
	if err != nil {
		return nil, 0, err
	}
	botID, err := cr.needBot()
	if err != nil {
		return nil, 0, err
	}
	return cl, botID, nil
}

// botArg takes the bot ID from the only positional argument, else from the
// credentials (--bot-id, UKETSUKE_BOT_ID, profile).
func (a *app) botArg(c *cmd, pos []string, cf *credFlags) error {
	if len(pos) > 1 {
		return a.usageErr(c, "unexpected argument %q", pos[1])
	}
	if len(pos) == 1 {
		if _, err := strconv.ParseInt(pos[0], 10, 64); err != nil {
			return a.usageErr(c, "bot ID %q is not a number", pos[0])
		}
		cf.botID = pos[0]
	}
	return nil
}

func (a *app) cmdBotCreate(args []string) error {
	c, cf := a.credCmd("bot create", "--name NAME --photo-url URL --admin USER [flags]", `
Register a new bot in the tenant with the given administrators and
callback URL, then print its ID. LINE WORKS requires a name, an https photo
URL, a description and 1 to 3 administrators. With --secret-out, the bot
secret (which callbacks are signed with) is then issued and written to that
file (mode 0600); it is never printed. LINE WORKS does not return the secret
when a bot is created, so without --secret-out none is issued: run
"uketsuke bot secret" for it later. Next, make the bot available with
"uketsuke bot register".`)
	name := c.fs.String("name", "", "bot `NAME` (at most 100 characters)")
	desc := c.fs.String("description", "Visitor notifications from the reception", "bot `DESCRIPTION` (at most 100 characters)")
	photo := c.fs.String("photo-url", "", "https `URL` of the bot's icon")
	admins := c.fs.String("admin", "", "administrator `USERS`: user IDs or login e-mails, comma separated (1 to 3)")
	callbackURL := c.fs.String("callback-url", "", "https `URL` LINE WORKS posts events to (enables callbacks)")
	events := c.fs.String("callback-events", "text", "message `TYPES` sent to the callback, comma separated")
	groupJoin := c.fs.Bool("group-join", true, "allow the bot to be invited into talk rooms")
	secretOut := c.fs.String("secret-out", "", "write the bot secret to `FILE` (mode 0600)")
	asJSON := c.fs.Bool("json", false, "print JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return a.usageErr(c, "unexpected argument %q", pos[0])
	case *name == "":
		return a.usageErr(c, "--name is required")
	case *photo == "":
		return a.usageErr(c, "--photo-url is required")
	case *admins == "":
		return a.usageErr(c, "--admin is required")
	}
	req := lineworks.BotCreate{
		BotName:         *name,
		Description:     *desc,
		PhotoURL:        strings.TrimSpace(*photo),
		Administrators:  splitList(*admins),
		EnableGroupJoin: *groupJoin,
	}
	if *callbackURL != "" {
		req.EnableCallback = true
		req.CallbackURL = strings.TrimSpace(*callbackURL)
		req.CallbackEvents = splitList(*events)
	}
	cl, _, err := a.clientFor(cf)
	if err != nil {
		return err
	}
	done := a.progress("creating the bot")
	bot, err := cl.Bots.Create(a.ctx, req)
	done()
	if err != nil {
		return err
	}
	bot.BotSecret = "" // never shown, even if an answer carried one
	secretNote := fmt.Sprintf("not issued; run: uketsuke bot secret %d --secret-out FILE", bot.BotID)
	if *secretOut != "" {
		if err := a.reissueSecret(cl, bot.BotID, *secretOut); err != nil {
			return fmt.Errorf("bot %d was created, but %w; run: uketsuke bot secret %d --secret-out FILE", bot.BotID, err, bot.BotID)
		}
		secretNote = "issued and written to " + *secretOut + " (mode 0600)"
	}
	if *asJSON {
		return a.printJSON(bot)
	}
	a.printf("bot created: %d %q\n", bot.BotID, bot.BotName)
	a.printf("  bot secret: %s\n", secretNote)
	a.printf("next: uketsuke bot register %d --domain DOMAIN_ID\n", bot.BotID)
	return nil
}

// reissueSecret issues a new secret for botID and writes it to path. The
// secret goes to the file only: a terminal or a CI log is no place for the
// key every callback is verified with.
func (a *app) reissueSecret(cl *lineworks.Client, botID int64, path string) error {
	done := a.progress("issuing the bot secret")
	secret, err := cl.Bots.ReissueSecret(a.ctx, botID)
	done()
	if err != nil {
		return fmt.Errorf("issuing its secret failed: %w", err)
	}
	if err := writePrivate(path, []byte(secret+"\n")); err != nil {
		// The old secret is void already; say so, since the new one is lost.
		return fmt.Errorf("writing its new secret failed (the previous secret no longer works; issue another): %w", err)
	}
	return nil
}

func (a *app) cmdBotSecret(args []string) error {
	c, cf := a.credCmd("bot secret", "--secret-out FILE [flags] [BOT_ID]", `
Issue a new secret for a bot and write it to --secret-out (mode 0600); it is
never printed. The previous secret stops working at once, so callbacks are
refused until the server has the new one (UKETSUKE_BOT_SECRET or the admin
page). BOT_ID defaults to --bot-id / UKETSUKE_BOT_ID.`)
	secretOut := c.fs.String("secret-out", "", "write the new bot secret to `FILE` (mode 0600; required)")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if err := a.botArg(c, pos, cf); err != nil {
		return err
	}
	if *secretOut == "" {
		return a.usageErr(c, "--secret-out is required: the secret is never printed")
	}
	cl, botID, err := a.botClientFor(cf)
	if err != nil {
		return err
	}
	if err := a.reissueSecret(cl, botID, *secretOut); err != nil {
		return fmt.Errorf("bot %d: %w", botID, err)
	}
	a.printf("bot %d: new secret written to %s (mode 0600); the previous one no longer works\n", botID, *secretOut)
	return nil
}

// writePrivate writes a secret file readable by its owner only.
func writePrivate(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600) // WriteFile keeps the mode of an existing file
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p, _ = lineworks.TrimCredential(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (a *app) cmdBotGet(args []string) error {
	c, cf := a.credCmd("bot get", "[flags] [BOT_ID]", `
Show a bot's settings. BOT_ID defaults to --bot-id / UKETSUKE_BOT_ID.`)
	asJSON := c.fs.Bool("json", false, "print JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if err := a.botArg(c, pos, cf); err != nil {
		return err
	}
	cl, botID, err := a.botClientFor(cf)
	if err != nil {
		return err
	}
	bot, err := cl.Bots.Get(a.ctx, botID)
	if err != nil {
		return err
	}
	bot.BotSecret = ""
	if *asJSON {
		return a.printJSON(bot)
	}
	a.printf("bot %d: %s\n", bot.BotID, bot.BotName)
	if bot.Description != "" {
		a.printf("  description:    %s\n", bot.Description)
	}
	a.printf("  administrators: %s\n", orNone(strings.Join(bot.Administrators, ", ")))
	if len(bot.SubAdministrators) > 0 {
		a.printf("  sub-admins:     %s\n", strings.Join(bot.SubAdministrators, ", "))
	}
	cb := "disabled"
	if bot.EnableCallback {
		cb = "enabled"
	}
	if bot.CallbackURL != "" {
		cb += ", " + bot.CallbackURL
	}
	if len(bot.CallbackEvents) > 0 {
		cb += ", events " + strings.Join(bot.CallbackEvents, ",")
	}
	a.printf("  callback:       %s\n", cb)
	a.printf("  group join:     %t\n", bot.EnableGroupJoin)
	return nil
}

func (a *app) cmdBotList(args []string) error {
	c, cf := a.credCmd("bot list", "[flags]", `List the tenant's bots, ID and name.`)
	asJSON := c.fs.Bool("json", false, "print JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return a.usageErr(c, "unexpected argument %q", pos[0])
	}
	cl, _, err := a.clientFor(cf)
	if err != nil {
		return err
	}
	done := a.progress("listing bots")
	bots := []lineworks.BotSummary{}
	for b, err := range cl.Bots.List(a.ctx) {
		if err != nil {
			done()
			return err
		}
		bots = append(bots, b)
	}
	done()
	if *asJSON {
		return a.printJSON(bots)
	}
	if len(bots) == 0 {
		a.printf("no bots\n")
		return nil
	}
	for _, b := range bots {
		a.printf("%d\t%s\n", b.BotID, b.BotName)
	}
	return nil
}

func (a *app) cmdBotRegister(args []string) error {
	c, cf := a.credCmd("bot register", "--domain DOMAIN_ID [flags] [BOT_ID]", `
Make a bot available in a domain, listed in the domain's bot list
(--visible) and open to every member unless --selected-members is set.
BOT_ID defaults to --bot-id / UKETSUKE_BOT_ID.`)
	domain := c.fs.Int64("domain", 0, "domain `ID` to register the bot in")
	visible := c.fs.Bool("visible", true, "list the bot in the domain's bot list")
	selected := c.fs.Bool("selected-members", false, "restrict the bot to members added later")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if err := a.botArg(c, pos, cf); err != nil {
		return err
	}
	if *domain <= 0 {
		return a.usageErr(c, "--domain is required (a positive domain ID)")
	}
	cl, botID, err := a.botClientFor(cf)
	if err != nil {
		return err
	}
	err = cl.Bots.RegisterDomain(a.ctx, botID, *domain, lineworks.DomainRegistration{Visible: *visible, AllowToSelectedMember: *selected})
	if errors.Is(err, lineworks.ErrConflict) {
		a.printf("bot %d is already registered in domain %d\n", botID, *domain)
		return nil
	}
	if err != nil {
		return err
	}
	a.printf("bot %d registered in domain %d (visible %t, selected members only %t)\n", botID, *domain, *visible, *selected)
	return nil
}

func (a *app) cmdChannel(args []string) error {
	return a.subcommand("channel", "Inspect a talk room the bot is in, by channel ID.", args, []subcmd{
		{"get", "show a talk room", a.cmdChannelGet},
		{"members", "list a talk room's members", a.cmdChannelMembers},
	})
}

func (a *app) channelArgs(c *cmd, args []string) (string, *credFlags, *bool, error) {
	cf := addCredFlags(c.fs)
	asJSON := c.fs.Bool("json", false, "print JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return "", nil, nil, err
	}
	switch {
	case len(pos) == 0:
		return "", nil, nil, a.usageErr(c, "a channel ID is required")
	case len(pos) > 1:
		return "", nil, nil, a.usageErr(c, "unexpected argument %q", pos[1])
	}
	return pos[0], cf, asJSON, nil
}

func (a *app) cmdChannelGet(args []string) error {
	c := newCmd("channel get", "[flags] CHANNEL_ID", "Show a talk room the bot is a member of.\n\n"+credDoc)
	id, cf, asJSON, err := a.channelArgs(c, args)
	if err != nil {
		return err
	}
	cl, botID, err := a.botClientFor(cf)
	if err != nil {
		return err
	}
	ch, err := cl.Channels.Get(a.ctx, botID, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return a.printJSON(ch)
	}
	a.printf("channel %s: %s\n", ch.ChannelID, orNone(ch.Title))
	a.printf("  type:   %s\n", ch.ChannelType.Type)
	if ch.ChannelType.OrgUnitID != "" {
		a.printf("  org unit: %s\n", ch.ChannelType.OrgUnitID)
	}
	if ch.ChannelType.GroupID != "" {
		a.printf("  group:  %s\n", ch.ChannelType.GroupID)
	}
	if ch.DomainID != 0 {
		a.printf("  domain: %d\n", ch.DomainID)
	}
	return nil
}

func (a *app) cmdChannelMembers(args []string) error {
	c := newCmd("channel members", "[flags] CHANNEL_ID", "List the user IDs in a talk room the bot is a member of.\n\n"+credDoc)
	id, cf, asJSON, err := a.channelArgs(c, args)
	if err != nil {
		return err
	}
	cl, botID, err := a.botClientFor(cf)
	if err != nil {
		return err
	}
	done := a.progress("listing members")
	members := []string{}
	for m, err := range cl.Channels.Members(a.ctx, botID, id) {
		if err != nil {
			done()
			return err
		}
		members = append(members, m)
	}
	done()
	if *asJSON {
		return a.printJSON(struct {
			ChannelID string   `json:"channelId"`
			Members   []string `json:"members"`
		}{id, members})
	}
	for _, m := range members {
		a.printf("%s\n", m)
	}
	return nil
}

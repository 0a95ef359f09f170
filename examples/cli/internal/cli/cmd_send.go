package cli

import (
	"fmt"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
)

func (a *app) cmdSend(args []string) error {
	c, cf := a.credCmd("send", "(--channel ID | --user ID) (--text TEXT | --json FILE) [flags]", `
Send a message as the bot to a talk room (--channel) or to one user
(--user, a user ID or login e-mail). --text sends plain text; --json sends
any content object from FILE ("-" for stdin), for example
{"type":"button_template","contentText":"…","actions":[…]}. The content is
validated against the documented limits before anything is sent: an invalid
message names the offending field and exits 1 without any request.`)
	channel := c.fs.String("channel", "", "talk room (channel) `ID`")
	user := c.fs.String("user", "", "user `ID` or login e-mail for a 1:1 message")
	text := c.fs.String("text", "", "message `TEXT`")
	jsonFile := c.fs.String("json", "", "content JSON `FILE` (\"-\" for stdin)")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return a.usageErr(c, "unexpected argument %q", pos[0])
	case (*channel == "") == (*user == ""):
		return a.usageErr(c, "give exactly one of --channel and --user")
	case (*text == "") == (*jsonFile == ""):
		return a.usageErr(c, "give exactly one of --text and --json")
	}
	toChannel := *channel != ""

	// Validate first: a bad message must not cost a token request.
	var content lineworks.Content
	if *jsonFile != "" {
		data, err := a.readInput(*jsonFile)
		if err != nil {
			return fmt.Errorf("reading %s: %w", *jsonFile, err)
		}
		content, err = lineworks.DecodeContent(data)
		if err != nil {
			return invalidContent(err)
		}
	} else {
		content = lineworks.Text{Text: *text}
	}
	if err := lineworks.ValidateSend(content, toChannel); err != nil {
		return invalidContent(err)
	}

	cl, botID, err := a.botClientFor(cf)
	if err != nil {
		return err
	}
	done := a.progress("sending")
	if toChannel {
		err = cl.Bots.SendToChannel(a.ctx, botID, *channel, content)
	} else {
		err = cl.Bots.SendToUser(a.ctx, botID, *user, content)
	}
	done()
	if err != nil {
		return err
	}
	dest := "channel " + *channel
	if !toChannel {
		dest = "user " + *user
	}
	a.printf("sent %s message to %s as bot %d\n", content.ContentType(), dest, botID)
	return nil
}

// invalidContent lists every broken rule, each naming its field.
func invalidContent(err error) error {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimPrefix(strings.TrimSpace(l), "lineworks: "); l != "" {
			lines = append(lines, l)
		}
	}
	return fmt.Errorf("invalid content: %s", strings.Join(lines, "; "))
}

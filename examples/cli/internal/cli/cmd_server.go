package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// serverFlags are the flags of commands that call a running uketsuke
// server's JSON API.
type serverFlags struct {
	server, org, token string
}

const serverDoc = `The server, organization and API token come from --server, --org and
--token, else UKETSUKE_SERVER_URL, UKETSUKE_ORG and UKETSUKE_SERVER_TOKEN.
The token (the organization's admin token; a kiosk token does for checkin)
is sent as "Authorization: Bearer …" and never printed.`

func addServerFlags(fs *flag.FlagSet) *serverFlags {
	sf := &serverFlags{}
	fs.StringVar(&sf.server, "server", "", "uketsuke server base `URL`, e.g. http://localhost:8080")
	fs.StringVar(&sf.org, "org", "", "organization `ID`")
	fs.StringVar(&sf.token, "token", "", "server API `TOKEN` (prefer "+EnvServerToken+")")
	return sf
}

func (a *app) serverTarget(c *cmd, sf *serverFlags, resource string) (string, string, error) {
	server := strings.TrimSpace(firstNonEmpty(sf.server, a.env(EnvServerURL)))
	org, _ := trimmed(firstNonEmpty(sf.org, a.env(EnvOrg)))
	token, _ := trimmed(firstNonEmpty(sf.token, a.env(EnvServerToken)))
	switch {
	case server == "":
		return "", "", a.usageErr(c, "--server is required (or set %s)", EnvServerURL)
	case org == "":
		return "", "", a.usageErr(c, "--org is required (or set %s)", EnvOrg)
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// Never quote the token.
		return "", "", a.usageErr(c, "--token (or %s) contains white space or control characters; paste the token alone", EnvServerToken)
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", a.usageErr(c, "--server %q: need an absolute http(s) URL", server)
	}
	if u.User != nil {
		// The URL ends up in error messages: keep passwords out of it.
		return "", "", a.usageErr(c, "--server %q: must not contain user info; give the API token with --token or %s", u.Redacted(), EnvServerToken)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/orgs/" + url.PathEscape(org) + "/" + resource
	u.RawPath = ""
	return u.String(), token, nil
}

func trimmed(s string) (string, bool) {
	t := strings.TrimSpace(s)
	return t, t != s
}

// callServer sends a JSON request and returns the response body, or an
// error that shows the server's own error message.
func (a *app) callServer(method, target, token string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(a.ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	done := a.progress("calling the server")
	resp, err := a.httpClient(30 * time.Second).Do(req)
	done()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, target, stripToken(err, token))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, target, err)
	}
	// Any 2xx will do (the API answers 200 or 201): be lenient on input.
	if resp.StatusCode/100 != 2 {
		msg := serverError(data)
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = fmt.Sprintf(" (check --token or %s)", EnvServerToken)
		case http.StatusNotFound:
			hint = " (check --server and --org)"
		}
		return nil, fmt.Errorf("%s %s: %s%s%s", method, target, resp.Status, msg, hint)
	}
	return data, nil
}

func stripToken(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "[REDACTED]"))
}

// serverError extracts a readable message from an error body:
// {"error":"…"}, {"message":"…"}, {"error":{"message":"…"}} or plain text.
func serverError(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(data, &m) == nil {
		msg := ""
		for _, k := range []string{"error", "message", "detail", "description"} {
			switch v := m[k].(type) {
			case string:
				msg = v
			case map[string]any:
				msg, _ = v["message"].(string)
			}
			if msg != "" {
				break
			}
		}
		// uketsuke's server names the offending fields: {"error","field","fields":[{"field","error"}]}.
		var parts []string
		if fields, ok := m["fields"].([]any); ok {
			for _, f := range fields {
				if fm, ok := f.(map[string]any); ok {
					name, _ := fm["field"].(string)
					e, _ := fm["error"].(string)
					if name != "" && !strings.Contains(msg, e) {
						parts = append(parts, name+": "+e)
					}
				}
			}
		}
		if f, ok := m["field"].(string); ok && f != "" && len(parts) == 0 && !strings.Contains(msg, f) {
			parts = append(parts, "field "+f)
		}
		if len(parts) > 0 {
			msg = strings.TrimPrefix(msg+"; "+strings.Join(parts, "; "), "; ")
		}
		if msg != "" {
			return ": " + msg
		}
	}
	s := string(data)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return ": " + strings.Join(strings.Fields(s), " ")
}

func (a *app) cmdRooms(args []string) error {
	c := newCmd("rooms", "--server URL --org ORG [--token T] [flags]", `
List the talk rooms a running uketsuke server knows of for an organization
(the rooms its bot was invited into): GET /api/v1/orgs/{org}/rooms.

`+serverDoc)
	sf := addServerFlags(c.fs)
	asJSON := c.fs.Bool("json", false, "print the server's JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return a.usageErr(c, "unexpected argument %q", pos[0])
	}
	target, token, err := a.serverTarget(c, sf, "rooms")
	if err != nil {
		return err
	}
	data, err := a.callServer(http.MethodGet, target, token, nil)
	if err != nil {
		return err
	}
	rooms, err := decodeList(data)
	if err != nil {
		return fmt.Errorf("GET %s: the answer is not a JSON list: %w", target, err)
	}
	if *asJSON {
		return a.printJSON(rooms)
	}
	if len(rooms) == 0 {
		a.printf("no rooms yet: invite the bot into a talk room\n")
		return nil
	}
	for _, r := range rooms {
		id := field(r, "channelId", "channelID", "id", "roomId")
		title := field(r, "title", "name")
		if id == "" {
			b, _ := json.Marshal(r)
			a.printf("%s\n", b)
			continue
		}
		if left := field(r, "leftAt"); left != "" {
			title += "\t(the bot left at " + left + ")"
		}
		a.printf("%s\t%s\n", id, title)
	}
	return nil
}

// decodeList accepts a bare list or an object holding one list
// ({"rooms":[…]}), so that a server wrapping its answer still works.
func decodeList(data []byte) ([]map[string]any, error) {
	var list []map[string]any
	if err := json.Unmarshal(data, &list); err == nil {
		if list == nil {
			list = []map[string]any{}
		}
		return list, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if json.Unmarshal(obj[k], &list) == nil && list != nil {
			return list, nil
		}
	}
	return nil, fmt.Errorf("no list in %s", strings.Join(keys, ", "))
}

// field returns the first of keys present in m (case-insensitively) as text.
func field(m map[string]any, keys ...string) string {
	for _, k := range keys {
		for mk, v := range m {
			if strings.EqualFold(mk, k) && v != nil {
				if s, ok := v.(string); ok {
					return s
				}
				b, _ := json.Marshal(v)
				return string(b)
			}
		}
	}
	return ""
}

// checkinRequest is the body of POST /api/v1/orgs/{org}/checkins.
type checkinRequest struct {
	ButtonID string `json:"buttonId,omitempty"`
	// Code is an appointment's reception code, in place of ButtonID.
	Code    string          `json:"code,omitempty"`
	Visitor *checkinVisitor `json:"visitor,omitempty"`
	StaffID string          `json:"staffId,omitempty"`
}

type checkinVisitor struct {
	Name    string `json:"name"`
	Company string `json:"company,omitempty"`
	Count   int    `json:"count"`
}

func (a *app) cmdCheckin(args []string) error {
	c := newCmd("checkin", "--server URL --org ORG (--button ID --name NAME | --code CODE) [flags]", `
Check a visitor in through a running uketsuke server, as the kiosk does:
POST /api/v1/orgs/{org}/checkins. Prints the new visit's ID. With --code, a
visitor with an appointment checks in with its reception code instead of a
button; the appointment's hosts are told, and the name is optional.

`+serverDoc)
	sf := addServerFlags(c.fs)
	button := c.fs.String("button", "", "reception button `ID`")
	code := c.fs.String("code", "", "an appointment's 6-digit reception `CODE` (instead of --button)")
	name := c.fs.String("name", "", "visitor's `NAME`")
	company := c.fs.String("company", "", "visitor's `COMPANY`")
	count := c.fs.Int("count", 1, "`NUMBER` of visitors")
	staff := c.fs.String("staff", "", "staff `ID` the visitor asked for")
	asJSON := c.fs.Bool("json", false, "print JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return a.usageErr(c, "unexpected argument %q", pos[0])
	case strings.TrimSpace(*button) != "" && strings.TrimSpace(*code) != "":
		return a.usageErr(c, "--button and --code exclude each other")
	case strings.TrimSpace(*code) != "":
	case strings.TrimSpace(*button) == "":
		return a.usageErr(c, "--button (or --code) is required")
	case strings.TrimSpace(*name) == "":
		return a.usageErr(c, "--name is required")
	case *count < 1:
		return a.usageErr(c, "--count must be at least 1")
	}
	target, token, err := a.serverTarget(c, sf, "checkins")
	if err != nil {
		return err
	}
	body := checkinRequest{
		ButtonID: strings.TrimSpace(*button),
		Code:     strings.TrimSpace(*code),
		StaffID:  strings.TrimSpace(*staff),
	}
	if body.Code == "" || *name != "" || *company != "" {
		body.Visitor = &checkinVisitor{Name: strings.TrimSpace(*name), Company: strings.TrimSpace(*company), Count: *count}
	}
	data, err := a.callServer(http.MethodPost, target, token, body)
	if err != nil {
		return err
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil || out["visitId"] == nil {
		return fmt.Errorf("POST %s: the answer has no visitId", target)
	}
	if *asJSON {
		return a.printJSON(out)
	}
	a.printf("checked in: visit %s", field(out, "visitId"))
	if st := field(out, "status"); st != "" {
		a.printf(" (%s)", st)
	}
	a.printf("\n")
	return nil
}

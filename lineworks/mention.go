package lineworks

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MentionAll mentions everyone in the talk room (rendered as "@All"). LINE
// WORKS honours it only in messages sent to a channel; the send methods
// reject it in 1:1 messages.
//
// See https://developers.worksmobile.com/jp/docs/bot-mention.
const MentionAll = `<m userId="all">`

// mentionPattern matches a mention tag the way a lenient parser might:
// any case, optional spaces, single, double or no quotes. It is deliberately
// broader than the documented form, so that CountMentions over-counts rather
// than lets a message exceed the limit, and so that tests can show escaped
// text contains nothing a parser could take for a mention.
var mentionPattern = regexp.MustCompile(`(?i)<\s*m\s+userid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))\s*/?\s*>`)

// Mention returns the mention tag for a LINE WORKS user, <m userId="ID">,
// which the client renders as @name and which notifies that user. ID is a
// userId or the user's login email.
//
// IDs come from LINE WORKS, never from visitors, but a tag is markup, so an
// ID that could break out of the attribute (quotes, angle brackets,
// backslash, ampersand, spaces, control or invisible characters) is not
// turned into a mention at all: Mention then returns EscapeText(userID),
// plain text that notifies nobody. Removing the bad characters instead would
// be worse: `a"ll` would become "all", i.e. @All. Mention("") is "".
// Mention("all") is MentionAll; prefer the constant, which says so.
//
// See https://developers.worksmobile.com/jp/docs/bot-mention.
func Mention(userID string) string {
	if userID == "" {
		return ""
	}
	for _, r := range userID {
		switch {
		case r == '"', r == '\'', r == '<', r == '>', r == '\\', r == '&', r == '`',
			r == utf8.RuneError, unicode.IsSpace(r), unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return EscapeText(userID)
		}
	}
	return `<m userId="` + userID + `">`
}

// EscapeText makes text typed by someone else (a visitor's name, a note)
// safe to put into a message: it can never become a mention or break one.
//
// LINE WORKS documents one piece of markup in message text, the mention tag
// <m userId="…">, and documents no escape for it (no &lt; decoding is
// promised). EscapeText therefore replaces every "<" with the full-width
// "＜" (U+FF1C): without an ASCII "<" there is no tag, whatever quoting,
// letter case or spacing a parser tolerates. The full-width form is what
// Japanese input methods produce anyway and reads the same. The alternative,
// a zero-width joiner after "<", keeps the text pixel-identical but is
// fragile: servers and clients commonly strip invisible characters, which
// would turn the tag back on, and it hides in copied text. Invalid UTF-8 is
// replaced with U+FFFD so the JSON encoder cannot mangle it.
//
// See https://developers.worksmobile.com/jp/docs/bot-mention.
func EscapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.Contains(s, "<") {
		return s
	}
	return strings.ReplaceAll(s, "<", "＜")
}

// CountMentions reports how many mention tags s contains, @All included and
// duplicates counted (LINE WORKS allows at most MaxMentions per message).
// It recognises lenient spellings too (any case, single quotes, spaces), so
// it errs towards counting more.
//
// See https://developers.worksmobile.com/jp/docs/bot-mention.
func CountMentions(s string) int {
	if !strings.Contains(s, "<") {
		return 0
	}
	return len(mentionPattern.FindAllStringIndex(s, -1))
}

// mentionIDs returns the user IDs mentioned in s, in order.
func mentionIDs(s string) []string {
	if !strings.Contains(s, "<") {
		return nil
	}
	var ids []string
	for _, m := range mentionPattern.FindAllStringSubmatch(s, -1) {
		ids = append(ids, m[1]+m[2]+m[3]) // exactly one group matched
	}
	return ids
}

func mentionSet(s string) map[string]bool {
	set := make(map[string]bool)
	for _, id := range mentionIDs(s) {
		set[strings.ToLower(strings.TrimSpace(id))] = true
	}
	return set
}

func hasMentionAll(s string) bool {
	for _, id := range mentionIDs(s) {
		if strings.EqualFold(strings.TrimSpace(id), "all") {
			return true
		}
	}
	return false
}

// TruncateText shortens s to at most max characters (Unicode code points,
// the unit of the LINE WORKS limits), ending it with "…" when it cuts. It
// never cuts inside a mention tag — half a tag would show as raw markup —
// nor between a character and the combining marks, variation selectors or
// zero-width joiners that belong to it. Text passed through EscapeText has
// no multi-character escapes, so it is cut like any other text. max ≤ 0
// yields "".
//
// Typical use: TruncateText(EscapeText(note), MaxTextLength-len(prefix)).
//
// See https://developers.worksmobile.com/jp/docs/bot-send-text.
func TruncateText(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := 0
	for range max - 1 { // leave room for the ellipsis
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	for cut > 0 {
		next, _ := utf8.DecodeRuneInString(s[cut:])
		prev, size := utf8.DecodeLastRuneInString(s[:cut])
		if !joinsPrevious(next) && prev != '\u200d' {
			break
		}
		cut -= size
	}
	if strings.Contains(s[:cut], "<") {
		for _, loc := range mentionPattern.FindAllStringIndex(s, -1) {
			if loc[0] < cut && cut < loc[1] {
				cut = loc[0]
				break
			}
		}
	}
	return s[:cut] + "…"
}

// joinsPrevious reports whether r is rendered as part of the character
// before it.
func joinsPrevious(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me) ||
		r == '\u200d' || // zero-width joiner
		(r >= '\ufe00' && r <= '\ufe0f') || // variation selectors
		(r >= 0x1f3fb && r <= 0x1f3ff) // emoji skin-tone modifiers
}

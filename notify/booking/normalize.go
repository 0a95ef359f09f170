package booking

import (
	"strings"
	"unicode"
)

// normalize folds the forms that phones and IMEs produce interchangeably
// so the rest of the parser sees one spelling: full-width ASCII (１２／３,
// １４：００), the ideographic space, the several wave dashes and dashes,
// and the enclosed ㈱ / ㈲. Katakana and kanji are left alone. The standard
// library has no width folding, and this is the small subset chat needs.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E && r != 0xFF5E:
			b.WriteRune(r - 0xFEE0)
		case r == 0x3000 || r == '\t' || r == 0xA0:
			b.WriteByte(' ')
		case r == '~' || r == 0xFF5E || r == 0x301C:
			b.WriteRune('〜')
		case r >= 0x2010 && r <= 0x2015, r == 0x2212:
			b.WriteByte('-')
		case r == '，':
			b.WriteByte(',')
		case r == '㈱':
			b.WriteString("(株)")
		case r == '㈲':
			b.WriteString("(有)")
		case r == '\r':
			b.WriteByte('\n')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// commands are the words that start an appointment command, longest first
// so that アポイント wins over アポ. english marks the English form, where
// unmarked words are read as a visitor's name.
var commands = []struct {
	word    string
	english bool
}{
	{"来客予約", false},
	{"アポイント", false},
	{"アポ", false},
	{"予約", false},
	{"appointment", true},
	{"appt", true},
	{"book", true},
}

// IsCommand reports whether text is an appointment command: it starts, after
// spaces, with 来客予約, 予約, アポ(イント), "appointment", "appt" or "book"
// in any width and case, followed by a space, a colon or the end. The bot
// calls it to decide whether a 1:1 message is meant for Parse at all.
func IsCommand(text string) bool {
	_, _, ok := stripCommand(normalize(text))
	return ok
}

// stripCommand removes the command word and an optional colon from s.
func stripCommand(s string) (rest string, english, ok bool) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	for _, c := range commands {
		if len(s) < len(c.word) || !strings.EqualFold(s[:len(c.word)], c.word) {
			continue
		}
		rest = s[len(c.word):]
		if !commandEnds(rest, c.english) {
			continue
		}
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		rest = strings.TrimPrefix(rest, ":")
		return rest, c.english, true
	}
	return "", false, false
}

// commandEnds reports whether the command word stops where it should:
// "booking" or "bookmark" are not "book", and アポロ is not アポ. Japanese
// commands may run straight into the date (予約12/3) since Japanese is
// written without spaces.
func commandEnds(rest string, english bool) bool {
	if rest == "" {
		return true
	}
	r := []rune(rest)[0]
	if english {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}
	return !unicode.In(r, unicode.Katakana) && r != 'ー'
}

package booking

import (
	"strings"
	"unicode"
)

// normalize folds the forms that phones and IMEs produce interchangeably
// so the rest of the parser sees one spelling: full-width ASCII (１２／３,
// １４：００), half-width katakana (ｱﾎﾟ), the ideographic space, the several
// wave dashes and dashes, and the enclosed ㈱ / ㈲. Kanji and full-width
// katakana are left alone. This is the small subset of Unicode width
// folding that chat needs, without a dependency.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= 0xFF61 && r <= 0xFF9D:
			k, skip := halfKana(r, rs[i+1:])
			b.WriteRune(k)
			i += skip
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

// halfKanaTable holds the full-width forms of U+FF61 to U+FF9D.
var halfKanaTable = []rune("。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン")

// halfKana returns the full-width form of the half-width kana r, combined
// with a following (han)dakuten (ﾎﾟ is ポ); skip is 1 when that mark was
// used.
func halfKana(r rune, next []rune) (k rune, skip int) {
	k = halfKanaTable[r-0xFF61]
	if len(next) == 0 {
		return k, 0
	}
	switch {
	case next[0] == 0xFF9E && k == 'ウ':
		return 'ヴ', 1
	case next[0] == 0xFF9E && strings.ContainsRune("カキクケコサシスセソタチツテトハヒフヘホ", k):
		return k + 1, 1
	case next[0] == 0xFF9F && strings.ContainsRune("ハヒフヘホ", k):
		return k + 2, 1
	}
	return k, 0
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

// IsCommand reports whether text is an appointment command: it starts,
// after spaces and an optional 【 or [, with 来客予約, 予約, アポ(イント),
// "appointment", "appt" or "book" in any width and case. An English word
// must end there ("booking" is not "book"); a Japanese one may run into the
// date (予約12/3) but not into more katakana (アポロ). The bot calls it to
// decide whether a 1:1 message is meant for Parse at all.
func IsCommand(text string) bool {
	_, _, ok := stripCommand(normalize(text))
	return ok
}

// stripCommand removes the command word and an optional colon from s.
func stripCommand(s string) (rest string, english, ok bool) {
	// 【来客予約】 and [book] are common ways to make a command stand out.
	s = strings.TrimLeft(strings.TrimLeftFunc(s, unicode.IsSpace), "【[")
	for _, c := range commands {
		if len(s) < len(c.word) || !strings.EqualFold(s[:len(c.word)], c.word) {
			continue
		}
		rest = strings.TrimLeft(s[len(c.word):], "】]")
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

package booking

import (
	"regexp"
	"strings"
)

// scan holds the command text while the parser takes pieces out of it.
// orig never changes; work is orig with every piece already understood
// overwritten by spaces of the same byte length. Blanking instead of
// cutting keeps byte offsets valid in both strings, so a later step can
// look at what surrounded a match in orig (「〜」 before a date, 「まで」
// after it) while matching only what is still unexplained in work.
type scan struct {
	orig string
	work []byte
}

func newScan(s string) *scan {
	return &scan{orig: s, work: []byte(s)}
}

// match is one regexp match: its span and its submatches (empty when a
// group did not take part).
type match struct {
	start, end int
	groups     []string
}

// take finds every match of re in the unexplained text, blanks them and
// returns them in order.
func (s *scan) take(re *regexp.Regexp) []match {
	return s.takeIf(re, nil)
}

// takeIf is take for the matches keep accepts (all when keep is nil); the
// others stay in the text for later steps.
func (s *scan) takeIf(re *regexp.Regexp, keep func(start, end int) bool) []match {
	var out []match
	for _, loc := range re.FindAllSubmatchIndex(s.work, -1) {
		// Patterns may start with optional spaces; the span should not.
		for loc[0] < loc[1] && s.work[loc[0]] == ' ' {
			loc[0]++
		}
		for loc[1] > loc[0] && s.work[loc[1]-1] == ' ' {
			loc[1]--
		}
		if keep != nil && !keep(loc[0], loc[1]) {
			continue
		}
		m := match{start: loc[0], end: loc[1]}
		for i := 0; i < len(loc); i += 2 {
			if loc[i] < 0 {
				m.groups = append(m.groups, "")
				continue
			}
			m.groups = append(m.groups, string(s.work[loc[i]:loc[i+1]]))
		}
		out = append(out, m)
	}
	for _, m := range out {
		s.blank(m.start, m.end)
	}
	return out
}

func (s *scan) blank(start, end int) {
	for i := start; i < end; i++ {
		s.work[i] = ' '
	}
}

// before and after return the original text around a span, for the
// markers that give a match its role.
func (s *scan) before(start int) string { return s.orig[:start] }
func (s *scan) after(end int) string    { return s.orig[end:] }

// rest is what no step has explained yet.
func (s *scan) rest() string { return string(s.work) }

// endsWithAny reports whether s, without trailing spaces, ends with one of
// the words (ASCII case-insensitively). English words must start at a word
// boundary so that "auto" does not end with "to".
func endsWithAny(s string, words ...string) bool {
	s = strings.TrimRight(s, " ")
	low := strings.ToLower(s)
	for _, w := range words {
		if !strings.HasSuffix(low, w) {
			continue
		}
		i := len(low) - len(w)
		if isASCIILetter(w[0]) && i > 0 && isASCIILetter(low[i-1]) {
			continue
		}
		return true
	}
	return false
}

func isASCIILetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

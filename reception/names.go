package reception

import "unicode"

// NameProblem describes what makes s unfit as a name people read (a
// visitor's, a company's, an organization's, a button's or a staff
// member's), or returns "". Control characters break the line they are
// shown on; bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069) reorder what follows them, so "Taro\u202Eevil" shows as
// another text in the talk room and on the admin pages.
func NameProblem(s string) string {
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return "must not contain control characters"
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return "must not contain bidirectional override characters (U+202A–U+202E, U+2066–U+2069)"
		}
	}
	return ""
}

// name adds field's NameProblem, if any.
func (f *fieldErrs) name(field, s string) {
	if msg := NameProblem(s); msg != "" {
		f.add(field, msg)
	}
}

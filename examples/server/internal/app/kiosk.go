package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uketsuke/uketsuke/reception"
)

// KioskLanguages are the kiosk's languages, as BCP 47 tags, in the order
// the kiosk offers them. The first is the kiosk's default.
var KioskLanguages = []string{"ja", "en", "zh-Hans", "ko"}

// KioskText is an organization's own kiosk wording in one language; empty
// fields keep the kiosk's standard text.
type KioskText struct {
	// Welcome replaces the kiosk's heading (「いらっしゃいませ」).
	Welcome string `json:"welcome,omitempty"`
	// Fallback replaces the organization's KioskFallback in this language:
	// what visitors are told when staff cannot be notified.
	Fallback string `json:"fallback,omitempty"`
}

// KioskTexts are the organizations' own kiosk texts: organization ID, then
// kiosk language, then the text. They come from the file named by
// UKETSUKE_KIOSK_TEXTS; see ParseKioskTexts.
type KioskTexts map[string]map[string]KioskText

// MaxKioskWelcome is the longest KioskText.Welcome, in characters: a
// heading, not a paragraph.
const MaxKioskWelcome = 60

// ParseKioskTexts reads kiosk texts from JSON such as
//
//	{"acme": {"en": {"welcome": "Welcome to ACME", "fallback": "Please call extension 100."},
//	          "ko": {"fallback": "내선 100번으로 전화해 주세요."}}}
//
// Unknown fields, languages other than KioskLanguages, organization IDs
// that are not IDs, and texts that are too long or hold control characters
// are errors naming the place.
func ParseKioskTexts(data []byte) (KioskTexts, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t KioskTexts
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("kiosk texts: %w", err)
	}
	for org, langs := range t {
		if !reception.ValidID(org) {
			return nil, fmt.Errorf("kiosk texts: %q is not an organization ID", org)
		}
		for lang, text := range langs {
			if !slices.Contains(KioskLanguages, lang) {
				return nil, fmt.Errorf("kiosk texts: %s: language %q is not one of %s", org, lang, strings.Join(KioskLanguages, ", "))
			}
			if err := kioskTextProblem(text.Welcome, MaxKioskWelcome, false); err != "" {
				return nil, fmt.Errorf("kiosk texts: %s.%s.welcome %s", org, lang, err)
			}
			if err := kioskTextProblem(text.Fallback, reception.MaxKioskFallback, true); err != "" {
				return nil, fmt.Errorf("kiosk texts: %s.%s.fallback %s", org, lang, err)
			}
		}
	}
	return t, nil
}

func kioskTextProblem(s string, limit int, lines bool) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > limit:
		return fmt.Sprintf("is longer than %d characters", limit)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(lines && (r == '\n' || r == '\r')) }):
		return "must not contain control characters"
	}
	return ""
}

// KioskWelcome is orgID's own welcome in lang, "" for the standard one.
func (a *App) KioskWelcome(orgID, lang string) string {
	return strings.TrimSpace(a.KioskTexts[orgID][lang].Welcome)
}

// KioskFallback is what the kiosk in lang tells visitors of org while staff
// cannot be notified: the organization's text for lang, else its
// KioskFallback, else def (the kiosk's standard text in lang).
func (a *App) KioskFallback(org *reception.Organization, lang, def string) string {
	if s := strings.TrimSpace(a.KioskTexts[org.ID][lang].Fallback); s != "" {
		return s
	}
	if strings.TrimSpace(org.KioskFallback) != "" {
		return org.KioskFallback
	}
	return def
}

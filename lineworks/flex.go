package lineworks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Flex is a Flexible Template message: AltText (≤ 400 characters) is what
// notifications and old clients show, Contents is the layout.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-flex.
type Flex struct {
	AltText      string        `json:"altText"`
	I18nAltTexts []I18nAltText `json:"i18nAltTexts,omitempty"`
	Contents     FlexContainer `json:"contents"`
	QuickReply   *QuickReply   `json:"quickReply,omitempty"`
}

// FlexContainer is the JSON of a Flex "bubble" or "carousel" container,
// kept as raw JSON. The component model (box, text, span, button, image,
// icon, separator, filler and their many styling members) follows the LINE
// Messaging API and keeps growing; a typed copy of it would always lag
// behind, while raw JSON lets people paste layouts from the LINE WORKS
// simulator. Build one with NewFlexContainer or a JSON literal.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-flex.
type FlexContainer json.RawMessage

// NewFlexContainer marshals v (a map, a struct of your own, or JSON bytes as
// json.RawMessage) into a FlexContainer.
//
// See https://developers.worksmobile.com/jp/docs/bot-send-flex.
func NewFlexContainer(v any) (FlexContainer, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("lineworks: flex container: %w", err)
	}
	return FlexContainer(b), nil
}

// Type returns the container's "type" ("bubble" or "carousel"), or "" when
// it is not a JSON object.
func (f FlexContainer) Type() string {
	var head struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(f, &head) != nil {
		return ""
	}
	return head.Type
}

// MarshalJSON returns the container unchanged ("null" when empty, which
// Validate reports as a missing contents member).
func (f FlexContainer) MarshalJSON() ([]byte, error) {
	if len(f) == 0 {
		return []byte("null"), nil
	}
	return json.RawMessage(f).MarshalJSON()
}

// UnmarshalJSON stores a copy of data.
func (f *FlexContainer) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*f = nil
		return nil
	}
	*f = append((*f)[:0], data...)
	return nil
}

// ContentType returns "flex".
func (Flex) ContentType() string { return "flex" }

// MarshalJSON adds "type":"flex".
func (c Flex) MarshalJSON() ([]byte, error) {
	type plain Flex
	return marshalJSON(struct {
		Type string `json:"type"`
		plain
	}{c.ContentType(), plain(c)})
}

// Validate checks altText (≤ 400), the container kind (bubble, or a carousel
// of 1..10 bubbles), its size (≤ 30 KB of compact JSON, counted as 30,000
// bytes to stay on the safe side) and the mentions in its text and span
// components. Component details are left to LINE WORKS.
func (c Flex) Validate() error {
	var v contentValidator
	v.requiredMax("altText", c.AltText, maxAltText)
	validateI18n(&v, "i18nAltTexts", "altText", c.I18nAltTexts, func(f, s string) { v.maxLen(f, s, maxAltText) })
	v.flexContainer(c.Contents)
	v.quickReply(c.QuickReply)
	return v.err()
}

func (v *contentValidator) flexContainer(raw FlexContainer) {
	if len(raw) == 0 || string(raw) == "null" {
		v.fail("contents", "is required")
		return
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		v.fail("contents", "is not valid JSON: %v", err)
		return
	}
	if n := compact.Len(); n > maxFlexBytes {
		v.fail("contents", "is %d bytes of JSON; at most %d allowed", n, maxFlexBytes)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		v.fail("contents", "must be a JSON object")
		return
	}
	switch t, _ := root["type"].(string); t {
	case "bubble":
	case "carousel":
		bubbles, _ := root["contents"].([]any)
		v.count("contents.contents", len(bubbles), 1, maxFlexBubbles)
		for i, b := range bubbles {
			if m, _ := b.(map[string]any); m == nil || m["type"] != "bubble" {
				v.fail(fieldAt("contents.contents", i)+".type", "must be \"bubble\"")
			}
		}
	default:
		v.fail("contents.type", "must be \"bubble\" or \"carousel\", not %q", t)
	}
	total := 0
	for _, f := range flexMentionFields(root) {
		total += CountMentions(f.text)
	}
	if total > MaxMentions {
		v.fail("contents", "has %d mentions; at most %d allowed", total, MaxMentions)
	}
}

func (c Flex) mentionFields() []mentionField {
	var root any
	if json.Unmarshal(c.Contents, &root) != nil {
		return nil
	}
	return flexMentionFields(root)
}

// flexMentionFields returns the text of every "text" and "span" component,
// the only flex members where LINE WORKS turns <m userId> into a mention.
func flexMentionFields(root any) []mentionField {
	var out []mentionField
	var walk func(node any, path string)
	walk = func(node any, path string) {
		switch n := node.(type) {
		case map[string]any:
			if t, _ := n["type"].(string); t == "text" || t == "span" {
				if s, ok := n["text"].(string); ok {
					out = append(out, mentionField{fieldJoin(path, "text"), s})
				}
			}
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(n[k], fieldJoin(path, k))
			}
		case []any:
			for i, child := range n {
				walk(child, fieldAt(path, i))
			}
		}
	}
	walk(root, "contents")
	return out
}

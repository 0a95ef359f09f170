package lineworks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, want string
		mentions int
	}{
		{"c72af563-0f21-4736-11e4-045237113344", `<m userId="c72af563-0f21-4736-11e4-045237113344">`, 1},
		{"admin@example.com", `<m userId="admin@example.com">`, 1},
		{"all", MentionAll, 1},
		{"", "", 0},
		// Anything that could leave the attribute is not made a mention.
		{`x" onload="`, `x" onload="`, 0},
		{`a"ll`, `a"ll`, 0}, // stripping the quote would yield @All
		{`u1"><m userId="all`, `u1">＜m userId="all`, 0},
		{"u1>", "u1>", 0},
		{"u 1", "u 1", 0},
		{"u1\u200b", "u1\u200b", 0},
		{"u1\n", "u1\n", 0},
		{"'u1'", "'u1'", 0},
	}
	for _, tc := range tests {
		got := Mention(tc.id)
		if got != tc.want {
			t.Errorf("Mention(%q) = %q, want %q", tc.id, got, tc.want)
		}
		if n := CountMentions(got); n != tc.mentions {
			t.Errorf("CountMentions(Mention(%q)) = %d, want %d", tc.id, n, tc.mentions)
		}
		if tc.id != "all" && hasMentionAll(got) {
			t.Errorf("Mention(%q) = %q mentions @All", tc.id, got)
		}
	}
}

func TestCountMentions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"hello", 0},
		{`Hello, <m userId="admin@example.com">`, 1},
		{MentionAll + Mention("a") + Mention("a"), 3}, // duplicates count
		{`<M USERID="all">`, 1},
		{`<m userId='all'>`, 1},
		{`<m userId=all>`, 1},
		{`< m  userId = "x" >`, 1},
		{`<m userId="x"/>`, 1},
		{`<m userId="x"`, 0},
		{`<mx userId="x">`, 0},
		{`a < b > c`, 0},
		{`＜m userId="all">`, 0},
	}
	for _, tc := range tests {
		if got := CountMentions(tc.s); got != tc.want {
			t.Errorf("CountMentions(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// hostileNames are visitor inputs that try to become mentions.
var hostileNames = []string{
	`<m userId="all">`,
	`<m userId='all'>`,
	`<M USERID="all">`,
	`<m userId=all>`,
	`< m userId="all" >`,
	`<m userId=\"x\">`,
	`<<m userId="all">>`,
	`<m <m userId="all">`,
	`<m userId="<m userId="all">">`,
	`<m userId="all"`,
	`<m`,
	`<`,
	`＜m userId="all">`,
	"<\u200dm userId=\"all\">",
	"<m\tuserId=\"all\">",
	"<m\nuserId=\"all\">",
	"山田 <m userId=\"all\"> 太郎 🙇‍♂️",
	"\xff<m userId=\"all\">\xfe",
	"",
}

func TestEscapeTextHostile(t *testing.T) {
	t.Parallel()
	for _, name := range hostileNames {
		got := EscapeText(name)
		if n := CountMentions(got); n != 0 {
			t.Errorf("CountMentions(EscapeText(%q)) = %d (%q)", name, n, got)
		}
		if strings.Contains(strings.ToLower(got), "<m") || strings.Contains(got, "<") {
			t.Errorf("EscapeText(%q) = %q still contains '<'", name, got)
		}
		if !utf8.ValidString(got) {
			t.Errorf("EscapeText(%q) = %q is not valid UTF-8", name, got)
		}
		// Escaped text next to a real mention keeps exactly that mention,
		// and sending it to a user (1:1) passes: no @All sneaks in.
		msg := Text{Text: Mention("u1") + " " + got}
		if n := CountMentions(msg.Text); n != 1 {
			t.Errorf("message with %q has %d mentions, want 1", name, n)
		}
		if err := validateForDestination(msg, false); err != nil && got != "" {
			t.Errorf("validateForDestination(%q) = %v", msg.Text, err)
		}
	}
	if got, want := EscapeText(`<m userId="all">`), `＜m userId="all">`; got != want {
		t.Errorf("EscapeText = %q, want %q", got, want)
	}
	if got := EscapeText("山田 太郎"); got != "山田 太郎" {
		t.Errorf("EscapeText changed plain text: %q", got)
	}
}

func FuzzEscapeText(f *testing.F) {
	for _, s := range hostileNames {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeText(s)
		if CountMentions(got) != 0 || strings.Contains(got, "<") {
			t.Fatalf("EscapeText(%q) = %q", s, got)
		}
		if EscapeText(got) != got {
			t.Fatalf("EscapeText is not idempotent for %q", s)
		}
	})
}

func TestMentionTruncateText(t *testing.T) {
	t.Parallel()
	tag := Mention("u1") // 15 runes
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 10, "hello"},
		{"hello!", 5, "hell…"},
		{"こんにちは世界", 4, "こんに…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -1, ""},
		{"", 3, ""},
		// Never half a mention tag: drop the whole tag instead.
		{"ab" + tag + "cd", 10, "ab…"},
		{"ab" + tag + "cd", 18, "ab" + tag + "…"},
		{tag + tag, 20, tag + "…"},
		// Never a base character without its combining mark or joiner.
		{"ab" + "e\u0301" + "cd", 4, "ab…"},
		{"a👩\u200d💻b", 3, "a…"},
		{"a👍🏽b", 3, "a…"},
		// Escaped text is cut like any other text.
		{EscapeText(`<m userId="all">`), 5, `＜m u…`},
	}
	for _, tc := range tests {
		got := TruncateText(tc.s, tc.max)
		if got != tc.want {
			t.Errorf("TruncateText(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
		}
		if tc.max > 0 && utf8.RuneCountInString(got) > tc.max {
			t.Errorf("TruncateText(%q, %d) = %q is longer than %d", tc.s, tc.max, got, tc.max)
		}
		if !utf8.ValidString(got) {
			t.Errorf("TruncateText(%q, %d) = %q is not valid UTF-8", tc.s, tc.max, got)
		}
	}
	// The result always fits a text message.
	long := strings.Repeat("あ", 3000) + MentionAll
	if got := TruncateText(long, MaxTextLength); (Text{Text: got}).Validate() != nil {
		t.Errorf("TruncateText(long, MaxTextLength) does not validate")
	}
}

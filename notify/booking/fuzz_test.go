package booking

import (
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics and that whatever it accepts is
// a complete appointment in the future: the bot may act on it directly.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"来客予約 12/3 14:00 テスト商事 佐藤様 2名 第1会議室",
		"予約：明日 午後2時半 株式会社テスト 佐藤様、鈴木様 応接室",
		"book tomorrow 2pm John Smith from Acme Inc. 2 people room A",
		"予約 12/20から1/10まで 8:30 テスト物産 加藤様",
		"アポ 12/3 14時 佐藤様・鈴木様（テスト商事）「件名」",
		"予約 来週月曜 正午 (株)ABC 田中様 x3",
		"予約 12/3(金) 25:61",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s, now, tokyo)
		if err != nil {
			if _, ok := err.(*Question); !ok {
				t.Fatalf("Parse(%q): error %v is not a *Question", s, err)
			}
			return
		}
		if !r.StartsAt.After(now) {
			t.Fatalf("Parse(%q): StartsAt %v is not after now", s, r.StartsAt)
		}
		if len(r.Visitors) == 0 || r.PartySize != 0 && r.PartySize < len(r.Visitors) {
			t.Fatalf("Parse(%q): visitors %v, party %d", s, r.Visitors, r.PartySize)
		}
		if !r.Until.IsZero() && !r.Until.After(midnight(r.StartsAt, tokyo)) {
			t.Fatalf("Parse(%q): Until %v before StartsAt %v", s, r.Until, r.StartsAt)
		}
		for _, v := range r.Visitors {
			if v.Name == "" && v.Company == "" {
				t.Fatalf("Parse(%q): empty visitor", s)
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(r.Summary("ja")) {
			t.Fatalf("Parse(%q): summary is not valid UTF-8", s)
		}
	})
}

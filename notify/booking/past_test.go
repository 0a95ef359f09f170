package booking

import (
	"errors"
	"strings"
	"testing"
)

// TestPastDayNamed: a day before today is named in the question, not
// called 「今日」.
func TestPastDayNamed(t *testing.T) {
	for _, tc := range []struct{ text, ja, en string }{
		{"来客予約 昨日 10:00 テスト商事 佐藤様", "12月1日(火) 10:00", "Dec 1 10:00"},
		{"来客予約 きのう 15:00 テスト商事 佐藤様", "12月1日(火) 15:00", "Dec 1 15:00"},
		{"来客予約 一昨日 10:00 テスト商事 佐藤様", "11月30日(月) 10:00", "Nov 30 10:00"},
		{"book yesterday 10:00 Sato-sama", "12月1日(火) 10:00", "Dec 1 10:00"},
	} {
		_, err := Parse(tc.text, now, tokyo)
		var q *Question
		if !errors.As(err, &q) {
			t.Errorf("%s: %v, want a question", tc.text, err)
			continue
		}
		if q.Field != FieldDate {
			t.Errorf("%s: asks about %s, want the date", tc.text, q.Field)
		}
		if strings.Contains(q.Ask, "今日") || !strings.Contains(q.Ask, tc.ja) {
			t.Errorf("%s: asks %q, want it to name %s", tc.text, q.Ask, tc.ja)
		}
		if strings.Contains(q.AskEN, "today") || !strings.Contains(q.AskEN, tc.en) {
			t.Errorf("%s: asks %q, want it to name %s", tc.text, q.AskEN, tc.en)
		}
	}
}

package booking

import (
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		text, ja, en string
	}{
		{"来客予約 12/3 14:00 テスト商事 佐藤様、鈴木様 2名 第1会議室 「定例会」",
			"日時: 12月3日(木) 14:00\n来客: テスト商事 佐藤様、鈴木様\n人数: 2名\n会議室: 第1会議室\n件名: 定例会",
			"When: Thu, Dec 3 14:00\nVisitors: 佐藤, 鈴木 (テスト商事)\nParty: 2\nRoom: 第1会議室\nTitle: 定例会"},
		{"book tomorrow 9am Mr. Smith from Acme Inc., Ms. Jones",
			"日時: 12月3日(木) 9:00\n来客: Acme Inc. Smith様／Jones様",
			"When: Thu, Dec 3 9:00\nVisitors: Smith (Acme Inc.); Jones"},
		{"予約 12/3〜12/10 8:30 清掃サービス株式会社",
			"日時: 12月3日(木) 8:30\n期間: 12月3日(木)〜12月10日(木)\n来客: 清掃サービス株式会社",
			"When: Thu, Dec 3 8:30\nPeriod: Thu, Dec 3 to Thu, Dec 10\nVisitors: 清掃サービス株式会社"},
		{"予約 12/3 10時 テスト商事 佐藤部長、鈴木様",
			"日時: 12月3日(木) 10:00\n来客: テスト商事 佐藤部長、鈴木様",
			"When: Thu, Dec 3 10:00\nVisitors: 佐藤部長, 鈴木 (テスト商事)"},
		{"予約 1/8 10時 佐藤様", // next year: the year is shown
			"日時: 2027年1月8日(金) 10:00\n来客: 佐藤様",
			"When: Fri, Jan 8, 2027 10:00\nVisitors: 佐藤"},
	}
	for _, tt := range tests {
		r, err := Parse(tt.text, now, tokyo)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.text, err)
		}
		if got := r.Summary("ja"); got != tt.ja {
			t.Errorf("Summary(ja) of %q =\n%s\nwant\n%s", tt.text, got, tt.ja)
		}
		if got := r.Summary("en"); got != tt.en {
			t.Errorf("Summary(en) of %q =\n%s\nwant\n%s", tt.text, got, tt.en)
		}
	}
}

// A Request built by hand (not by Parse) does not know the current year,
// so its summary always says the year.
func TestSummaryOfBuiltRequest(t *testing.T) {
	r := &Request{StartsAt: time.Date(2026, 12, 3, 14, 0, 0, 0, tokyo), Visitors: []Visitor{{Name: "佐藤"}}}
	if got, want := r.Summary("ja"), "日時: 2026年12月3日(木) 14:00\n来客: 佐藤様"; got != want {
		t.Errorf("Summary(ja) = %q, want %q", got, want)
	}
}

func TestQuestionText(t *testing.T) {
	_, err := Parse("予約 12/3 佐藤様", now, tokyo)
	q, ok := err.(*Question)
	if !ok {
		t.Fatalf("err = %v, want a *Question", err)
	}
	if q.Text("ja") != q.Ask || q.Text("en") != q.AskEN || q.Text("fr") != q.Ask {
		t.Errorf("Text: %q %q", q.Text("ja"), q.Text("en"))
	}
	if q.Error() != "booking: time: "+q.AskEN {
		t.Errorf("Error() = %q", q.Error())
	}
}

package booking

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var tokyo = mustLoad("Asia/Tokyo")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// now is Wednesday 2026-12-02 10:00 in Tokyo for every test.
var now = time.Date(2026, 12, 2, 10, 0, 0, 0, tokyo)

func at(y, mo, d, h, mi int) time.Time { return time.Date(y, time.Month(mo), d, h, mi, 0, 0, tokyo) }
func day(y, mo, d int) time.Time       { return at(y, mo, d, 0, 0) }

func v(company, name string) Visitor { return Visitor{Company: company, Name: name} }

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		text string
		want Request
	}{
		{"来客予約 12/3 14:00 テスト商事 佐藤様 2名 第1会議室",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, PartySize: 2, Room: "第1会議室"}},
		{"予約：明日 午後2時半 株式会社テスト 佐藤様、鈴木様 応接室",
			Request{StartsAt: at(2026, 12, 3, 14, 30), Visitors: []Visitor{v("株式会社テスト", "佐藤"), v("株式会社テスト", "鈴木")}, Room: "応接室"}},
		{"アポ 12月3日(木) 14時 (株)ABC 田中様 3人",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("(株)ABC", "田中")}, PartySize: 3}},
		{"予約　１２／３　１４：００　テスト商事　佐藤様　２名",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, PartySize: 2}},
		{"来客予約：2026/12/3 15:00 山田工業 高橋様",
			Request{StartsAt: at(2026, 12, 3, 15, 0), Visitors: []Visitor{v("山田工業", "高橋")}}},
		{"予約 2026-12-03 15:30 山田工業 高橋様",
			Request{StartsAt: at(2026, 12, 3, 15, 30), Visitors: []Visitor{v("山田工業", "高橋")}}},
		{"アポ 今日 15時 佐藤様",
			Request{StartsAt: at(2026, 12, 2, 15, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"アポ 明後日 11:00 ABC商事 伊藤様",
			Request{StartsAt: at(2026, 12, 4, 11, 0), Visitors: []Visitor{v("ABC商事", "伊藤")}}},
		{"予約 金曜 13:00 テスト商事 佐藤様",
			Request{StartsAt: at(2026, 12, 4, 13, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"予約 来週月曜 10時 テスト商事の佐藤様「定例会」",
			Request{StartsAt: at(2026, 12, 7, 10, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, Title: "定例会"}},
		{"予約 来週水曜 15:00 ABC株式会社 中村様 4名 大会議室",
			Request{StartsAt: at(2026, 12, 9, 15, 0), Visitors: []Visitor{v("ABC株式会社", "中村")}, PartySize: 4, Room: "大会議室"}},
		{"予約 12/3 午後2時30分 佐藤様と鈴木様 x2",
			Request{StartsAt: at(2026, 12, 3, 14, 30), Visitors: []Visitor{v("", "佐藤"), v("", "鈴木")}, PartySize: 2}},
		{"予約 12/3 14:00〜15:00 テスト商事 佐藤様 第2会議室",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, Room: "第2会議室"}},
		{"来客予約 12月10日 10時 株式会社サンプル 小林様 件名: 見積もりのご相談",
			Request{StartsAt: at(2026, 12, 10, 10, 0), Visitors: []Visitor{v("株式会社サンプル", "小林")}, Title: "見積もりのご相談"}},
		{"来客予約 12/3 14:00 テスト商事 佐藤様 件名 定例",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, Title: "定例"}},
		{"来客予約 件名　定例 12/3 14:00 テスト商事 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, Title: "定例"}},
		{"予約 12/3 14:00 件名 定例 佐藤様 2名",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}, PartySize: 2, Title: "定例"}},
		{"予約 12/3 14:00 件名 定例 テスト商事 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, Title: "定例"}},
		{"予約 12/3 14:00 佐藤様 タイトル 見積もり の相談 第1会議室",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}, Room: "第1会議室", Title: "見積もり の相談"}},
		{"予約 12/3 14:00 佐藤様\n用件 打ち合わせ",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}, Title: "打ち合わせ"}},
		{"予約 12/3 14:00 佐藤様 用件：打ち合わせ",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}, Title: "打ち合わせ"}},
		{"予約 12/3 14:00 佐藤様 件名 「定例」",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}, Title: "定例"}},
		{"予約 12/3 14時から1時間 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 12/3 14:00 テスト商事 佐藤 様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"予約 12/3 14:00 テスト大学 田中先生、テスト商事佐藤社長",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト大学", "田中先生"), v("テスト商事", "佐藤社長")}}},
		{"予約 12/3 14:00 テスト商事の佐藤さんが来社します",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"【来客予約】12/3 14:00 佐藤様 よろしくお願いします",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 12/3 午後0時 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 12, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 12/3 14時頃 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 12/3 14:00 佐藤様 何卒宜しくお願い申し上げます",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 12/3 14:00 ゆきの様です",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "ゆきの")}}},
		{"ｱﾎﾟ 12/3 14:00 ﾃｽﾄ商事 ｻﾄｳ様 ｶﾞｽﾊﾟﾙ様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "サトウ"), v("テスト商事", "ガスパル")}}},
		{"book 12/3/2026 2pm Mr. Kim",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "Kim")}}},
		{"book Dec 3 2pm Mr. Kim from AT&T",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("AT&T", "Kim")}}},
		{"アポイント 12/3 正午 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 12, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 1/15 10:00 テスト商事 佐藤様",
			Request{StartsAt: at(2027, 1, 15, 10, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"予約 11/20 10:00 佐藤様", // 12 days ago: next year's
			Request{StartsAt: at(2027, 11, 20, 10, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"来客予約 12/3〜12/10 9:00 清掃サービス株式会社 山田様",
			Request{StartsAt: at(2026, 12, 3, 9, 0), Until: day(2026, 12, 10), Visitors: []Visitor{v("清掃サービス株式会社", "山田")}}},
		{"予約 〜12/10 13:00 (株)ビル管理 渡辺様",
			Request{StartsAt: at(2026, 12, 2, 13, 0), Until: day(2026, 12, 10), Visitors: []Visitor{v("(株)ビル管理", "渡辺")}}},
		{"予約 12/20から1/10まで 8:30 テスト物産 加藤様",
			Request{StartsAt: at(2026, 12, 20, 8, 30), Until: day(2027, 1, 10), Visitors: []Visitor{v("テスト物産", "加藤")}}},
		{"来客予約 明日 14時 テスト商事",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "")}}},
		{"予約 12/3 14:00 佐藤 太郎様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤 太郎")}}},
		{"予約 12/3 14時 テスト商事佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"予約 12/3(木) 14:00 テスト商事 佐藤様 第1会議室で",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, Room: "第1会議室"}},
		{"予約 明日の14時に佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("", "佐藤")}}},
		{"アポ 12/3 14時 佐藤様・鈴木様（テスト商事）",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤"), v("テスト商事", "鈴木")}}},
		{"予約 12/3 14時 テスト商事の佐藤様と鈴木様 2名様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤"), v("テスト商事", "鈴木")}, PartySize: 2}},
		{"予約 12/4 午前10時 山本様 1名",
			Request{StartsAt: at(2026, 12, 4, 10, 0), Visitors: []Visitor{v("", "山本")}, PartySize: 1}},
		{"予約 12/3 2:30pm 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 30), Visitors: []Visitor{v("", "佐藤")}}},
		{"予約 2027年1月8日 10時 テスト商事 佐藤様",
			Request{StartsAt: at(2027, 1, 8, 10, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"予約 12/3 14:00 テスト商事 佐藤様、ABC株式会社 鈴木様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤"), v("ABC株式会社", "鈴木")}}},
		{"予約 12/3 10時 佐藤様 テスト商事",
			Request{StartsAt: at(2026, 12, 3, 10, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"book tomorrow 2pm John Smith from Acme Inc. 2 people room A",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("Acme Inc.", "John Smith")}, PartySize: 2, Room: "Room A"}},
		{"appointment Dec 3 2:30 pm Mr. Brown from Globex re: contract review",
			Request{StartsAt: at(2026, 12, 3, 14, 30), Visitors: []Visitor{v("Globex", "Brown")}, Title: "contract review"}},
		{"book Dec 3 10am Ms. Tanaka",
			Request{StartsAt: at(2026, 12, 3, 10, 0), Visitors: []Visitor{v("", "Tanaka")}}},
		{"book 3 Dec 10:30 Jane Doe from Initech x3",
			Request{StartsAt: at(2026, 12, 3, 10, 30), Visitors: []Visitor{v("Initech", "Jane Doe")}, PartySize: 3}},
		{"appointment: tomorrow 9:30 am Bob Lee, Acme Corp., room 3",
			Request{StartsAt: at(2026, 12, 3, 9, 30), Visitors: []Visitor{v("Acme Corp.", "Bob Lee")}, Room: "Room 3"}},
		{"ＢＯＯＫ　ｔｏｍｏｒｒｏｗ　３ｐｍ　Ｍｒ．Ｓｍｉｔｈ",
			Request{StartsAt: at(2026, 12, 3, 15, 0), Visitors: []Visitor{v("", "Smith")}}},
		{"book on December 3rd at 11am with Mr. Green from Umbrella Corp",
			Request{StartsAt: at(2026, 12, 3, 11, 0), Visitors: []Visitor{v("Umbrella Corp", "Green")}}},
		{"book Dec 3 2pm until Dec 10 Acme Inc.",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Until: day(2026, 12, 10), Visitors: []Visitor{v("Acme Inc.", "")}}},
		{"book next Monday noon Ms. White from Hooli \"Q1 planning\"",
			Request{StartsAt: at(2026, 12, 7, 12, 0), Visitors: []Visitor{v("Hooli", "White")}, Title: "Q1 planning"}},
		{"book 12/3 4pm Alice from Acme Inc., Bob from Beta LLC",
			Request{StartsAt: at(2026, 12, 3, 16, 0), Visitors: []Visitor{v("Acme Inc.", "Alice"), v("Beta LLC", "Bob")}}},
		{"来客予約\n日時：12/3 14:00\n会社：テスト\n氏名：佐藤 太郎\n人数：2名\n場所：本社3F 大会議室",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト", "佐藤 太郎")}, PartySize: 2, Room: "本社3F 大会議室"}},
		{"予約 12/3 14:00 テスト商事 佐藤様ほか1名",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, PartySize: 2}},
		{"予約 12/3 14:00 テスト商事 営業部 佐藤様",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事 営業部", "佐藤")}}},
		{"予約 明日15時テスト商事佐藤様2名第1会議室",
			Request{StartsAt: at(2026, 12, 3, 15, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}, PartySize: 2, Room: "第1会議室"}},
		{"来客予約 12/3(木)14:00〜 テスト商事 佐藤様 よろしくお願いします",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("テスト商事", "佐藤")}}},
		{"予約 12月3日（木）午後２時 ㈱テスト 佐藤様 ２名様 第１会議室",
			Request{StartsAt: at(2026, 12, 3, 14, 0), Visitors: []Visitor{v("(株)テスト", "佐藤")}, PartySize: 2, Room: "第1会議室"}},
		{"予約 明日 15時 きょうこ様",
			Request{StartsAt: at(2026, 12, 3, 15, 0), Visitors: []Visitor{v("", "きょうこ")}}},
		{"予約 14時 明日香様", // no date: today; 明日 inside a name is not a date
			Request{StartsAt: at(2026, 12, 2, 14, 0), Visitors: []Visitor{v("", "明日香")}}},
		{"appointment tomorrow at 3:00pm with Dr. Who (Acme Inc.)",
			Request{StartsAt: at(2026, 12, 3, 15, 0), Visitors: []Visitor{v("Acme Inc.", "Who")}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.text, now, tokyo)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.text, err)
			continue
		}
		if !sameRequest(got, &tt.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.text, show(got), show(&tt.want))
		}
		if !got.StartsAt.After(now) {
			t.Errorf("Parse(%q): StartsAt %v is not after now", tt.text, got.StartsAt)
		}
	}
}

func sameRequest(a, b *Request) bool {
	return a.StartsAt.Equal(b.StartsAt) && a.Until.Equal(b.Until) && reflect.DeepEqual(a.Visitors, b.Visitors) &&
		a.PartySize == b.PartySize && a.Room == b.Room && a.Title == b.Title
}

func show(r *Request) string {
	c := *r
	c.year = 0
	return time.Time.String(c.StartsAt) + " until " + c.Until.String() + " " + reflectString(c)
}

func reflectString(r Request) string {
	return fmt.Sprintf("%+v %d %q %q", r.Visitors, r.PartySize, r.Room, r.Title)
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		text, field string
	}{
		{"こんにちは", FieldCommand},
		{"booking a room", FieldCommand},
		{"予約 12/3 or 12/4 14:00 佐藤様", FieldDate},
		{"予約 12/3か12/4 14:00 佐藤様", FieldDate},
		{"予約 12/3 佐藤様", FieldTime},
		{"予約 12/3 25:00 佐藤様", FieldTime},
		{"予約 12/3 午後14時 佐藤様", FieldTime},
		{"予約 12/3 午後12時 佐藤様", FieldTime},
		{"book Dec 3 12am Mr. Sato", FieldTime},
		{"予約 12/3 14時か15時 佐藤様", FieldTime},
		{"予約 明日 2時 佐藤様", FieldTime},     // 2 a.m. or 2 p.m.?
		{"予約 3日 14時 佐藤様", FieldVisitor}, // 3日 of which month?
		{"book tomorrow 2pm Mr. Smith 3F", FieldVisitor},
		{"予約 12/3 14:00 テスト商事 佐藤様 本日中", FieldVisitor},
		{"予約 12/3 14:00 佐藤様ほか1名 3名", FieldParty},
		{"予約 2/30 10:00 佐藤様", FieldDate},
		{"予約 13/5 10:00 佐藤様", FieldDate},
		{"予約 12/1 10:00 佐藤様", FieldDate},            // two days ago
		{"予約 2025/12/3 14:00 佐藤様", FieldDate},       // a year ago
		{"予約 今週月曜 10時 佐藤様", FieldDate},              // Monday of this week has passed
		{"予約 今日 9:00 佐藤様", FieldTime},               // an hour ago
		{"アポ 8:00 佐藤様", FieldTime},                  // no date: today, passed
		{"予約 水曜 15:00 佐藤様", FieldDate},              // today or next week?
		{"book next Friday 3pm Mr. Lee", FieldDate}, // Dec 4 or Dec 11?
		{"予約 明日 15時 きょうこ様 本日", FieldDate},           // 本日 and 明日; きょうこ is a name
		{"予約 12/3(金) 14:00 佐藤様", FieldDate},         // Dec 3 is a Thursday
		{"予約 12/3 14:00", FieldVisitor},
		{"予約 12/3 14:00 テスト商事 佐藤", FieldVisitor},
		{"予約 12/3 14:00 株式会社テスト佐藤様", FieldVisitor},
		{"予約 12/3 14:00 佐藤様 鈴木様 1名", FieldParty},
		{"予約 12/3 14:00 佐藤様 0名", FieldParty},
		{"予約 12/3 14:00 佐藤様 第1会議室か第2会議室", FieldRoom},
		{"予約 12/10〜12/3 10:00 佐藤様", FieldUntil},
		{"予約 12/3 14:00 佐藤様 件名 定例 件名 面談", FieldTitle},
		{"予約 12/3 14:00 佐藤様 件名: 定例\n件名 面談", FieldTitle},
		{"book", FieldDate},
		{"予約の確認", FieldDate},
		{"予約 佐藤様", FieldDate},
		{"予約 12/3 14:00 佐藤様 " + strings.Repeat("あ", maxText), FieldCommand},
	}
	for _, tt := range tests {
		r, err := Parse(tt.text, now, tokyo)
		var q *Question
		if !errors.As(err, &q) {
			t.Errorf("Parse(%q) = %+v, %v; want a Question about %s", tt.text, r, err, tt.field)
			continue
		}
		if q.Field != tt.field || q.Ask == "" || q.AskEN == "" {
			t.Errorf("Parse(%q): question %+v; want one about %s", tt.text, q, tt.field)
		}
	}
}

func TestIsCommand(t *testing.T) {
	for text, want := range map[string]bool{
		"来客予約 12/3":  true,
		"  予約：明日":    true,
		"予約12/3 14時": true,
		"アポ 明日":      true,
		"アポイント 明日":   true,
		"ｱﾎﾟ 明日":     true,
		"ｱﾎﾟﾛ":       false,
		"ａｐｐｏｉｎｔｍｅｎｔ ｔｏｍｏｒｒｏｗ": true,
		"Book: Dec 3":     true,
		"book":            true,
		"booking a room":  false,
		"bookmark":        false,
		"【来客予約】12/3":      true,
		"[book] tomorrow": true,
		"アポロ":             false,
		"こんにちは":           false,
		"":                false,
		"来客です":            false,
	} {
		if got := IsCommand(text); got != want {
			t.Errorf("IsCommand(%q) = %v, want %v", text, got, want)
		}
	}
}

// The day boundaries are loc's, whatever location now is in: at 23:30 UTC
// on Dec 1 it is already Dec 2 in Tokyo, so 明日 is Dec 3.
// On a Sunday, which week 来週 means depends on the calendar in the
// writer's head.
func TestParseSundayWeeks(t *testing.T) {
	sunday := time.Date(2026, 12, 6, 10, 0, 0, 0, tokyo)
	for _, text := range []string{"予約 来週月曜 10時 佐藤様", "book next Monday 10am Mr. Sato", "予約 今週金曜 10時 佐藤様"} {
		var q *Question
		if _, err := Parse(text, sunday, tokyo); !errors.As(err, &q) || q.Field != FieldDate {
			t.Errorf("Parse(%q) on a Sunday: %v, want a question about the date", text, err)
		}
	}
	r, err := Parse("予約 月曜 10時 佐藤様", sunday, tokyo)
	if err != nil || !r.StartsAt.Equal(at(2026, 12, 7, 10, 0)) {
		t.Errorf("Parse(月曜) on a Sunday = %v, %v; want tomorrow", r, err)
	}
}

func TestParseUsesLoc(t *testing.T) {
	utcNow := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	r, err := Parse("予約 明日 10時 佐藤様", utcNow, tokyo)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(2026, 12, 3, 10, 0); !r.StartsAt.Equal(want) || r.StartsAt.Location() != tokyo {
		t.Errorf("StartsAt = %v, want %v in Tokyo", r.StartsAt, want)
	}
	// A nil loc means now's location.
	r, err = Parse("予約 明日 10時 佐藤様", utcNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC); !r.StartsAt.Equal(want) {
		t.Errorf("StartsAt = %v, want %v", r.StartsAt, want)
	}
}

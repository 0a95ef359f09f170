package booking

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is an appointment as understood from a chat command. Parse only
// returns one that is complete, unambiguous and in the future.
type Request struct {
	StartsAt time.Time // in the location given to Parse
	// Until is the last day of a period (〜12/10, 12/3〜12/10, "until
	// Dec 10"), at midnight in the location; the period runs to the end of
	// that day. Zero means the appointment is for the day of StartsAt only.
	Until     time.Time
	Visitors  []Visitor // at least one
	PartySize int       // 0 when not said; never less than len(Visitors) otherwise
	Room      string    // "" when not said
	Title     string    // "" when not said

	// year is the year Parse ran in: Summary writes the year only when the
	// appointment is in another one, the one case where it is news.
	year int
}

// maxText bounds the work Parse does: LINE WORKS text messages are at most
// 2000 characters, and an appointment takes a line or two.
const maxText = 2000

// Parse reads an appointment command (see the package documentation) as
// written at now, placing dates and times in loc (now's location when nil).
// It returns a *Question when the text is not a command, or when anything
// is missing, impossible, ambiguous or in the past: the caller sends the
// question back and never makes a guessed appointment.
func Parse(text string, now time.Time, loc *time.Location) (*Request, error) {
	if loc == nil {
		loc = now.Location()
	}
	now = now.In(loc)
	if utf8.RuneCountInString(text) > maxText {
		return nil, ask(FieldCommand,
			"メッセージが長すぎます。予約は1件ずつ短く書いてください。",
			"The message is too long. Please book one appointment at a time.")
	}
	rest, english, ok := stripCommand(normalize(text))
	if !ok {
		return nil, ask(FieldCommand,
			"予約は「来客予約 12/3 14:00 テスト商事 佐藤様」のように書いてください。",
			`To book, write e.g. "book Dec 3 2pm Mr. Sato from Acme Inc."`)
	}
	sc := newScan(rest)
	r := &Request{year: now.Year()}
	var q *Question
	titles := titlesMarked(sc)
	// Times before dates: "Dec 10:30" is a time after a date, not Dec 10.
	clocks := findClocks(sc)
	dates := findDates(sc)
	if r.Room, q = findRoom(sc); q != nil {
		return nil, q
	}
	var extra int
	if r.PartySize, extra, q = findParty(sc); q != nil {
		return nil, q
	}
	if r.Title, q = oneTitle(append(titles, findTitleWords(sc)...)); q != nil {
		return nil, q
	}
	if len(dates) == 0 && len(clocks) == 0 {
		// Nothing says when: show how to write it rather than ask for the
		// time alone (「予約」, 「予約の確認」).
		return nil, ask(FieldDate,
			"いつですか？日時を書いてください。例: 来客予約 12/3 14:00 テスト商事 佐藤様 2名 第1会議室",
			"When is it? Please give the date and time, e.g. book Dec 3 2pm Mr. Sato from Acme Inc. 2 people room A")
	}
	if r.StartsAt, r.Until, q = when(dates, clocks, now, loc); q != nil {
		return nil, q
	}
	if r.Visitors, q = readVisitors(sc.rest(), english); q != nil {
		return nil, q
	}
	if q = checkParty(r, extra); q != nil {
		return nil, q
	}
	return r, nil
}

// checkParty reconciles the party size with the visitors named:
// 佐藤様ほか1名 is two people, and 2名 with three names is a slip.
func checkParty(r *Request, extra int) *Question {
	if extra > 0 {
		if r.PartySize != 0 && r.PartySize != len(r.Visitors)+extra {
			return ask(FieldParty,
				fmt.Sprintf("人数が合いません（%d名、来客%d件ほか%d名）。何名様ですか？", r.PartySize, len(r.Visitors), extra),
				fmt.Sprintf("The party size %d does not add up (%d visitors plus %d). How many people are coming?", r.PartySize, len(r.Visitors), extra))
		}
		r.PartySize = len(r.Visitors) + extra
	}
	if r.PartySize != 0 && r.PartySize < len(r.Visitors) {
		return ask(FieldParty,
			fmt.Sprintf("%d名と書かれていますが、来客が%d件あります。何名様ですか？", r.PartySize, len(r.Visitors)),
			fmt.Sprintf("The party size is %d but %d visitors are named. How many people are coming?", r.PartySize, len(r.Visitors)))
	}
	return nil
}

// when combines the date and the time into the start, refusing a start
// that is not after now.
func when(dates []dateRef, clocks []clockRef, now time.Time, loc *time.Location) (start, until time.Time, q *Question) {
	day, until, given, q := chooseDates(dates, now, loc)
	if q != nil {
		return start, until, q
	}
	h, m, q := chooseClock(clocks)
	if q != nil {
		return start, until, q
	}
	start = time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
	if start.After(now) {
		return start, until, nil
	}
	hm := fmt.Sprintf("%d:%02d", h, m)
	if !given {
		return start, until, ask(FieldTime,
			fmt.Sprintf("今日の%sは過ぎています。日付と時刻を書いてください。", hm),
			fmt.Sprintf("%s today has passed. Please give the date and the time.", hm))
	}
	if y, m, d := now.In(loc).Date(); day.Before(time.Date(y, m, d, 0, 0, 0, 0, loc)) {
		// A day before today (昨日): the date is what to ask about.
		return start, until, ask(FieldDate,
			fmt.Sprintf("%s %sは過ぎています。何日の予約ですか？", jaDate(day), hm),
			fmt.Sprintf("%s %s has passed. Which date did you mean?", enDate(day), hm))
	}
	return start, until, ask(FieldTime,
		fmt.Sprintf("%s %sは過ぎています。何時からですか？", jaDate(day), hm),
		fmt.Sprintf("%s %s has passed. What time did you mean?", enDate(day), hm))
}

// chooseClock returns the one start time; the end of a range (〜15:00) is
// not needed for an appointment and is dropped.
func chooseClock(cs []clockRef) (h, m int, q *Question) {
	var starts []clockRef
	for _, c := range cs {
		if !c.isEnd {
			starts = append(starts, c)
		}
	}
	if len(starts) == 0 {
		return 0, 0, ask(FieldTime, "何時からですか？（例: 14:00）", "What time does it start? (e.g. 14:00)")
	}
	h, m, q = starts[0].hm()
	for _, c := range starts[1:] {
		if q != nil {
			break
		}
		h2, m2, q2 := c.hm()
		if q = q2; q == nil && (h2 != h || m2 != m) {
			q = ask(FieldTime,
				fmt.Sprintf("時刻が複数あります（%s）。何時からですか？", clockTexts(starts, "、")),
				fmt.Sprintf("I found more than one time (%s). Which one?", clockTexts(starts, ", ")))
		}
	}
	return h, m, q
}

func clockTexts(cs []clockRef, sep string) string {
	var ts []string
	for _, c := range cs {
		ts = append(ts, c.text)
	}
	return strings.Join(ts, sep)
}

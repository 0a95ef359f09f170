package booking

import (
	"fmt"
	"time"
)

// pastGrace is how far back a date without a year may lie and still be
// read as this year's (and refused as past) rather than next year's. On
// 12/20, "12/18" is most likely a slip and worth a question; "1/5" clearly
// means next January.
const pastGrace = 7 * 24 * time.Hour

// civil returns midnight of y-m-d in loc, and false when there is no such
// day (2/30, 13/1): time.Date would silently roll it over.
func civil(y, m, d int, loc *time.Location) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	return t, t.Day() == d && int(t.Month()) == m
}

// midnight returns the start of t's day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// placeStart puts a start date on the calendar relative to now.
func placeStart(d dateRef, now time.Time, loc *time.Location) (time.Time, *Question) {
	today := midnight(now, loc)
	switch d.kind {
	case dateRelative:
		return today.AddDate(0, 0, d.offset), nil
	case dateWeekday:
		return placeWeekday(d, today)
	}
	if d.year != 0 {
		t, ok := civil(d.year, d.month, d.day, loc)
		if !ok {
			return t, noSuchDate(d)
		}
		if t.Before(today) {
			return t, pastDate(t)
		}
		return t, nil
	}
	t, ok := civil(today.Year(), d.month, d.day, loc)
	if ok && !t.Before(today) {
		return t, nil
	}
	if ok && today.Sub(t) <= pastGrace {
		return t, pastDate(t)
	}
	// Long past this year (or only valid next year, like 2/29): next year's.
	t, ok = civil(today.Year()+1, d.month, d.day, loc)
	if !ok {
		return t, noSuchDate(d)
	}
	return t, nil
}

// placeWeekday reads weekday forms with a Monday-start week, the Japanese
// calendar habit: 来週月曜 is the Monday of next week. A bare weekday that
// is today, and an English "next Friday" said early in the week, could mean
// either of two days, so they are asked about.
func placeWeekday(d dateRef, today time.Time) (time.Time, *Question) {
	ahead := (int(d.weekday) - int(today.Weekday()) + 7) % 7
	fromMonday := func(wd time.Weekday) int { return (int(wd) + 6) % 7 }
	monday := today.AddDate(0, 0, -fromMonday(today.Weekday()))
	if today.Weekday() == time.Sunday && d.week != "" {
		// On a Sunday the week has ended for some and begun for others
		// (calendars start on either day), so 来週月曜 or "next Monday"
		// may be tomorrow or the day a week after.
		return today, ask(FieldDate,
			fmt.Sprintf("「%s」がどの週かはっきりしません。日付で書いてください。", d.text),
			fmt.Sprintf("Which week does %q mean? Please write the date.", d.text))
	}
	switch d.week {
	case "this":
		t := monday.AddDate(0, 0, fromMonday(d.weekday))
		if t.Before(today) {
			return t, pastDate(t)
		}
		return t, nil
	case "next":
		return monday.AddDate(0, 0, 7+fromMonday(d.weekday)), nil
	case "after-next":
		return monday.AddDate(0, 0, 14+fromMonday(d.weekday)), nil
	case "next-en":
		if ahead != 0 && fromMonday(d.weekday) > fromMonday(today.Weekday()) {
			a, b := today.AddDate(0, 0, ahead), today.AddDate(0, 0, ahead+7)
			return a, ask(FieldDate,
				fmt.Sprintf("「%s」は%sですか、%sですか？日付で書いてください。", d.text, jaDate(a), jaDate(b)),
				fmt.Sprintf("Does %q mean %s or %s? Please write the date.", d.text, enDate(a), enDate(b)))
		}
		if ahead == 0 {
			ahead = 7
		}
		return today.AddDate(0, 0, ahead), nil
	}
	if ahead == 0 {
		return today, ask(FieldDate,
			fmt.Sprintf("「%s」は今日ですか、来週ですか？日付で書いてください。", d.text),
			fmt.Sprintf("Does %q mean today or next week? Please write the date.", d.text))
	}
	return today.AddDate(0, 0, ahead), nil
}

// placeUntil puts the last day of a period on the calendar: the first
// such day on or after the start (〜1/10 written in December is January).
func placeUntil(d dateRef, start, now time.Time, loc *time.Location) (time.Time, *Question) {
	if d.kind != dateAbsolute || d.year != 0 {
		t, q := placeStart(d, now, loc)
		if q == nil && t.Before(start) {
			q = untilBeforeStart(t, start)
		}
		return t, q
	}
	t, ok := civil(start.Year(), d.month, d.day, loc)
	if !ok {
		return t, noSuchDate(d)
	}
	if !t.Before(start) {
		return t, nil
	}
	// Only a short period may cross into next year (12/20〜1/10); 12/10〜12/3
	// is a slip, not a period of almost a year.
	next, ok := civil(start.Year()+1, d.month, d.day, loc)
	if !ok || next.Sub(start) > maxRollover {
		return t, untilBeforeStart(t, start)
	}
	return next, nil
}

// maxRollover is the longest period whose end may be written without its
// year when that year is the next one.
const maxRollover = 92 * 24 * time.Hour

func noSuchDate(d dateRef) *Question {
	return ask(FieldDate,
		fmt.Sprintf("「%s」という日付はありません。日付を確かめてください。", d.text),
		fmt.Sprintf("There is no such date as %q. Please check the date.", d.text))
}

func pastDate(t time.Time) *Question {
	return ask(FieldDate,
		fmt.Sprintf("%sは過ぎています。何日の予約ですか？", jaDate(t)),
		fmt.Sprintf("%s has passed. Which date did you mean?", enDate(t)))
}

func untilBeforeStart(until, start time.Time) *Question {
	return ask(FieldUntil,
		fmt.Sprintf("期間の終わり（%s）が始まり（%s）より前です。期間を確かめてください。", jaDate(until), jaDate(start)),
		fmt.Sprintf("The period ends (%s) before it starts (%s). Please check the dates.", enDate(until), enDate(start)))
}

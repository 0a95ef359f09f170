package booking

import (
	"fmt"
	"strings"
	"time"
)

// chooseDates places the dates on the calendar and picks the start day and
// the last day of a period. given is false when no start date was written:
// the start is then today (「アポ 15時 佐藤様」), which the confirmation shows.
func chooseDates(ds []dateRef, now time.Time, loc *time.Location) (start, until time.Time, given bool, q *Question) {
	placed := map[int]time.Time{}
	var starts, untils []int
	for i, d := range ds {
		switch {
		case d.check:
		case d.until:
			untils = append(untils, i)
		default:
			starts = append(starts, i)
		}
	}
	start = midnight(now, loc)
	for _, i := range starts {
		t, q := placeStart(ds[i], now, loc)
		if q != nil {
			return start, until, given, q
		}
		if given && !t.Equal(start) {
			return start, until, given, moreThanOne(FieldDate, ds, starts)
		}
		placed[i], start, given = t, t, true
	}
	for n, i := range untils {
		t, q := placeUntil(ds[i], start, now, loc)
		if q != nil {
			return start, until, given, q
		}
		if n > 0 && !t.Equal(until) {
			return start, until, given, moreThanOne(FieldUntil, ds, untils)
		}
		placed[i], until = t, t
	}
	if until.Equal(start) {
		until = time.Time{}
	}
	return start, until, given, checkWeekdays(ds, placed, now, loc)
}

// checkWeekdays refuses 12/3(金) when 12/3 is a Thursday: one of the two
// is a typo and only the writer knows which.
func checkWeekdays(ds []dateRef, placed map[int]time.Time, now time.Time, loc *time.Location) *Question {
	for _, d := range ds {
		t, ok := placed[d.target]
		if !d.check || !ok {
			continue
		}
		match := t.Weekday() == d.weekday
		if d.week != "" {
			w, q := placeStart(d, now, loc)
			match = q == nil && w.Equal(t)
		}
		if !match {
			return ask(FieldDate,
				fmt.Sprintf("%sと「%s」が合いません。どちらが正しいですか？", jaDate(t), d.text),
				fmt.Sprintf("%s does not match %q. Which is right?", enDate(t), d.text))
		}
	}
	return nil
}

func moreThanOne(field string, ds []dateRef, idx []int) *Question {
	var ts []string
	for _, i := range idx {
		ts = append(ts, ds[i].text)
	}
	return ask(field,
		fmt.Sprintf("日付が複数あります（%s）。どの日ですか？", strings.Join(ts, "、")),
		fmt.Sprintf("I found more than one date (%s). Which one?", strings.Join(ts, ", ")))
}

package booking

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type dateKind int

const (
	dateAbsolute dateKind = iota // 12/3, 12月3日, 2026-12-03, Dec 3
	dateRelative                 // 今日, 明日, tomorrow, 昨日
	dateWeekday                  // 木曜, (木), 来週月曜, next Monday
)

// dateRef is one date as written, before it is placed on the calendar.
type dateRef struct {
	start, end int
	text       string
	kind       dateKind
	year       int // 0: not written, inferred later
	month, day int
	offset     int // dateRelative: days from today
	weekday    time.Weekday
	week       string // dateWeekday: "", "this", "next", "after-next", "next-en"
	until      bool   // the last day of a period (〜12/10, 12/10まで, until Dec 10)
	check      bool   // a weekday next to a date: it confirms that date
	target     int    // check: the index of the date it confirms
}

const monthNames = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?`

// The date patterns, tried in this order so that a longer form is taken
// before a shorter one can match part of it (2026/12/3 before 12/3).
var (
	reYMD      = regexp.MustCompile(`(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?`)
	reMDY      = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})/(\d{4})\b`)
	reMDJa     = regexp.MustCompile(`(\d{1,2})\s*月\s*(\d{1,2})\s*日?`)
	reMD       = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})\b`)
	reMonthDay = regexp.MustCompile(`(?i)\b` + monthNames + `\s*(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s*(\d{4})\b)?`)
	reDayMonth = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?` + monthNames + `(?:,?\s*(\d{4})\b)?`)
	reRelative = regexp.MustCompile(`(?i)明後日|あさって|明日|あした|今日|本日|きょう|一昨日|おととい|昨日|きのう|\bthe\s+day\s+before\s+yesterday\b|\bday\s+before\s+yesterday\b|\byesterday\b|\bthe\s+day\s+after\s+tomorrow\b|\bday\s+after\s+tomorrow\b|\btomorrow\b|\btoday\b`)
	reWeekdayJ = regexp.MustCompile(`(再来週|来週|今週)?\s*の?\s*([月火水木金土日])曜日?|\(\s*([月火水木金土日])\s*\)`)
	reWeekdayE = regexp.MustCompile(`(?i)\b(?:(next|this)\s+)?(monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun)\b\.?`)
)

var relativeDays = map[string]int{
	"今日": 0, "本日": 0, "きょう": 0, "today": 0,
	"明日": 1, "あした": 1, "tomorrow": 1,
	"明後日": 2, "あさって": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
	// Past days are read so that the question names them (「昨日」 is
	// not today).
	"昨日": -1, "きのう": -1, "yesterday": -1,
	"一昨日": -2, "おととい": -2, "day before yesterday": -2, "the day before yesterday": -2,
}

var weekdaysJa = map[string]time.Weekday{
	"日": time.Sunday, "月": time.Monday, "火": time.Tuesday, "水": time.Wednesday,
	"木": time.Thursday, "金": time.Friday, "土": time.Saturday,
}

// findDates takes every date out of the scan and marks which ones end a
// period and which weekdays only confirm a neighbouring date.
func findDates(sc *scan) []dateRef {
	var ds []dateRef
	add := func(m match, d dateRef) {
		d.start, d.end, d.text = m.start, m.end, strings.TrimSpace(sc.orig[m.start:m.end])
		ds = append(ds, d)
	}
	for _, m := range sc.take(reYMD) {
		add(m, dateRef{year: atoi(m.groups[1]), month: atoi(m.groups[2]), day: atoi(m.groups[3])})
	}
	for _, m := range sc.take(reMDY) {
		add(m, dateRef{month: atoi(m.groups[1]), day: atoi(m.groups[2]), year: atoi(m.groups[3])})
	}
	for _, m := range sc.take(reMDJa) {
		add(m, dateRef{month: atoi(m.groups[1]), day: atoi(m.groups[2])})
	}
	for _, m := range sc.take(reMD) {
		add(m, dateRef{month: atoi(m.groups[1]), day: atoi(m.groups[2])})
	}
	for _, m := range sc.take(reMonthDay) {
		add(m, dateRef{month: monthNumber(m.groups[1]), day: atoi(m.groups[2]), year: atoi(m.groups[3])})
	}
	for _, m := range sc.take(reDayMonth) {
		add(m, dateRef{day: atoi(m.groups[1]), month: monthNumber(m.groups[2]), year: atoi(m.groups[3])})
	}
	for _, m := range sc.takeIf(reRelative, notInWord(sc)) {
		key := strings.Join(strings.Fields(strings.ToLower(m.groups[0])), " ")
		add(m, dateRef{kind: dateRelative, offset: relativeDays[key]})
	}
	for _, m := range sc.take(reWeekdayJ) {
		week := map[string]string{"今週": "this", "来週": "next", "再来週": "after-next"}[m.groups[1]]
		wd := weekdaysJa[m.groups[2]+m.groups[3]]
		add(m, dateRef{kind: dateWeekday, weekday: wd, week: week})
	}
	for _, m := range sc.take(reWeekdayE) {
		week := map[string]string{"this": "this", "next": "next-en"}[strings.ToLower(m.groups[1])]
		add(m, dateRef{kind: dateWeekday, weekday: englishWeekday(m.groups[2]), week: week})
	}
	markUntil(sc, ds)
	markChecks(sc, ds)
	return ds
}

// notInWord keeps 明日 and きょう from being read out of a name: 明日香様,
// 今日子様, きょうこ様. A kanji after the match, or a kana after a kana
// match other than a particle (きょうの, あしたから), means it is part of
// a word.
func notInWord(sc *scan) func(start, end int) bool {
	return func(start, end int) bool {
		r, _ := utf8.DecodeRuneInString(sc.orig[end:])
		if unicode.Is(unicode.Han, r) {
			return false
		}
		first, _ := utf8.DecodeRuneInString(sc.orig[start:])
		return !unicode.Is(unicode.Hiragana, first) || !unicode.Is(unicode.Hiragana, r) ||
			strings.ContainsRune("のにはでかまも", r)
	}
}

var reUntilAfter = regexp.MustCompile(`^\s*(?:\(\s*[月火水木金土日]\s*\)|[月火水木金土日]曜日?)?\s*(?:まで|迄)`)

// markUntil marks the dates that end a period: written after 〜, -, から,
// "until", "till", "through" or "to", or followed by まで.
func markUntil(sc *scan, ds []dateRef) {
	for i := range ds {
		ds[i].until = untilBefore(sc.before(ds[i].start)) || reUntilAfter.MatchString(sc.after(ds[i].end))
	}
}

// untilBefore reports whether the text before a date says that the date
// ends a period. から, より and - count only right after a date or a time
// (12/3から12/10, 明日〜, 14時から): 「テスト商事から」 is where the visitor
// comes from, not the start of a period.
func untilBefore(before string) bool {
	if endsWithAny(before, "〜", "until", "till", "through", "thru", "to") {
		return true
	}
	b := strings.TrimRight(before, " ")
	for _, w := range []string{"から", "より", "-"} {
		if !strings.HasSuffix(b, w) {
			continue
		}
		prev := strings.TrimRight(strings.TrimSuffix(b, w), " ")
		return prev != "" && reDateOrTimeEnd.MatchString(prev)
	}
	return false
}

var reDateOrTimeEnd = regexp.MustCompile(`(?:\d|日|曜|時|分|半|\)|(?i:today|tomorrow|[ap]\.?m\.?))$`)

// markChecks turns a weekday written right next to another date (12/3(木),
// 木曜 12/3) into a check of that date rather than a second date, so that
// the pair is not refused as ambiguous and a mismatch can be asked about.
func markChecks(sc *scan, ds []dateRef) {
	for i := range ds {
		if ds[i].kind != dateWeekday {
			continue
		}
		for j := range ds {
			if ds[j].kind == dateWeekday {
				continue
			}
			if adjacent(sc.orig, ds[j], ds[i]) || adjacent(sc.orig, ds[i], ds[j]) {
				ds[i].check = true
				ds[i].until = ds[j].until
				ds[i].target = j
			}
		}
	}
}

// adjacent reports whether b follows a with only spaces (or の) between.
func adjacent(s string, a, b dateRef) bool {
	if a.end > b.start {
		return false
	}
	gap := strings.TrimSpace(s[a.end:b.start])
	return gap == "" || gap == "の"
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func monthNumber(s string) int {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	for i, p := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(s, p) {
			return i + 1
		}
	}
	return 0
}

func englishWeekday(s string) time.Weekday {
	s = strings.ToLower(s)
	for i, p := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		if strings.HasPrefix(s, p) {
			return time.Weekday(i)
		}
	}
	return time.Sunday
}

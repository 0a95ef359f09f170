package booking

import (
	"fmt"
	"regexp"
	"strings"
)

// clockRef is one time of day as written.
type clockRef struct {
	text      string
	hour, min int
	meridiem  string // "am", "pm" or "" (午前 is am, 午後 is pm)
	isEnd     bool   // the end of a range (14:00〜15:00): not the start time
}

// The time patterns, most specific first. 午前/午後 may precede any form
// and am/pm may follow the colon form.
var (
	reClockJa    = regexp.MustCompile(`(午前|午後)?\s*(\d{1,2})\s*時\s*(?:(\d{1,2})\s*分|(半))?`)
	reClockColon = regexp.MustCompile(`(?i)(午前|午後)?\s*\b(\d{1,2}):(\d{2})(?:\s*([ap])\.?m(?:\.|\b))?`)
	reClockAmPm  = regexp.MustCompile(`(?i)\b(\d{1,2})(?:\.(\d{2}))?\s*([ap])\.?m(?:\.|\b)`)
	reClockNoon  = regexp.MustCompile(`(?i)正午|\bnoon\b`)
)

// reDuration matches a length of time (1時間, 30分間, 1時間半, "1 hour"):
// an appointment has no end, so it is only taken out of the way, before
// 1時間 can be read as 1時.
var reDuration = regexp.MustCompile(`(?i)\d+\s*時間半?|\d+\s*分間|\b\d+(?:\.\d+)?\s*(?:hours?|hrs?|minutes?|mins?)\b`)

// findClocks takes every time of day out of the scan.
func findClocks(sc *scan) []clockRef {
	sc.take(reDuration)
	var cs []clockRef
	add := func(m match, c clockRef) {
		c.text = strings.TrimSpace(sc.orig[m.start:m.end])
		c.isEnd = untilBefore(sc.before(m.start)) || reUntilAfter.MatchString(sc.after(m.end))
		cs = append(cs, c)
	}
	for _, m := range sc.take(reClockJa) {
		c := clockRef{meridiem: jaMeridiem(m.groups[1]), hour: atoi(m.groups[2]), min: atoi(m.groups[3])}
		if m.groups[4] != "" {
			c.min = 30
		}
		add(m, c)
	}
	for _, m := range sc.take(reClockColon) {
		mer := jaMeridiem(m.groups[1])
		if m.groups[4] != "" {
			mer = strings.ToLower(m.groups[4]) + "m"
		}
		add(m, clockRef{meridiem: mer, hour: atoi(m.groups[2]), min: atoi(m.groups[3])})
	}
	for _, m := range sc.take(reClockAmPm) {
		add(m, clockRef{meridiem: strings.ToLower(m.groups[3]) + "m", hour: atoi(m.groups[1]), min: atoi(m.groups[2])})
	}
	for _, m := range sc.take(reClockNoon) {
		add(m, clockRef{hour: 12})
	}
	return cs
}

func jaMeridiem(s string) string {
	switch s {
	case "午前":
		return "am"
	case "午後":
		return "pm"
	}
	return ""
}

// hm returns the 24-hour time, or a question when it does not exist
// (25:00, 14:75) or is unclear (午後14時; 12 am, which people use for both
// midnight and noon, and 2時, see below).
func (c clockRef) hm() (int, int, *Question) {
	h, m := c.hour, c.min
	bad := m > 59
	switch c.meridiem {
	case "am":
		bad = bad || h > 11
	case "pm":
		// 午後0時 is noon; 午後12時 is noon to some and midnight to others.
		bad = bad || h > 12 || h == 12 && strings.Contains(c.text, "午後")
		if h < 12 {
			h += 12
		}
	default:
		bad = bad || h > 23
	}
	if !bad && c.meridiem == "" && h <= 6 {
		// 2時 in a business chat is far more often 14:00 than 2 a.m.
		return 0, 0, ask(FieldTime,
			fmt.Sprintf("「%s」は午前ですか、午後ですか？（例: 午後%d時、%d:%02d）", c.text, h, h+12, m),
			fmt.Sprintf("Is %q a.m. or p.m.? (e.g. %d:%02d pm, %d:%02d)", c.text, h, m, h+12, m))
	}
	if bad {
		return 0, 0, ask(FieldTime,
			fmt.Sprintf("「%s」という時刻はわかりません。何時からですか？（例: 14:00）", c.text),
			fmt.Sprintf("I can't read %q as a time. What time does it start? (e.g. 14:00)", c.text))
	}
	return h, m, nil
}

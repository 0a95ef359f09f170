package booking

import (
	"fmt"
	"strings"
	"time"
)

var weekdaysJaShort = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// jaDate writes 12月3日(木): the weekday is there so the staff member can
// catch a wrong date at a glance.
func jaDate(t time.Time) string {
	return fmt.Sprintf("%d月%d日(%s)", t.Month(), t.Day(), weekdaysJaShort[t.Weekday()])
}

// enDate writes Thu, Dec 3.
func enDate(t time.Time) string {
	return t.Format("Mon, Jan 2")
}

// Summary is what Parse understood, one item a line, for the confirmation
// message the staff member checks before the appointment is made. lang is
// "en" for English; anything else gets Japanese. Dates carry the weekday,
// and the year when it is not the year Parse ran in (always, for a Request
// not made by Parse).
func (r *Request) Summary(lang string) string {
	en := lang == "en"
	withYear := r.StartsAt.Year() != r.year || (!r.Until.IsZero() && r.Until.Year() != r.year)
	date := func(t time.Time) string {
		switch {
		case en && withYear:
			return t.Format("Mon, Jan 2, 2006")
		case en:
			return enDate(t)
		case withYear:
			return fmt.Sprintf("%d年%s", t.Year(), jaDate(t))
		}
		return jaDate(t)
	}
	var lines []string
	add := func(jaLabel, enLabel, value string) {
		if value == "" {
			return
		}
		if en {
			lines = append(lines, enLabel+": "+value)
		} else {
			lines = append(lines, jaLabel+": "+value)
		}
	}
	add("日時", "When", date(r.StartsAt)+" "+fmt.Sprintf("%d:%02d", r.StartsAt.Hour(), r.StartsAt.Minute()))
	if !r.Until.IsZero() {
		add("期間", "Period", date(r.StartsAt)+pick(en, " to ", "〜")+date(r.Until))
	}
	add("来客", "Visitors", visitorsText(r.Visitors, en))
	if r.PartySize > 0 {
		add("人数", "Party", fmt.Sprintf("%d", r.PartySize)+pick(en, "", "名"))
	}
	add("会議室", "Room", r.Room)
	add("件名", "Title", r.Title)
	return strings.Join(lines, "\n")
}

// honored adds 様 to a name, but not to one with a role (佐藤部長): a
// second honorific would be wrong Japanese.
func honored(name string) string {
	if hasSuffixAny(name, roleSuffixes) {
		return name
	}
	return name + "様"
}

func pick(en bool, enText, jaText string) string {
	if en {
		return enText
	}
	return jaText
}

// visitorsText groups visitors of one company: テスト商事 佐藤様、鈴木様 /
// Sato, Suzuki (テスト商事).
func visitorsText(vs []Visitor, en bool) string {
	var groups []string
	for i := 0; i < len(vs); {
		j := i
		var names []string
		for ; j < len(vs) && vs[j].Company == vs[i].Company; j++ {
			if vs[j].Name == "" {
				continue
			}
			if en {
				names = append(names, vs[j].Name)
			} else {
				names = append(names, honored(vs[j].Name))
			}
		}
		groups = append(groups, group(vs[i].Company, names, en))
		i = j
	}
	if en {
		return strings.Join(groups, "; ")
	}
	return strings.Join(groups, "／")
}

func group(company string, names []string, en bool) string {
	switch {
	case len(names) == 0:
		return company
	case en && company != "":
		return strings.Join(names, ", ") + " (" + company + ")"
	case en:
		return strings.Join(names, ", ")
	case company != "":
		return company + " " + strings.Join(names, "、")
	}
	return strings.Join(names, "、")
}

package booking

import (
	"fmt"
	"regexp"
	"strings"
)

// The title is taken first of all, because a quoted title may hold
// anything, dates included. 件名: and "re:" take the rest of the line.
var (
	reTitleQuoted = regexp.MustCompile(`「([^」]*)」|『([^』]*)』|“([^”]*)”|"([^"]*)"`)
	reTitleLabel  = regexp.MustCompile(`(?im)(?:件名|用件|タイトル|\bre|\bsubject|\btitle)\s*:\s*(.*)$`)
)

func findTitle(sc *scan) (string, *Question) {
	var titles []string
	for _, re := range []*regexp.Regexp{reTitleQuoted, reTitleLabel} {
		for _, m := range sc.take(re) {
			if t := strings.TrimSpace(strings.Join(m.groups[1:], "")); t != "" {
				titles = append(titles, t)
			}
		}
	}
	if len(titles) > 1 {
		return "", ask(FieldTitle,
			"件名が複数あります。件名は1つにしてください。",
			"I found more than one title. Please give one.")
	}
	if len(titles) == 0 {
		return "", nil
	}
	return titles[0], nil
}

// Rooms: a form line 場所: 本社3F, or 第1会議室, 大会議室, 応接室, 会議室A, "room A", "Room 3",
// "meeting room 2". The Japanese form may run into the words before it
// (佐藤様大会議室, 2名第1会議室), so the match is cut after the last
// 様/さん or party size.
var (
	reRoomJa    = regexp.MustCompile(`第\s*\d+\s*(?:会議室|応接室)|[\p{Han}\p{Katakana}ーA-Za-z0-9]{0,12}(?:会議室|応接室|商談室|ミーティングルーム)[A-Z]?`)
	reRoomLabel = regexp.MustCompile(`(?im)^\s*(?:場所|部屋|会議室|room|location|place)\s*:\s*(.*\S)\s*$`)
	reRoomEn    = regexp.MustCompile(`(?i)\b(?:meeting\s+|conference\s+)?room\s+([A-Za-z0-9]{1,4})\b`)
	reRoomCut   = regexp.MustCompile(`^.*(?:様|さん|殿|\d\s*(?:名|人))`)
)

func findRoom(sc *scan) (string, *Question) {
	var rooms []string
	for _, m := range sc.take(reRoomLabel) {
		rooms = append(rooms, strings.TrimSpace(m.groups[1]))
	}
	for _, loc := range reRoomJa.FindAllIndex(sc.work, -1) {
		start := loc[0]
		if cut := reRoomCut.FindIndex(sc.work[loc[0]:loc[1]]); cut != nil {
			start += cut[1]
		}
		rooms = append(rooms, strings.ReplaceAll(string(sc.work[start:loc[1]]), " ", ""))
		sc.blank(start, loc[1])
	}
	for _, m := range sc.take(reRoomEn) {
		rooms = append(rooms, "Room "+strings.ToUpper(m.groups[1]))
	}
	rooms = distinct(rooms)
	if len(rooms) > 1 {
		return "", ask(FieldRoom,
			fmt.Sprintf("会議室が複数あります（%s）。どの部屋ですか？", strings.Join(rooms, "、")),
			fmt.Sprintf("I found more than one room (%s). Which one?", strings.Join(rooms, ", ")))
	}
	if len(rooms) == 0 {
		return "", nil
	}
	return rooms[0], nil
}

// Party size: 2名, 3人, 2名様, "2 people", "x2"; or more people than
// those named: 佐藤様ほか2名 (extra).
var (
	rePartyMore = regexp.MustCompile(`(?:ほか|他|外)\s*(\d{1,3})\s*名様?`)
	reParty     = regexp.MustCompile(`(?i)(\d{1,3})\s*(?:名様|名|人|\bpeople\b|\bpersons?\b|\bguests?\b|\bpax\b)`)
	rePartyX    = regexp.MustCompile(`(?i)(?:^|\s)[x×]\s*(\d{1,3})\b`)
)

func findParty(sc *scan) (size, extra int, q *Question) {
	for _, m := range sc.take(rePartyMore) {
		extra = atoi(m.groups[1])
	}
	var sizes []int
	for _, re := range []*regexp.Regexp{reParty, rePartyX} {
		for _, m := range sc.take(re) {
			sizes = append(sizes, atoi(m.groups[1]))
		}
	}
	for i := 1; i < len(sizes); i++ {
		if sizes[i] != sizes[0] {
			return 0, 0, ask(FieldParty,
				"人数が複数書かれています。何名様ですか？",
				"I found more than one party size. How many people are coming?")
		}
	}
	if len(sizes) == 0 {
		return 0, extra, nil
	}
	if sizes[0] < 1 {
		return 0, 0, ask(FieldParty, "人数は1名以上にしてください。", "The party size must be at least 1.")
	}
	return sizes[0], extra, nil
}

func distinct(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

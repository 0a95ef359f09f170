package booking

import (
	"fmt"
	"regexp"
	"strings"
)

// Quoted titles and 件名: are taken first of all, because they may hold
// anything, dates included. 件名: and "re:" take the rest of the line;
// 件名 without a colon is read later (findTitleWords).
var (
	reTitleQuoted = regexp.MustCompile(`「([^」]*)」|『([^』]*)』|“([^”]*)”|"([^"]*)"`)
	reTitleLabel  = regexp.MustCompile(`(?im)(?:件名|用件|タイトル|\bre|\bsubject|\btitle)\s*:\s*(.*)$`)
	// 件名 定例: the Japanese labels followed by a space instead of a
	// colon. These are read after the date, time, room and party size are
	// gone, so the title can stop at the next of those (see titleWords).
	reTitleWord = regexp.MustCompile(`(?:件名|用件|タイトル) +`)
)

// findTitleWords takes 件名 定例 (a label, a space, the title). The title
// runs to the next piece already understood (a date, a time, a room, a
// party size), the end of the line or the end of the text. A word with a
// name's honorific (佐藤様) ends it too; when words come between the title
// and that name (件名 定例 テスト商事 佐藤様), only the first is the title
// and the rest are left for the visitors.
func findTitleWords(sc *scan) []string {
	var out []string
	for {
		loc := reTitleWord.FindIndex(sc.work)
		if loc == nil {
			return out
		}
		words, end := titleWords(sc, loc[1])
		sc.blank(loc[0], end)
		if t := strings.Join(words, " "); t != "" {
			out = append(out, t)
		}
	}
}

// titleWords returns the words of a 件名 title starting at from and the
// byte offset where the title ends.
func titleWords(sc *scan, from int) ([]string, int) {
	var words []string
	var ends []int // where each word ends
	i := from
	for i < len(sc.work) {
		c := sc.work[i]
		if c == '\n' || c == ' ' && sc.orig[i] != ' ' {
			break // the end of the line, or a piece already taken out
		}
		if c == ' ' {
			i++
			continue
		}
		j := i
		for j < len(sc.work) && sc.work[j] != ' ' && sc.work[j] != '\n' {
			j++
		}
		w := string(sc.work[i:j])
		if w == "件名" || w == "用件" || w == "タイトル" {
			break // the next title: two titles are asked about
		}
		if hasNameSuffix(w) {
			if len(words) > 1 {
				return words[:1], ends[0]
			}
			break
		}
		words = append(words, w)
		ends = append(ends, j)
		i = j
	}
	if len(words) == 0 {
		return nil, from
	}
	return words, ends[len(ends)-1]
}

func hasNameSuffix(w string) bool {
	for _, s := range nameSuffixes {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

// titlesMarked takes the quoted titles and those after 件名: or "re:".
func titlesMarked(sc *scan) []string {
	var titles []string
	for _, re := range []*regexp.Regexp{reTitleQuoted, reTitleLabel} {
		for _, m := range sc.take(re) {
			if t := strings.TrimSpace(strings.Join(m.groups[1:], "")); t != "" {
				titles = append(titles, t)
			}
		}
	}
	return titles
}

// oneTitle returns the one title, or a question when there are several.
func oneTitle(titles []string) (string, *Question) {
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

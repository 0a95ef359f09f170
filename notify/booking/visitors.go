package booking

import (
	"fmt"
	"slices"
	"strings"
)

// item is one company or name found in the text, in order.
type item struct {
	company bool
	unknown bool // neither marked as a company nor as a name
	from    bool // a company after "from": it belongs to the names before it
	text    string
}

// walker reads the words left over once dates, times, the room, the party
// size and the title are gone. Unmarked words wait in pending until a
// marker or a separator says what they are; mode says what the last marker
// (Mr., from, 株式会社) made of the words after it.
type walker struct {
	items   []item
	pending []string
	mode    string // "", "name", "company", "from"
}

// readVisitors returns the visitors, or a question when a word is neither
// a company nor a name.
func readVisitors(rest string, english bool) ([]Visitor, *Question) {
	w := &walker{}
	for _, t := range tokens(rest) {
		if q := w.word(t); q != nil {
			return nil, q
		}
	}
	w.flush()
	if q := settleUnknown(w.items, english); q != nil {
		return nil, q
	}
	vs := bind(w.items)
	if len(vs) == 0 {
		return nil, ask(FieldVisitor,
			"どなたが来られますか？会社名とお名前を書いてください（例: テスト商事 佐藤様）。",
			"Who is coming? Please give the company and the name (e.g. Sato from Acme Inc.).")
	}
	return vs, nil
}

// settleUnknown decides what unmarked words are. In the English form they
// are names ("John Smith from Acme"), since English names take no
// honorific; in the Japanese form, where names do, they are asked about.
// Words with digits are never names: 3F, 12 or 3日 is a place, time or
// date the parser did not understand.
func settleUnknown(items []item, english bool) *Question {
	for i, it := range items {
		switch {
		case !it.company && strings.ContainsAny(it.text, "0123456789"):
			return ask(FieldVisitor,
				fmt.Sprintf("「%s」がわかりません。日時・人数・会議室なら書き方を変えてください（例: 12/3 14:00 2名 第1会議室）。", it.text),
				fmt.Sprintf("I don't understand %q. Please write dates, times, party sizes and rooms like: Dec 3 2pm 2 people room A.", it.text))
		case it.unknown && !english:
			return ask(FieldVisitor,
				fmt.Sprintf("「%s」は会社名ですか、お名前ですか？お名前なら「様」を、会社名なら「株式会社」などを付けてください。", it.text),
				fmt.Sprintf("Is %q a company or a name? Add 様 to a name, or Inc./株式会社 to a company.", it.text))
		}
		items[i].unknown = false
	}
	return nil
}

func (w *walker) word(t string) *Question {
	low := strings.ToLower(t)
	switch {
	case t == ",":
		w.flush()
	case low == "from":
		w.flush()
		w.mode = "from"
	case slices.Contains(honorifics, low) || t == markName:
		w.flush()
		w.mode = "name"
	case t == markCompany:
		w.flush()
		w.mode = "company"
	case slices.Contains(englishSuffixes, low):
		// "Acme Inc.": the legal suffix makes a company of the words before it.
		w.pending = append(w.pending, t)
		if w.mode != "from" {
			w.mode = "company"
		}
		w.flush()
	default:
		return w.japanese(t)
	}
	return nil
}

func (w *walker) japanese(t string) *Question {
	switch {
	case t == "":
	case hasSuffixAny(t, nameSuffixes) || hasSuffixAny(t, roleSuffixes):
		return w.name(t)
	case slices.Contains(companyPrefixes, t):
		// 株式会社 テスト: the company's own name follows.
		w.flush()
		w.mode = "company"
		w.pending = []string{t}
	case isDepartment(t) && w.mode == "" && len(w.pending) == 0 && len(w.items) > 0 && w.items[len(w.items)-1].company:
		// テスト商事 営業部 佐藤様: the department joins the company.
		w.items[len(w.items)-1].text += " " + t
	case isCompanyWord(t):
		if w.mode == "" {
			w.flush()
			w.mode = "company"
		}
		w.pending = append(w.pending, t)
		w.flush()
	default:
		w.pending = append(w.pending, t)
	}
	return nil
}

// name handles a word with an honorific or a role. Unmarked words just
// before it are part of the name (佐藤 太郎様), which the confirmation
// shows as written.
func (w *walker) name(t string) *Question {
	base, role := splitHonorific(t)
	company, name, ok := splitCompanyName(base)
	if !ok {
		return fieldVisitorSplit(t)
	}
	var before []string
	if w.mode == "" {
		before, w.pending = w.pending, nil
	} else {
		w.flush()
	}
	if company != "" {
		w.items = append(w.items, item{company: true, text: joinWords(append(before, company))})
	} else {
		name = joinWords(append(before, name))
	}
	if name == "" {
		return ask(FieldVisitor,
			"お名前がわかりません。「佐藤様」のように書いてください。",
			"I can't find the name. Please write it like 佐藤様 or Mr. Sato.")
	}
	w.items = append(w.items, item{text: name + role})
	return nil
}

// splitHonorific cuts 様 (or さん, 殿, …) off a name, and a role (部長,
// 先生) too, returning the role: it stays part of the name, since 佐藤部長
// is how the visitor is known, while 様 is added back when shown.
func splitHonorific(t string) (base, role string) {
	for _, s := range nameSuffixes {
		if strings.HasSuffix(t, s) {
			t = strings.TrimSuffix(t, s)
			break
		}
	}
	for _, r := range roleSuffixes {
		if strings.HasSuffix(t, r) {
			return strings.TrimSuffix(t, r), r
		}
	}
	return t, ""
}

func joinWords(ws []string) string {
	var out []string
	for _, w := range ws {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func (w *walker) flush() {
	if len(w.pending) > 0 {
		it := item{text: strings.Join(w.pending, " ")}
		switch w.mode {
		case "company":
			it.company = true
		case "from":
			it.company, it.from = true, true
		case "":
			it.unknown = true
		}
		w.items = append(w.items, it)
	}
	w.pending, w.mode = nil, ""
}

// bind gives each name its company. "from X" belongs to the names before
// it; a Japanese company to the names after it (テスト商事 佐藤様、鈴木様),
// or, with none after it, to the names before it (佐藤様 テスト商事). A
// company nobody belongs to is a visitor of its own.
func bind(items []item) []Visitor {
	company := make([]string, len(items))
	used := make([]bool, len(items))
	backward := func(i int) {
		for j := i - 1; j >= 0 && !items[j].company; j-- {
			if company[j] == "" {
				company[j], used[i] = items[i].text, true
			}
		}
	}
	for i, it := range items {
		if it.company && it.from {
			backward(i)
		}
	}
	for i, it := range items {
		if !it.company || it.from {
			continue
		}
		for j := i + 1; j < len(items) && !items[j].company; j++ {
			if company[j] == "" {
				company[j], used[i] = it.text, true
			}
		}
		if !used[i] {
			backward(i)
		}
	}
	var vs []Visitor
	for i, it := range items {
		switch {
		case !it.company:
			vs = append(vs, Visitor{Company: company[i], Name: it.text})
		case !used[i]:
			vs = append(vs, Visitor{Company: it.text})
		}
	}
	return vs
}

package booking

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visitor is one person (or company) expected. At least one of the fields
// is set.
type Visitor struct {
	Company string
	Name    string // without 様/さん or Mr./Ms.; a role stays (佐藤部長)
}

// What marks a word as a company or a name. Japanese companies carry a
// legal form (株式会社, (株)) or a trade word (商事, 工業); English ones a
// legal suffix (Inc., Ltd.) or come after "from". Names carry an honorific.
var (
	companyPrefixes = []string{"株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "(同)",
		"一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "医療法人", "学校法人", "社会福祉法人", "NPO法人"}
	companySuffixes = append([]string{"商事", "商会", "商店", "物産", "工業", "産業", "建設", "銀行", "証券", "保険",
		"事務所", "製作所", "電機", "電気", "食品", "興業", "ホールディングス", "グループ", "大学", "病院", "協会",
		"組合", "研究所", "法人", "社"}, companyPrefixes...)
	englishSuffixes = []string{"inc", "inc.", "ltd", "ltd.", "llc", "corp", "corp.", "co.", "co.,ltd.", "gmbh",
		"plc", "corporation", "company", "limited", "k.k."}
	departmentSuffixes = []string{"部", "課", "支店", "支社", "営業所", "センター"}
	nameSuffixes       = []string{"様", "さま", "さん", "殿", "氏"}
	roleSuffixes       = []string{"支店長", "理事長", "部長", "課長", "社長", "会長", "専務", "常務", "取締役", "所長",
		"係長", "主任", "先生", "教授", "院長", "代表"}
	honorifics = []string{"mr", "mr.", "ms", "ms.", "mrs", "mrs.", "dr", "dr.", "mx", "mx."}
	fillers    = []string{"お願い", "です", "します", "で", "に", "の", "と", "から", "より", "まで", "来客", "来訪", "訪問", "予定", "来ます", "来社", "来社します", "来社予定", "来られます", "いらっしゃいます", "計", "合計", "total", "頃", "ごろ", "くらい", "around", "about",
		"at", "on", "for", "until", "till", "through", "thru", "to", "with", "in", "please", "pls", "a", "an", "the", "visitor", "visitors", "guest", "guests"}
)

var (
	rePolite        = regexp.MustCompile(`^(?:何卒|どうぞ)?(?:よろしく|宜しく)(?:お願い(?:します|致します|いたします|申し上げます)?)?$|^お願い(?:します|致します|いたします|申し上げます)$`)
	reHonorificJoin = regexp.MustCompile(`(?i)\b(mrs?\.|ms\.|dr\.|mx\.)(\pL)`)
	reParens        = regexp.MustCompile(`\(([^()]*)\)`)
	reNameEnd       = regexp.MustCompile(`(様|さま|さん|殿)(\S)`) // 佐藤さんが来社: a name ends there
	reNameJoin      = regexp.MustCompile(`(様|さま|さん|殿|氏)\s*(と|・|及び|および)`)
	reSep           = regexp.MustCompile(`[、,/]|\band\b|及び|および`) // not &: AT&T, Johnson & Johnson
	reLeadPart      = regexp.MustCompile(`^(?:から|まで|より|に|で|の|は|と|へ|を|が)+`)
	reTailPart      = regexp.MustCompile(`(?:です|の|から|より|で|に|が|は|と)$`)
)

// tokens splits the unexplained text into words, with "," standing for
// every separator (、 , / & and, and と or ・ between two names).
func tokens(s string) []string {
	s = strings.ReplaceAll(s, "\n", " , ")
	s = reLabel.ReplaceAllStringFunc(s, label)
	s = reHonorificJoin.ReplaceAllString(s, "$1 $2")
	s = reParens.ReplaceAllStringFunc(s, unparen)
	s = reNameEnd.ReplaceAllString(s, "$1 $2")
	s = reNameJoin.ReplaceAllString(s, "$1 , ")
	s = reSep.ReplaceAllString(s, " , ")
	var out []string
	for _, f := range strings.Fields(s) {
		f = cleanParticles(strings.TrimRight(f, "。!?"))
		if f != "," && !strings.ContainsFunc(f, isWordRune) || slices.Contains(fillers, strings.ToLower(f)) || rePolite.MatchString(f) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Form-style lines (会社: テスト, 氏名: 佐藤 太郎) say what the words after
// them are, so those need no 様 or 株式会社. Labels of pieces taken out
// earlier (日時:, 人数:) are dropped.
var reLabel = regexp.MustCompile(`(?i)(?:^|[\s,])(?:会社名?|社名|所属|company|氏名|お?名前|来客者?|来訪者|訪問者|name|visitors?|guests?|日時|日付|日程|時間|時刻|人数|date|time|when|party)\s*:`)

func label(l string) string {
	l = strings.ToLower(strings.TrimSpace(strings.Trim(l, " ,:")))
	switch l {
	case "会社", "会社名", "社名", "所属", "company":
		return " , " + markCompany + " "
	case "氏名", "名前", "お名前", "来客", "来客者", "来訪者", "訪問者", "name", "visitor", "visitors", "guest", "guests":
		return " , " + markName + " "
	}
	return " , "
}

// The labels as tokens. A user who types one gets what the label gives,
// which is harmless.
const (
	markCompany = "@company"
	markName    = "@name"
)

// unparen opens 佐藤様(テスト商事) into 佐藤様 テスト商事 so both words are
// seen, but keeps (株), which is part of a company's name.
func unparen(p string) string {
	if slices.Contains(companyPrefixes, p) {
		return p
	}
	return " , " + p[1:len(p)-1] + " , "
}

// cleanParticles strips the particles that blanking leaves stuck to a word
// (明日の14時に佐藤様 leaves に佐藤様). A hiragana word is left alone so a
// name written in hiragana (のりこ様) keeps its first letter.
func cleanParticles(w string) string {
	if loc := reLeadPart.FindStringIndex(w); loc != nil {
		r, _ := utf8.DecodeRuneInString(w[loc[1]:])
		if loc[1] < len(w) && !unicode.In(r, unicode.Hiragana) {
			w = w[loc[1]:]
		}
	}
	if hasSuffixAny(w, nameSuffixes) {
		return w
	}
	// 佐藤様です, 佐藤さんが, テスト商事の; but not ゆきの, a name.
	if loc := reTailPart.FindStringIndex(w); loc != nil && loc[0] > 0 {
		head := w[:loc[0]]
		r, _ := utf8.DecodeLastRuneInString(head)
		if !unicode.In(r, unicode.Hiragana) || hasSuffixAny(head, nameSuffixes) {
			w = head
		}
	}
	return w
}

// isWordRune tells words from the punctuation left between blanked
// pieces (the 〜 of 12/3〜12/10).
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func hasSuffixAny(s string, list []string) bool {
	for _, x := range list {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// isDepartment reports whether w names a part of a company (営業部), which
// belongs with the company before it.
func isDepartment(w string) bool {
	return hasSuffixAny(w, departmentSuffixes)
}

func isCompanyWord(w string) bool {
	if hasSuffixAny(w, companySuffixes) || strings.Contains(w, "株式会社") {
		return true
	}
	// テスト商事営業部: a company word followed by a department.
	for _, c := range companySuffixes {
		if i := strings.LastIndex(w, c); i >= 0 && isDepartment(w[i+len(c):]) {
			return true
		}
	}
	for _, p := range companyPrefixes {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// splitCompanyName splits 「テスト商事佐藤」 or 「テスト商事の佐藤」 after the
// last company word. ok is false when the text has a company word but no
// place to cut it (株式会社テスト佐藤: where does the company end?).
func splitCompanyName(s string) (company, name string, ok bool) {
	cut := -1
	for _, w := range companySuffixes {
		if i := strings.LastIndex(s, w); i >= 0 && i+len(w) > cut {
			cut = i + len(w)
		}
	}
	if cut < 0 {
		return "", s, true
	}
	company, name = s[:cut], strings.TrimPrefix(s[cut:], "の")
	if name == "" || strings.Contains(name, "会社") || isPrefixOnly(company) {
		return "", "", false
	}
	return company, name, true
}

// isPrefixOnly reports whether company is nothing but a legal form, which
// happens when the name follows 株式会社 without the company's own name.
func isPrefixOnly(company string) bool {
	return slices.Contains(companyPrefixes, company)
}

func fieldVisitorSplit(word string) *Question {
	return ask(FieldVisitor,
		fmt.Sprintf("「%s」の会社名とお名前の間にスペースを入れてください。", word),
		fmt.Sprintf("Please put a space between the company and the name in %q.", word))
}

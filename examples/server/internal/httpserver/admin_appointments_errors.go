package httpserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The appointment form's errors in Japanese: the API's field errors
// (app.CreateAppointment's, in English with JSON names) named by the
// form's labels, all at once.

// visitorRow is where one visitor of the input was entered: the first
// row of fields (Line 0) or a line of 「ほかの来訪者」.
type visitorRow struct{ Line int }

// label is the form's name of a visitor's field (company, name, email).
func (v visitorRow) label(sub string) string {
	if v.Line == 0 {
		return map[string]string{"company": "「来訪者の会社名」", "name": "「来訪者のお名前」", "email": "「メール」"}[sub]
	}
	return fmt.Sprintf("「ほかの来訪者」%d行目の", v.Line) + map[string]string{"company": "会社名", "name": "お名前", "email": "メールアドレス"}[sub]
}

// key is the form field whose error span shows the visitor's errors.
func (v visitorRow) key(sub string) string {
	if v.Line == 0 {
		return sub
	}
	return "other"
}

// apptLabels are the form's names of the appointment's fields.
var apptLabels = map[string]string{
	"startsAt": "「日付」「時刻」", "until": "「期間の最終日」", "hosts": "「担当者」", "visitors": "「来訪者」",
	"partySize": "「人数」", "title": "「件名」", "room": "「会議室」", "status": "この予約",
}

// apptJapanese turns the API's messages into Japanese, by their start.
var apptJapanese = []struct{ en, ja string }{
	{"is required when company is empty", "会社名かお名前のどちらかを入れてください"},
	{"is required", "入れてください"},
	{"must be a time like", "日付と時刻を入れてください"},
	{"needs at least one host", "1人以上選んでください"},
	{"needs at least one visitor", "会社名かお名前を1人分以上入れてください"},
	{"has more than", "人数が多すぎます"},
	{"is not an e-mail address", "メールアドレスの形（name@example.com）で入れてください"},
	{"is longer than 100 characters", "100文字以内にしてください"},
	{"is already past", "過ぎています。これからの日時を入れてください"},
	{"must be at most", "「日付」から366日以内の日にしてください"},
	{"must not be before", "「日付」より前の日にはできません"},
	{"must be a date", "日付を入れてください"},
	{"is no staff member", "スタッフにいない担当者です"},
	{"is not active", "無効になっているスタッフです"},
	{"must be between", "0〜1000 の数にしてください"},
	{"only a scheduled appointment", "予定どおりの予約か、期間中の定期の予約だけ変更できます"},
}

// apptFormErrors lists err's field errors in Japanese by the form's
// labels, and the message of each form field; bad are the form's own
// (unreadable date, time or party size), which take their fields' place.
func apptFormErrors(r *http.Request, err error, bad fieldMsgs, rows []visitorRow) ([]string, fieldMsgs) {
	fields := fieldMsgs{}
	var list []string
	for k, msg := range bad {
		fields[k] = msg
	}
	ae := apiErrorOf(r, err)
	errs := ae.Fields
	if len(errs) == 0 {
		errs = []fieldJSON{{Field: ae.Field, Error: strings.TrimPrefix(ae.Msg, ae.Field+" ")}}
	}
	for _, fe := range errs {
		if fe.Field == "" {
			list = append(list, apptMessage(fe.Error))
			continue
		}
		label, key := apptFieldLabel(fe.Field, rows)
		if _, own := bad[key]; own {
			continue
		}
		msg := label + "：" + apptMessage(fe.Error)
		list = append(list, msg)
		if fields[key] == "" {
			fields[key] = msg
		} else {
			fields[key] += " " + msg
		}
	}
	for _, k := range []string{"startsAt", "partySize"} {
		if msg := bad[k]; msg != "" {
			list = append([]string{msg}, list...)
		}
	}
	return list, fields
}

// apptFieldLabel is the form's label of an API field, and the key of the
// form field that shows its error.
func apptFieldLabel(field string, rows []visitorRow) (label, key string) {
	head, rest, _ := strings.Cut(field, "[")
	if head == "visitors" && rest != "" {
		idx, sub, _ := strings.Cut(rest, "].")
		if i, err := strconv.Atoi(idx); err == nil && i < len(rows) {
			return rows[i].label(sub), rows[i].key(sub)
		}
	}
	label = apptLabels[head]
	if label == "" {
		label = field
	}
	return label, head
}

// apptMessage is an API message in Japanese; as is when unknown.
func apptMessage(en string) string {
	for _, m := range apptJapanese {
		if strings.HasPrefix(en, m.en) {
			if _, detail, ok := strings.Cut(en, ": "); ok && (m.en == "is no staff member" || m.en == "is not active") {
				return m.ja + "（" + detail + "）"
			}
			return m.ja
		}
	}
	return en
}

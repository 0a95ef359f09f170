package booking_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/notify/booking"
)

func Example() {
	loc, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, loc)

	msg := "来客予約 12/3 14:00 テスト商事 佐藤様 2名 第1会議室"
	if booking.IsCommand(msg) {
		r, err := booking.Parse(msg, now, loc)
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Summary("ja"))
	}

	// Anything unclear comes back as a question for the staff member.
	_, err := booking.Parse("予約 12/3 佐藤様", now, loc)
	var q *booking.Question
	if errors.As(err, &q) {
		fmt.Println(q.Field, q.Ask)
	}
	// Output:
	// 日時: 12月3日(木) 14:00
	// 来客: テスト商事 佐藤様
	// 人数: 2名
	// 会議室: 第1会議室
	// time 何時からですか？（例: 14:00）
}

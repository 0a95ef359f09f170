// Package booking reads the chat command a staff member writes to the bot
// 1:1 to make an appointment, such as
//
//	来客予約 12/3 14:00 テスト商事 佐藤様 2名 第1会議室
//	book tomorrow 2pm Mr. Smith from Acme Inc. room A
//
// Parse returns what it understood as a Request, whose Summary the bot
// shows with a confirm button, or a *Question to send back. It never
// guesses: a date or time that is missing, impossible, ambiguous or past,
// or a word that is neither a company nor a name, gets a question.
//
// # Grammar
//
// Full-width letters, digits and punctuation (１２／３ １４：００) are read
// as their ASCII forms and half-width katakana (ｱﾎﾟ) as full-width; the
// pieces may come in any order, with or without spaces between Japanese
// pieces.
//
//   - Command (first): 来客予約, 予約, アポ, アポイント, appointment, appt or
//     book, in any width and case, optionally in 【】 or [] and followed by
//     a colon.
//   - Date: 12/3, 12月3日, 2026/12/3, 2026-12-03, 2026年12月3日,
//     12/3/2026, Dec 3, December 3rd, 3 Dec; 今日/本日, 明日, 明後日, today,
//     tomorrow; 金曜, 今週金曜, 来週月曜, 再来週月曜, Friday, next Monday,
//     this Friday. A weekday next to a date (12/3(木), 木曜 12/3) checks it.
//     A date without a year is this year's, or next year's when it is more
//     than 7 days past; one up to 7 days past is asked about. No date means
//     today. A bare weekday that is today, "next Friday" said before
//     Friday, and 来週/今週/next/this on a Sunday are asked about.
//   - Period: 12/3〜12/10, 12/3-12/10, 12/3から12/10まで, 〜12/10 (from today),
//     12/10まで, "until Dec 10", "Dec 3 to Dec 10". Request.Until is its
//     last day.
//   - Time: 14:00, 14時, 14時半, 14時30分, 午後2時, 午前10時, 正午, 2pm,
//     2:30 pm, 10 a.m., noon. The end of a range (14:00〜15:00) is ignored.
//     0 to 6 o'clock without 午前/午後/am/pm (2時) is asked about.
//   - Visitors: names with 様, さま, さん, 殿 or 氏 (佐藤様、鈴木様;
//     佐藤様と鈴木様), or after Mr./Ms./Mrs./Dr. Companies with a legal
//     form (株式会社…, …株式会社, (株)…, 有限会社…) or a trade word (…商事,
//     …工業, …物産, …製作所, …事務所, …) before or after the names,
//     テスト商事の佐藤様, 佐藤様(テスト商事), "Acme Inc.", "Beta LLC", or
//     after "from". In the English
//     form (appointment, appt, book) unmarked words are names ("John Smith
//     from Acme"); in the Japanese form they are asked about, except
//     just before a name, where they are part of it (佐藤 太郎様). A
//     department after a company joins it (テスト商事 営業部).
//   - Party size: 2名, 2名様, 2人, "2 people", "3 guests", x2; 佐藤様ほか1名
//     (two people). Fewer than the visitors named is asked about.
//   - Room: 第1会議室, 大会議室, 会議室A, 応接室, 商談室, "room A", "Room 3".
//   - Title: 「定例会」, 『…』, "…", or the rest of the line after 件名:,
//     用件:, タイトル:, "re:", "subject:". 件名 定例 (件名, 用件 or タイトル
//     and a space) runs to the next date, time, room or party size, the
//     next name with 様, or the end of the line.
//   - Form lines: 日時:, 会社:, 氏名:, 人数:, 場所: (rest of the line is the
//     room) and their English forms label what follows; after 会社: and
//     氏名: no 株式会社 or 様 is needed.
//
// Several of one thing (12/3か12/4, two times, two rooms) are asked about.
package booking

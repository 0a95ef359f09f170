package booking

// Field names a Question can carry. The bot may use them to decide what to
// show next to the question (for instance a date picker for FieldDate).
const (
	FieldCommand = "command" // the text is not an appointment command
	FieldDate    = "date"    // missing, invalid, ambiguous or past date
	FieldTime    = "time"    // missing, invalid, ambiguous or past time
	FieldUntil   = "until"   // the end of a period
	FieldVisitor = "visitor" // who is coming
	FieldParty   = "party"   // how many people
	FieldRoom    = "room"    // which meeting room
	FieldTitle   = "title"   // what the meeting is about
)

// Question is the error Parse returns when it will not guess: the text is
// ambiguous, incomplete, impossible or in the past. The bot sends Ask (or
// AskEN) back to the staff member instead of making an appointment, because
// a wrong appointment costs more than one more message.
type Question struct {
	Field string // one of the Field constants
	Ask   string // the question, in Japanese
	AskEN string // the same question, in English
}

func (q *Question) Error() string {
	return "booking: " + q.Field + ": " + q.AskEN
}

// Text returns the question in lang ("ja" or "en"; anything else gets
// Japanese, the language most staff write in).
func (q *Question) Text(lang string) string {
	if lang == "en" {
		return q.AskEN
	}
	return q.Ask
}

func ask(field, ja, en string) *Question {
	return &Question{Field: field, Ask: ja, AskEN: en}
}

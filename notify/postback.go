package notify

import "strings"

// Postback values carry a versioned prefix, an action and a visit ID:
// "uk1:accept:<visitID>" (or, for an appointment request's confirmation,
// an inbox entry ID: "uk1:book:<inboxID>"). The prefix lets a future format coexist with
// buttons already sitting in talk rooms, and lets us ignore taps on other
// bots' buttons. Visit IDs are short, so values stay far under the
// 1000-character limit of a message action's postback.
const postbackPrefix = "uk1"

const (
	actionAccept   = "accept"
	actionEscalate = "escalate"
	// actionBook and actionDiscard confirm or drop an appointment request
	// made in a 1:1 chat; the ID is the request's inbox entry
	// (chatbooking.go).
	actionBook    = "book"
	actionDiscard = "discard"
)

func encodePostback(action, visitID string) string {
	return postbackPrefix + ":" + action + ":" + visitID
}

// decodePostback parses a postback value; ok is false for values that are
// not ours.
func decodePostback(data string) (action, visitID string, ok bool) {
	parts := strings.SplitN(strings.TrimSpace(data), ":", 3)
	if len(parts) != 3 || parts[0] != postbackPrefix || parts[2] == "" {
		return "", "", false
	}
	switch parts[1] {
	case actionAccept, actionEscalate, actionBook, actionDiscard:
		return parts[1], parts[2], true
	}
	return "", "", false
}

// AcceptPostback is the postback value of 「対応します」 for a visit, as
// carried by the notification's message action. Simulators (the demo page,
// tests, `uketsuke callback send --tap`) use it to tap like a staff member.
func AcceptPostback(visitID string) string { return encodePostback(actionAccept, visitID) }

// EscalatePostback is the postback value of 「他の人に対応を依頼」 for a visit.
func EscalatePostback(visitID string) string { return encodePostback(actionEscalate, visitID) }

// Package uketsuke turns visitor check-ins at an office reception into
// LINE WORKS notifications that staff can act on.
//
// A visitor taps a reception button on a kiosk; uketsuke stores the visit and,
// in the same transaction, queues notifications. A dispatcher posts a
// button_template into the button's talk room (and, optionally, 1:1 to named
// staff). A staff member taps 「対応します」 and everyone in the room sees who is
// handling the visitor; 「他の人に対応を依頼」 asks the whole room (@All) for help;
// reminders go out when nobody answers.
//
// This package holds documentation only. The module is organised as:
//
//   - [github.com/uketsuke/uketsuke/lineworks]: a LINE WORKS API 2.0 client —
//     service-account JWT auth and user OAuth, bot messages of every content
//     type, channels, bots, users, attachments, callbacks with signature
//     verification, retries and rate limits. It knows nothing about reception.
//   - [github.com/uketsuke/uketsuke/lineworks/lineworkstest]: a fake LINE WORKS
//     (auth, API and signed callbacks) for tests and demos.
//   - [github.com/uketsuke/uketsuke/reception]: the domain (organizations,
//     buttons, staff, rooms, visits) and the Store contract, with memstore,
//     sqlitestore and pgstore implementations and one conformance suite.
//   - [github.com/uketsuke/uketsuke/notify]: check-in → durable outbox →
//     LINE WORKS; callbacks → accept / escalate / room-ID reply; reminders.
//   - examples/server: the runnable reception server; examples/cli: the
//     uketsuke command-line tool.
//
// A sketch of using the client on its own:
//
//	account := &lineworks.ServiceAccount{ClientID: clientID, ClientSecret: clientSecret,
//		ServiceAccountID: "xxxxx.serviceaccount@example.com", PrivateKey: keyPEM,
//		Scopes: []string{"bot"}}
//	ts, err := account.TokenSource(ctx)
//	client, err := lineworks.NewClient(ts)
//	err = client.Bots.SendToChannel(ctx, botID, channelID, lineworks.Text{Text: "こんにちは"})
//
// The runnable example of the whole flow is notify's package example.
package uketsuke

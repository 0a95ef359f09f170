// Package lineworks is a client for the LINE WORKS API 2.0: service-account
// (JWT) and user OAuth authentication, bot messages of every content type,
// channels, bots, users, attachments and menus, and callbacks with signature
// verification.
//
// A Client is built from an oauth2.TokenSource — usually
// ServiceAccount.TokenSource — and is safe for concurrent use. Services hang
// off it as fields, grouped like the LINE WORKS reference:
//
//	client.Bots.SendToChannel(ctx, botID, channelID, lineworks.Text{Text: "hi"})
//	client.Channels.Members(ctx, botID, channelID)
//	client.Users.Get(ctx, userID)
//
// Every API error is an *APIError, usable with errors.As and matching
// sentinels such as ErrRateLimited with errors.Is. Requests are paced per API
// to stay within the tenant's rate limit and retried according to a
// RetryPolicy; the token is renewed once when LINE WORKS answers 401.
//
// Callbacks are verified and parsed with VerifySignature, ParseCallback and
// NewCallbackReceiver. Package lineworkstest provides a fake LINE WORKS for
// tests and demos.
//
// # Options
//
// Every configurable constructor in this module takes options of one shape,
// which new option types should copy:
//
//   - The option type is a named function over an unexported settings
//     struct that returns an error: type Option func(*clientConfig) error.
//     The settings struct, not the built value, is what options change, so
//     nothing half-built is ever seen and an option cannot act after
//     construction.
//   - Each option is a With… function taking one value per setting (no
//     positional lists of numbers); the constructor starts from documented
//     defaults, so a caller names only what it changes.
//   - An option checks its value when applied and returns an error that
//     wraps ErrInvalidArgument and names the option and the value, e.g.
//     "WithRateLimit(-1): negative". Nothing is silently ignored: a zero
//     value is accepted only where the option documents what zero means.
//   - Options are applied in order, so a later option wins; a nil option is
//     skipped, so that callers can build option lists conditionally.
//   - The constructor returns the first option error (NewClient,
//     NewCallbackReceiver, ParseCallback). A constructor that cannot return
//     an error, such as lineworkstest.NewServer (shaped like
//     httptest.NewServer), panics with it instead.
//
// See https://developers.worksmobile.com/jp/docs/api.
package lineworks

module github.com/uketsuke/uketsuke/bench

go 1.26.0

require (
	github.com/line/line-bot-sdk-go/v8 v8.14.0
	github.com/uketsuke/uketsuke v0.0.0-00010101000000-000000000000
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/uketsuke/uketsuke => ../

package lineworks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors for the common failure classes. An *APIError matches the
// sentinel of its HTTP status with errors.Is, so callers can branch without
// inspecting status codes:
//
//	if errors.Is(err, lineworks.ErrRateLimited) { … }
var (
	ErrBadRequest   = errors.New("lineworks: bad request")
	ErrUnauthorized = errors.New("lineworks: unauthorized")
	ErrForbidden    = errors.New("lineworks: forbidden")
	ErrNotFound     = errors.New("lineworks: not found")
	ErrConflict     = errors.New("lineworks: conflict")
	ErrRateLimited  = errors.New("lineworks: rate limited")
	ErrServer       = errors.New("lineworks: server error")
)

// maxErrorBody bounds how much of an error response is read: error bodies are
// tiny JSON objects, and a misbehaving proxy must not make us buffer megabytes.
const maxErrorBody = 64 << 10

// APIError is the error returned for any non-2xx answer of the LINE WORKS API.
// Code and Description come from the documented error body
// {"code":"…","description":"…"}; RetryAfter is filled from the
// rateLimit-reset or Retry-After header when the server sent one.
//
// See https://developers.worksmobile.com/jp/docs/error-codes.
type APIError struct {
	StatusCode  int
	Code        string
	Description string
	// RetryAfter is how long the server asked us to wait (429, 503); zero when unknown.
	RetryAfter time.Duration
	// RateLimit holds the rateLimit-* headers of the response, when present.
	RateLimit RateLimit
	// Method and Path identify the request (path only: no query, no host).
	Method, Path string
}

// RateLimit is the rate-limit state LINE WORKS reports in rateLimit-* headers.
// See https://developers.worksmobile.com/jp/docs/rate-limits.
type RateLimit struct {
	Limit     int
	Remaining int
	// Reset is the time until the window resets.
	Reset time.Duration
	// Present reports whether any rateLimit-* header was sent.
	Present bool
}

// Error implements error. It never contains request bodies or tokens.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("lineworks: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteByte(' ')
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Is matches the sentinel error of the response's status class.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusGone
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// Temporary reports whether repeating the same request later may succeed.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// CheckResponse returns nil for a 2xx or 3xx response and an *APIError
// otherwise. It reads (and bounds) the body of an error response but leaves
// the body of a successful one for the caller.
func CheckResponse(r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode < 400 {
		return nil
	}
	e := &APIError{StatusCode: r.StatusCode, RateLimit: parseRateLimit(r.Header)}
	if r.Request != nil {
		e.Method = r.Request.Method
		if r.Request.URL != nil {
			e.Path = r.Request.URL.Path
		}
	}
	e.RetryAfter = retryAfter(r.Header, e.RateLimit)
	if r.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
		var body struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		}
		if json.Unmarshal(data, &body) == nil {
			e.Code, e.Description = body.Code, body.Description
		}
	}
	if e.Code == "" {
		// Proxies and load balancers answer with HTML; keep the status text so
		// the error still says something useful.
		e.Code = strings.ToUpper(strings.ReplaceAll(http.StatusText(r.StatusCode), " ", "_"))
	}
	return e
}

// parseRateLimit reads the rateLimit-* headers (looked up case-insensitively,
// as http.Header canonicalises them).
func parseRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	if v := h.Get("rateLimit-limit"); v != "" {
		rl.Limit, _ = strconv.Atoi(strings.TrimSpace(v))
		rl.Present = true
	}
	if v := h.Get("rateLimit-remaining"); v != "" {
		rl.Remaining, _ = strconv.Atoi(strings.TrimSpace(v))
		rl.Present = true
	}
	if v := h.Get("rateLimit-reset"); v != "" {
		if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && s > 0 {
			rl.Reset = time.Duration(s * float64(time.Second))
		}
		rl.Present = true
	}
	return rl
}

// retryAfter prefers the LINE WORKS header, then the standard Retry-After
// (seconds or an HTTP date).
func retryAfter(h http.Header, rl RateLimit) time.Duration {
	if rl.Reset > 0 {
		return rl.Reset
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

package config

import (
	"strconv"
	"strings"
	"time"
)

// defaultRetention is how long visitors' personal data is kept: a quarter,
// long enough to answer "who came last month?", short enough for APPI's
// "no longer than needed".
const defaultRetention = "90d"

// minRetention keeps the purge away from visits still being handled.
const minRetention = 24 * time.Hour

// parseRetention reads UKETSUKE_RETENTION: N days ("90d") or a Go duration
// of at least a day ("720h"); "0" keeps personal data for ever.
func parseRetention(raw string) (time.Duration, error) {
	const msg = `must be a number of days such as 90d, a duration of at least 24h, or 0 (keep for ever)`
	raw = strings.TrimSpace(raw)
	if raw == "0" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 100*365 {
			return 0, &Error{"UKETSUKE_RETENTION", msg}
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(raw); err != nil {
			return 0, &Error{"UKETSUKE_RETENTION", msg}
		}
	}
	if d < minRetention {
		return 0, &Error{"UKETSUKE_RETENTION", msg}
	}
	return d, nil
}

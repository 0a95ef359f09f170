package config

import (
	"fmt"
	"strings"
	"time"
)

// defaultTimeZone is UKETSUKE_TIME_ZONE's default: LINE WORKS customers
// are mostly in Japan, and a server in a UTC cloud region must still count
// a Japanese office's days in Japan.
const defaultTimeZone = "Asia/Tokyo"

// parseTimeZone reads UKETSUKE_TIME_ZONE: an IANA name ("Asia/Tokyo"),
// "UTC", or "Local" for this machine's zone. The binary embeds the zone
// database (time/tzdata), so names work without /usr/share/zoneinfo.
func parseTimeZone(raw string) (*time.Location, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = defaultTimeZone
	}
	if raw == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a known time zone; give an IANA name such as Asia/Tokyo or UTC, or Local for this machine's zone", raw)
	}
	return loc, nil
}

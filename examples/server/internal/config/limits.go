package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the check-in limits, for a real front desk: a visitor
// checks in once per party, so ten at once (a group arriving) and one a
// minute after that is more than a tablet sees; an office's kiosks often
// share one address, so the address allows three kiosks' worth.
const (
	defaultKioskRate    = "60/h"
	defaultKioskBurst   = "10"
	defaultAddressRate  = "180/h"
	defaultAddressBurst = "30"
	defaultOrgDaily     = "1000"
	// A visitor mistypes a reception code now and then; a guesser needs
	// hundreds of thousands of tries.
	defaultCodeRate  = "20/h"
	defaultCodeBurst = "5"
)

// Limits bound check-ins made with kiosk tokens. It has the fields of
// httpserver.CheckInLimits, so one converts to the other.
type Limits struct {
	KioskRate      rate.Limit
	KioskBurst     int
	AddressRate    rate.Limit
	AddressBurst   int
	OrgDaily       int
	TrustedProxies []netip.Prefix
	CodeRate       rate.Limit
	CodeBurst      int
}

func parseLimits(get func(string) string) (Limits, error) {
	var l Limits
	var err error
	if l.KioskRate, err = parseRate(get("UKETSUKE_KIOSK_RATE")); err != nil {
		return l, &Error{"UKETSUKE_KIOSK_RATE", err.Error()}
	}
	if l.KioskBurst, err = parseCount(get("UKETSUKE_KIOSK_BURST"), 1); err != nil {
		return l, &Error{"UKETSUKE_KIOSK_BURST", err.Error()}
	}
	if l.AddressRate, err = parseRate(get("UKETSUKE_ADDRESS_RATE")); err != nil {
		return l, &Error{"UKETSUKE_ADDRESS_RATE", err.Error()}
	}
	if l.AddressBurst, err = parseCount(get("UKETSUKE_ADDRESS_BURST"), 1); err != nil {
		return l, &Error{"UKETSUKE_ADDRESS_BURST", err.Error()}
	}
	if l.OrgDaily, err = parseCount(get("UKETSUKE_ORG_DAILY_CHECKINS"), 0); err != nil {
		return l, &Error{"UKETSUKE_ORG_DAILY_CHECKINS", err.Error()}
	}
	if l.CodeRate, err = parseRate(get("UKETSUKE_KIOSK_CODE_RATE")); err != nil {
		return l, &Error{"UKETSUKE_KIOSK_CODE_RATE", err.Error()}
	}
	if l.CodeBurst, err = parseCount(get("UKETSUKE_KIOSK_CODE_BURST"), 1); err != nil {
		return l, &Error{"UKETSUKE_KIOSK_CODE_BURST", err.Error()}
	}
	if l.TrustedProxies, err = parsePrefixes(get("UKETSUKE_TRUSTED_PROXIES")); err != nil {
		return l, &Error{"UKETSUKE_TRUSTED_PROXIES", err.Error()}
	}
	return l, nil
}

var rateUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}

// parseRate reads "N/unit" (60/h) as events per second; "0" is no limit.
func parseRate(s string) (rate.Limit, error) {
	if s == "0" {
		return 0, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	per, known := rateUnits[strings.TrimSpace(unit)]
	if !ok || err != nil || count < 1 || !known {
		return 0, fmt.Errorf("%q is not a rate such as 60/h (N/s, N/m, N/h or N/d), or 0 for no limit", s)
	}
	return rate.Limit(float64(count) / per.Seconds()), nil
}

func parseCount(s string, least int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < least || n > 1_000_000 {
		return 0, fmt.Errorf("%q is not a whole number between %d and 1000000", s, least)
	}
	return n, nil
}

// parsePrefixes reads comma-separated IPs and CIDRs.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

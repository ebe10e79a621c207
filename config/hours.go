package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // business_hours.timezone must load on images without a zoneinfo database
)

// BusinessHours is when agents are expected to be around. With no week
// configured, every moment counts as open.
type BusinessHours struct {
	// Timezone is an IANA name such as "Europe/Berlin" (UTC when empty).
	Timezone string `yaml:"timezone"`
	// Week maps days to opening hours. Keys are days ("mon" … "sun" or
	// full names), ranges ("mon-fri") or comma lists ("sat,sun"); values
	// are "09:00-17:00", several windows ("09:00-12:00,13:00-17:00") or
	// "closed". Days not listed are closed.
	Week map[string]string `yaml:"week"`

	// sched is the parsed Week, set by validation.
	sched *schedule
}

// schedule holds the open windows of each weekday, in minutes of the day.
type schedule struct {
	loc  *time.Location
	days [7][]window
}

type window struct{ from, to int }

// Location is the configured time zone (UTC when unset or invalid).
func (b BusinessHours) Location() *time.Location {
	if b.sched != nil {
		return b.sched.loc
	}
	if loc, err := time.LoadLocation(b.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// Open reports whether t falls within the business hours. With no week
// configured it is always true.
func (b BusinessHours) Open(t time.Time) bool {
	if len(b.Week) == 0 {
		return true
	}
	s := b.sched
	if s == nil {
		var errs []keyError
		if s, errs = parseSchedule(b.Timezone, b.Week, nil); len(errs) > 0 {
			return true
		}
	}
	lt := t.In(s.loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, w := range s.days[lt.Weekday()] {
		if m >= w.from && m < w.to {
			return true
		}
	}
	return false
}

// NextOpen is the first moment at or after t within the business hours: t
// itself when open, else the start of the next opening window (looking a
// week ahead; zero when the week has no window at all).
func (b BusinessHours) NextOpen(t time.Time) time.Time {
	if b.Open(t) {
		return t
	}
	s := b.sched
	if s == nil {
		var errs []keyError
		if s, errs = parseSchedule(b.Timezone, b.Week, nil); len(errs) > 0 {
			return t
		}
	}
	lt := t.In(s.loc)
	var best time.Time
	for d := 0; d <= 7; d++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+d, 0, 0, 0, 0, s.loc)
		for _, w := range s.days[day.Weekday()] {
			start := time.Date(day.Year(), day.Month(), day.Day(), w.from/60, w.from%60, 0, 0, s.loc)
			if start.After(t) && (best.IsZero() || start.Before(best)) {
				best = start
			}
		}
		if !best.IsZero() {
			return best
		}
	}
	return best
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday,
	"saturday": time.Saturday,
}

// keyError is a problem with one week key (key == "" for the timezone).
type keyError struct {
	key, msg string
}

// parseSchedule parses the timezone and week. order lists the week keys
// in file order (nil: sorted), so errors come out in a stable order.
func parseSchedule(tz string, week map[string]string, order []string) (*schedule, []keyError) {
	var errs []keyError
	s := &schedule{loc: time.UTC}
	if tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			errs = append(errs, keyError{"", fmt.Sprintf("unknown time zone %q (use an IANA name such as Europe/Berlin)", tz)})
		} else {
			s.loc = loc
		}
	}
	if order == nil {
		for k := range week {
			order = append(order, k)
		}
		sort.Strings(order)
	}
	var set [7]string
	for _, key := range order {
		days, err := parseDays(key)
		if err != nil {
			errs = append(errs, keyError{key, err.Error()})
			continue
		}
		wins, err := parseWindows(week[key])
		if err != nil {
			errs = append(errs, keyError{key, err.Error()})
			continue
		}
		for _, d := range days {
			if set[d] != "" {
				errs = append(errs, keyError{key, fmt.Sprintf("%s is already set by %q", strings.ToLower(d.String()[:3]), set[d])})
				continue
			}
			set[d] = key
			s.days[d] = wins
		}
	}
	return s, errs
}

// parseDays parses "mon", "mon-fri" (ranges may wrap: "fri-mon") and
// comma lists of those.
func parseDays(key string) ([]time.Weekday, error) {
	var days []time.Weekday
	for part := range strings.SplitSeq(key, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayNames[strings.TrimSpace(from)]
		if !ok {
			return nil, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri or a list such as sat,sun)", strings.TrimSpace(from))
		}
		if !isRange {
			days = append(days, a)
			continue
		}
		b, ok := dayNames[strings.TrimSpace(to)]
		if !ok {
			return nil, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri or a list such as sat,sun)", strings.TrimSpace(to))
		}
		for d := a; ; d = (d + 1) % 7 {
			days = append(days, d)
			if d == b {
				break
			}
		}
	}
	return days, nil
}

// parseWindows parses "09:00-17:00", "09:00-12:00,13:00-17:00" or "closed".
func parseWindows(v string) ([]window, error) {
	if strings.EqualFold(strings.TrimSpace(v), "closed") {
		return nil, nil
	}
	var wins []window
	for part := range strings.SplitSeq(v, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("hours must look like 09:00-17:00 or be closed (got %q)", v)
		}
		a, errA := parseClock(from, false)
		b, errB := parseClock(to, true)
		if errA != nil || errB != nil {
			return nil, fmt.Errorf("hours must look like 09:00-17:00 or be closed (got %q)", v)
		}
		if b <= a {
			return nil, fmt.Errorf("closing time must be after opening time in %q", strings.TrimSpace(part))
		}
		for _, w := range wins {
			if a < w.to && w.from < b {
				return nil, fmt.Errorf("windows overlap in %q", v)
			}
		}
		wins = append(wins, window{a, b})
	}
	return wins, nil
}

// parseClock parses "HH:MM" into minutes of the day; "24:00" is allowed
// as a closing time.
func parseClock(s string, closing bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	if !allDigits(h) || !allDigits(m) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !closing)) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

package core

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on customer input.
const (
	MaxTextLen    = 4000
	MaxNameLen    = 200
	MaxURLLen     = 2048
	maxVisitorLen = 64
)

// checkText validates a non-empty message text.
func checkText(field, text string) error {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return Invalid(field, "must not be empty")
	case !utf8.ValidString(t):
		return Invalid(field, "must be valid UTF-8")
	case hasControls(t):
		return Invalid(field, "must not contain control characters")
	case utf8.RuneCountInString(t) > MaxTextLen:
		return Invalid(field, "must be at most %d characters", MaxTextLen)
	}
	return nil
}

// isControl is a control character other than the line breaks and tab
// that text may hold.
func isControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }

// hasControls reports control characters in s (see isControl).
func hasControls(s string) bool { return strings.IndexFunc(s, isControl) >= 0 }

// stripControls drops the control characters of s (see isControl).
func stripControls(s string) string {
	if !hasControls(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// checkPageURL validates an optional http(s) page URL.
func checkPageURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxURLLen {
		return Invalid(field, "must be at most %d characters", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid(field, "must be an absolute http or https URL")
	}
	return nil
}

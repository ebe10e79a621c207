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

// isInvisible reports a character that shows nothing yet changes how a
// name reads or compares: the format characters (Cf: the bidirectional
// embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069,
// the zero-width space, joiners and marks U+200B–U+200F, U+2060–U+2064,
// U+FEFF, the soft hyphen…), the line and paragraph separators, and the
// Hangul fillers that render as a blank.
func isInvisible(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u034F':
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// CleanName is a person's name as Switchboard stores and shows it:
// invalid UTF-8 replaced, control and invisible characters (isInvisible)
// dropped, tabs and line breaks turned into spaces, trimmed. A right-to-
// left override cannot turn "Anna\u202Egnp.exe" around in an agent's
// panel, and a name of zero-width spaces is no name (Anonymous Visitor).
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || isInvisible(r) }) < 0 {
		return strings.TrimSpace(name)
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || isInvisible(r):
			return -1
		}
		return r
	}, name))
}

// validEmail is a plausible e-mail address: one "@" with a local part of
// at most 64 bytes before it and a domain of dot-separated labels after
// it, at most 254 bytes, without spaces or control characters. It does
// not try to be RFC 5322: it refuses what cannot be anyone's address
// ("@", "a@", "@b", "a@b..c", "a b@c").
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case !ok || local == "" || len(local) > 64 || domain == "" || len(s) > 254,
		strings.Contains(domain, "@"), !utf8.ValidString(s), strings.IndexFunc(s, notInAddress) >= 0:
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}

// notInAddress is a character no e-mail address we accept holds.
func notInAddress(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || isInvisible(r) }

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

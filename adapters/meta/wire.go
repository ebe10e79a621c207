package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// ID is a provider id that may arrive as a JSON string or number (old
// Messenger payloads send numeric page and user ids). Numbers keep their
// exact digits; null, booleans, objects and arrays are empty.
type ID string

// UnmarshalJSON never fails on well-formed JSON.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*id = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*id = ID(n.String())
		return nil
	}
	*id = "" // true, false, an object or an array: no usable id
	return nil
}

// Time is a provider timestamp: a number or digit string of Unix seconds
// or milliseconds, or an ISO 8601 text. Anything else is the zero time
// (core then uses the time of receipt).
type Time struct{ time.Time }

// isoLayouts are the textual forms seen in the wild.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000-0700", "2006-01-02 15:04:05"}

// UnmarshalJSON never fails: an unreadable time is zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		t.Time = unixGuess(n)
		return nil
	}
	for _, l := range isoLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}

// unixGuess reads n as milliseconds when it is too large for seconds.
func unixGuess(n float64) time.Time {
	switch {
	case n <= 0 || n > 1e16: // nonsense; keep it out of time arithmetic
		return time.Time{}
	case n >= 1e11: // beyond year 5138 in seconds: milliseconds
		return time.UnixMilli(int64(n)).UTC()
	}
	return time.Unix(int64(n), 0).UTC()
}

// Decode unmarshals a webhook body into v. Syntax errors (malformed JSON)
// are returned; a value of an unexpected type (a number where text was
// expected) leaves that field empty and the rest decoded, because Meta's
// payloads vary across API versions and one odd field must not lose the
// customer's message.
func Decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}

// Join joins the non-empty parts with sep.
func Join(sep string, parts ...string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

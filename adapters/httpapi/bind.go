package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/core"
)

// Bind decodes a JSON object body into v. A non-JSON content type is
// ErrMediaType, a body over the limit ErrPayloadTooLarge, anything that is
// not one JSON object of the right shape core.ErrInvalid naming the field.
// With optional set, an empty body leaves v untouched.
func Bind(c echo.Context, v any, optional bool) error {
	r := c.Request()
	data, err := inbound.ReadBody(r.Body, r.ContentLength, 0) // within the BodyLimit middleware's limit
	if errors.Is(err, inbound.ErrTooLarge) {
		return fmt.Errorf("%w: %w", ErrPayloadTooLarge, err)
	}
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return core.Invalid("body", "must be a JSON object")
	}
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return ErrMediaType
		}
	} else {
		return ErrMediaType
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return core.Invalid(ute.Field, "must be %s", kindName(ute.Type.Kind().String()))
		}
		return core.Invalid("body", "is not a valid JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return core.Invalid("body", "must hold exactly one JSON object")
	}
	return nil
}

func kindName(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return fmt.Sprintf("of type %s", k)
}

// BearerToken is the token of an "Authorization: Bearer …" header.
func BearerToken(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// StreamToken is the token of an event-stream request: the Authorization
// header, or an access_token query parameter, since browsers' EventSource
// cannot set headers. (Request logs never include query strings.)
func StreamToken(c echo.Context) string {
	if t := BearerToken(c); t != "" {
		return t
	}
	return c.QueryParam("access_token")
}

// BodyLimit caps request bodies at n bytes: a declared larger length is
// refused at once, a longer stream fails when read (Bind → 413).
func BodyLimit(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return ErrPayloadTooLarge
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, n)
			return next(c)
		}
	}
}

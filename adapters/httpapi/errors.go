package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/core"
)

// Errors of the HTTP layer itself.
var (
	ErrPayloadTooLarge = errors.New("request body too large")
	ErrMediaType       = errors.New("request body must be JSON")
	ErrRateLimited     = errors.New("too many requests")
)

// ErrorBody is the contract's error format.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorRule maps one sentinel to a status, a code and the sentence shown
// when the error carries no message meant for people.
type errorRule struct {
	err     error
	status  int
	code    string
	message string
}

// errorTable is the one place errors become HTTP answers. Order matters
// where one error matches several sentinels: the first match wins.
var errorTable = []errorRule{
	{core.ErrInvalid, http.StatusBadRequest, "invalid_request", "The request is invalid."},
	{core.ErrDuplicate, http.StatusBadRequest, "invalid_request", "That value is already in use."},
	{core.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Missing, invalid or expired credentials."},
	{core.ErrNotOffered, http.StatusForbidden, "not_offered", "This request is not offered to you."},
	{core.ErrForbidden, http.StatusForbidden, "forbidden", "You are not allowed to do this."},
	{core.ErrNotFound, http.StatusNotFound, "not_found", "Not found."},
	{core.ErrAlreadyAccepted, http.StatusConflict, "already_accepted", "This request was already accepted by another agent."},
	{core.ErrAtCapacity, http.StatusConflict, "at_capacity", "You already have as many active conversations as you may."},
	{core.ErrAgentOffline, http.StatusConflict, "agent_offline", "You must be online to accept requests."},
	{core.ErrInvalidTransition, http.StatusConflict, "invalid_transition", "This action is not valid in the current status."},
	{core.ErrGone, http.StatusGone, "gone", "This file could not be fetched."},
	{core.ErrPayloadTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "The file is too large."},
	{core.ErrUnsupportedMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type", "This type of file is not accepted."},
	{ErrPayloadTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is too large."},
	{inbound.ErrTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is too large."},
	{inbound.ErrNoHandshake, http.StatusMethodNotAllowed, "invalid_request", "This method is not allowed on this path."},
	{ErrMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type", "The request body must be JSON (Content-Type: application/json)."},
	{ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "Too many requests; retry later."},
	{core.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "A dependency is unavailable; nothing was stored. Retry later."},
}

// echoStatus maps Echo's own errors (no route, wrong method, …) by status.
var echoStatus = map[int]errorRule{
	http.StatusBadRequest:            {nil, http.StatusBadRequest, "invalid_request", "The request is invalid."},
	http.StatusUnauthorized:          {nil, http.StatusUnauthorized, "unauthorized", "Missing, invalid or expired credentials."},
	http.StatusForbidden:             {nil, http.StatusForbidden, "forbidden", "You are not allowed to do this."},
	http.StatusNotFound:              {nil, http.StatusNotFound, "not_found", "No such route."},
	http.StatusMethodNotAllowed:      {nil, http.StatusMethodNotAllowed, "invalid_request", "This method is not allowed on this path."},
	http.StatusRequestEntityTooLarge: {nil, http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is too large."},
	http.StatusUnsupportedMediaType:  {nil, http.StatusUnsupportedMediaType, "unsupported_media_type", "The request body must be JSON."},
	http.StatusTooManyRequests:       {nil, http.StatusTooManyRequests, "rate_limited", "Too many requests; retry later."},
	http.StatusServiceUnavailable:    {nil, http.StatusServiceUnavailable, "unavailable", "The service is unavailable."},
}

// Classify returns the status and error body for err.
func Classify(err error) (int, ErrorBody) {
	for _, r := range errorTable {
		if errors.Is(err, r.err) {
			return r.status, ErrorBody{ErrorDetail{r.code, publicMessage(err, r)}}
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if r, ok := echoStatus[he.Code]; ok {
			return r.status, ErrorBody{ErrorDetail{r.code, r.message}}
		}
		return he.Code, ErrorBody{ErrorDetail{"internal", http.StatusText(he.Code)}}
	}
	return http.StatusInternalServerError, ErrorBody{ErrorDetail{"internal", "Something went wrong on our side."}}
}

// publicMessage uses the error's own text only where it is written for
// people (a field error, a refused transition); otherwise the rule's sentence.
func publicMessage(err error, r errorRule) string {
	var fe *core.FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	var te *core.TransitionError
	if errors.As(err, &te) {
		return te.Error()
	}
	if me, ok := errors.AsType[*core.MediaLimitError](err); ok {
		return me.Message
	}
	if ge, ok := errors.AsType[*core.GoneError](err); ok {
		return ge.Error()
	}
	if errors.Is(err, core.ErrDuplicate) {
		return err.Error()
	}
	return r.message
}

// errorHandler writes every error in the contract's format.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, body := Classify(err)
		if status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "method", c.Request().Method,
				"path", c.Path(), "status", status, "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		if status == http.StatusTooManyRequests && c.Response().Header().Get("Retry-After") == "" {
			c.Response().Header().Set("Retry-After", "1")
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, body)
		}
		if err != nil {
			log.WarnContext(c.Request().Context(), "write error response", "err", err)
		}
	}
}

package core

import (
	"errors"
	"fmt"
)

// Sentinel errors. Adapters map them to transport codes in one table
// (adapters/httpapi); wrap them with %w and context, never compare strings.
var (
	ErrInvalid           = errors.New("invalid request")
	ErrUnauthorized      = errors.New("unauthorized")
	ErrForbidden         = errors.New("forbidden")
	ErrNotOffered        = errors.New("request not offered to this agent")
	ErrNotFound          = errors.New("not found")
	ErrAlreadyAccepted   = errors.New("request already accepted by another agent")
	ErrAtCapacity        = errors.New("agent at capacity")
	ErrAgentOffline      = errors.New("agent must be online")
	ErrInvalidTransition = errors.New("action not valid in the current status")
	ErrUnavailable       = errors.New("a dependency is unavailable")
	// ErrDuplicate reports a unique key that already exists (a redelivered
	// provider message, an agent e-mail already in use).
	ErrDuplicate = errors.New("already exists")
	// ErrPayloadTooLarge is a file over the gateway's or the channel's
	// size limit (see MediaLimitError for the limit named).
	ErrPayloadTooLarge = errors.New("payload too large")
	// ErrUnsupportedMediaType is a file whose type, judged from its
	// bytes, the gateway or the channel refuses.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
)

// DuplicateMessagesError is the ErrDuplicate of a set-based insert of
// customer messages (Tx.InsertMessages): it names the (channel, provider
// message id) keys that were stored already, so that the caller, after
// its rollback, can store the others again without them.
// errors.Is(err, ErrDuplicate) holds.
type DuplicateMessagesError struct {
	Keys []ChannelKey
}

func (e *DuplicateMessagesError) Error() string {
	return fmt.Sprintf("%d provider messages were stored already (first %s/%s)", len(e.Keys), e.Keys[0].ChannelID, e.Keys[0].ID)
}

// Is lets errors.Is(err, ErrDuplicate) match.
func (e *DuplicateMessagesError) Is(target error) bool { return target == ErrDuplicate }

// FieldError is a bad input field; errors.Is(err, ErrInvalid) holds.
type FieldError struct {
	Field  string
	Reason string
	// Err, when set, is the cause (a store's ErrDuplicate): errors.Is
	// sees it, the message does not show it.
	Err error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Is lets errors.Is(err, ErrInvalid) match.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Unwrap is the cause, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// Invalid returns a FieldError for field.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// TransitionError explains a refused state change; errors.Is(err,
// ErrInvalidTransition) holds.
type TransitionError struct {
	What, From, Action string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a %s %s", e.Action, e.From, e.What)
}

// Is lets errors.Is(err, ErrInvalidTransition) match.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-chat/switchboard/core"
)

// DefaultMaxWait is how long Send waits out a 429 itself.
const DefaultMaxWait = 5 * time.Second

// TextTimeout bounds the send of a text, 429 waits included.
const TextTimeout = 30 * time.Second

// Sender sends outbound messages with sendMessage, and files with
// sendPhoto, sendDocument, sendVoice, sendAudio, sendVideo or sendSticker
// as multipart uploads (upload.go) (core.Sender).
//
// Rate limits: a 429 whose retry_after is at most MaxWait, and that ends
// before the context's deadline, is waited out inside Send and the message
// is sent again (up to three attempts), so a short flood wait costs one
// delivery a few seconds instead of a queue retry. A longer one is
// returned as a *RateLimitError, which the queue retries no sooner than
// retry_after (core.RetryAfter).
type Sender struct {
	client  *Client
	maxWait time.Duration
	sleep   func(ctx context.Context, d time.Duration) error
}

var _ core.Sender = (*Sender)(nil)

// NewSender returns the sender of the bot behind client; maxWait ≤ 0 is
// DefaultMaxWait.
func NewSender(client *Client, maxWait time.Duration) *Sender {
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	return &Sender{client: client, maxWait: maxWait, sleep: sleepCtx}
}

// RateLimitError is a 429 that Send did not wait out; Wait is its
// retry_after.
type RateLimitError struct {
	Wait time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("telegram rate limit: retry after %s", e.Wait)
}

// RetryAfter is the wait Telegram asked for (core.RetryAfter).
func (e *RateLimitError) RetryAfter() time.Duration { return e.Wait }

const maxAttempts = 3

// Send delivers m.Text, or m.File with m.Text as its caption, to the
// customer's private chat (ChannelUserID) and returns
// "<chat_id>:<message_id>". 403 (the user blocked the bot, or
// never started it), 400 (chat not found, text refused), 401 (the bot
// token is wrong or revoked) and 404 (the token is malformed) are
// permanent *core.DeliveryError; everything else is retried by the queue.
func (s *Sender) Send(ctx context.Context, m core.Outbound) (string, error) {
	chatID, err := strconv.ParseInt(m.Customer.ChannelUserID, 10, 64)
	if err != nil {
		return "", &core.DeliveryError{Permanent: true, Code: "bad_chat_id",
			Reason: fmt.Sprintf("telegram chat id %q is not a number", m.Customer.ChannelUserID)}
	}
	if m.File == nil {
		// The task may run for minutes (uploads); a text is bounded as
		// Graph API calls are.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, TextTimeout)
		defer cancel()
	}
	method := "sendMessage"
	send := func() (tgbotapi.Message, error) { return s.client.Send(ctx, tgbotapi.NewMessage(chatID, m.Text)) }
	if m.File != nil {
		if method, send, err = s.fileSend(ctx, chatID, m); err != nil {
			return "", err
		}
	}
	for attempt := 1; ; attempt++ {
		sent, err := send()
		if err == nil {
			if sent.Chat != nil && sent.Chat.ID != 0 {
				chatID = sent.Chat.ID
			}
			return formatID(chatID) + ":" + strconv.Itoa(sent.MessageID), nil
		}
		var te *tgbotapi.Error
		if !errors.As(err, &te) {
			return "", err // network, 5xx without a JSON body, …: retried
		}
		switch {
		case te.Code == 429:
			wait := time.Duration(te.RetryAfter) * time.Second
			if wait <= 0 {
				wait = time.Second
			}
			if attempt >= maxAttempts || wait > s.maxWait || !fits(ctx, wait) {
				return "", fmt.Errorf("telegram %s to %d: %w", method, chatID, &RateLimitError{Wait: wait})
			}
			if err := s.sleep(ctx, wait); err != nil {
				return "", fmt.Errorf("telegram %s to %d: waiting out a 429: %w", method, chatID, err)
			}
		case te.Code == 403, te.Code == 400:
			return "", &core.DeliveryError{Permanent: true, Code: strconv.Itoa(te.Code), Reason: te.Message}
		case te.Code == 401, te.Code == 404:
			// getMe or sendMessage refused the bot token itself: no retry
			// brings it back. The reason names the fix, never the token.
			return "", &core.DeliveryError{Permanent: true, Code: strconv.Itoa(te.Code), Reason: tokenRefused(te)}
		default:
			return "", fmt.Errorf("telegram %s to %d: error %d: %w", method, chatID, te.Code, err)
		}
	}
}

// tokenRefused is the reason of a delivery the Bot API refused for the
// bot's token (401 Unauthorized: wrong or revoked; 404 Not Found: not a
// token at all), with Telegram's description (the client has cut the
// token out of it).
func tokenRefused(te *tgbotapi.Error) string {
	what := "is wrong or was revoked"
	if te.Code == 404 {
		what = "is not one Telegram knows"
	}
	return fmt.Sprintf("Telegram refused the bot token (%d %s): the channel's token %s; set a valid one in its config (the message was not sent)",
		te.Code, te.Message, what)
}

// fits reports whether waiting d still leaves time before ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d+time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

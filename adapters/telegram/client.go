package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Client is one bot's connection to the Bot API (api.telegram.org or a
// self-hosted Bot API server) through go-telegram-bot-api. The library
// calls getMe when it builds its BotAPI, so the Client builds it lazily on
// the first call and again after a failed attempt: a gateway starts while
// Telegram is unreachable. Every call is bounded by its context, and no
// error it returns contains the token (which is part of every API URL).
type Client struct {
	token    string
	endpoint string // api_url + "/bot%s/%s", the library's format
	http     *http.Client

	mu  sync.Mutex
	bot *tgbotapi.BotAPI
}

// NewClient returns the client of the bot with token at apiURL (such as
// https://api.telegram.org). hc nil means a client without a global
// timeout; calls are bounded by their contexts.
func NewClient(apiURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{token: token, endpoint: strings.TrimRight(apiURL, "/") + "/bot%s/%s", http: hc}
}

// ctxDoer makes the library's requests (built without a context) use ctx.
type ctxDoer struct {
	ctx context.Context
	hc  *http.Client
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.hc.Do(r.WithContext(d.ctx)) }

// api returns a BotAPI whose requests are bound to ctx, building the
// shared one (getMe) first if need be.
func (c *Client) api(ctx context.Context) (*tgbotapi.BotAPI, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bot == nil {
		bot, err := tgbotapi.NewBotAPIWithClient(c.token, c.endpoint, ctxDoer{ctx, c.http})
		if err != nil {
			return nil, fmt.Errorf("telegram getMe: %w", c.scrub(err))
		}
		bot.Client = nil // per call, below
		c.bot = bot
	}
	per := *c.bot // a shallow copy: same token, endpoint and identity
	per.Client = ctxDoer{ctx, c.http}
	return &per, nil
}

// Me is the bot's identity (getMe), fetched once.
func (c *Client) Me(ctx context.Context) (tgbotapi.User, error) {
	bot, err := c.api(ctx)
	if err != nil {
		return tgbotapi.User{}, err
	}
	return bot.Self, nil
}

// Call makes one Bot API request with form parameters (the library's
// generic MakeRequest). A refusal by Telegram is a *tgbotapi.Error (code,
// description, retry_after).
func (c *Client) Call(ctx context.Context, method string, params tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	bot, err := c.api(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := bot.MakeRequest(method, params)
	if err != nil {
		return resp, fmt.Errorf("telegram %s: %w", method, c.scrub(err))
	}
	return resp, nil
}

// Send sends a Chattable (the library's typed configs, e.g. MessageConfig).
func (c *Client) Send(ctx context.Context, ch tgbotapi.Chattable) (tgbotapi.Message, error) {
	bot, err := c.api(ctx)
	if err != nil {
		return tgbotapi.Message{}, err
	}
	msg, err := bot.Send(ch)
	if err != nil {
		return msg, fmt.Errorf("telegram send: %w", c.scrub(err))
	}
	return msg, nil
}

// scrub removes the token from an error. Telegram's own refusals
// (*tgbotapi.Error) carry only its description and are kept as they are
// (or, when the description quotes the token, as a copy without it), so
// callers can read the code and retry_after; anything else (url.Error
// names the URL, with the token) is replaced by its text with the token
// cut out, keeping the cause chain only where it is free of the token.
func (c *Client) scrub(err error) error {
	if err == nil || c.token == "" {
		return err
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		if !strings.Contains(te.Message, c.token) {
			return te
		}
		// A refusal quoting the token stays a refusal (its code decides
		// whether to retry), with the token cut out of its description.
		clean := *te
		clean.Message = strings.ReplaceAll(te.Message, c.token, "<token>")
		return &scrubbed{text: strings.ReplaceAll(err.Error(), c.token, "<token>"), cause: &clean}
	}
	if !strings.Contains(err.Error(), c.token) {
		return err
	}
	out := &scrubbed{text: strings.ReplaceAll(err.Error(), c.token, "<token>")}
	for cause := errors.Unwrap(err); cause != nil; cause = errors.Unwrap(cause) {
		if !strings.Contains(cause.Error(), c.token) {
			out.cause = cause
			break
		}
	}
	return out
}

// scrubbed is an error whose text had the token cut out.
type scrubbed struct {
	text  string
	cause error
}

func (e *scrubbed) Error() string { return e.text }
func (e *scrubbed) Unwrap() error { return e.cause }

package telegram

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// SecretHeader carries the webhook's secret_token on every update.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Ingester is the part of core.Service the Telegram channel uses.
type Ingester interface {
	Ingest(ctx context.Context, in core.Inbound) (core.Message, error)
	EditInbound(ctx context.Context, channelID, providerID, text string) error
}

var _ Ingester = (*core.Service)(nil)

// Handler applies updates to core: the one path of webhook and polling.
type Handler struct {
	svc       Ingester
	channelID string
	client    *Client // answers callback queries; nil: they are not answered
	log       *slog.Logger
	// AnswerTimeout bounds answerCallbackQuery (default 3 s).
	AnswerTimeout time.Duration
}

// NewHandler returns the handler of one channel; client (may be nil)
// answers callback queries.
func NewHandler(svc Ingester, channelID string, client *Client, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, channelID: channelID, client: client, log: log, AnswerTimeout: 3 * time.Second}
}

// Handle normalises one decoded update and applies it. A redelivered
// message is a success; an event core refuses as invalid is logged and
// skipped (a retry would not fix it). An error (storage down) means the
// update must be delivered again. A callback query is answered after its
// choice is stored, best effort.
func (h *Handler) Handle(ctx context.Context, d Decoded) error {
	ev := Normalize(d.Update)
	if d.Tolerant() {
		h.log.WarnContext(ctx, "telegram update the library could not decode; read tolerantly", "channel", h.channelID,
			"update_id", ev.UpdateID, "kind", ev.Kind, "err", d.LibraryErr)
	}
	var err error
	switch ev.Kind {
	case KindMessage:
		_, err = h.svc.Ingest(ctx, core.Inbound{ChannelID: h.channelID, ChannelUserID: ev.ChatID, Name: ev.Name,
			ProviderID: ev.ProviderID, Text: ev.Text, At: ev.At})
		if errors.Is(err, core.ErrDuplicate) {
			err = nil
		}
	case KindEdit:
		err = h.svc.EditInbound(ctx, h.channelID, ev.ProviderID, ev.Text)
	default:
		h.log.DebugContext(ctx, "telegram update ignored", "channel", h.channelID, "update_id", ev.UpdateID, "reason", ev.Reason)
	}
	if errors.Is(err, core.ErrInvalid) {
		h.log.WarnContext(ctx, "telegram update skipped", "channel", h.channelID, "update_id", ev.UpdateID,
			"provider_id", ev.ProviderID, "err", err)
		err = nil
	}
	if err != nil {
		return fmt.Errorf("telegram %s: update %d (%s): %w", h.channelID, ev.UpdateID, ev.ProviderID, err)
	}
	if ev.CallbackID != "" {
		h.answer(ctx, ev.CallbackID)
	}
	return nil
}

// answer answers a callback query; a failure is only logged.
func (h *Handler) answer(ctx context.Context, id string) {
	if h.client == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.AnswerTimeout)
	defer cancel()
	if _, err := h.client.Call(actx, "answerCallbackQuery", tgbotapi.Params{"callback_query_id": id}); err != nil {
		h.log.WarnContext(ctx, "telegram answerCallbackQuery failed", "channel", h.channelID, "err", err)
	}
}

// Webhook is the channel's httpapi.Webhook (Telegram sends no handshake).
type Webhook struct {
	httpapi.NoHandshake
	h      *Handler
	secret []byte
}

var _ httpapi.Webhook = (*Webhook)(nil)

// NewWebhook returns the webhook of the channel whose setWebhook was given
// secretToken. An empty secretToken refuses every request.
func NewWebhook(h *Handler, secretToken string) *Webhook {
	return &Webhook{h: h, secret: []byte(secretToken)}
}

// Receive answers one update: 401 when X-Telegram-Bot-Api-Secret-Token is
// missing or wrong (nothing is read or stored), 413 over the body limit,
// 400 when the body is not a JSON object, 503 when storage is down
// (Telegram delivers it again), otherwise 200, including for an update
// the library cannot decode, which is logged and read tolerantly.
func (w *Webhook) Receive(c echo.Context) error {
	got := []byte(c.Request().Header.Get(SecretHeader))
	if len(w.secret) == 0 || subtle.ConstantTimeCompare(got, w.secret) != 1 {
		return fmt.Errorf("telegram webhook %s: missing or wrong %s: %w", w.h.channelID, SecretHeader, core.ErrUnauthorized)
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return httpapi.ErrPayloadTooLarge
		}
		return core.Invalid("body", "could not be read")
	}
	d, err := Decode(body)
	if err != nil {
		return core.Invalid("body", "is not a JSON object")
	}
	if err := w.h.Handle(c.Request().Context(), d); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

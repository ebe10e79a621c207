package telegram

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/core"
)

// SecretHeader carries the webhook's secret_token on every update.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Handler turns updates into events and applies them to core: the one
// path of webhook and polling.
type Handler struct {
	apply     *inbound.Applier
	channelID string
	client    *Client // answers callback queries; nil: they are not answered
	log       *slog.Logger
	// AnswerTimeout bounds answerCallbackQuery (default 3 s).
	AnswerTimeout time.Duration
}

// NewHandler returns the handler of one channel; client (may be nil)
// answers callback queries.
func NewHandler(svc inbound.Ingester, channelID string, client *Client, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{channelID: channelID, client: client, log: log, AnswerTimeout: 3 * time.Second}
	h.apply = inbound.NewApplier(svc, channelID, inbound.Options{Acknowledge: h.answer, Log: log})
	return h
}

// Handle normalises one decoded update and applies it with the outcome
// policy of every channel (inbound.Applier): an error (storage down) means
// the update must be delivered again. A callback query is answered after
// its choice is stored, best effort.
func (h *Handler) Handle(ctx context.Context, d Decoded) error {
	return h.apply.Apply(ctx, h.events(ctx, d))
}

// events is what the update means, logging an update only the tolerant
// decoder could read.
func (h *Handler) events(ctx context.Context, d Decoded) []core.InboundEvent {
	ev := Normalize(d.Update)
	if d.Tolerant() {
		h.log.WarnContext(ctx, "telegram update the library could not decode; read tolerantly", "channel", h.channelID,
			"update_id", ev.UpdateID, "kind", ev.Kind, "err", d.LibraryErr)
	}
	return []core.InboundEvent{ev}
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

// NewWebhook returns the webhook of the channel whose setWebhook was given
// secretToken: 401 when X-Telegram-Bot-Api-Secret-Token is missing or
// wrong (checked in constant time; nothing is read or stored), 413 over
// the body limit, 400 when the body is not a JSON object, 503 when storage
// is down (Telegram delivers it again), otherwise 200, including for an
// update the library cannot decode, which is logged and read tolerantly.
// Telegram sends no handshake. An empty secretToken refuses every request.
func NewWebhook(h *Handler, secretToken string) *inbound.Webhook {
	secret := []byte(secretToken)
	ch := inbound.Channel{
		ID: h.channelID,
		Authenticate: func(hd http.Header) error {
			if len(secret) == 0 || subtle.ConstantTimeCompare([]byte(hd.Get(SecretHeader)), secret) != 1 {
				return fmt.Errorf("missing or wrong %s: %w", SecretHeader, core.ErrUnauthorized)
			}
			return nil
		},
		Parse: func(body []byte) ([]core.InboundEvent, error) {
			d, err := Decode(body)
			if err != nil {
				return nil, err
			}
			return h.events(context.Background(), d), nil
		},
	}
	return inbound.NewWebhook(ch, h.apply, nil)
}

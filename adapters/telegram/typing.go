package telegram

import (
	"context"
	"fmt"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-chat/switchboard/core"
)

// Typer shows the agent's typing with sendChatAction (action=typing),
// which Telegram displays for about five seconds or until the bot's next
// message (core.Typer).
type Typer struct {
	client *Client
}

var _ core.Typer = (*Typer)(nil)

// NewTyper returns the typing indicator of the bot behind client.
func NewTyper(client *Client) *Typer { return &Typer{client: client} }

// Typing sends sendChatAction to the customer's private chat.
func (t *Typer) Typing(ctx context.Context, to core.TypingTarget) error {
	chatID, err := strconv.ParseInt(to.Customer.ChannelUserID, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram chat id %q is not a number", to.Customer.ChannelUserID)
	}
	params := tgbotapi.Params{}
	params.AddFirstValid("chat_id", chatID)
	params["action"] = tgbotapi.ChatTyping
	if _, err := t.client.Call(ctx, "sendChatAction", params); err != nil {
		return err
	}
	return nil
}

package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// FuzzScrub: whatever text an error of the Bot API client holds around
// the bot token (a URL error, a refusal quoting it, a wrapped chain), the
// scrubbed error never shows the token, keeps everything else, and keeps
// Telegram's own refusals readable as *tgbotapi.Error (with their code,
// and their description less the token when it quotes it).
// Seeds: testdata/fuzz/FuzzScrub.
func FuzzScrub(f *testing.F) {
	for _, s := range []struct {
		before, after string
		kind          uint8
	}{
		{"Post \"http://api/bot", "/sendMessage\": dial tcp: connection refused", 0},
		{"Unauthorized: invalid token ", "", 1},
		{"Bad Request: chat not found", "", 1},
		{"", "", 2},
		{"4242424242:", ":AA", 2},
		{"Unauthorized: invalid token ", "", 3},
	} {
		f.Add(s.before, s.after, s.kind)
	}
	const token = "4242424242:AAFuzzBotToken_0123456789"
	c := &Client{token: token}
	f.Fuzz(func(t *testing.T, before, after string, kind uint8) {
		var err error
		switch kind % 4 {
		case 0:
			err = &url.Error{Op: "Post", URL: before + token + after, Err: errors.New("connection refused")}
		case 1:
			err = &tgbotapi.Error{Code: 400, Message: before + after}
		case 2:
			err = fmt.Errorf("send: %w", fmt.Errorf("%s%s%s", before, token, after))
		case 3:
			err = &tgbotapi.Error{Code: 401, Message: before + token + after}
		}
		got := c.scrub(err)
		if got == nil {
			t.Fatal("scrub lost the error")
		}
		text := got.Error()
		for e := got; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), token) {
				t.Fatalf("scrubbed error (or its cause) %q shows the token", e.Error())
			}
		}
		if want := strings.ReplaceAll(err.Error(), token, "<token>"); text != want {
			t.Fatalf("scrubbed %q to %q, want %q", err.Error(), text, want)
		}
		var te *tgbotapi.Error
		if kind%4 == 1 && !strings.Contains(before+after, token) && (!errors.As(got, &te) || te.Message != before+after) {
			t.Fatalf("Telegram's refusal %q is no longer a *tgbotapi.Error", before+after)
		}
		if kind%4 == 3 {
			want := strings.ReplaceAll(before+token+after, token, "<token>")
			if !errors.As(got, &te) || te.Code != 401 || te.Message != want {
				t.Fatalf("Telegram's refusal quoting the token became %#v, want code 401 and %q", got, want)
			}
		}
	})
}

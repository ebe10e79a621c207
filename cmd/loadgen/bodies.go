package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Channel kinds loadgen drives.
const (
	kindWhatsApp  = "whatsapp"
	kindMessenger = "messenger"
	kindTelegram  = "telegram"
	kindWidget    = "widget"
)

var kinds = []string{kindWhatsApp, kindMessenger, kindTelegram, kindWidget}

// handoffPhrase is one of the default bot.handoff_phrases; the generated
// texts of ordinary messages avoid every handoff phrase.
const handoffPhrase = "talk to a person"

// ids makes every identifier of one run: message tokens (searchable single
// words), provider message ids and customer ids. run is 8 lowercase hex
// digits, different for every run, so runs against one database never
// collide.
type ids struct {
	run    string
	runNum uint32
}

func newIDs(run string) (ids, error) {
	n, err := strconv.ParseUint(run, 16, 32)
	if err != nil || len(run) != 8 {
		return ids{}, fmt.Errorf("run id %q: want 8 hex digits", run)
	}
	return ids{run: run, runNum: uint32(n)}, nil
}

// tokenRE finds a message token (n) or a reply token (r) of any run.
var tokenRE = regexp.MustCompile(`lg([0-9a-f]{8})([nr])([0-9]+)`)

// msgToken is the token of inbound message seq: one word, so full-text
// search finds it.
func (x ids) msgToken(seq int64) string { return "lg" + x.run + "n" + strconv.FormatInt(seq, 10) }

// replyToken is the token of the agent's reply to handoff seq.
func (x ids) replyToken(seq int64) string { return "lg" + x.run + "r" + strconv.FormatInt(seq, 10) }

// parseToken returns the kind ('n' message, 'r' reply) and sequence of the
// first token of this run in text.
func (x ids) parseToken(text string) (byte, int64, bool) {
	for _, m := range tokenRE.FindAllStringSubmatch(text, -1) {
		if m[1] != x.run {
			continue
		}
		seq, err := strconv.ParseInt(m[3], 10, 64)
		if err != nil {
			continue
		}
		return m[2][0], seq, true
	}
	return 0, 0, false
}

// text is the customer's text of message seq.
func (x ids) text(seq int64, handoff bool) string {
	if handoff {
		return "Hello, I would like to " + handoffPhrase + " please, ref " + x.msgToken(seq)
	}
	return "Hi, where is my order? ref " + x.msgToken(seq)
}

// Customer numbering: ordinary customers are 0 … customers-1 and come
// back; a handoff always comes from a fresh customer (handoffBase + seq)
// so it opens a new conversation and a new request.
const handoffBase = 5_000_000

func (x ids) customer(seq int64, customers int, handoff bool) int64 {
	if handoff {
		return handoffBase + seq
	}
	return seq % int64(max(customers, 1))
}

// waID is a WhatsApp number of customer c.
func (x ids) waID(c int64) string { return fmt.Sprintf("49%05d%08d", x.runNum%100000, c) }

// psid is a Messenger page-scoped id of customer c.
func (x ids) psid(c int64) string { return fmt.Sprintf("7%05d%09d", x.runNum%100000, c) }

// chatID is a Telegram private chat (= user) id of customer c.
func (x ids) chatID(c int64) int64 { return 1_000_000_000_000 + int64(x.runNum%100000)*10_000_000 + c }

// wamid is the WhatsApp message id of seq; mid the Messenger one.
func (x ids) wamid(seq int64) string { return "wamid.LG" + x.run + "." + strconv.FormatInt(seq, 10) }
func (x ids) mid(seq int64) string   { return "m_LG" + x.run + "_" + strconv.FormatInt(seq, 10) }

// updateID is the Telegram update_id of seq; the message_id is seq+1.
func (x ids) updateID(seq int64) int64 { return int64(x.runNum%100000)*1_000_000_000 + seq }

// customerName is the display name the payloads carry.
func customerName(c int64) string { return "Load Customer " + strconv.FormatInt(c, 10) }

// WhatsApp Cloud API webhook body (the subset loadgen sends).
type waBody struct {
	Object string    `json:"object"`
	Entry  []waEntry `json:"entry"`
}
type waEntry struct {
	ID      string     `json:"id"`
	Changes []waChange `json:"changes"`
}
type waChange struct {
	Field string  `json:"field"`
	Value waValue `json:"value"`
}
type waValue struct {
	MessagingProduct string      `json:"messaging_product"`
	Metadata         waMetadata  `json:"metadata"`
	Contacts         []waContact `json:"contacts"`
	Messages         []waMessage `json:"messages"`
}
type waMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}
type waContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}
type waMessage struct {
	From      string   `json:"from"`
	ID        string   `json:"id"`
	Timestamp string   `json:"timestamp"`
	Type      string   `json:"type"`
	Text      *waText  `json:"text,omitempty"`
	Image     *waMedia `json:"image,omitempty"`
}
type waText struct {
	Body string `json:"body"`
}

// whatsAppBody is the webhook body of message seq from customer c to the
// phone number phoneID.
func (x ids) whatsAppBody(phoneID string, seq, c int64, text string, at time.Time) []byte {
	contact := waContact{WaID: x.waID(c)}
	contact.Profile.Name = customerName(c)
	msg := waMessage{From: x.waID(c), ID: x.wamid(seq), Timestamp: strconv.FormatInt(at.Unix(), 10), Type: "text"}
	msg.Text = &waText{Body: text}
	b := waBody{Object: "whatsapp_business_account", Entry: []waEntry{{ID: "102290129340398", Changes: []waChange{{
		Field: "messages", Value: waValue{MessagingProduct: "whatsapp",
			Metadata: waMetadata{DisplayPhoneNumber: "15550000000", PhoneNumberID: phoneID},
			Contacts: []waContact{contact}, Messages: []waMessage{msg}}}}}}}
	return mustJSON(b)
}

// Messenger Platform webhook body.
type fbBody struct {
	Object string    `json:"object"`
	Entry  []fbEntry `json:"entry"`
}
type fbEntry struct {
	ID        string        `json:"id"`
	Time      int64         `json:"time"`
	Messaging []fbMessaging `json:"messaging"`
}
type fbMessaging struct {
	Sender    fbID      `json:"sender"`
	Recipient fbID      `json:"recipient"`
	Timestamp int64     `json:"timestamp"`
	Message   fbMessage `json:"message"`
}
type fbID struct {
	ID string `json:"id"`
}
type fbMessage struct {
	Mid         string         `json:"mid"`
	Text        string         `json:"text,omitempty"`
	Attachments []fbAttachment `json:"attachments,omitempty"`
}

// messengerBody is the webhook body of message seq from customer c to page.
func (x ids) messengerBody(page string, seq, c int64, text string, at time.Time) []byte {
	ms := at.UnixMilli()
	b := fbBody{Object: "page", Entry: []fbEntry{{ID: page, Time: ms, Messaging: []fbMessaging{{
		Sender: fbID{x.psid(c)}, Recipient: fbID{page}, Timestamp: ms,
		Message: fbMessage{Mid: x.mid(seq), Text: text}}}}}}
	return mustJSON(b)
}

// Telegram Bot API update.
type tgUpdate struct {
	UpdateID int64     `json:"update_id"`
	Message  tgMessage `json:"message"`
}
type tgMessage struct {
	MessageID int64         `json:"message_id"`
	From      tgUser        `json:"from"`
	Chat      tgChat        `json:"chat"`
	Date      int64         `json:"date"`
	Text      string        `json:"text,omitempty"`
	Caption   string        `json:"caption,omitempty"`
	Photo     []tgPhotoSize `json:"photo,omitempty"`
	Voice     *tgVoice      `json:"voice,omitempty"`
}
type tgUser struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
}
type tgChat struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Type      string `json:"type"`
}

// telegramBody is the update of message seq from customer c.
func (x ids) telegramBody(seq, c int64, text string, at time.Time) []byte {
	chat := x.chatID(c)
	last := "Customer " + strconv.FormatInt(c, 10)
	u := tgUpdate{UpdateID: x.updateID(seq), Message: tgMessage{MessageID: seq + 1,
		From: tgUser{ID: chat, FirstName: "Load", LastName: last},
		Chat: tgChat{ID: chat, FirstName: "Load", LastName: last, Type: "private"},
		Date: at.Unix(), Text: text}}
	return mustJSON(u)
}

// telegramProviderID is the provider id the gateway stores for seq.
func (x ids) telegramProviderID(seq, c int64) string {
	return strconv.FormatInt(x.chatID(c), 10) + ":" + strconv.FormatInt(seq+1, 10)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("loadgen: encode %T: %v", v, err)) // only fixed struct types are encoded
	}
	return b
}

package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// file is a stored attachment of m as the store must give it back.
func file(m core.Message, kind core.AttachmentKind, st core.AttachmentStatus, mod func(*core.Attachment)) core.Attachment {
	a := core.Attachment{ID: core.NewID(), MessageID: m.ID, ConversationID: m.ConversationID, ChannelID: m.ChannelID,
		Kind: kind, ContentType: "image/jpeg", Size: 52_431, Name: "", Status: st,
		Source:    core.InboundAttachment{Kind: kind, Ref: "1234567890", MIME: "image/jpeg", Size: 52_431},
		CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}
	if mod != nil {
		mod(&a)
	}
	return a
}

func testAttachments(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	cv := f.conversation(f.customer("wa", "Dana"), nil)
	m := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "wa", Author: core.AuthorCustomer,
		Text: "[image] the broken lid", CreatedAt: at(time.Second), ProviderID: "wamid.photo"}
	photo := file(m, core.AttachmentImage, core.AttachmentPending, nil)
	invoice := file(m, core.AttachmentDocument, core.AttachmentPending, func(a *core.Attachment) {
		a.ContentType, a.Size, a.Name = "application/pdf", 0, "invoice 2026-11.pdf"
		a.Source = core.InboundAttachment{Kind: core.AttachmentDocument, URL: "https://cdn.example/f?sig=1", Name: "invoice 2026-11.pdf"}
	})
	m.Attachments = []core.Attachment{photo, invoice}
	ok(t, "insert message with attachments", s.InsertMessage(ctx, m))

	got, err := s.MessageByID(ctx, m.ID)
	ok(t, "message by id", err)
	equal(t, "message with its attachments", got, m)
	list, err := s.ListMessages(ctx, cv.ID, "", 0)
	ok(t, "list messages", err)
	equal(t, "listed messages", list, []core.Message{m})
	withConv, _, err := s.MessageWithConversation(ctx, m.ID)
	ok(t, "message with conversation", err)
	equal(t, "message read with its conversation", withConv, m)
	a, err := s.AttachmentByID(ctx, photo.ID)
	ok(t, "attachment by id", err)
	equal(t, "attachment", a, photo)
	_, err = s.AttachmentByID(ctx, core.NewID())
	isErr(t, "unknown attachment", err, core.ErrNotFound)

	// A redelivered message stores neither itself nor its attachments.
	again := m
	again.ID = core.NewID()
	again.Attachments = []core.Attachment{file(again, core.AttachmentImage, core.AttachmentPending, nil)}
	isErr(t, "redelivered message", s.InsertMessage(ctx, again), core.ErrDuplicate)
	_, err = s.AttachmentByID(ctx, again.Attachments[0].ID)
	isErr(t, "attachment of the redelivered message", err, core.ErrNotFound)

	// Group insert: the attachments go in with their messages, and a
	// group rolled back for a duplicate leaves none behind.
	voice := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "wa", Author: core.AuthorCustomer,
		Text: "[voice]", CreatedAt: at(2 * time.Second), ProviderID: "wamid.voice"}
	voice.Attachments = []core.Attachment{file(voice, core.AttachmentVoice, core.AttachmentPending, func(a *core.Attachment) {
		a.ContentType, a.Size = "audio/ogg", 0
		a.Source = core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "987", MIME: "audio/ogg; codecs=opus"}
	})}
	err = s.Atomic(ctx, func(tx core.Tx) error { return tx.InsertMessages(ctx, []core.Message{voice, again}) })
	var dup *core.DuplicateMessagesError
	if !errors.As(err, &dup) {
		t.Fatalf("group with a redelivered message: %v, want a DuplicateMessagesError", err)
	}
	_, err = s.AttachmentByID(ctx, voice.Attachments[0].ID)
	isErr(t, "attachment of a rolled-back group", err, core.ErrNotFound)
	text := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "wa", Author: core.AuthorCustomer,
		Text: "it came like this", CreatedAt: at(2 * time.Second), ProviderID: "wamid.text"}
	ok(t, "group insert", s.Atomic(ctx, func(tx core.Tx) error { return tx.InsertMessages(ctx, []core.Message{voice, text}) }))
	list, err = s.ListMessages(ctx, cv.ID, m.ID, 0)
	ok(t, "list after the photo", err)
	equal(t, "messages of the group", list, []core.Message{voice, text})

	// The worker's update, under the row lock.
	ready := photo
	ready.Status, ready.ContentType, ready.Size, ready.Attempts = core.AttachmentReady, "image/jpeg", 48_120, 2
	ready.BlobKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	ready.ThumbnailKey = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	ready.UpdatedAt = at(5 * time.Second)
	ok(t, "mark ready", s.Atomic(ctx, func(tx core.Tx) error {
		cur, err := tx.LockAttachment(ctx, photo.ID)
		if err != nil {
			return err
		}
		equal(t, "locked attachment", cur, photo)
		return tx.UpdateAttachment(ctx, ready)
	}))
	failed := invoice
	failed.Status, failed.Error, failed.Attempts, failed.UpdatedAt = core.AttachmentFailed, "expired", 1, at(6*time.Second)
	ok(t, "mark failed", s.UpdateAttachment(ctx, failed))
	isErr(t, "update of an unknown attachment", s.UpdateAttachment(ctx, file(m, core.AttachmentImage, core.AttachmentReady, nil)), core.ErrNotFound)
	got, err = s.MessageByID(ctx, m.ID)
	ok(t, "message after the fetches", err)
	equal(t, "attachments after the fetches", got.Attachments, []core.Attachment{ready, failed})

	// The sweeper's list: pending only, last touched before the bound,
	// oldest first, at most limit.
	pending, err := s.PendingAttachments(ctx, at(time.Hour), 0)
	ok(t, "pending attachments", err)
	equal(t, "pending attachments", pending, []string{voice.Attachments[0].ID})
	pending, err = s.PendingAttachments(ctx, at(2*time.Second), 0)
	ok(t, "pending attachments before the voice note", err)
	equal(t, "pending before the voice note", len(pending), 0)
	late := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "wa", Author: core.AuthorCustomer,
		Text: "[sticker]", CreatedAt: at(3 * time.Second), ProviderID: "wamid.sticker"}
	late.Attachments = []core.Attachment{file(late, core.AttachmentSticker, core.AttachmentPending, nil)}
	ok(t, "insert sticker", s.InsertMessage(ctx, late))
	pending, err = s.PendingAttachments(ctx, at(time.Hour), 1)
	ok(t, "pending attachments, limit 1", err)
	equal(t, "oldest pending attachment", pending, []string{voice.Attachments[0].ID})
}

// testAttachmentIngest: Service.Ingest stores the announced files pending
// with the message, queues one fetch each after the commit, and renders
// them as the contract's Attachment objects.
func testAttachmentIngest(t *testing.T, f *fx) {
	svc, jobs := f.service(nil)
	ctx := f.ctx
	user := fmt.Sprintf("visitor-media-%d", f.seq())
	msg, err := svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: user, ProviderID: user + ":1",
		Text: "[image] the broken lid", Attachments: []core.InboundAttachment{
			{Kind: core.AttachmentImage, Ref: "1234567890", MIME: "image/jpeg", Size: 52_431, Caption: "the broken lid"},
		}})
	ok(t, "ingest a photo", err)
	if len(msg.Attachments) != 1 {
		t.Fatalf("ingested message has %d attachments, want 1", len(msg.Attachments))
	}
	a := msg.Attachments[0]
	if a.Status != core.AttachmentPending || a.MessageID != msg.ID || a.ConversationID != msg.ConversationID || a.Source.Ref != "1234567890" {
		t.Errorf("ingested attachment %+v", a)
	}
	stored, err := f.s.MessageByID(ctx, msg.ID)
	ok(t, "read the ingested message", err)
	equal(t, "stored attachments", stored.Attachments, msg.Attachments)
	found := false
	for _, c := range jobs.Calls() {
		found = found || c == "fetch:"+a.ID
	}
	if !found {
		t.Errorf("queued %v, want fetch:%s", jobs.Calls(), a.ID)
	}
	b, err := json.Marshal(stored)
	ok(t, "marshal", err)
	var wire struct {
		Attachments []map[string]any `json:"attachments"`
	}
	ok(t, "unmarshal", json.Unmarshal(b, &wire))
	want := map[string]any{"id": a.ID, "kind": "image", "content_type": "image/jpeg", "size": 52431.0, "name": nil,
		"status": "pending", "error": nil, "url": "/v1/attachments/" + a.ID, "thumbnail_url": nil}
	equal(t, "wire attachments", wire.Attachments, []map[string]any{want})

	// A text message's attachments are an empty list on the wire.
	plain, err := svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: user, Text: "hello?"})
	ok(t, "ingest text", err)
	b, err = json.Marshal(plain)
	ok(t, "marshal text", err)
	var raw map[string]json.RawMessage
	ok(t, "unmarshal text", json.Unmarshal(b, &raw))
	if string(raw["attachments"]) != "[]" {
		t.Errorf("text message attachments %s, want []", raw["attachments"])
	}
}

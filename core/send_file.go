package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SendAgentFile queues the assigned agent's file, with an optional caption
// (the message's text), for the customer's channel, delivered by
// msg:deliver like a text. The file is checked before anything is stored:
// at most media.max_bytes, a type the gateway takes (judged from the bytes,
// never the name), then what the customer's channel takes (its
// MediaLimits: WhatsApp's 5 MB images, …); a refusal is ErrPayloadTooLarge
// or ErrUnsupportedMediaType, a *MediaLimitError naming the limit, and
// nothing is stored. A file that passes is scanned (when a scanner is set)
// and kept in the blob store, then the message with its attachment, ready.
func (s *Service) SendAgentFile(ctx context.Context, actor Agent, convID string, up Upload, caption string) (Message, error) {
	caption = strings.TrimSpace(stripControls(caption))
	if err := checkOptionalText("text", caption); err != nil {
		return Message{}, err
	}
	// Who may send, before a byte of the file is judged or kept.
	conv, err := s.store.ConversationByID(ctx, convID)
	if err != nil {
		return Message{}, fmt.Errorf("read conversation %s: %w", convID, err)
	}
	if err := agentMayWrite(actor, conv); err != nil {
		return Message{}, err
	}
	data, err := readAtMost(up.Body, s.maxBytes)
	if errors.Is(err, ErrPayloadTooLarge) {
		return Message{}, &MediaLimitError{Err: ErrPayloadTooLarge, Message: "Files may be up to " + FormatBytes(s.maxBytes) + "."}
	}
	if err != nil {
		return Message{}, Invalid("file", "could not be read: %v", err)
	}
	if len(data) > 0 {
		j := judge(data)
		if !j.Active {
			// The channel's word, on the type the file is stored and sent
			// as (a polyglot goes as a document of bytes).
			cm, _ := s.channelMedia(conv.ChannelID)
			ct := j.storedType()
			if err := cm.Limits.Check(kindOf(ct), ct, int64(len(data))); err != nil {
				return Message{}, err
			}
		}
	}
	f, err := s.takeFile(ctx, data, false) // refuses empty and active files
	var blocked *BlockedError
	if errors.As(err, &blocked) {
		s.log.WarnContext(ctx, "agent upload blocked by the malware scan", "conversation_id", convID, "signature", blocked.Signature)
		return Message{}, &MediaLimitError{Err: ErrUnsupportedMediaType, Message: "The file was refused by the malware scan (" + blocked.Signature + ")."}
	}
	if err != nil {
		return Message{}, err
	}
	kind := kindOf(f.contentType)
	name := safeName(up.Name)
	var a after
	var msg Message
	err = s.store.Atomic(ctx, func(tx Tx) error {
		conv, err := tx.LockConversation(ctx, convID)
		if err != nil {
			return fmt.Errorf("lock conversation %s: %w", convID, err)
		}
		if err := agentMayWrite(actor, conv); err != nil {
			return err
		}
		now := s.clock()
		msg = Message{ID: NewID(), ConversationID: conv.ID, ChannelID: conv.ChannelID, Author: AuthorAgent,
			AgentID: actor.ID, Text: caption, CreatedAt: now, Delivery: DeliveryQueued}
		msg.Attachments = []Attachment{{ID: NewID(), MessageID: msg.ID, ConversationID: conv.ID, ChannelID: conv.ChannelID,
			Kind: kind, ContentType: f.contentType, Size: f.size, Name: name, Status: AttachmentReady,
			BlobKey: f.blob, ThumbnailKey: f.thumb, Source: InboundAttachment{Kind: kind, MIME: f.contentType, Size: f.size, Name: name},
			CreatedAt: now, UpdatedAt: now}}
		if err := tx.InsertMessage(ctx, msg); err != nil {
			return fmt.Errorf("store agent file in conversation %s: %w", conv.ID, err)
		}
		a.deliver(conv, msg)
		s.messageEvents(&a, conv, EventMessageCreated, msg)
		return nil
	})
	if err != nil {
		// The blob stays: content-addressed, it costs one copy of a file
		// that may be sent again, and another message may share it.
		return Message{}, err
	}
	a.run(ctx, s)
	return msg, nil
}

// agentMayWrite: only the assigned agent writes in an active conversation.
func agentMayWrite(actor Agent, conv Conversation) error {
	if conv.AgentID != actor.ID {
		return fmt.Errorf("only the assigned agent writes in %s: %w", conv.ID, ErrForbidden)
	}
	if conv.Status != ConvActive {
		return &TransitionError{What: "conversation", From: string(conv.Status), Action: "send a file in"}
	}
	return nil
}

// outboundFile is the file an outbound message carries to its channel:
// its first ready attachment, opened from the blob store at each attempt
// (nil for a text).
func (s *Service) outboundFile(msg Message) *OutboundFile {
	for _, a := range msg.Attachments {
		if a.Status != AttachmentReady || a.BlobKey == "" {
			continue
		}
		key := a.BlobKey
		return &OutboundFile{Kind: a.Kind, MIME: a.ContentType, Name: a.Name, Size: a.Size,
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				if s.blobs == nil {
					return nil, fmt.Errorf("open file of message %s: no blob store: %w", msg.ID, ErrUnavailable)
				}
				b, err := s.blobs.Open(ctx, key)
				if err != nil {
					return nil, fmt.Errorf("open file of message %s: %w", msg.ID, err)
				}
				return b, nil
			}}
	}
	return nil
}

-- +goose Up
-- When the send of an outbound message was recorded. A read watermark (a
-- read receipt that names no message, as Messenger's) covers the messages
-- sent up to its time; messages sent before this column existed fall back
-- to created_at.
ALTER TABLE messages ADD COLUMN sent_at INTEGER;

-- +goose Down
ALTER TABLE messages DROP COLUMN sent_at;

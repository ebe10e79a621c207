-- +goose Up
-- The files of messages (core.Attachment). An inbound file is stored
-- pending with its message, as the provider announced it (source_*), and
-- the media:fetch worker makes it ready (blob_key: the hex SHA-256 of the
-- bytes in the blob store) or failed (error says why). size 0: not known.
CREATE TABLE attachments (
    id              TEXT COLLATE "C" PRIMARY KEY,
    message_id      TEXT COLLATE "C" NOT NULL REFERENCES messages (id),
    conversation_id TEXT COLLATE "C" NOT NULL,
    channel_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    content_type    TEXT NOT NULL DEFAULT '',
    size            BIGINT NOT NULL DEFAULT 0,
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    error           TEXT NOT NULL DEFAULT '',
    blob_key        TEXT NOT NULL DEFAULT '',
    thumbnail_key   TEXT NOT NULL DEFAULT '',
    source_ref      TEXT NOT NULL DEFAULT '',
    source_url      TEXT NOT NULL DEFAULT '',
    source_mime     TEXT NOT NULL DEFAULT '',
    source_size     BIGINT NOT NULL DEFAULT 0,
    source_name     TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX attachments_message_idx ON attachments (message_id, id);
-- The sweeper's look-up of fetches left pending.
CREATE INDEX attachments_pending_idx ON attachments (updated_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE attachments;

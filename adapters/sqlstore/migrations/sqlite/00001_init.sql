-- Switchboard schema for SQLite (the same tables as PostgreSQL).
-- Times are INTEGER unix microseconds (NULL: not set); ids are UUIDv7 text
-- made by the application, so their byte order is their creation order.

-- +goose Up
CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]', -- JSON array of role names
    admin         INTEGER NOT NULL DEFAULT 0,
    online        INTEGER NOT NULL DEFAULT 0,
    max_chats     INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    status_at     INTEGER
) STRICT;
CREATE UNIQUE INDEX agents_email_uq ON agents (lower(email));
CREATE INDEX agents_name_idx ON agents (name, id);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY, -- hex SHA-256 of the bearer token
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_subject_idx ON tokens (subject_id);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    channel_id      TEXT NOT NULL,
    channel_user_id TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    name_key        TEXT NOT NULL DEFAULT '', -- name lower-cased by the application, for search
    email           TEXT NOT NULL DEFAULT '',
    visits          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER,
    CONSTRAINT customers_channel_user_uq UNIQUE (channel_id, channel_user_id)
) STRICT;

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    channel_id      TEXT NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    status          TEXT NOT NULL,
    agent_id        TEXT REFERENCES agents (id),
    request_id      TEXT,
    page_url        TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    resolved_at     INTEGER,
    last_message_at INTEGER,
    bot_misses      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX conversations_customer_idx ON conversations (customer_id, channel_id, id);
CREATE INDEX conversations_agent_idx ON conversations (agent_id, status);
CREATE INDEX conversations_status_idx ON conversations (status, id);
CREATE INDEX conversations_created_idx ON conversations (created_at);
CREATE INDEX conversations_resolved_idx ON conversations (resolved_at) WHERE status = 'resolved';

CREATE TABLE requests (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    channel_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    initial_message TEXT NOT NULL DEFAULT '',
    page_url        TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    accepted_by     TEXT REFERENCES agents (id),
    accepted_at     INTEGER,
    closed_at       INTEGER
) STRICT;
CREATE INDEX requests_status_idx ON requests (status, created_at, id);
CREATE INDEX requests_due_idx ON requests (updated_at) WHERE status IN ('waiting', 'declined');
CREATE INDEX requests_accepted_by_idx ON requests (accepted_by, status);
CREATE INDEX requests_accepted_at_idx ON requests (accepted_at) WHERE accepted_at IS NOT NULL;
CREATE INDEX requests_conversation_idx ON requests (conversation_id);

CREATE TABLE request_declines (
    request_id  TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    agent_id    TEXT NOT NULL REFERENCES agents (id),
    reason      TEXT NOT NULL DEFAULT '',
    declined_at INTEGER NOT NULL,
    PRIMARY KEY (request_id, agent_id)
) STRICT;

CREATE TABLE request_offers (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    pos        INTEGER NOT NULL, -- order of the offer list as routing gave it
    offered_at INTEGER NOT NULL, -- first offered (kept while the offer stands)
    PRIMARY KEY (request_id, agent_id)
) STRICT;
CREATE INDEX request_offers_agent_idx ON request_offers (agent_id);

-- seq is the stable integer key the FTS5 index refers to (an implicit
-- rowid may change on VACUUM).
CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    channel_id      TEXT NOT NULL,
    author          TEXT NOT NULL,
    agent_id        TEXT REFERENCES agents (id),
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    delivery        TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    provider_id     TEXT,
    processed_at    INTEGER
) STRICT;
-- Inbound messages are deduplicated on the provider's id; outbound provider
-- ids are recorded but are no key (some providers number per chat).
CREATE UNIQUE INDEX messages_provider_uq ON messages (channel_id, provider_id)
    WHERE author = 'customer' AND provider_id IS NOT NULL;
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_unprocessed_idx ON messages (created_at) WHERE author = 'customer' AND processed_at IS NULL;
CREATE INDEX messages_queued_idx ON messages (created_at) WHERE delivery = 'queued';

-- Full-text search: an external-content FTS5 index over messages.text,
-- kept in sync by triggers. unicode61 folds case like PostgreSQL's
-- 'simple' configuration and, like it, keeps diacritics.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 0'
);

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE messages_fts;
DROP TABLE messages;
DROP TABLE request_offers;
DROP TABLE request_declines;
DROP TABLE requests;
DROP TABLE conversations;
DROP TABLE customers;
DROP TABLE tokens;
DROP TABLE agents;

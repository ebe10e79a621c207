-- Switchboard schema for PostgreSQL.
-- Times are BIGINT unix microseconds (NULL: not set); ids are UUIDv7 text
-- made by the application, compared byte-wise (COLLATE "C") so their order
-- is their creation order.

-- +goose Up
CREATE TABLE agents (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]', -- JSON array of role names
    admin         BOOLEAN NOT NULL DEFAULT FALSE,
    online        BOOLEAN NOT NULL DEFAULT FALSE,
    max_chats     INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    status_at     BIGINT
);
CREATE UNIQUE INDEX agents_email_uq ON agents (lower(email));
CREATE INDEX agents_name_idx ON agents (name, id);

CREATE TABLE tokens (
    hash       TEXT COLLATE "C" PRIMARY KEY, -- hex SHA-256 of the bearer token
    kind       TEXT NOT NULL,
    subject_id TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tokens_subject_idx ON tokens (subject_id);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

CREATE TABLE customers (
    id              TEXT COLLATE "C" PRIMARY KEY,
    channel_id      TEXT NOT NULL,
    channel_user_id TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    name_key        TEXT NOT NULL DEFAULT '', -- name lower-cased by the application, for search
    email           TEXT NOT NULL DEFAULT '',
    visits          INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT,
    CONSTRAINT customers_channel_user_uq UNIQUE (channel_id, channel_user_id)
);

CREATE TABLE conversations (
    id              TEXT COLLATE "C" PRIMARY KEY,
    channel_id      TEXT NOT NULL,
    customer_id     TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    status          TEXT NOT NULL,
    agent_id        TEXT COLLATE "C" REFERENCES agents (id),
    request_id      TEXT COLLATE "C",
    page_url        TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    resolved_at     BIGINT,
    last_message_at BIGINT,
    bot_misses      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_customer_idx ON conversations (customer_id, channel_id, id);
CREATE INDEX conversations_agent_idx ON conversations (agent_id, status);
CREATE INDEX conversations_status_idx ON conversations (status, id);
CREATE INDEX conversations_created_idx ON conversations (created_at);
CREATE INDEX conversations_resolved_idx ON conversations (resolved_at) WHERE status = 'resolved';

CREATE TABLE requests (
    id              TEXT COLLATE "C" PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
    customer_id     TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    channel_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    initial_message TEXT NOT NULL DEFAULT '',
    page_url        TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    accepted_by     TEXT COLLATE "C" REFERENCES agents (id),
    accepted_at     BIGINT,
    closed_at       BIGINT
);
CREATE INDEX requests_status_idx ON requests (status, created_at, id);
CREATE INDEX requests_due_idx ON requests (updated_at) WHERE status IN ('waiting', 'declined');
CREATE INDEX requests_accepted_by_idx ON requests (accepted_by, status);
CREATE INDEX requests_accepted_at_idx ON requests (accepted_at) WHERE accepted_at IS NOT NULL;
CREATE INDEX requests_conversation_idx ON requests (conversation_id);

CREATE TABLE request_declines (
    request_id  TEXT COLLATE "C" NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    agent_id    TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    reason      TEXT NOT NULL DEFAULT '',
    declined_at BIGINT NOT NULL,
    PRIMARY KEY (request_id, agent_id)
);

CREATE TABLE request_offers (
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    agent_id   TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    pos        INTEGER NOT NULL, -- order of the offer list as routing gave it
    offered_at BIGINT NOT NULL,  -- first offered (kept while the offer stands)
    PRIMARY KEY (request_id, agent_id)
);
CREATE INDEX request_offers_agent_idx ON request_offers (agent_id);

CREATE TABLE messages (
    id              TEXT COLLATE "C" PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
    channel_id      TEXT NOT NULL,
    author          TEXT NOT NULL,
    agent_id        TEXT COLLATE "C" REFERENCES agents (id),
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    delivery        TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    provider_id     TEXT,
    processed_at    BIGINT,
    -- Full-text search: the 'simple' configuration (lower-casing, no
    -- stemming, no stop words) suits chat in any language.
    tsv             tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
-- Inbound messages are deduplicated on the provider's id; outbound provider
-- ids are recorded but are no key (some providers number per chat).
CREATE UNIQUE INDEX messages_provider_uq ON messages (channel_id, provider_id)
    WHERE author = 'customer' AND provider_id IS NOT NULL;
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_unprocessed_idx ON messages (created_at) WHERE author = 'customer' AND processed_at IS NULL;
CREATE INDEX messages_queued_idx ON messages (created_at) WHERE delivery = 'queued';
CREATE INDEX messages_tsv_idx ON messages USING GIN (tsv);

-- +goose Down
DROP TABLE messages;
DROP TABLE request_offers;
DROP TABLE request_declines;
DROP TABLE requests;
DROP TABLE conversations;
DROP TABLE customers;
DROP TABLE tokens;
DROP TABLE agents;

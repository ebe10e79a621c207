-- +goose Up
-- How far each agent has read each conversation (core.ReadMark): up to
-- the message up_to_id, created at read_at (unix microseconds). The
-- unread count of a conversation is its customer messages after the read
-- mark of its agent.
CREATE TABLE conversation_reads (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
    agent_id        TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    up_to_id        TEXT COLLATE "C" NOT NULL,
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, agent_id)
);
-- The customer messages of a conversation by time: unread counts, and the
-- newest one (the read mark WhatsApp's typing indicator goes with).
CREATE INDEX messages_customer_time_idx ON messages (conversation_id, created_at) WHERE author = 'customer';

-- +goose Down
DROP INDEX messages_customer_time_idx;
DROP TABLE conversation_reads;

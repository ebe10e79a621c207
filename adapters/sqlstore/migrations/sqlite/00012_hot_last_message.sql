-- +goose Up
-- conversations_idle_idx indexed last_message_at, which every message
-- moves: no update of it could be HOT, so each message wrote a new entry
-- into every index of conversations. The housekeeping query for idle
-- active conversations (IdleConversations) reads the active ones through
-- conversations_status_idx instead; they are the few an agent holds.
DROP INDEX conversations_idle_idx;

-- +goose Down
CREATE INDEX conversations_idle_idx ON conversations (last_message_at) WHERE status = 'active';

-- +goose Up
-- Stats: the accept waits of the last 7 days from the index alone, and
-- each accepted request's first agent reply in one index probe. (The
-- PostgreSQL version also raises the statistics target of messages.tsv;
-- FTS5 has no such setting and needs none.)
CREATE INDEX requests_accepted_cover_idx ON requests (accepted_at, created_at, conversation_id)
    WHERE accepted_at IS NOT NULL;
DROP INDEX requests_accepted_at_idx;
CREATE INDEX messages_agent_reply_idx ON messages (conversation_id, created_at) WHERE author = 'agent';

-- +goose Down
DROP INDEX messages_agent_reply_idx;
CREATE INDEX requests_accepted_at_idx ON requests (accepted_at) WHERE accepted_at IS NOT NULL;
DROP INDEX requests_accepted_cover_idx;

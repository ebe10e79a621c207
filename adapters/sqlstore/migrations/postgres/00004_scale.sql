-- +goose Up
-- History search plans on the row estimate of tsv @@ query. With the
-- default statistics target ANALYZE keeps the ~1,000 most common lexemes
-- and guesses every other word at half the rarest of them (thousands of
-- rows at a million messages), so the planner walks conversations newest
-- first checking each one's messages, which for a rare word (an order
-- number) reads the whole table. With a large target rare words are
-- estimated as rare and go through the GIN index.
ALTER TABLE messages ALTER COLUMN tsv SET STATISTICS 10000;
-- Stats: the accept waits of the last 7 days from the index alone, and
-- each accepted request's first agent reply in one index probe.
CREATE INDEX requests_accepted_cover_idx ON requests (accepted_at) INCLUDE (created_at, conversation_id)
    WHERE accepted_at IS NOT NULL;
DROP INDEX requests_accepted_at_idx;
CREATE INDEX messages_agent_reply_idx ON messages (conversation_id, created_at) WHERE author = 'agent';

-- +goose Down
DROP INDEX messages_agent_reply_idx;
CREATE INDEX requests_accepted_at_idx ON requests (accepted_at) WHERE accepted_at IS NOT NULL;
DROP INDEX requests_accepted_cover_idx;
ALTER TABLE messages ALTER COLUMN tsv SET STATISTICS -1;

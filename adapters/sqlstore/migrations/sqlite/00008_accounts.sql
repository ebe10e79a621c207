-- +goose Up
-- A widget visitor's returning credential, kept apart from the visitor id
-- agents see (channel_user_id): the hex SHA-256 of a secret only the
-- visitor's browser holds. '' for the customers of other channels, and for
-- visitors from before this column, whose next visit starts afresh.
ALTER TABLE customers ADD COLUMN visitor_secret_hash TEXT NOT NULL DEFAULT '';
-- When an admin deactivated the agent (NULL: active).
ALTER TABLE agents ADD COLUMN deactivated_at INTEGER;

-- +goose Down
ALTER TABLE agents DROP COLUMN deactivated_at;
ALTER TABLE customers DROP COLUMN visitor_secret_hash;

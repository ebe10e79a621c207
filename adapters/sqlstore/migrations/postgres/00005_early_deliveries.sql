-- +goose Up
-- A provider's status callback can outrun its answer to our send: the
-- callback names a provider message id before the delivery worker has
-- recorded it. The status waits here, keyed like the callback, until the
-- worker records the id and applies it; rows nobody claims (another
-- system's messages) are purged by the housekeeping sweep on kept_at.
CREATE TABLE early_deliveries (
    channel_id  TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    delivery    TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    kept_at     BIGINT NOT NULL,
    PRIMARY KEY (channel_id, provider_id)
);
CREATE INDEX early_deliveries_kept_idx ON early_deliveries (kept_at);

-- +goose Down
DROP TABLE early_deliveries;

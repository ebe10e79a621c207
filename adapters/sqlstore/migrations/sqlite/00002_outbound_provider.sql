-- +goose Up
-- Status callbacks find our outbound messages by the provider's id.
CREATE INDEX messages_outbound_provider_idx ON messages (channel_id, provider_id)
    WHERE author <> 'customer' AND provider_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_outbound_provider_idx;

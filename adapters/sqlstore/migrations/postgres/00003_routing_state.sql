-- +goose Up
-- Where routing of a request stands (core.RouteState), so that timers can
-- be rebuilt from the database after a restart.
ALTER TABLE requests ADD COLUMN route_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN route_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN route_tier INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN route_tried TEXT NOT NULL DEFAULT ''; -- comma-separated agent ids
ALTER TABLE requests ADD COLUMN route_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN offer_deadline BIGINT;
ALTER TABLE requests ADD COLUMN reroute_at BIGINT;
ALTER TABLE requests ADD COLUMN offline_ack_at BIGINT;
CREATE INDEX requests_offer_deadline_idx ON requests (offer_deadline)
    WHERE status IN ('waiting', 'declined') AND offer_deadline IS NOT NULL;
CREATE INDEX requests_reroute_at_idx ON requests (reroute_at)
    WHERE status IN ('waiting', 'declined') AND reroute_at IS NOT NULL;
-- An agent's last accept (longest-idle ordering of direct routing).
CREATE INDEX requests_accepted_by_at_idx ON requests (accepted_by, accepted_at) WHERE accepted_by IS NOT NULL;
-- Idle active conversations, for housekeeping.
CREATE INDEX conversations_idle_idx ON conversations (last_message_at) WHERE status = 'active';

-- +goose Down
DROP INDEX conversations_idle_idx;
DROP INDEX requests_accepted_by_at_idx;
DROP INDEX requests_reroute_at_idx;
DROP INDEX requests_offer_deadline_idx;
ALTER TABLE requests DROP COLUMN offline_ack_at;
ALTER TABLE requests DROP COLUMN reroute_at;
ALTER TABLE requests DROP COLUMN offer_deadline;
ALTER TABLE requests DROP COLUMN route_step;
ALTER TABLE requests DROP COLUMN route_tried;
ALTER TABLE requests DROP COLUMN route_tier;
ALTER TABLE requests DROP COLUMN route_mode;
ALTER TABLE requests DROP COLUMN route_rule;

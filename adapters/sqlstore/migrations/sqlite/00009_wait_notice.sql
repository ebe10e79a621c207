-- +goose Up
-- What the customer of a waiting request was last told about the wait
-- (core.RouteState.Told): the situation (queued or unavailable) and the
-- expected wait told, in seconds (0: not known). Open requests from before
-- were told they were queued when they opened, and those acknowledged
-- offline were told that, both with a wait not known.
ALTER TABLE requests ADD COLUMN told_situation TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN told_eta_s INTEGER NOT NULL DEFAULT 0;
UPDATE requests SET told_situation = CASE WHEN offline_ack_at IS NOT NULL THEN 'unavailable' ELSE 'queued' END
    WHERE status IN ('waiting', 'declined');

-- +goose Down
ALTER TABLE requests DROP COLUMN told_eta_s;
ALTER TABLE requests DROP COLUMN told_situation;

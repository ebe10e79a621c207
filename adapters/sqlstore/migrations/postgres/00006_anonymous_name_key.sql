-- +goose Up
-- Customer search matches the name as shown: a customer who never gave a
-- name is "Anonymous Visitor", so an agent searching "anonymous" finds them.
UPDATE customers SET name_key = 'anonymous visitor' WHERE name = '';

-- +goose Down
UPDATE customers SET name_key = '' WHERE name = '';

package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

// customerCols reads the customer aliased cu, with prefixed column names
// so that it can join conversations and requests.
const customerCols = `cu.id AS cu_id, cu.channel_id AS cu_channel_id, cu.channel_user_id AS cu_channel_user_id,
	cu.name AS cu_name, cu.email AS cu_email, cu.visits AS cu_visits, cu.created_at AS cu_created_at,
	cu.last_seen_at AS cu_last_seen_at, cu.visitor_secret_hash AS cu_visitor_secret_hash`

type customerRow struct {
	CuID            string `db:"cu_id"`
	CuChannelID     string `db:"cu_channel_id"`
	CuChannelUserID string `db:"cu_channel_user_id"`
	CuName          string `db:"cu_name"`
	CuEmail         string `db:"cu_email"`
	CuVisits        int    `db:"cu_visits"`
	CuCreatedAt     micros `db:"cu_created_at"`
	CuLastSeenAt    micros `db:"cu_last_seen_at"`
	CuVisitorSecret string `db:"cu_visitor_secret_hash"`
}

func (r customerRow) customer() core.Customer {
	return core.Customer{ID: r.CuID, ChannelID: r.CuChannelID, ChannelUserID: r.CuChannelUserID, Name: r.CuName,
		Email: r.CuEmail, Visits: r.CuVisits, CreatedAt: r.CuCreatedAt.time(), LastSeenAt: r.CuLastSeenAt.time(),
		VisitorSecretHash: r.CuVisitorSecret}
}

// nameKey is what customer search matches: the name as shown ("Anonymous
// Visitor" when unknown), lower-cased with Unicode rules (SQLite's lower()
// only folds ASCII).
func nameKey(name string) string {
	return strings.ToLower(core.Customer{Name: name}.DisplayName())
}

// CreateCustomer stores a new customer; ErrDuplicate when the channel user
// exists. ON CONFLICT keeps the transaction usable: on PostgreSQL an
// insert racing another waits for it and then inserts nothing.
func (c *conn) CreateCustomer(ctx context.Context, cu core.Customer) error {
	n, err := exec(ctx, c.w, `INSERT INTO customers
		(id, channel_id, channel_user_id, name, name_key, email, visits, created_at, last_seen_at, visitor_secret_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (channel_id, channel_user_id) DO NOTHING`,
		cu.ID, cu.ChannelID, cu.ChannelUserID, cu.Name, nameKey(cu.Name), cu.Email, cu.Visits,
		tm(cu.CreatedAt), tm(cu.LastSeenAt), cu.VisitorSecretHash)
	if err != nil {
		return wrap(err, "create customer %s/%s", cu.ChannelID, cu.ChannelUserID)
	}
	if n == 0 {
		return fmt.Errorf("create customer %s/%s: %w", cu.ChannelID, cu.ChannelUserID, core.ErrDuplicate)
	}
	return nil
}

// LockCustomer locks the customer's row, then reads it.
func (c *conn) LockCustomer(ctx context.Context, id string) (core.Customer, error) {
	if err := c.forUpdate(ctx, "customers", id); err != nil {
		return core.Customer{}, err
	}
	var r customerRow
	if err := sqlx.GetContext(ctx, c.w, &r, "SELECT "+customerCols+" FROM customers cu WHERE cu.id = $1", id); err != nil {
		return core.Customer{}, wrap(err, "customer %s", id)
	}
	return r.customer(), nil
}

// UpdateCustomer writes name, e-mail, visits and last seen time.
func (c *conn) UpdateCustomer(ctx context.Context, cu core.Customer) error {
	n, err := exec(ctx, c.w, `UPDATE customers SET name = $2, name_key = $3, email = $4, visits = $5,
		last_seen_at = $6 WHERE id = $1`,
		cu.ID, cu.Name, nameKey(cu.Name), cu.Email, cu.Visits, tm(cu.LastSeenAt))
	if err != nil {
		return wrap(err, "update customer %s", cu.ID)
	}
	if n == 0 {
		return notFound("update customer %s", cu.ID)
	}
	return nil
}

func (c *conn) getCustomer(ctx context.Context, what, where string, a ...any) (core.Customer, error) {
	var r customerRow
	if err := sqlx.GetContext(ctx, c.r, &r, "SELECT "+customerCols+" FROM customers cu WHERE "+where, a...); err != nil {
		return core.Customer{}, wrap(err, "customer %s", what)
	}
	return r.customer(), nil
}

// CustomerByID reads a customer.
func (c *conn) CustomerByID(ctx context.Context, id string) (core.Customer, error) {
	return c.getCustomer(ctx, id, "cu.id = $1", id)
}

// CustomerByChannelUser reads the customer of a channel's user id.
func (c *conn) CustomerByChannelUser(ctx context.Context, channelID, channelUserID string) (core.Customer, error) {
	return c.getCustomer(ctx, channelID+"/"+channelUserID, "cu.channel_id = $1 AND cu.channel_user_id = $2",
		channelID, channelUserID)
}

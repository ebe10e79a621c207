package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// micros scans a nullable unix-microsecond column: NULL is the zero time,
// anything else a UTC time.
type micros time.Time

func (m *micros) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*m = micros{}
	case int64:
		*m = micros(time.UnixMicro(x).UTC())
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

func (m micros) time() time.Time { return time.Time(m) }

// ustr scans a nullable text column: NULL is "".
type ustr string

func (s *ustr) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s = ""
	case string:
		*s = ustr(x)
	case []byte:
		*s = ustr(x)
	default:
		return fmt.Errorf("scan text: unexpected %T", v)
	}
	return nil
}

// tm is the column value of t: unix microseconds, NULL for the zero time.
func tm(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// ns is the column value of an optional string: NULL for "".
func ns(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// args collects the arguments of a query built piece by piece and names
// their $N placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// in returns "$i, $j, …" for vs, which must not be empty.
func (a *args) in(vs []string) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = a.add(v)
	}
	return strings.Join(ps, ", ")
}

// exec runs a write and returns the number of rows it affected.
func exec(ctx context.Context, x sqlx.ExtContext, query string, a ...any) (int64, error) {
	res, err := x.ExecContext(ctx, query, a...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// escapeLike escapes the LIKE wildcards of s for ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

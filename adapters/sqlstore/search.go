package sqlstore

import "github.com/switchboard-chat/switchboard/core"

// ftsQuery is a term as the dialect's query text. PostgreSQL gets it for
// websearch_to_tsquery inside double quotes, so it is one phrase (adjacent
// lexemes) and or/- inside are plain words; FTS5 gets it as one
// double-quoted string, which FTS5 also matches as a phrase of its tokens
// and never parses as FTS5 syntax.
func ftsQuery(t core.SearchTerm) string {
	return `"` + t.Text + `"`
}

package core

import (
	"net/url"
	"slices"
	"strings"
)

// CleanPageURL is the page URL a widget visitor reports, as Switchboard
// stores it and shows it to agents. Pages carry secrets in their address:
// a password-reset link's ?reset_token=…, an OAuth redirect's
// #access_token=…, a magic link's ?code=…; so only what names the page
// is kept:
//   - the scheme, host and path;
//   - of the query, only the keys in keep (a widget channel's
//     page_url_query_keys, such as utm_source), in their order;
//   - of the fragment, only a single-page app's route ("#/docs",
//     "#!/orders"), and of a query inside it the keys in keep again.
//
// User information (https://user:password@host/) goes too. A secret in
// the path itself (/reset/<token>) cannot be told from a page name and
// stays. raw must have passed checkPageURL.
func CleanPageURL(raw string, keep []string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // checkPageURL refused it already
	}
	frag := u.EscapedFragment()
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	u.RawQuery, u.ForceQuery = keepQuery(u.RawQuery, keep), false
	out := u.String()
	if strings.HasPrefix(frag, "/") || strings.HasPrefix(frag, "!/") {
		route, q, _ := strings.Cut(frag, "?")
		if q = keepQuery(q, keep); q != "" {
			route += "?" + q
		}
		out += "#" + route
	}
	return out
}

// keepQuery keeps the pairs of a raw query whose key is in keep, as they
// were written.
func keepQuery(raw string, keep []string) string {
	if raw == "" || len(keep) == 0 {
		return ""
	}
	var kept []string
	for pair := range strings.SplitSeq(raw, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(k); err == nil && key != "" && slices.Contains(keep, key) {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}

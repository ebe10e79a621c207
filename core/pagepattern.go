package core

import (
	"errors"
	"net/url"
	"strings"
)

// Page URL patterns (routing.rules[].match.page_url) are written as admins
// know them from the URL targeting of web tools:
//
//   - `*` matches any run of characters, `/` included, and is the only
//     special character: `?`, `.`, `[`, `+` and the rest stand for
//     themselves, and nothing needs escaping;
//   - the pattern must match all of what it is compared with, which is the
//     page URL whole ("https://shop.example/docs/*"), the URL without its
//     scheme ("shop.example/docs/*", for http and https alike) or its path
//     alone ("/docs/*"); any of the three matching is enough, so
//     "*/docs/*" matches docs pages at any depth of any site;
//   - the query string and the fragment take part only when the pattern
//     has a `?` or a `#`: "/pricing" matches
//     "https://shop.example/pricing?utm_source=mail#plans", and
//     "*?plan=pro*" matches the URLs that carry plan=pro;
//   - case is ignored, in the host as URLs define it and in the path as
//     admins expect ("/Docs/API" is a docs page);
//   - a trailing slash is ignored, and a pattern ending in "/*" also
//     matches the page it is under ("/docs/*" matches "/docs" and
//     "/docs/");
//   - a single-page app's route in the fragment ("#/docs/api" or
//     "#!/docs/api", the only fragments CleanPageURL keeps) is matched as
//     the page's path too, with the host and scheme before it;
//   - the URL's default port (:443 for https, :80 for http) is dropped,
//     and its percent-escapes are decoded, as in the pattern
//     ("/caf%C3%A9/*" and "/café/*" are the same).
//
// The URL matched is the one stored (CleanPageURL): its query holds only
// the channel's page_url_query_keys.

// MatchPageURL reports whether the page URL raw matches pattern (see the
// rules above). An empty raw matches nothing.
func MatchPageURL(pattern, raw string) bool {
	raw = strings.TrimSpace(raw)
	if raw == "" || pattern == "" {
		return false
	}
	p := strings.ToLower(unescape(pattern))
	withQuery := strings.Contains(p, "?")
	withFragment := strings.Contains(p, "#")
	if !withQuery && !withFragment {
		p = trimSlash(p)
	}
	for _, s := range pageForms(raw, withQuery, withFragment) {
		if globMatch(p, s) || (strings.HasSuffix(p, "/*") && globMatch(p[:len(p)-2], s)) {
			return true
		}
	}
	return false
}

// pageForms returns the forms of raw a pattern is matched against: the
// whole URL, the URL without its scheme and the path, lower case, with the
// query and fragment kept as asked and, when neither is, without a
// trailing slash.
func pageForms(raw string, withQuery, withFragment bool) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{strings.ToLower(raw)}
	}
	tail := ""
	if withQuery && (u.RawQuery != "" || u.ForceQuery) {
		tail += "?" + unescape(u.RawQuery)
	}
	if withFragment && u.Fragment != "" {
		tail += "#" + u.Fragment
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	forms := []string{path + tail}
	// A single-page app's route (#/docs/api, #!/docs/api) names the page
	// as a path does.
	var route, routeTail string
	if r, ok := strings.CutPrefix(strings.TrimPrefix(u.Fragment, "!"), "/"); ok {
		r, q, _ := strings.Cut(r, "?")
		route = "/" + r
		if withQuery && q != "" {
			routeTail = "?" + unescape(q)
		}
		forms = append(forms, route+routeTail)
	}
	if u.Host != "" {
		host := u.Host
		if port := u.Port(); (strings.EqualFold(u.Scheme, "https") && port == "443") || (strings.EqualFold(u.Scheme, "http") && port == "80") {
			host = u.Hostname()
		}
		forms = append(forms, u.Scheme+"://"+host+path+tail, host+path+tail)
		if route != "" {
			forms = append(forms, u.Scheme+"://"+host+route+routeTail, host+route+routeTail)
		}
	}
	for i, f := range forms {
		f = strings.ToLower(f)
		if !withQuery && !withFragment {
			f = trimSlash(f)
		}
		forms[i] = f
	}
	return forms
}

// trimSlash drops one trailing slash, but leaves the root path "/" be.
func trimSlash(s string) string {
	if len(s) > 1 {
		return strings.TrimSuffix(s, "/")
	}
	return s
}

// unescape decodes percent-escapes, leaving s as it is when they are
// malformed.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// globMatch matches s against p, in which only `*` is special (any run of
// characters, the empty one too). Linear in practice: on a mismatch it
// backtracks to the last star only.
func globMatch(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// CheckPagePattern reports what is wrong with a page URL pattern, nil when
// nothing is: it must be a path ("/docs/*"), start with `*` ("*/docs/*"),
// be a whole http or https URL ("https://shop.example/docs/*") or start
// with a host ("shop.example/docs/*"), and hold no spaces at its ends nor
// control characters. Anything else could never match a page.
func CheckPagePattern(p string) error {
	switch {
	case p == "":
		return nil
	case strings.TrimSpace(p) != p:
		return errors.New("has spaces at its start or end")
	case strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return errors.New("holds a control character")
	case p[0] == '/' || p[0] == '*':
		return nil
	}
	if scheme, _, ok := strings.Cut(p, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http", "https", "*":
			return nil
		}
		return errors.New(`a page URL's scheme is http or https (or "*" for both)`)
	}
	if hostLike(p) {
		return nil
	}
	return errors.New(`must be a path ("/docs/*"), start with "*" ("*/docs/*"), or be a URL ("https://shop.example/docs/*") or host and path ("shop.example/docs/*")`)
}

// hostLike reports whether p starts with a host, optionally with a port,
// and then a path, a query or nothing: "shop.example/docs",
// "localhost:8080/*", "*.shop.example".
func hostLike(p string) bool {
	end := strings.IndexAny(p, "/?#")
	if end < 0 {
		end = len(p)
	}
	host := p[:end]
	if h, port, ok := strings.Cut(host, ":"); ok {
		if port != "*" && (port == "" || strings.Trim(port, "0123456789") != "") {
			return false
		}
		host = h
	}
	if host == "" || strings.Trim(strings.ToLower(host), "abcdefghijklmnopqrstuvwxyz0123456789-.*") != "" {
		return false
	}
	return strings.ContainsAny(host, ".*") || strings.EqualFold(host, "localhost")
}

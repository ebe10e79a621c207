package core_test

import (
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

func TestMatchPageURL(t *testing.T) {
	tests := []struct {
		pattern string
		urls    map[string]bool // page URL → matches
	}{
		{"*/docs/*", map[string]bool{
			"https://shop.example/docs/api/webhooks":                 true, // the issue: deeper than one level
			"https://shop.example/docs/api":                          true,
			"https://shop.example/docs/":                             true,
			"https://shop.example/docs":                              true, // the page the section is under
			"https://shop.example/en/docs/setup/step-2":              true,
			"https://shop.example/docs/api/webhooks?tab=curl":        true,
			"https://shop.example/docs/api/webhooks#retries":         true,
			"https://shop.example/docs/api?tab=curl&lang=go#retries": true,
			"http://shop.example:8080/docs/api/webhooks":             true,
			"https://SHOP.Example/Docs/API/Webhooks":                 true,
			"https://shop.example/docs/caf%C3%A9/menu":               true,
			"https://shop.example/documents/x":                       false,
			"https://shop.example/mydocs/x":                          false,
			"https://shop.example/?next=/docs/api":                   false, // a query is no path
			"https://shop.example/#/docs/api":                        true,  // a single-page app's route
			"https://shop.example/app#!/docs/api/webhooks":           true,
			"https://shop.example/#faq/docs/api":                     false, // a fragment that is no route
			"https://shop.example/pricing":                           false,
			"":                                                       false,
		}},
		{"/docs/*", map[string]bool{
			"https://shop.example/docs/api/webhooks": true,
			"https://shop.example/#/docs/api?tab=go": true,
			"https://shop.example/#/pricing":         false,
			"https://shop.example/docs":              true,
			"https://shop.example/docs/?q=retry":     true,
			"https://docs.example/docs/x":            true,
			"https://shop.example/en/docs/api":       false,
			"https://shop.example/docsearch":         false,
			"/docs/api":                              true, // a bare path, as a test client may send
		}},
		{"https://shop.example/pricing", map[string]bool{
			"https://shop.example/pricing":                         true,
			"https://shop.example/pricing/":                        true,
			"https://shop.example/pricing?utm_source=mail#plans":   true,
			"https://shop.example:443/pricing":                     true,
			"HTTPS://SHOP.EXAMPLE/pricing":                         true,
			"http://shop.example/pricing":                          false,
			"https://shop.example:8443/pricing":                    false,
			"https://shop.example/pricing/enterprise":              false,
			"https://shop.example.evil.test/pricing":               false,
			"https://evil.test/?u=https://shop.example/pricing":    false,
			"https://shop.example/pricing-and-plans":               false,
			"https://shop.example/de/pricing":                      false,
			"https://shop.example/pricing;jsessionid=1":            false,
			"https://shop.example/Pricing":                         true,
			"https://shop.example/pricing?":                        true,
			"https://shop.example/pricing#":                        true,
			"https://shop.example/pricing/?utm_source=mail":        true,
			"https://shop.example/pricing/index.html":              false,
			"https://user@shop.example/pricing":                    true, // user info is no part of the host
			"https://shop.example/pricing%2Fenterprise":            false,
			"https://shop.example/%70ricing":                       true, // an escaped letter
			"ftp://shop.example/pricing":                           false,
			"not a url at all":                                     false,
			"https://shop.example/pricing\x00":                     false,
			"https://shop.example/pricing/../pricing":              false, // not resolved: browsers send it resolved
			"https://shop.example/pricing?plan=pro&utm_source=ads": true,
		}},
		{"https://shop.example/*", map[string]bool{
			"https://shop.example/":          true,
			"https://shop.example":           true,
			"https://shop.example/a/b/c?d=e": true,
			"http://shop.example/a":          false,
			"https://shop.example.test/a":    false,
		}},
		{"shop.example/docs/*", map[string]bool{ // no scheme: http and https
			"https://shop.example/docs/api": true,
			"http://shop.example/docs/api":  true,
			"https://www.shop.example/docs": false,
		}},
		{"*.shop.example/*", map[string]bool{
			"https://help.shop.example/a": true,
			"https://shop.example/a":      false,
		}},
		{"*://shop.example:8443/*", map[string]bool{
			"https://shop.example:8443/docs": true,
			"https://shop.example/docs":      false,
		}},
		{"*?plan=pro*", map[string]bool{ // a ? is a literal and brings the query in
			"https://shop.example/checkout?plan=pro":       true,
			"https://shop.example/checkout?x=1&plan=pro&y": false, // the ? stands where it is
			"https://shop.example/checkout?plan=basic":     false,
			"https://shop.example/checkout":                false,
		}},
		{"*?*plan=pro*", map[string]bool{ // anywhere in the query
			"https://shop.example/checkout?x=1&plan=pro&y": true,
			"https://shop.example/checkout?plan=pro":       true,
			"https://shop.example/plan=pro":                false,
		}},
		{"*plan=pro*", map[string]bool{ // no ?: the query takes no part
			"https://shop.example/checkout?plan=pro": false,
		}},
		{"/search?q=*", map[string]bool{
			"https://shop.example/search?q=boots": true,
			"https://shop.example/search":         false,
			"https://shop.example/searchq=boots":  false,
		}},
		{"*#faq", map[string]bool{
			"https://shop.example/help#faq":  true,
			"https://shop.example/help#FAQ":  true,
			"https://shop.example/help#faqs": false,
			"https://shop.example/help":      false,
		}},
		{"/docs/v1.2/*", map[string]bool{ // . is a literal
			"https://shop.example/docs/v1.2/api": true,
			"https://shop.example/docs/v112/api": false,
		}},
		{"/shop/[sale]/*", map[string]bool{ // [ ] are literals
			"https://shop.example/shop/[sale]/boots":     true,
			"https://shop.example/shop/%5Bsale%5D/boots": true,
			"https://shop.example/shop/s/boots":          false,
		}},
		{"*/café/*", map[string]bool{
			"https://shop.example/caf%C3%A9/menu": true,
			"https://shop.example/café/menu":      true,
			"https://shop.example/cafe/menu":      false,
		}},
		{"*/caf%C3%A9/*", map[string]bool{
			"https://shop.example/café/menu": true,
		}},
		{"/", map[string]bool{ // the home page only
			"https://shop.example/":       true,
			"https://shop.example":        true,
			"https://shop.example/?ref=x": true,
			"https://shop.example/a":      false,
		}},
		{"*", map[string]bool{
			"https://shop.example/a?b#c": true,
			"":                           false, // a request without a page
		}},
		{"*/checkout/*/done", map[string]bool{
			"https://shop.example/checkout/42/step/done": true,
			"https://shop.example/checkout/done":         false,
			"https://shop.example/checkout//done":        true,
		}},
	}
	for _, tt := range tests {
		for raw, want := range tt.urls {
			if got := core.MatchPageURL(tt.pattern, raw); got != want {
				t.Errorf("MatchPageURL(%q, %q) = %v, want %v", tt.pattern, raw, got, want)
			}
		}
	}
}

func TestCheckPagePattern(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{"", true},
		{"*/docs/*", true},
		{"/docs/*", true},
		{"https://shop.example/docs/*", true},
		{"HTTP://shop.example/*", true},
		{"*://shop.example/*", true},
		{"shop.example/docs/*", true},
		{"localhost/docs", true},
		{"127.0.0.1:8080/*", true},
		{"*?plan=pro", true},
		{"/shop/[sale]/*", true},
		{"[docs", false},
		{"docs/*", false},
		{"docs", false},
		{" /docs/*", false},
		{"/docs/* ", false},
		{"/docs/\t*", false},
		{"ftp://shop.example/*", false},
		{"mailto:help@shop.example", false},
		{"shop.example:80/*", true},
		{"shop.example:*/*", true},
		{"shop.example:http/*", false},
		{"shop example/*", false},
	}
	for _, tt := range tests {
		if err := core.CheckPagePattern(tt.pattern); (err == nil) != tt.ok {
			t.Errorf("CheckPagePattern(%q) = %v, want ok=%v", tt.pattern, err, tt.ok)
		}
	}
}

// FuzzMatchPageURL checks that matching never panics and that every URL
// matches "*" and itself.
func FuzzMatchPageURL(f *testing.F) {
	f.Add("*/docs/*", "https://shop.example/docs/api/webhooks?x=1#y")
	f.Add("/a*b*c", "/aXbYc")
	f.Add("**", "")
	f.Fuzz(func(t *testing.T, pattern, raw string) {
		core.MatchPageURL(pattern, raw)
		if raw != "" && len(raw) < 200 && core.CheckPagePattern(raw) == nil && !core.MatchPageURL("*", raw) {
			t.Errorf("%q does not match *", raw)
		}
	})
}

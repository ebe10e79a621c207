package httpapi

import "github.com/labstack/echo/v4"

// NoStore forbids every cache (the browser's, a proxy's) to keep the
// response (RFC 9111 no-store): for answers that carry a credential, such
// as a login's or a widget session's token.
func NoStore(c echo.Context) {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
}

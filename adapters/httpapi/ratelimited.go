package httpapi

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// RateLimited answers a request that a limit refused: 429 rate_limited
// with Retry-After, wait in whole seconds rounded up (at least 1).
func RateLimited(c echo.Context, wait time.Duration) error {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return ErrRateLimited
}

package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Asset is one embedded web file (the widget script, the inbox page).
type Asset struct {
	// ContentType is sent as Content-Type.
	ContentType string
	// Body is the file.
	Body []byte
	// CSP, when set, is sent as Content-Security-Policy (pages only).
	CSP string
	// CrossOrigin lets any site load the file (the widget script).
	CrossOrigin bool
}

// ServeAsset answers GET with a, revalidated by a content ETag so that a new
// binary's files reach browsers at once while unchanged ones cost a 304.
func ServeAsset(a Asset) echo.HandlerFunc {
	sum := sha256.Sum256(a.Body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		if a.CSP != "" {
			h.Set("Content-Security-Policy", a.CSP)
			h.Set("Referrer-Policy", "no-referrer")
		}
		if a.CrossOrigin {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		}
		if match := c.Request().Header.Get("If-None-Match"); match == etag {
			return c.NoContent(http.StatusNotModified)
		}
		return c.Blob(http.StatusOK, a.ContentType, a.Body)
	}
}

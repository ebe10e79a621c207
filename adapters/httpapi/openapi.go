package httpapi

import (
	_ "embed"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"
)

// OpenAPI is the contract as an OpenAPI 3.1 document, served at
// GET /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", OpenAPI)
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// RouteDrift compares the routes registered on e with the operations of
// the OpenAPI document and lists every difference, so the two cannot drift
// apart unnoticed.
func RouteDrift(e *echo.Echo) ([]string, error) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		served[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var drift []string
	for op := range served {
		if !documented[op] {
			drift = append(drift, "served but not documented: "+op)
		}
	}
	for op := range documented {
		if !served[op] {
			drift = append(drift, "documented but not served: "+op)
		}
	}
	sort.Strings(drift)
	return drift, nil
}

package httpapi

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIDocument checks the document's structure: an OpenAPI 3.1
// header, every $ref resolving, no key made of prose, every operation
// answering something under a unique camelCase operationId, every path
// parameter declared, and every error response in the contract's format.
// (.ci/run also runs redocly lint on it.)
func TestOpenAPIDocument(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi version %q, want 3.1.x", v)
	}
	for _, k := range []string{"info", "paths", "components"} {
		if doc[k] == nil {
			t.Fatalf("missing top-level %q", k)
		}
	}
	// Every $ref points at something that exists.
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				if k == "$ref" {
					refs = append(refs, vv.(string))
				}
				// An unquoted value with a comma in a YAML flow mapping
				// ({description: a, b}) splits into a stray key "b" with
				// no value; nothing in this document is a null value.
				if vv == nil {
					t.Errorf("key %q has no value: a flow-mapping value with a comma needs quotes", k)
				}
				walk(vv)
			}
		case []any:
			for _, vv := range x {
				walk(vv)
			}
		}
	}
	walk(doc)
	if len(refs) < 50 {
		t.Fatalf("only %d $refs found: the walk is broken", len(refs))
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("external $ref %q", ref)
			continue
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := cur.(map[string]any)
			if !ok || m[part] == nil {
				t.Errorf("$ref %q does not resolve", ref)
				break
			}
			cur = m[part]
		}
	}
	// Operations answer, and path parameters are declared.
	param := regexp.MustCompile(`\{([^}]+)\}`)
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	operationIDs := map[string]string{}
	paths := doc["paths"].(map[string]any)
	for path, v := range paths {
		item := v.(map[string]any)
		declared := map[string]bool{}
		collect := func(list any) {
			for _, p := range asList(list) {
				pm := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok && ref == "#/components/parameters/ID" {
					declared["id"] = true
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
		}
		collect(item["parameters"])
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			switch {
			case !camel.MatchString(id):
				t.Errorf("%s %s: operationId %q, want a camelCase name", method, path, id)
			case operationIDs[id] != "":
				t.Errorf("%s %s: operationId %q is also %s", method, path, id, operationIDs[id])
			default:
				operationIDs[id] = method + " " + path
			}
			resp, _ := o["responses"].(map[string]any)
			if len(resp) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
			declaredHere := map[string]bool{}
			for k := range declared {
				declaredHere[k] = true
			}
			for _, p := range asList(o["parameters"]) {
				if pm := p.(map[string]any); pm["in"] == "path" {
					declaredHere[pm["name"].(string)] = true
				}
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !declaredHere[m[1]] {
					t.Errorf("%s %s: path parameter %q not declared", method, path, m[1])
				}
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestOpenAPIServedAndDrift(t *testing.T) {
	s := New(Options{}, routesFunc(func(e *echo.Echo) {
		e.GET("/v1/requests/:id", func(echo.Context) error { return nil })
		e.POST("/v1/undocumented", func(echo.Context) error { return nil })
	}))
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.yaml", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/yaml" || rec.Body.Len() != len(OpenAPI) {
		t.Fatalf("GET /openapi.yaml: %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	drift, err := RouteDrift(s.Echo)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(drift, "\n")
	for _, want := range []string{"served but not documented: POST /v1/undocumented", "documented but not served: POST /v1/auth/login"} {
		if !strings.Contains(joined, want) {
			t.Errorf("drift report lacks %q:\n%s", want, joined)
		}
	}
	for _, not := range []string{"GET /v1/requests/{id}", "GET /healthz", "GET /openapi.yaml"} {
		if strings.Contains(joined, ": "+not+"\n") || strings.HasSuffix(joined, ": "+not) {
			t.Errorf("drift report lists %q, which is both served and documented:\n%s", not, joined)
		}
	}
}

package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	_ "github.com/switchboard-chat/switchboard/adapters/channels" // the channel types the configs use
	"github.com/switchboard-chat/switchboard/config"
)

// doc is one YAML document of a file under deploy/.
type doc struct {
	file string
	n    int // index in its file, from 0
	v    map[string]any
}

func (d doc) String() string { return fmt.Sprintf("%s#%d", d.file, d.n) }

// loadDocs parses one file, every document of it.
func loadDocs(t *testing.T, path string) []doc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []doc
	for i := 0; ; i++ {
		var v map[string]any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if v == nil { // an empty document, such as a trailing ---
			continue
		}
		out = append(out, doc{file: filepath.ToSlash(path), n: i, v: v})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no YAML document", path)
	}
	return out
}

// yamlFiles lists every .yaml and .yml file under dir.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(p); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// get walks a path of map keys and list indexes; ok is false when any
// step is missing or of another kind.
func get(v any, path ...any) (any, bool) {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil, false
			}
			v = l[k]
		default:
			panic(fmt.Sprintf("path step %T", p))
		}
	}
	return v, true
}

func str(v any, path ...any) string {
	x, _ := get(v, path...)
	s, _ := x.(string)
	return s
}

func mapAt(v any, path ...any) map[string]any {
	x, _ := get(v, path...)
	m, _ := x.(map[string]any)
	return m
}

func listAt(v any, path ...any) []any {
	x, _ := get(v, path...)
	l, _ := x.([]any)
	return l
}

func stringList(l []any) []string {
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// setEnv gives every ${NAME} the configs use a plausible value.
func setEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"DATABASE_URL":           "postgres://switchboard:pw@postgres:5432/switchboard?sslmode=disable",
		"REDIS_URL":              "redis://redis:6379/0",
		"SWITCHBOARD_PUBLIC_URL": "https://chat.example.com",
		"WA_PHONE_NUMBER_ID":     "106540352242922",
		"WA_TOKEN":               "wa-token",
		"META_APP_SECRET":        "app-secret",
		"META_VERIFY_TOKEN":      "verify-token",
		"TG_TOKEN":               "123456:token",
		"TG_SECRET":              "tg_secret-1",
		"METRICS_TOKEN":          "metrics-token-0123456789",
	} {
		t.Setenv(k, v)
	}
}

// TestYAMLParses parses every YAML file under deploy/, each document.
func TestYAMLParses(t *testing.T) {
	files := yamlFiles(t, ".")
	for _, want := range []string{"compose.yaml", "switchboard.compose.yaml", "switchboard.example.yaml", "k8s/kustomization.yaml"} {
		if !slices.Contains(files, filepath.FromSlash(want)) {
			t.Errorf("deploy/%s is missing (found %v)", want, files)
		}
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) { loadDocs(t, f) })
	}
}

// k8sObjects is every document under k8s/ but the kustomization.
func k8sObjects(t *testing.T) []doc {
	t.Helper()
	var out []doc
	for _, f := range yamlFiles(t, "k8s") {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		out = append(out, loadDocs(t, f)...)
	}
	return out
}

// find is the one object of kind and name.
func find(t *testing.T, objs []doc, kind, name string) doc {
	t.Helper()
	var found []doc
	for _, o := range objs {
		if str(o.v, "kind") == kind && str(o.v, "metadata", "name") == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q, found %d", kind, name, len(found))
	}
	return found[0]
}

func ofKind(objs []doc, kind string) []doc {
	var out []doc
	for _, o := range objs {
		if str(o.v, "kind") == kind {
			out = append(out, o)
		}
	}
	return out
}

func TestKubernetesObjectsHaveIdentity(t *testing.T) {
	objs := k8sObjects(t)
	if len(objs) < 10 {
		t.Fatalf("found %d Kubernetes objects, want at least 10", len(objs))
	}
	seen := map[string]string{}
	for _, o := range objs {
		for _, f := range [][]any{{"apiVersion"}, {"kind"}, {"metadata", "name"}} {
			if str(o.v, f...) == "" {
				t.Errorf("%s: %v is missing", o, f)
			}
		}
		if ns := str(o.v, "metadata", "namespace"); ns != "" {
			t.Errorf("%s: metadata.namespace %q: the manifests must stay namespace-agnostic", o, ns)
		}
		key := str(o.v, "kind") + "/" + str(o.v, "metadata", "name")
		if prev, dup := seen[key]; dup {
			t.Errorf("%s: %s already defined in %s", o, key, prev)
		}
		seen[key] = o.String()
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	k := loadDocs(t, "k8s/kustomization.yaml")[0]
	if str(k.v, "kind") != "Kustomization" {
		t.Fatalf("kustomization.yaml: kind %q", str(k.v, "kind"))
	}
	listed := stringList(listAt(k.v, "resources"))
	var files []string
	for _, f := range yamlFiles(t, "k8s") {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			files = append(files, b)
		}
	}
	slices.Sort(listed)
	slices.Sort(files)
	if !slices.Equal(listed, files) {
		t.Errorf("kustomization resources %v, files in k8s/ %v", listed, files)
	}
}

// podSpec is a Deployment's or Job's pod spec, and its one container.
func podSpec(t *testing.T, o doc) (spec, container map[string]any) {
	t.Helper()
	spec = mapAt(o.v, "spec", "template", "spec")
	cs := listAt(spec, "containers")
	if len(cs) != 1 {
		t.Fatalf("%s: want one container, found %d", o, len(cs))
	}
	container, _ = cs[0].(map[string]any)
	return spec, container
}

func TestWorkloads(t *testing.T) {
	objs := k8sObjects(t)
	secret := ofKind(objs, "Secret")
	configMap := find(t, objs, "ConfigMap", "switchboard-config")
	if len(secret) != 1 {
		t.Fatalf("want one Secret, found %d", len(secret))
	}
	tests := []struct {
		kind, name, command string
		replicas            int
		gracePeriod         bool // needs terminationGracePeriodSeconds > the drain
	}{
		{"Deployment", "switchboard-gateway", "gateway", 2, true},
		{"Deployment", "switchboard-worker", "worker", 2, true},
		{"Job", "switchboard-migrate", "migrate", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := find(t, objs, tc.kind, tc.name)
			spec, c := podSpec(t, o)

			wantArgs := []string{"--config", "/etc/switchboard/switchboard.yaml", "--log-format", "json", tc.command}
			if got := stringList(listAt(c, "args")); !slices.Equal(got, wantArgs) {
				t.Errorf("args %q, want %q", got, wantArgs)
			}
			if _, ok := c["command"]; ok {
				t.Errorf("command overrides the image's ENTRYPOINT; use args")
			}
			if tc.replicas > 0 {
				if got, _ := get(o.v, "spec", "replicas"); got != tc.replicas {
					t.Errorf("spec.replicas %v, want %d", got, tc.replicas)
				}
				// The selector must match the template's labels.
				sel := mapAt(o.v, "spec", "selector", "matchLabels")
				labels := mapAt(o.v, "spec", "template", "metadata", "labels")
				if len(sel) == 0 || !subset(sel, labels) {
					t.Errorf("selector %v does not select the pod labels %v", sel, labels)
				}
			}
			if tc.gracePeriod {
				// 15 s HTTP drain (gateway) or 10 s task wait (worker), plus a 5 s preStop.
				if g, _ := get(spec, "terminationGracePeriodSeconds"); !(asInt(g) > 20) {
					t.Errorf("terminationGracePeriodSeconds %v, want more than 20", g)
				}
			}

			if v, _ := get(spec, "securityContext", "runAsNonRoot"); v != true {
				t.Errorf("pod securityContext.runAsNonRoot %v, want true", v)
			}
			if v, _ := get(c, "securityContext", "runAsNonRoot"); v != true {
				t.Errorf("container securityContext.runAsNonRoot %v, want true", v)
			}
			if v, _ := get(c, "securityContext", "readOnlyRootFilesystem"); v != true {
				t.Errorf("readOnlyRootFilesystem %v, want true", v)
			}
			if v, _ := get(c, "securityContext", "allowPrivilegeEscalation"); v != false {
				t.Errorf("allowPrivilegeEscalation %v, want false", v)
			}
			if drop := stringList(listAt(c, "securityContext", "capabilities", "drop")); !slices.Contains(drop, "ALL") {
				t.Errorf("capabilities.drop %v, want ALL", drop)
			}
			for _, r := range []string{"requests", "limits"} {
				for _, k := range []string{"cpu", "memory"} {
					if str(c, "resources", r, k) == "" {
						t.Errorf("resources.%s.%s is not set", r, k)
					}
				}
			}

			// Secrets from the Secret, the config from the ConfigMap.
			var fromSecret bool
			for _, e := range listAt(c, "envFrom") {
				if str(e, "secretRef", "name") == str(secret[0].v, "metadata", "name") {
					fromSecret = true
				}
			}
			if !fromSecret {
				t.Errorf("envFrom does not name the Secret %q", str(secret[0].v, "metadata", "name"))
			}
			var volume string
			for _, v := range listAt(spec, "volumes") {
				if str(v, "configMap", "name") == str(configMap.v, "metadata", "name") {
					volume = str(v, "name")
				}
			}
			if volume == "" {
				t.Fatalf("no volume from the ConfigMap %q", str(configMap.v, "metadata", "name"))
			}
			var mounted bool
			for _, m := range listAt(c, "volumeMounts") {
				if str(m, "name") == volume && str(m, "mountPath") == "/etc/switchboard" {
					mounted = true
				}
			}
			if !mounted {
				t.Errorf("the ConfigMap volume %q is not mounted at /etc/switchboard", volume)
			}
		})
	}
}

func asInt(v any) int {
	n, _ := v.(int)
	return n
}

// subset reports whether every key of sel has the same value in labels.
func subset(sel, labels map[string]any) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestProbesAndService: gateways and workers alike are probed over HTTP
// on 8080 (readiness /readyz, liveness and startup /healthz), and the
// Service selects the gateways only.
func TestProbesAndService(t *testing.T) {
	objs := k8sObjects(t)
	gw := find(t, objs, "Deployment", "switchboard-gateway")
	wk := find(t, objs, "Deployment", "switchboard-worker")
	for _, d := range []doc{gw, wk} {
		t.Run(str(d.v, "metadata", "name"), func(t *testing.T) {
			_, c := podSpec(t, d)
			for _, p := range []struct{ probe, path string }{
				{"readinessProbe", "/readyz"},
				{"livenessProbe", "/healthz"},
				{"startupProbe", "/healthz"},
			} {
				if got := str(c, p.probe, "httpGet", "path"); got != p.path {
					t.Errorf("%s path %q, want %q", p.probe, got, p.path)
				}
				if port, _ := get(c, p.probe, "httpGet", "port"); port != 8080 {
					t.Errorf("%s port %v, want 8080", p.probe, port)
				}
			}
			// A database or Redis outage must fail readiness, never liveness.
			if str(c, "livenessProbe", "httpGet", "path") == "/readyz" {
				t.Error("the liveness probe is /readyz: an outage of PostgreSQL or Redis would restart every pod")
			}
			var exposed bool
			for _, p := range listAt(c, "ports") {
				if port, _ := get(p, "containerPort"); port == 8080 {
					exposed = true
				}
			}
			if !exposed {
				t.Error("the container does not declare containerPort 8080")
			}
		})
	}

	svc := find(t, objs, "Service", "switchboard-gateway")
	sel := mapAt(svc.v, "spec", "selector")
	if len(sel) == 0 || !subset(sel, mapAt(gw.v, "spec", "template", "metadata", "labels")) {
		t.Errorf("Service selector %v does not select the gateway pods", sel)
	}
	if subset(sel, mapAt(wk.v, "spec", "template", "metadata", "labels")) {
		t.Errorf("Service selector %v also selects the worker pods", sel)
	}
	if port, _ := get(svc.v, "spec", "ports", 0, "port"); port != 80 {
		t.Errorf("Service port %v, want 80", port)
	}
	if port, _ := get(svc.v, "spec", "ports", 0, "targetPort"); port != 8080 {
		t.Errorf("Service targetPort %v, want 8080", port)
	}
}

func TestAutoscalingAndDisruptionBudgets(t *testing.T) {
	objs := k8sObjects(t)
	hpas, pdbs := ofKind(objs, "HorizontalPodAutoscaler"), ofKind(objs, "PodDisruptionBudget")
	for _, name := range []string{"switchboard-gateway", "switchboard-worker"} {
		t.Run(name, func(t *testing.T) {
			dep := find(t, objs, "Deployment", name)
			labels := mapAt(dep.v, "spec", "template", "metadata", "labels")

			var hpa *doc
			for i, h := range hpas {
				if str(h.v, "spec", "scaleTargetRef", "kind") == "Deployment" && str(h.v, "spec", "scaleTargetRef", "name") == name {
					hpa = &hpas[i]
				}
			}
			if hpa == nil {
				t.Errorf("no HorizontalPodAutoscaler targets Deployment %s", name)
			} else {
				if v := str(hpa.v, "apiVersion"); v != "autoscaling/v2" {
					t.Errorf("%s: apiVersion %q, want autoscaling/v2", hpa, v)
				}
				if str(hpa.v, "spec", "metrics", 0, "resource", "name") != "cpu" {
					t.Errorf("%s: does not scale on CPU", hpa)
				}
				lo, _ := get(hpa.v, "spec", "minReplicas")
				hi, _ := get(hpa.v, "spec", "maxReplicas")
				if asInt(lo) < 2 || asInt(hi) < asInt(lo) {
					t.Errorf("%s: minReplicas %v, maxReplicas %v: want 2 ≤ min ≤ max", hpa, lo, hi)
				}
			}

			var pdb *doc
			for i, p := range pdbs {
				if sel := mapAt(p.v, "spec", "selector", "matchLabels"); len(sel) > 0 && subset(sel, labels) {
					pdb = &pdbs[i]
				}
			}
			if pdb == nil {
				t.Errorf("no PodDisruptionBudget selects the pods of %s (labels %v)", name, labels)
			} else if v, _ := get(pdb.v, "spec", "minAvailable"); v != 1 {
				t.Errorf("%s: minAvailable %v, want 1", pdb, v)
			}
		})
	}
}

// TestConfigsParse runs the bundled config files through the project's
// own parser with every ${NAME} they use set.
func TestConfigsParse(t *testing.T) {
	setEnv(t)
	cm := find(t, k8sObjects(t), "ConfigMap", "switchboard-config")
	compose, err := os.ReadFile("switchboard.compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
	}{
		{"k8s ConfigMap switchboard.yaml", str(cm.v, "data", "switchboard.yaml")},
		{"switchboard.compose.yaml", string(compose)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == "" {
				t.Fatal("empty")
			}
			c, err := config.Parse([]byte(tc.data), tc.name)
			if err != nil {
				t.Fatalf("config.Parse: %v", err)
			}
			// gateway and worker as separate processes need PostgreSQL and Redis.
			if got := c.Database.URL.Value(); got != os.Getenv("DATABASE_URL") {
				t.Errorf("database.url is not ${DATABASE_URL}")
			}
			if got := c.Redis.URL.Value(); got != os.Getenv("REDIS_URL") {
				t.Errorf("redis.url is not ${REDIS_URL}")
			}
			if c.Server.Addr != ":8080" {
				t.Errorf("server.addr %q: the probes and the Service use :8080", c.Server.Addr)
			}
		})
	}
}

// TestSecretCoversConfig: every ${NAME} of the ConfigMap is a key of the
// Secret (an unset one stops every pod), and every value is a placeholder.
func TestSecretCoversConfig(t *testing.T) {
	objs := k8sObjects(t)
	cm := find(t, objs, "ConfigMap", "switchboard-config")
	sec := find(t, objs, "Secret", "switchboard")
	data := mapAt(sec.v, "stringData")
	refs := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`).FindAllStringSubmatch(str(cm.v, "data", "switchboard.yaml"), -1)
	if len(refs) == 0 {
		t.Fatal("the ConfigMap uses no ${NAME}: where do the secrets come from?")
	}
	for _, r := range refs {
		if _, ok := data[r[1]]; !ok && r[2] == "" {
			t.Errorf("the config uses ${%s} but the Secret has no key %s", r[1], r[1])
		}
	}
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "SWITCHBOARD_ADMIN_PASSWORD"} {
		if _, ok := data[k]; !ok {
			t.Errorf("the Secret has no %s", k)
		}
	}
	for k, v := range data {
		if s, _ := v.(string); !strings.Contains(s, "REPLACE_ME") && !strings.HasPrefix(k, "SWITCHBOARD_ADMIN_EMAIL") {
			t.Errorf("Secret key %s = %q is not an obvious REPLACE_ME placeholder", k, s)
		}
	}
}

func TestCompose(t *testing.T) {
	c := loadDocs(t, "compose.yaml")[0]
	services := mapAt(c.v, "services")
	for _, name := range []string{"postgres", "redis", "migrate", "gateway", "worker"} {
		if mapAt(services, name) == nil {
			t.Fatalf("service %s is missing", name)
		}
	}
	for _, name := range []string{"postgres", "redis"} {
		if len(listAt(services, name, "healthcheck", "test")) == 0 {
			t.Errorf("service %s has no healthcheck test", name)
		}
	}
	tests := []struct {
		service, command string
		deps             map[string]string
	}{
		{"migrate", "migrate", map[string]string{"postgres": "service_healthy"}},
		{"gateway", "gateway", map[string]string{"postgres": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"}},
		{"worker", "worker", map[string]string{"postgres": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"}},
	}
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			s := mapAt(services, tc.service) // merge keys (<<: *switchboard) already applied
			got := map[string]string{}
			for dep, v := range mapAt(s, "depends_on") {
				got[dep] = str(v, "condition")
			}
			if !reflect.DeepEqual(got, tc.deps) {
				t.Errorf("depends_on %v, want %v", got, tc.deps)
			}
			if cmd := stringList(listAt(s, "command")); !slices.Equal(cmd, []string{tc.command}) {
				t.Errorf("command %q, want [%q]", cmd, tc.command)
			}
			if str(s, "image") == "" || str(s, "build", "dockerfile") != "deploy/Dockerfile" || str(s, "build", "context") != ".." {
				t.Errorf("image %q, build %v: want the image built from deploy/Dockerfile at the repository root", str(s, "image"), mapAt(s, "build"))
			}
			cfgPath := str(s, "environment", "SWITCHBOARD_CONFIG")
			var mounted bool
			for _, v := range stringList(listAt(s, "volumes")) {
				if strings.HasPrefix(v, "./switchboard.compose.yaml:"+cfgPath) {
					mounted = true
				}
			}
			if cfgPath == "" || !mounted {
				t.Errorf("SWITCHBOARD_CONFIG %q is not the mounted ./switchboard.compose.yaml (volumes %v)", cfgPath, listAt(s, "volumes"))
			}
			for _, k := range []string{"DATABASE_URL", "REDIS_URL"} {
				if str(s, "environment", k) == "" {
					t.Errorf("environment %s is not set", k)
				}
			}
			// The processes that listen are checked by the binary itself
			// (the image has no shell or curl); migrate exits and has none.
			check := stringList(listAt(s, "healthcheck", "test"))
			switch {
			case tc.service == "migrate" && len(check) > 0:
				t.Errorf("migrate has a healthcheck %q, but it listens on no port", check)
			case tc.service != "migrate" && !slices.Equal(check, []string{"CMD", entrypoint(t), "health"}):
				t.Errorf("healthcheck %q, want [CMD %s health]", check, entrypoint(t))
			}
		})
	}
}

// entrypoint is the binary's path in the image (the Dockerfile's
// ENTRYPOINT).
func entrypoint(t *testing.T) string {
	t.Helper()
	var ep []string
	for _, in := range parseDockerfile(t, "Dockerfile") {
		if in.op == "ENTRYPOINT" {
			if err := yaml.Unmarshal([]byte(in.args), &ep); err != nil || len(ep) != 1 {
				t.Fatalf("ENTRYPOINT %s: want the exec form with the binary alone", in.args)
			}
		}
	}
	if len(ep) == 0 {
		t.Fatal("the Dockerfile has no ENTRYPOINT")
	}
	return ep[0]
}

// dockerInstr is one Dockerfile instruction with continuation lines joined.
type dockerInstr struct{ op, args string }

func parseDockerfile(t *testing.T, path string) []dockerInstr {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstr
	var cur strings.Builder
	for line := range strings.SplitSeq(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstr{strings.ToUpper(op), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "Dockerfile")
	var stages []int // index of each FROM
	for i, in := range ins {
		if in.op == "FROM" {
			stages = append(stages, i)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("found %d FROM, want a multi-stage build", len(stages))
	}
	build := ins[stages[0]].args
	if !strings.HasPrefix(build, "golang:") || !strings.Contains(strings.ToLower(build), " as ") {
		t.Errorf("first stage %q: want a named golang: build stage", build)
	}
	var cgoOff, trimpath bool
	for _, in := range ins[:stages[len(stages)-1]] {
		if (in.op == "ENV" || in.op == "ARG" || in.op == "RUN") && regexp.MustCompile(`\bCGO_ENABLED=0\b`).MatchString(in.args) {
			cgoOff = true
		}
		if in.op == "RUN" && strings.Contains(in.args, "go build") && strings.Contains(in.args, "-trimpath") {
			trimpath = true
		}
	}
	if !cgoOff {
		t.Error("the build stage does not set CGO_ENABLED=0")
	}
	if !trimpath {
		t.Error("no go build -trimpath in the build stage")
	}

	final := ins[stages[len(stages)-1]:]
	last := map[string]string{}
	var copied bool
	for _, in := range final {
		last[in.op] = in.args
		if in.op == "COPY" && strings.Contains(in.args, "--from=") {
			copied = true
		}
	}
	if !copied {
		t.Error("the final stage copies nothing from the build stage")
	}
	user := last["USER"]
	uid, _, _ := strings.Cut(user, ":")
	if user == "" || uid == "0" || uid == "root" || !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(uid) {
		t.Errorf("final stage USER %q: want a numeric non-root user", user)
	}
	if last["EXPOSE"] != "8080" {
		t.Errorf("EXPOSE %q, want 8080", last["EXPOSE"])
	}
	if !strings.Contains(last["ENTRYPOINT"], "switchboard") {
		t.Errorf("ENTRYPOINT %q, want the binary", last["ENTRYPOINT"])
	}
	if last["CMD"] != `["serve"]` {
		t.Errorf("CMD %q, want [\"serve\"]", last["CMD"])
	}
}

package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// maxSteps bounds the work of one decode, so a file of nested aliases
// (a "billion laughs") is a problem instead of a hang.
const maxSteps = 200_000

// Path helpers; the decoder and the validator build paths the same way.

func field(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func mapKey(path, key string) string {
	if plainKey.MatchString(key) {
		return field(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
	sizeType     = reflect.TypeFor[ByteSize]()
)

// decoder decodes a yaml.Node tree onto Go values strictly, recording
// problems and the position of every value it sets.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	probs  []Problem
	pos    map[string]position
	// expanded caches the env expansion of each scalar node, so a node
	// reached twice through aliases is expanded (and reported) once.
	expanded map[*yaml.Node]string
	merging  map[*yaml.Node]bool
	steps    int
	halted   bool
}

func newDecoder(file string, lookup func(string) (string, bool)) *decoder {
	return &decoder{
		file:     file,
		lookup:   lookup,
		pos:      map[string]position{},
		expanded: map[*yaml.Node]string{},
		merging:  map[*yaml.Node]bool{},
	}
}

func (d *decoder) problem(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

// step counts work and halts the decode when there is too much.
func (d *decoder) step(n *yaml.Node, path string) bool {
	if d.halted {
		return false
	}
	d.steps++
	if d.steps > maxSteps {
		d.halted = true
		d.problem(n, path, "document is too large or too deeply aliased")
		return false
	}
	return true
}

// resolve follows aliases.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if !d.step(n, path) {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

// decode sets v from n. A null node leaves v as it is (the default).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.step(n, path) {
		return
	}
	at := n
	if n = d.resolve(n, path); n == nil {
		return
	}
	if isNull(n) {
		return
	}
	d.pos[path] = position{at.Line, at.Column}

	switch v.Type() {
	case durationType:
		s, ok := d.scalar(n, path, "a duration")
		if !ok {
			return
		}
		dur, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			d.problem(at, path, "must be a duration such as 30s, 15m or 24h (got %q)", s)
			return
		}
		v.SetInt(int64(dur))
		return
	case sizeType:
		s, ok := d.scalar(n, path, "a size")
		if !ok {
			return
		}
		size, err := ParseByteSize(s)
		if err != nil {
			d.problem(at, path, "must be a size such as 1MiB, 512KiB or 1048576 (got %q)", s)
			return
		}
		v.SetInt(int64(size))
		return
	case secretType:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.Set(reflect.ValueOf(NewSecret(s)))
		}
		return
	}

	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == channelStruct {
			d.decodeChannel(at, n, v, path)
			return
		}
		d.decodeStruct(at, n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(at, path, "must be a list, not %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), index(path, i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(at, n, v, path)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.problem(at, path, "must be true or false (got %q)", s)
		}
	case reflect.Int, reflect.Int64:
		s, ok := d.scalar(n, path, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v.OverflowInt(i) {
			d.problem(at, path, "must be a whole number (got %q)", s)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		s, ok := d.scalar(n, path, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			d.problem(at, path, "must be a number (got %q)", s)
			return
		}
		v.SetFloat(f)
	default:
		panic("config: cannot decode into " + v.Type().String())
	}
}

// scalar is the env-expanded text of a scalar node.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.problem(n, path, "must be %s, not %s", want, kindName(n))
		return "", false
	}
	if s, ok := d.expanded[n]; ok {
		return s, true
	}
	s, errs := expandEnv(n.Value, d.lookup)
	for _, e := range errs {
		d.problem(n, path, "%s", e)
	}
	d.expanded[n] = s
	return s, true
}

// decodeStruct sets the fields of v from the mapping n; unknown and
// duplicate keys are problems; "<<" merges mappings.
func (d *decoder) decodeStruct(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(at, path, "must be a mapping, not %s", kindName(n))
		return
	}
	fields := structFields(v.Type())
	seen := map[string]*yaml.Node{}
	d.pairs(n, path, func(k, val *yaml.Node, key string) {
		f, ok := fields.byName[key]
		if !ok && path == "" && strings.HasPrefix(key, "x-") {
			return // a top-level extension key, a place for YAML anchors
		}
		if !ok {
			msg := fmt.Sprintf("unknown key %q", key)
			if s := suggest(key, fields.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.problem(k, field(path, key), "%s", msg)
			return
		}
		if first, dup := seen[key]; dup {
			d.problem(k, field(path, key), "duplicate key (first set at line %d)", first.Line)
			return
		}
		seen[key] = k
		d.decode(val, v.FieldByIndex(f), field(path, key))
	})
}

// decodeMap sets the map v (string keys) from the mapping n.
func (d *decoder) decodeMap(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(at, path, "must be a mapping, not %s", kindName(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := map[string]*yaml.Node{}
	d.pairs(n, path, func(k, val *yaml.Node, key string) {
		p := mapKey(path, key)
		if first, dup := seen[key]; dup {
			d.problem(k, p, "duplicate key (first set at line %d)", first.Line)
			return
		}
		seen[key] = k
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, e, p)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), e)
	})
	v.Set(m)
}

// pairs calls fn for each key of the mapping n: first the keys merged in
// with "<<" that n does not set itself, then n's own keys in order.
func (d *decoder) pairs(n *yaml.Node, path string, fn func(k, v *yaml.Node, key string)) {
	own := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := d.resolve(n.Content[i], path); k != nil && !isMerge(k) && k.Kind == yaml.ScalarNode {
			own[k.Value] = true
		}
	}
	merged := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			return
		}
		if isMerge(k) {
			d.merge(n.Content[i+1], path, own, merged, fn)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.problem(k, path, "keys must be single values, not %s", kindName(k))
			continue
		}
		if isMerge(k) {
			continue
		}
		fn(k, n.Content[i+1], k.Value)
	}
}

func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" }

// merge feeds the keys of the merged mapping(s) m that are not in own.
func (d *decoder) merge(m *yaml.Node, path string, own, merged map[string]bool, fn func(k, v *yaml.Node, key string)) {
	at := m
	if m = d.resolve(m, path); m == nil {
		return
	}
	switch m.Kind {
	case yaml.SequenceNode:
		for _, item := range m.Content {
			d.merge(item, path, own, merged, fn)
		}
		return
	case yaml.MappingNode:
	default:
		d.problem(at, path, "<< must merge a mapping or a list of mappings")
		return
	}
	if d.merging[m] {
		d.problem(at, path, "<< merges a mapping into itself")
		return
	}
	d.merging[m] = true
	defer delete(d.merging, m)
	d.pairs(m, path, func(k, v *yaml.Node, key string) {
		if own[key] || merged[key] {
			return
		}
		merged[key] = true
		fn(k, v, key)
	})
}

// fieldSet is the yaml keys of a struct type.
type fieldSet struct {
	byName map[string][]int
	names  []string
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func structFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string][]int{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), prefix...), i)
			if opts == "inline" {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			fs.byName[name] = idx
			fs.names = append(fs.names, name)
		}
	}
	walk(t, nil)
	fieldCache.Store(t, fs)
	return fs
}

// suggest is the known key closest to key, if it is close enough to be a
// likely typo: one edit for short keys, two for longer ones.
func suggest(key string, names []string) string {
	limit := 1
	if len(key) > 5 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, n := range names {
		if dist := editDistance(strings.ToLower(key), n); dist < bestDist {
			best, bestDist = n, dist
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and
// transpositions of adjacent bytes that turn a into b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${NAME} and ${NAME:-default} in s (the default is
// used when NAME is unset or empty); $${ is a literal "${". Each variable
// that is unset with no default, and each malformed reference, is an error.
func expandEnv(s string, lookup func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var errs []string
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				errs = append(errs, fmt.Sprintf("unterminated ${ in %q (write $${ for a literal ${)", s))
				b.WriteString(s[i:])
				i = len(s)
				continue
			}
			ref := s[i+2 : i+2+end]
			i += end + 3
			name, def, hasDef := strings.Cut(ref, ":-")
			if !envName.MatchString(name) {
				errs = append(errs, fmt.Sprintf("invalid environment variable reference ${%s}", ref))
				continue
			}
			val, ok := lookup(name)
			switch {
			case hasDef && val == "":
				val = def
			case !ok:
				errs = append(errs, fmt.Sprintf("environment variable %s is not set (use ${%s:-default} for a default)", name, name))
			}
			b.WriteString(val)
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), errs
}

package config

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-chat/switchboard/core"
)

// ChannelSpec is what configuration knows of one channel type: the keys
// its channels take besides id and type, their defaults and their
// checks. The keys are the yaml-tagged exported fields of S, a struct
// (embedded structs tagged `yaml:",inline"` add theirs); a field tagged
// `required:"true"` is a key every channel of the type must set. Config
// lists no channel type itself: each registers its spec (RegisterChannel)
// from its registration file, next to its wiring.
type ChannelSpec[S any] struct {
	Type core.ChannelType
	// Order places the type in lists people read (problems, the inbox,
	// the API's enum); equal orders sort by type.
	Order int
	// Defaults holds the values a channel takes for keys it leaves unset
	// or empty.
	Defaults S
	// Check reports the problems of a channel's settings that the
	// required keys do not cover: problem(key, format, args...), where key
	// is relative to the channel ("graph_url", "allowed_origins[2]").
	Check func(s S, problem func(key, format string, args ...any))
	// Core, when set, adds what core must know of a channel of the type
	// to its settings (the widget's greeting and page URL keys).
	Core func(s S, channelID string, set *core.Settings)
}

// channelSpec is a ChannelSpec without its type parameter.
type channelSpec struct {
	typ      core.ChannelType
	order    int
	settings reflect.Type
	defaults reflect.Value
	check    func(s any, problem func(key, format string, args ...any))
	core     func(s any, channelID string, set *core.Settings)
}

var registry struct {
	mu    sync.RWMutex
	specs []*channelSpec
}

// RegisterChannel adds a channel type. It panics when the type is empty
// or already registered, or S is not a struct: a build mistake.
func RegisterChannel[S any](spec ChannelSpec[S]) {
	t := reflect.TypeFor[S]()
	if t.Kind() != reflect.Struct || spec.Type == "" {
		panic(fmt.Sprintf("config: channel type %q: settings %s must be a struct and the type named", spec.Type, t))
	}
	cs := &channelSpec{typ: spec.Type, order: spec.Order, settings: t, defaults: reflect.ValueOf(spec.Defaults),
		check: func(any, func(string, string, ...any)) {}}
	if spec.Check != nil {
		cs.check = func(s any, problem func(string, string, ...any)) { spec.Check(s.(S), problem) }
	}
	if spec.Core != nil {
		cs.core = func(s any, id string, set *core.Settings) { spec.Core(s.(S), id, set) }
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, other := range registry.specs {
		if other.typ == spec.Type {
			panic(fmt.Sprintf("config: channel type %q registered twice", spec.Type))
		}
	}
	registry.specs = append(registry.specs, cs)
	slices.SortStableFunc(registry.specs, func(a, b *channelSpec) int {
		return cmp.Or(cmp.Compare(a.order, b.order), strings.Compare(string(a.typ), string(b.typ)))
	})
}

// ChannelTypes lists the registered channel types in their order.
func ChannelTypes() []core.ChannelType {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	out := make([]core.ChannelType, len(registry.specs))
	for i, s := range registry.specs {
		out[i] = s.typ
	}
	return out
}

// ChannelKeys lists the keys of channels of type t besides id and type,
// in the order of its settings (nil for an unknown type).
func ChannelKeys(t core.ChannelType) []string {
	if s := specOf(t); s != nil {
		return slices.Clone(structFields(s.settings).names)
	}
	return nil
}

func specOf(t core.ChannelType) *channelSpec {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	for _, s := range registry.specs {
		if s.typ == t {
			return s
		}
	}
	return nil
}

// typeList is "a, b or c" of the registered types.
func typeList(conj string) string {
	var names []string
	for _, t := range ChannelTypes() {
		names = append(names, string(t))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

// allChannelKeys is every key a channel of some type takes, id and type
// first, and the types that take each.
func allChannelKeys() ([]string, map[string][]core.ChannelType) {
	names := []string{"id", "type"}
	of := map[string][]core.ChannelType{}
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	for _, s := range registry.specs {
		for _, k := range structFields(s.settings).names {
			if _, seen := of[k]; !seen {
				names = append(names, k)
			}
			of[k] = append(of[k], s.typ)
		}
	}
	return names, of
}

// SettingsOf is the settings of ch as its type registered them (the zero
// S when ch has settings of another type).
func SettingsOf[S any](ch Channel) S {
	s, _ := ch.Settings.(S)
	return s
}

var channelStruct = reflect.TypeFor[Channel]()

// decodeChannel sets the Channel v from the mapping n: id and type, then
// the other keys into the settings struct of the type.
func (d *decoder) decodeChannel(at, n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(at, path, "must be a mapping, not %s", kindName(n))
		return
	}
	ch := v.Addr().Interface().(*Channel)
	type pair struct {
		k, val *yaml.Node
		key    string
	}
	var rest []pair
	seen := map[string]*yaml.Node{}
	d.pairs(n, path, func(k, val *yaml.Node, key string) {
		if first, dup := seen[key]; dup {
			d.problem(k, field(path, key), "duplicate key (first set at line %d)", first.Line)
			return
		}
		seen[key] = k
		switch key {
		case "id":
			d.decode(val, reflect.ValueOf(&ch.ID).Elem(), field(path, key))
		case "type":
			d.decode(val, reflect.ValueOf(&ch.Type).Elem(), field(path, key))
		default:
			rest = append(rest, pair{k, val, key})
		}
	})
	names, typesOf := allChannelKeys()
	spec := specOf(ch.Type)
	var settings reflect.Value
	if spec != nil {
		settings = reflect.New(spec.settings).Elem()
		if ch.Settings != nil && reflect.TypeOf(ch.Settings) == spec.settings {
			settings.Set(reflect.ValueOf(ch.Settings))
		}
	}
	for _, p := range rest {
		p0 := field(path, p.key)
		if spec != nil {
			if f, ok := structFields(spec.settings).byName[p.key]; ok {
				d.decode(p.val, settings.FieldByIndex(f), p0)
				continue
			}
		}
		switch {
		case len(typesOf[p.key]) == 0:
			msg := fmt.Sprintf("unknown key %q", p.key)
			if s := suggest(p.key, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.problem(p.k, p0, "%s", msg)
		case spec != nil && !d.empty(p.val, p0):
			d.problem(p.val, p0, "is not a setting of %s channels", ch.Type)
		}
	}
	if spec != nil {
		ch.Settings = settings.Interface()
	}
}

// empty reports a value that leaves a key unset: null, "" or an empty
// list or mapping.
func (d *decoder) empty(n *yaml.Node, path string) bool {
	if n = d.resolve(n, path); n == nil {
		return true
	}
	switch {
	case isNull(n):
		return true
	case n.Kind == yaml.ScalarNode:
		s, _ := d.scalar(n, path, "a value")
		return s == ""
	}
	return len(n.Content) == 0
}

// applyDefaults fills the keys ch leaves unset (zero) from its
// type's defaults; a channel built in code without settings gets them all.
func (ch *Channel) applyDefaults() {
	spec := specOf(ch.Type)
	if spec == nil {
		return
	}
	s := reflect.New(spec.settings).Elem()
	if ch.Settings != nil && reflect.TypeOf(ch.Settings) == spec.settings {
		s.Set(reflect.ValueOf(ch.Settings))
	}
	fillZero(s, spec.defaults)
	ch.Settings = s.Interface()
}

// fillZero sets the zero fields of the struct v from def, field by field
// (embedded structs too).
func fillZero(v, def reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		if v.Type().Field(i).Anonymous && f.Kind() == reflect.Struct {
			fillZero(f, def.Field(i))
			continue
		}
		if f.IsZero() {
			f.Set(def.Field(i))
		}
	}
}

// setKey sets the key of ch's settings to value (a value of the key's
// type); for config's own defaults.
func (ch *Channel) setKey(key string, value any) {
	if ch.Settings == nil {
		return
	}
	s := reflect.New(reflect.TypeOf(ch.Settings)).Elem()
	s.Set(reflect.ValueOf(ch.Settings))
	if idx, ok := structFields(s.Type()).byName[key]; ok {
		s.FieldByIndex(idx).Set(reflect.ValueOf(value))
		ch.Settings = s.Interface()
	}
}

// channel checks the type-specific keys of the channel at path p.
func (v *validator) channel(p string, ch Channel, spec *channelSpec) {
	if reflect.TypeOf(ch.Settings) != spec.settings {
		v.add(p, "has settings of type %T, not those of %s channels", ch.Settings, ch.Type)
		return
	}
	s := reflect.ValueOf(ch.Settings)
	fs := structFields(spec.settings)
	for _, name := range fs.names {
		idx := fs.byName[name]
		if spec.settings.FieldByIndex(idx).Tag.Get("required") == "true" && s.FieldByIndex(idx).IsZero() {
			v.add(field(p, name), "is required for %s channels", ch.Type)
		}
	}
	spec.check(ch.Settings, func(key, format string, args ...any) {
		if strings.HasPrefix(key, "[") {
			v.add(p+key, format, args...)
		} else {
			v.add(field(p, key), format, args...)
		}
	})
}

// Package config loads, validates and reloads Switchboard's YAML
// configuration.
//
// A file is parsed into a yaml.Node tree first, so every value keeps its
// line and column. Each scalar value then gets ${NAME} and ${NAME:-default}
// expansion from the environment (after parsing, so an expanded value can
// never add YAML structure; write $${ for a literal "${"). The tree is
// decoded strictly on top of [Default]: unknown keys, values of the wrong
// type and invalid values are all reported, each with file:line:column and
// the key's path, and every problem is collected into one [*Problems] error
// instead of stopping at the first:
//
//	switchboard.yaml:12:5: routing.rules[0].mode: must be broadcast or direct (got "fanout")
//
// A section the file omits keeps its default; a list the file sets replaces
// the default list; a null value (an empty "key:") keeps the default.
// [Default] alone is a complete, valid configuration, so the binary runs
// with no file at all.
//
// Config names no channel type: each registers the keys of its channels,
// their defaults and checks with [RegisterChannel] (adapters/channels does,
// one file per type), and a channel's keys decode into its type's settings
// struct ([Channel.Settings], read with [SettingsOf]). A key of another
// type is a problem like an unknown one.
//
// Credentials (tokens, app secrets, database and Redis URLs) have the type
// [Secret], which prints, logs and marshals as "[redacted]"; only
// [Secret.Value] returns the text.
//
// [Config.Settings] converts a Config into the core.Settings the Service
// reads; the binary reloads by loading the file again and handing the
// Service the new settings, keeping the old ones when the file is invalid.
//
// [ReadEnv] reads the SWITCHBOARD_* environment variables of the process
// (the config file, the listen address, logging, the first admin, the
// password hashing cost) into an [Env], once, for the composition root.
package config

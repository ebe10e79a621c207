// Package channels is the registry of the channel types this build
// serves, one file per type (widget.go, whatsapp.go, messenger.go,
// instagram.go, telegram.go), as matterbridge's bridge map has one file
// per bridge. Each file registers, next to the type's wiring:
//
//   - its enum value (channels[].type, the API's Channel.type),
//   - its configuration keys (a settings struct) with their defaults and
//     checks, which config decodes and validates (config.RegisterChannel),
//   - its display name and icon in the agent inbox,
//   - its entry in the example configuration,
//   - Wire, which builds the channel's sender, webhook and background work
//     from its settings.
//
// The composition root (cmd/switchboard) wires every configured channel
// through Wire; nothing else lists the types. The inbox's CHANNEL_TYPES,
// the OpenAPI enum and the example configuration's channels are generated
// from the registry (go generate ./adapters/channels), and a test fails
// when they disagree with it. docs/adding-a-channel.md says how to add one.
package channels

//go:generate go test -run ^TestGenerated$ -update .

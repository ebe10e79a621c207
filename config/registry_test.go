package config_test

// The tests of config run with the channel types this build registers:
// adapters/channels registers them (and imports config, so only this
// external test package may import it; its init runs before every test
// of the binary, the internal ones too).
import _ "github.com/switchboard-chat/switchboard/adapters/channels"

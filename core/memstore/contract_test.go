package memstore_test

import (
	"testing"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
	"github.com/switchboard-chat/switchboard/core/storetest"
)

// TestContract runs the store contract suite on the in-memory store, so
// that unit tests of core run on a store that behaves like the real ones.
func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) core.Store { return memstore.New() })
}

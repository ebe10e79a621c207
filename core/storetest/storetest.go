package storetest

import (
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// Run runs the contract suite.
func Run(t *testing.T, open func(t *testing.T) core.Store) {
	t.Run("smoke", func(t *testing.T) {
		s := open(t)
		_ = s
	})
}

package messenger_test

import (
	"path/filepath"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestMediaGolden normalises the media payloads of testdata/media (the
// webhook shapes the Messenger Platform documents for customers' photos,
// voice notes, videos, files and stickers, which the shared fixtures do
// not have) and compares with testdata/media__*.golden (-update rewrites
// them and the fuzz seeds).
func TestMediaGolden(t *testing.T) {
	files := metatest.Fixtures(t, filepath.Join("testdata", "media"))
	if len(files) == 0 {
		t.Fatal("no media payloads in testdata/media")
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			evs, err := messenger.Normalize(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Kind != core.InboundMessage {
				t.Fatalf("want one message, got %+v", evs)
			}
			metatest.CheckEvents(t, evs)
			metatest.CheckAttachments(t, evs)
			metatest.Seed(t, "FuzzMessenger", "media__"+f.Name, f.Body)
			metatest.Golden(t, "media__"+f.Name, metatest.Render(evs))
		})
	}
}

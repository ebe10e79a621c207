// Package docs holds Switchboard's documentation (Markdown files, start at
// README.md in this directory) and nothing to import. It is a Go package
// only so that its test runs on every `go test ./...` and checks every
// Markdown file of the repository: that each relative link and image points
// at a file the repository holds, that each #anchor names a heading of its
// target, and that no file points at documents outside the repository.
package docs

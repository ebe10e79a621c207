// Package deploy holds the container and Kubernetes files for Switchboard
// (Dockerfile, compose.yaml, k8s/) and nothing to import: it is a Go
// package only so that its test can check those files on every `go test
// ./...` — that the YAML parses, that the Kubernetes objects carry the
// fields a production rollout relies on, and that the bundled config files
// are valid Switchboard configs.
package deploy

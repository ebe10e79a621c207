package config

import (
	"net/url"
	"strings"

	"github.com/switchboard-chat/switchboard/core"
)

// Media configures attachments: where their bytes are kept, the largest
// file taken, and the optional malware scan.
type Media struct {
	// Store is MediaLocal (files under data_dir/media, the default) or
	// MediaS3 (the S3 block).
	Store string  `yaml:"store"`
	S3    MediaS3 `yaml:"s3"`
	// MaxBytes is the largest file taken from a customer or an agent
	// (default 25 MiB); a channel's own limit may be lower.
	MaxBytes ByteSize `yaml:"max_bytes"`
	// Clamd, when set, is the clamd every file is scanned by before it is
	// stored: tcp://host:port or unix:///path/to/clamd.ctl.
	Clamd string `yaml:"clamd"`
}

// MediaS3 is an S3-compatible object store.
type MediaS3 struct {
	// Endpoint is the store's URL: https://s3.eu-central-1.amazonaws.com,
	// http://minio:9000.
	Endpoint  string `yaml:"endpoint"`
	Bucket    string `yaml:"bucket"`
	Region    string `yaml:"region"`
	AccessKey Secret `yaml:"access_key"`
	SecretKey Secret `yaml:"secret_key"`
	// PathStyle puts the bucket in the path (most self-hosted stores).
	PathStyle bool `yaml:"path_style"`
}

// Values of Media.Store.
const (
	MediaLocal   = "local"
	MediaS3Store = "s3"
)

func defaultMedia() Media {
	return Media{Store: MediaLocal, MaxBytes: ByteSize(core.DefaultMediaMaxBytes)}
}

func (v *validator) media() {
	m := v.c.Media
	switch m.Store {
	case MediaLocal:
	case MediaS3Store:
		s := m.S3
		if u, err := url.Parse(s.Endpoint); s.Endpoint == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add("media.s3.endpoint", "must be the store's http:// or https:// URL (got %q)", s.Endpoint)
		}
		if s.Bucket == "" {
			v.add("media.s3.bucket", "is required with media.store: s3")
		}
		if s.AccessKey.Value() == "" || s.SecretKey.Value() == "" {
			v.add("media.s3", "access_key and secret_key are required with media.store: s3")
		}
	default:
		v.add("media.store", "must be %q or %q (got %q)", MediaLocal, MediaS3Store, m.Store)
	}
	if m.MaxBytes <= 0 {
		v.add("media.max_bytes", "must be more than 0 (default 25MiB)")
	}
	if c := m.Clamd; c != "" {
		u, err := url.Parse(c)
		if err != nil || !(u.Scheme == "tcp" && u.Host != "" || u.Scheme == "unix" && u.Path != "") || strings.ContainsAny(c, " \t") {
			v.add("media.clamd", "must be tcp://host:port or unix:///path/to/clamd.ctl, or empty for no scan (got %q)", c)
		}
	}
}

package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Registries are the registry settings, with dockerd's daemon.json keys.
type Registries struct {
	// InsecureRegistries may be reached over plain HTTP: host[:port]
	// names or CIDRs, as in dockerd's daemon.json. 127.0.0.0/8 always may.
	InsecureRegistries []string `json:"insecure-registries,omitempty"`
	// RegistryMirrors are tried, in order, for Docker Hub's images.
	RegistryMirrors []string `json:"registry-mirrors,omitempty"`
	// RegistryHostMirrors are any registry's, by host: {"registry.k8s.io":
	// ["http://127.0.0.1:5000"]}, containerd's hosts.toml model (mirrors.go).
	RegistryHostMirrors map[string][]string `json:"registry-host-mirrors,omitempty"`
	// MaxConcurrentDownloads and MaxConcurrentUploads bound the layers
	// moved at once per pull and per push.
	MaxConcurrentDownloads int `json:"max-concurrent-downloads,omitempty"`
	MaxConcurrentUploads   int `json:"max-concurrent-uploads,omitempty"`
}

func (r *Registries) validate() error {
	for i, m := range r.RegistryMirrors {
		norm, err := validateMirror(m)
		if err != nil {
			return err
		}
		r.RegistryMirrors[i] = norm
	}
	for host, urls := range r.RegistryHostMirrors {
		for i, m := range urls {
			norm, err := validateMirror(m)
			if err != nil {
				return fmt.Errorf("registry-host-mirrors: %s: %w", host, err)
			}
			urls[i] = norm
		}
	}
	if r.MaxConcurrentDownloads < 0 {
		return fmt.Errorf("invalid max concurrent downloads: %d", r.MaxConcurrentDownloads)
	}
	if r.MaxConcurrentUploads < 0 {
		return fmt.Errorf("invalid max concurrent uploads: %d", r.MaxConcurrentUploads)
	}
	return nil
}

// validateMirror checks a mirror as dockerd does: an http(s) URL with no
// path, query or fragment; it returns it with a trailing slash.
func validateMirror(val string) (string, error) {
	u, err := url.Parse(val)
	if err != nil {
		return "", fmt.Errorf("invalid mirror: %q is not a valid URI: %w", val, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid mirror: unsupported scheme %q in %q", u.Scheme, u)
	}
	if u.Host == "" {
		return "", fmt.Errorf("invalid mirror: no host in %q", val)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return "", fmt.Errorf("invalid mirror: path, query, or fragment at end of the URI %q", val)
	}
	if u.User != nil {
		return "", fmt.Errorf("invalid mirror: username/password not allowed in URI %q", val)
	}
	return strings.TrimSuffix(val, "/") + "/", nil
}

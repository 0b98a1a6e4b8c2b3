package config

// Mirrors is every registry's pull mirrors: registry-host-mirrors
// ({"gcr.io": ["http://127.0.0.1:5000"]}, containerd's hosts.toml model,
// which a kubelet's images from registry.k8s.io and gcr.io need offline)
// with dockerd's registry-mirrors as docker.io's.
func (c Config) Mirrors() map[string][]string {
	m := map[string][]string{}
	for host, urls := range c.RegistryHostMirrors {
		m[host] = append(m[host], urls...)
	}
	if len(c.RegistryMirrors) > 0 {
		m["docker.io"] = append(m["docker.io"], c.RegistryMirrors...)
	}
	return m
}

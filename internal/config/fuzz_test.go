package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadFile: any daemon.json either loads into a configuration whose
// default ulimits can be applied, or is refused; never a panic.
func FuzzLoadFile(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"debug":true,"default-ulimits":{"nofile":{"Hard":64000,"Soft":64000}}}`,
		`{"default-ulimits":{"nofile":{"Name":"nproc","Hard":1,"Soft":2}}}`,
		`{"default-ulimits":{"nofile":null}}`,
		`{"runtimes":{"crun":{"path":"/usr/bin/crun"}},"default-runtime":"crun","bip":"10.0.0.1/24"}`,
		`{"insecure-registries":["localhost:5000"],"iptables":false,"default-address-pools":[{"base":"10.10.0.0/16","size":24}]}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "daemon.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c := Default()
		if err := c.LoadFile(p, nil); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		for key, u := range c.DefaultUlimits {
			if u == nil || u.Name != key || u.Soft > u.Hard {
				t.Fatalf("%s: default ulimit %q = %+v accepted", data, key, u)
			}
		}
	})
}

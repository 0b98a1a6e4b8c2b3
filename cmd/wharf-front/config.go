package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/docker/cli/cli/config/configfile"
	cliversion "github.com/docker/cli/cli/version"
	"github.com/moby/moby/client"
)

// configKeys are the config file's settings the front models, or that do
// not change what ps and inspect print; docker's JSON decoding matches
// them without regard to case.
var configKeys = []string{"auths", "credsStore", "credHelpers", "psFormat", "currentContext"}

// loadConfig reads the config file at path as docker does and returns its
// psFormat; it reports false for a file the front does not model.
func loadConfig(path string) (psFormat string, ok bool) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", true
	}
	if err != nil {
		return "", false
	}
	cfg := configfile.New(path)
	if err := cfg.LoadFromReader(bytes.NewReader(data)); err != nil {
		return "", false // docker warns: its words are wharf-cli's
	}
	var keys map[string]json.RawMessage
	if len(bytes.TrimSpace(data)) == 0 {
		// No settings, for docker's decoder too.
	} else if err := json.Unmarshal(data, &keys); err != nil {
		return "", false // trailing data, which docker's decoder ignores
	}
	for k := range keys {
		known := false
		for _, c := range configKeys {
			known = known || strings.EqualFold(k, c)
		}
		if !known {
			return "", false
		}
	}
	if cfg.CurrentContext != "" && cfg.CurrentContext != "default" {
		return "", false
	}
	return cfg.PsFormat, true
}

// newClient returns an API client as docker's for the default context on
// a unix socket, with the same user agent. docker pings the daemon first
// to choose the API version, the lower of its own highest and the
// daemon's; the front asks at its own highest at once, saving that round
// trip: a daemon that is as new answers in that version's shape, as after
// the ping, and an older one refuses the request, which the front then
// hands over to wharf-cli like any error before it has done anything.
func newClient(host string) (*client.Client, error) {
	return client.New(client.WithHost(host), client.WithUserAgent("Docker-Client/"+cliversion.Version+" (linux)"),
		client.WithAPIVersion(client.MaxAPIVersion))
}

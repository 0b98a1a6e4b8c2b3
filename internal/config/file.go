package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
)

// LoadFile overlays the settings in path on c, as dockerd reads its
// daemon.json: keys no setting has, values of the wrong type, and keys
// also given as flags are refused, naming the keys. fromFlags maps each
// key set on the command line to the flag's value. The caller overlays
// the flags and then calls Validate on the whole. A missing file is an
// empty one (dockerd says so only of its default path; our scripts and
// tests name /nonexistent to mean "none").
func (c *Config) LoadFile(path string, fromFlags map[string]string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unable to configure the Wharf daemon with file %s: %w", path, err)
	}
	if err := c.load(data, fromFlags); err != nil {
		return fmt.Errorf("unable to configure the Wharf daemon with file %s: %w", path, err)
	}
	return nil
}

// load decodes a daemon.json's bytes onto c.
func (c *Config) load(data []byte, fromFlags map[string]string) error {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(data) == 0 {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	known := Keys()
	var unknown, conflicts []string
	for key, raw := range keys {
		if !slices.Contains(known, key) {
			unknown = append(unknown, key)
		} else if flagValue, ok := fromFlags[key]; ok {
			conflicts = append(conflicts, fmt.Sprintf("%s: (from flag: %s, from file: %s)", key, flagValue, compact(raw)))
		}
	}
	slices.Sort(unknown)
	slices.Sort(conflicts)
	if len(unknown) > 0 {
		return fmt.Errorf("the following directives don't match any configuration option: %s", strings.Join(unknown, ", "))
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("the following directives are specified both as a flag and in the configuration file: %s", strings.Join(conflicts, ", "))
	}
	// The file adds its runtimes to the built-in ones; deeper levels
	// (a runtime's fields, an address pool's) are as strict as the top.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(c)
	if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
		// dockerd's words, with the key as the file spells it (ours has
		// the names of the Go structs the keys are grouped in).
		return fmt.Errorf("json: cannot unmarshal %s into Go struct field Config.%s of type %s", te.Value, keyPath(te.Field), te.Type)
	}
	return err
}

// keyPath drops the Go struct names from a decoding error's field path,
// leaving the keys: "Access.hosts" is "hosts".
func keyPath(field string) string {
	var keys []string
	for _, part := range strings.Split(field, ".") {
		if part != "" && (part[0] < 'A' || part[0] > 'Z') {
			keys = append(keys, part)
		}
	}
	return strings.Join(keys, ".")
}

// compact prints a file's value on one line, for the conflict message.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// Validate checks settings the types alone do not, in dockerd's words,
// and normalises hosts and mirrors.
func (c *Config) Validate() error {
	for _, check := range []func() error{
		c.Access.validate, c.Registries.validate, c.ContainerDefaults.validate,
		c.checkUlimits, c.checkLabels, c.Dashboard.Check,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	if c.StorageDriver != "overlay2" {
		return fmt.Errorf("storage-driver %q is not supported: wharfd stores images and containers with overlay2", c.StorageDriver)
	}
	return nil
}

// Keys lists every key daemon.json may hold.
func Keys() []string {
	var keys []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return keys
}

// checkLabels rejects labels dockerd rejects, and one key given two
// values (dockerd's GetConflictFreeLabels).
func (c *Config) checkLabels() error {
	seen := map[string]string{}
	for _, label := range c.Labels {
		key, val, _ := strings.Cut(label, "=")
		key = strings.TrimLeft(key, " \t")
		if key == "" {
			return fmt.Errorf("invalid label '%s': empty name", label)
		}
		if strings.ContainsAny(key, " \t") {
			return fmt.Errorf("label '%s' contains whitespaces", key)
		}
		if old, ok := seen[key]; ok && old != val {
			return fmt.Errorf("conflict labels for %s=%s and %s=%s", key, val, key, old)
		}
		seen[key] = val
	}
	return nil
}

// checkUlimits fills in a default ulimit's Name from its key, which is
// what users expect to be enough (dockerd would pass an empty name on to
// the runtime and fail every start with "RLIMIT_: unknown"), and rejects
// what could never be applied.
func (c *Config) checkUlimits() error {
	for key, u := range c.DefaultUlimits {
		switch {
		case u == nil:
			return fmt.Errorf("default-ulimits: %q has no value", key)
		case u.Name == "":
			u.Name = key
		case u.Name != key:
			return fmt.Errorf("default-ulimits: %q names %q", key, u.Name)
		}
		if u.Soft > u.Hard {
			return fmt.Errorf("default-ulimits: %s: soft limit %d is above the hard limit %d", key, u.Soft, u.Hard)
		}
	}
	return nil
}

// Overlay sets on c the settings named by keys (daemon.json keys) from
// src: the flags given on the command line, over the file's settings.
func (c *Config) Overlay(src *Config, keys []string) {
	dst, from := reflect.ValueOf(c).Elem(), reflect.ValueOf(src).Elem()
	var walk func(dst, from reflect.Value)
	walk = func(dst, from reflect.Value) {
		for i := range dst.NumField() {
			f := dst.Type().Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(dst.Field(i), from.Field(i))
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); slices.Contains(keys, name) {
				dst.Field(i).Set(from.Field(i))
			}
		}
	}
	walk(dst, from)
}

// Diff lists the daemon.json keys whose settings differ between a and b,
// sorted.
func Diff(a, b *Config) []string {
	var keys []string
	var walk func(a, b reflect.Value)
	walk = func(a, b reflect.Value) {
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(a.Field(i), b.Field(i))
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
				keys = append(keys, name)
			}
		}
	}
	walk(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem())
	slices.Sort(keys)
	return keys
}

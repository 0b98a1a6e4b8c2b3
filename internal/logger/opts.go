// Package logger is the containers' log drivers as docker names them
// (json-file, local, journald, none) and the checking of their options.
package logger

import (
	"fmt"
	"slices"
	"strconv"

	units "github.com/docker/go-units"
)

// Drivers are the log drivers wharfd has, in docker info's order.
var drivers = []string{"journald", "json-file", "local", "none"}

// Drivers returns the log driver names, for docker info's Plugins.Log.
func Drivers() []string { return slices.Clone(drivers) }

// opts common to every driver but none (dockerd's logger.ValidateLogOpts).
var commonOpts = []string{"mode", "max-buffer-size"}

// driverOpts are the options each driver takes besides the common ones.
var driverOpts = map[string][]string{
	"json-file": {"max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag"},
	"local":     {"max-size", "max-file", "compress"},
	"journald":  {"labels", "labels-regex", "env", "env-regex", "tag"},
}

// dockerDrivers are the log drivers built into dockerd that wharf lacks:
// refused as a driver that is not registered, not looked up as a plugin.
var dockerDrivers = []string{"syslog", "gelf", "fluentd", "awslogs", "splunk", "etwlogs", "gcplogs", "logentries"}

// ValidateLogOpts checks a driver's name and options in dockerd's words.
func ValidateLogOpts(driver string, opts map[string]string) error {
	if driver == "none" {
		return nil
	}
	known, ok := driverOpts[driver]
	switch {
	case !ok && slices.Contains(dockerDrivers, driver):
		return fmt.Errorf("logger: no log driver named '%s' is registered", driver)
	case !ok:
		// Not one of docker's: dockerd looks for a plugin of that name.
		return fmt.Errorf("error looking up logging plugin %s: plugin %q not found", driver, driver)
	}
	for key, val := range opts {
		if !slices.Contains(known, key) && !slices.Contains(commonOpts, key) {
			return fmt.Errorf("unknown log opt '%s' for %s log driver", key, driver)
		}
		if err := validateValue(key, val); err != nil {
			return err
		}
	}
	if mode := opts["mode"]; mode != "" && mode != "blocking" && mode != "non-blocking" {
		return fmt.Errorf("logger: logging mode not supported: %s", mode)
	}
	return nil
}

func validateValue(key, val string) error {
	switch key {
	case "max-size", "max-buffer-size":
		if _, err := units.RAMInBytes(val); err != nil {
			return fmt.Errorf("invalid %s %q: %w", key, val, err)
		}
	case "max-file":
		n, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("invalid max-file %q: %w", val, err)
		}
		if n < 1 {
			return fmt.Errorf("max-file cannot be less than 1")
		}
	case "compress":
		if _, err := strconv.ParseBool(val); err != nil {
			return fmt.Errorf("invalid compress %q: %w", val, err)
		}
	}
	return nil
}

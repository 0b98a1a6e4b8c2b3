// Package convert turns the Engine API's swarm types
// (github.com/moby/moby/api/types/swarm) into swarmkit's API objects and
// back. moby's daemon/cluster/convert is the reference these follow field
// by field, so that a spec sent by the docker CLI reads back unchanged;
// what Wharf does not run (plugin and network-attachment runtimes,
// Windows credential specs) is refused here with a clear error rather
// than dropped silently.
package convert

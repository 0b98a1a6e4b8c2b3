package compat

import (
	"slices"
	"strings"
)

// The rewrites the table's Old functions are made of. Each works on a
// decoded JSON object and leaves alone what is not there to change.

// drop removes keys.
func drop(keys ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range keys {
			delete(m, k)
		}
	}
}

// keep adds the fields an older version always sent, where the newest
// omits them: a key already there (and not null) keeps its value.
func keep(fields map[string]any) func(map[string]any) {
	return func(m map[string]any) {
		for k, v := range fields {
			if cur, ok := m[k]; !ok || cur == nil {
				m[k] = v
			}
		}
	}
}

// set overwrites a field.
func set(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m[key] = v }
}

// under applies f to the object at key, if there is one.
func under(key string, f func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		if o, ok := m[key].(map[string]any); ok {
			f(o)
		}
	}
}

// each applies f to every object in the list or map at key.
func each(key string, f func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		switch c := m[key].(type) {
		case []any:
			for _, o := range c {
				if o, ok := o.(map[string]any); ok {
					f(o)
				}
			}
		case map[string]any:
			for _, o := range c {
				if o, ok := o.(map[string]any); ok {
					f(o)
				}
			}
		}
	}
}

// virtualSize is the VirtualSize images had before 1.44: their Size.
func virtualSize(m map[string]any) {
	if s, ok := m["Size"]; ok {
		m["VirtualSize"] = s
	}
}

// noneTags puts back the <none>:<none> and <none>@<none> that untagged
// images carried before 1.43.
func noneTags(m map[string]any) {
	tags, _ := m["RepoTags"].([]any)
	digests, _ := m["RepoDigests"].([]any)
	if len(tags) == 0 && len(digests) == 0 {
		m["RepoTags"] = []any{"<none>:<none>"}
		m["RepoDigests"] = []any{"<none>@<none>"}
	}
}

// eventLegacyFields adds the status, id and from of container and image
// events before 1.52 (python's docker SDK and many scripts read them).
func eventLegacyFields(m map[string]any) {
	typ, _ := m["Type"].(string)
	if typ != "container" && typ != "image" {
		return
	}
	actor, _ := m["Actor"].(map[string]any)
	if actor == nil {
		return
	}
	m["status"] = m["Action"]
	m["id"] = actor["ID"]
	if typ == "container" {
		if attrs, ok := actor["Attributes"].(map[string]any); ok {
			m["from"] = attrs["image"]
		}
	}
}

// legacyNetworkSettings adds the top-level NetworkSettings fields of
// clients before 1.52, such as the docker CLI 28 and its templates
// ({{.NetworkSettings.IPAddress}}): those of the default bridge network,
// empty when the container is not on it, as dockerd 20.10 sends them.
func legacyNetworkSettings(m map[string]any) {
	ns, _ := m["NetworkSettings"].(map[string]any)
	if ns == nil {
		return
	}
	legacy := map[string]any{
		"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil, "EndpointID": "", "Gateway": "",
		"GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0,
		"IPv6Gateway": "", "MacAddress": "",
	}
	nets, _ := ns["Networks"].(map[string]any)
	if bridge, ok := nets["bridge"].(map[string]any); ok {
		for _, k := range []string{"EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress", "IPPrefixLen", "IPv6Gateway", "MacAddress"} {
			if v, ok := bridge[k]; ok && v != nil {
				legacy[k] = v
			}
		}
	}
	for k, v := range legacy {
		if _, ok := ns[k]; !ok {
			ns[k] = v
		}
	}
}

// aliasesWithShortID puts the container's short ID and hostname back in
// the Aliases of its user-defined networks, as before 1.45.
func aliasesWithShortID(m map[string]any) {
	id, _ := m["Id"].(string)
	if len(id) > 12 {
		id = id[:12]
	}
	var hostname string
	if cfg, ok := m["Config"].(map[string]any); ok {
		hostname, _ = cfg["Hostname"].(string)
	}
	ns, _ := m["NetworkSettings"].(map[string]any)
	nets, _ := ns["Networks"].(map[string]any)
	for name, ep := range nets {
		ep, ok := ep.(map[string]any)
		if !ok || !userDefined(name) {
			continue
		}
		aliases, _ := ep["Aliases"].([]any)
		for _, a := range []string{id, hostname} {
			if a != "" && !slices.Contains(aliases, any(a)) {
				aliases = append(aliases, a)
			}
		}
		ep["Aliases"] = aliases
	}
}

// userDefined is container.NetworkMode.IsUserDefined for a network name.
func userDefined(name string) bool {
	switch name {
	case "bridge", "host", "none", "default":
		return false
	}
	return !strings.HasPrefix(name, "container:")
}

// emptyContainerConfig is the ContainerConfig dockerd gave images not made
// by the classic builder's commit: a container.Config of zero values, in
// the shape of API 1.44 (docker-compose 1.29 reads its Volumes).
func emptyContainerConfig() map[string]any {
	return map[string]any{
		"Hostname": "", "Domainname": "", "User": "",
		"AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
		"Tty": false, "OpenStdin": false, "StdinOnce": false,
		"Env": nil, "Cmd": nil, "Image": "", "Volumes": nil, "WorkingDir": "",
		"Entrypoint": nil, "OnBuild": nil, "Labels": nil,
	}
}

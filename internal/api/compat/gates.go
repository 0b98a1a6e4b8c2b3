package compat

// Routes, spelt as the gates name them.
const (
	ContainerCreate  = "POST /containers/create"
	ContainerList    = "GET /containers/json"
	ContainerInspect = "GET /containers/{name}/json"
	ImageList        = "GET /images/json"
	ImageInspect     = "GET /images/{name}/json"
	NetworkInspect   = "GET /networks/{id}"
	NetworkList      = "GET /networks"
	SystemInfo       = "GET /info"
	SystemDF         = "GET /system/df"
	Events           = "GET /events"
)

// Gates about reading requests, which handlers ask with Before.
const (
	UpdateBlkioDevices       ID = "update-blkio-devices"
	ConnectMacAddress        ID = "connect-mac-address"
	DFLegacyFieldsDropped    ID = "df-legacy-fields-dropped"
	DFUsageByType            ID = "df-usage-by-type"
	CreateNoContainerMAC     ID = "create-no-container-mac"
	CreateGwPriority         ID = "create-gw-priority"
	ConnectGwPriority        ID = "connect-gw-priority"
	CreateImageMount         ID = "create-image-mount"
	EventsImageCreate        ID = "events-image-create"
	CreateVolumeSubpath      ID = "create-volume-subpath"
	CreateMultipleNetworks   ID = "create-multiple-networks"
	CreateHealthStartInt     ID = "create-health-start-interval"
	CreateEndpointMAC        ID = "create-endpoint-mac"
	RemoveRunningWords       ID = "remove-running-words"
	RestartPolicyWords       ID = "restart-policy-words"
	IPAMWords                ID = "ipam-words"
	CreateAnnotations        ID = "create-annotations"
	VolumePruneAnonymousOnly ID = "volume-prune-anonymous-only"
	StopSignal               ID = "stop-signal"
	CreateConsoleSize        ID = "create-console-size"
	ExecConsoleSize          ID = "exec-console-size"
	CreateMountOptionsCheck  ID = "create-mount-options-check"
	DFTypeParam              ID = "df-type-param"
	StreamContentType        ID = "stream-content-type"
	ImageListFilterParam     ID = "image-list-filter-param"
	StatsOneShot             ID = "stats-one-shot"
	CreatePlatform           ID = "create-platform"
	UpdatePidsLimit          ID = "update-pids-limit"
	WaitCondition            ID = "wait-condition"
	AttachWSStreams          ID = "attach-ws-streams"
	AttachWSBinary           ID = "attach-ws-binary"
)

// table is moby's API changelog, newest first, reduced to what Wharf
// serves. Read-only: nothing changes it after start.
var table = []Gate{
	// v1.55
	{ID: UpdateBlkioDevices, Since: "1.55", Route: "POST /containers/{name}/update",
		Change: "per-device blkio settings (BlkioWeightDevice, BlkioDevice*Bps, BlkioDevice*IOps) are applied; they were ignored before"},

	// v1.54
	{ID: ConnectMacAddress, Since: "1.54", Route: "POST /networks/{id}/connect",
		Change: "the MacAddress field in EndpointSettings is applied; it was ignored before"},

	// v1.53
	{Since: "1.53", Route: SystemInfo, Change: "NRI field added", Old: drop("NRI")},
	{Since: "1.53", Route: ImageInspect, Change: "Identity field added", Old: drop("Identity")},
	{ID: DFLegacyFieldsDropped, Since: "1.53", Route: SystemDF,
		Change: "the legacy LayersSize, Images, Containers, Volumes and BuildCache fields are no longer returned (1.52 returns them beside the new ones unless verbose)"},

	// v1.52
	{Since: "1.52", Route: Events, Always: true,
		Change: "the deprecated status, id and from fields are no longer included; Wharf keeps them at every version: docker-compose 1.29 takes the server's newest version and its event thread dies on KeyError 'id' without them (logs -f then never ends); newer clients ignore them",
		Old:    eventLegacyFields},
	{Since: "1.52", Route: ContainerInspect, Change: "NetworkSettings no longer returns Bridge, HairpinMode, LinkLocalIPv6*, Secondary*Addresses, EndpointID, Gateway, GlobalIPv6*, IPAddress, IPPrefixLen, IPv6Gateway, MacAddress", Old: legacyNetworkSettings},
	{Since: "1.52", Route: ContainerInspect, Change: "Config.OnBuild omitted when empty", Old: under("Config", keep(map[string]any{"OnBuild": nil}))},
	{Since: "1.52", Route: ContainerList, Change: "Health summary added", Old: drop("Health")},
	{Since: "1.52", Route: NetworkInspect, Change: "Status (IPAM statistics) added", Old: drop("Status")},
	{Since: "1.52", Route: ImageInspect, Change: "Parent, Comment, DockerVersion, Author omitted when empty", Old: keep(map[string]any{"Parent": "", "Comment": "", "DockerVersion": "", "Author": ""})},
	{Since: "1.52", Route: ImageInspect, Change: "Config omits Cmd, Entrypoint, Env, Labels, OnBuild, User, Volumes, WorkingDir when not set", Old: under("Config", keep(map[string]any{
		"Cmd": nil, "Entrypoint": nil, "Env": nil, "Labels": nil, "OnBuild": nil, "User": "", "Volumes": nil, "WorkingDir": "",
	}))},
	{ID: DFUsageByType, Since: "1.52", Route: SystemDF,
		Change: "ImagesUsage, ContainersUsage, VolumesUsage, BuildCacheUsage returned, items only with verbose=1"},
	{ID: CreateNoContainerMAC, Since: "1.52", Route: ContainerCreate,
		Change: "the container-wide Config.MacAddress is no longer supported (an error); before, it is moved to the main network's endpoint with a warning"},

	// v1.51
	{Since: "1.51", Route: ImageList, Change: "Containers is the count of containers using the image; it was always -1", Old: set("Containers", -1)},

	// v1.50
	{Since: "1.50", Route: ImageInspect, Change: "Config no longer returns Hostname, Domainname, AttachStdin/out/err, Tty, OpenStdin, StdinOnce, Image", Old: under("Config", keep(map[string]any{
		"Hostname": "", "Domainname": "", "AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
		"Tty": false, "OpenStdin": false, "StdinOnce": false, "Image": "",
	}))},
	{Since: "1.50", Route: SystemInfo, Change: "BridgeNfIptables and BridgeNfIp6tables omitted; DiscoveredDevices added", Old: func(m map[string]any) {
		keep(map[string]any{"BridgeNfIptables": false, "BridgeNfIp6tables": false})(m)
		delete(m, "DiscoveredDevices")
	}},

	// v1.49
	{Since: "1.49", Route: SystemInfo, Change: "FirewallBackend added; ContainerdCommit/RuncCommit/InitCommit.Expected omitted", Old: func(m map[string]any) {
		delete(m, "FirewallBackend")
		for _, k := range []string{"ContainerdCommit", "RuncCommit", "InitCommit"} {
			if c, ok := m[k].(map[string]any); ok {
				keep(map[string]any{"Expected": c["ID"]})(c)
			}
		}
	}},

	// v1.48
	{Since: "1.48", Route: NetworkInspect, Change: "EnableIPv4 added", Old: drop("EnableIPv4")},
	{Since: "1.48", Route: NetworkList, Change: "EnableIPv4 added", Old: drop("EnableIPv4")},
	{Since: "1.48", Route: ContainerInspect, Change: "ImageManifestDescriptor added", Old: drop("ImageManifestDescriptor")},
	{Since: "1.48", Route: ContainerList, Change: "ImageManifestDescriptor added", Old: drop("ImageManifestDescriptor")},
	{Since: "1.48", Route: ImageList, Change: "Descriptor added", Old: drop("Descriptor")},
	{Since: "1.48", Route: ImageInspect, Change: "Descriptor and Manifests added", Old: drop("Descriptor", "Manifests")},
	{ID: CreateGwPriority, Since: "1.48", Route: ContainerCreate, Change: "EndpointsConfig GwPriority chooses the default gateway; before, all endpoints had the same priority"},
	{ID: ConnectGwPriority, Since: "1.48", Route: "POST /networks/{id}/connect", Change: "EndpointConfig GwPriority chooses the default gateway"},
	{ID: CreateImageMount, Since: "1.48", Route: ContainerCreate, Change: `Mount of type "image"`},

	// v1.47
	{Since: "1.47", Route: ImageList, Change: "Manifests added (with manifests=1)", Old: drop("Manifests")},
	{Since: "1.47", Route: SystemInfo, Change: "RegistryConfig.AllowNondistributableArtifacts* omitted", Old: under("RegistryConfig", keep(map[string]any{
		"AllowNondistributableArtifactsCIDRs": nil, "AllowNondistributableArtifactsHostnames": nil,
	}))},

	// v1.46
	{Since: "1.46", Route: ContainerList, Change: "annotations of containers returned", Old: under("HostConfig", drop("Annotations"))},
	{Since: "1.46", Route: SystemInfo, Change: "Containerd field added", Old: drop("Containerd")},
	{ID: EventsImageCreate, Since: "1.46", Route: Events, Change: "image create event emitted for every image built"},

	// v1.45
	{Since: "1.45", Route: ImageInspect, Always: true,
		Change: "Container and ContainerConfig no longer included; Wharf keeps them at every version: docker-compose 1.29 (python's docker SDK) takes the server's newest version and reads ContainerConfig when it recreates a service (KeyError 'ContainerConfig' with dockerd 25+); newer clients ignore them",
		Old: func(m map[string]any) {
			keep(map[string]any{"Container": "", "ContainerConfig": emptyContainerConfig()})(m)
		}},
	{Since: "1.45", Route: ContainerInspect, Change: "Aliases no longer contain the short container ID (and hostname); DNSNames has them", Old: aliasesWithShortID},
	{ID: CreateVolumeSubpath, Since: "1.45", Route: ContainerCreate, Change: "VolumeOptions.Subpath"},

	// v1.44
	{Since: "1.44", Route: ImageInspect, Change: "VirtualSize omitted; Created omitted when unknown (was 0001-01-01T00:00:00Z)", Old: func(m map[string]any) {
		keep(map[string]any{"VirtualSize": m["Size"], "Created": "0001-01-01T00:00:00Z"})(m)
	}},
	{Since: "1.44", Route: ImageList, Change: "VirtualSize omitted", Old: virtualSize},
	{Since: "1.44", Route: SystemDF, Change: "VirtualSize omitted from Images", Old: each("Images", virtualSize)},
	{Since: "1.44", Route: SystemInfo, Change: "status properties in Runtimes", Old: each("Runtimes", drop("status"))},
	{Since: "1.44", Route: SystemInfo, Change: "CDISpecDirs added", Old: drop("CDISpecDirs")},
	{ID: CreateMultipleNetworks, Since: "1.44", Route: ContainerCreate, Change: "multiple EndpointsConfig accepted"},
	{ID: CreateHealthStartInt, Since: "1.44", Route: ContainerCreate, Change: "HealthConfig.StartInterval"},
	{ID: RemoveRunningWords, Since: "1.44", Route: "DELETE /containers/{name}",
		Change: "not in the changelog: engine 25 reworded the refusal to remove a running container; older clients get the words of their time (\"You cannot remove a running container <id>. ...\")"},
	{ID: RestartPolicyWords, Since: "1.44", Route: ContainerCreate,
		Change: "not in the changelog: engine 25 reworded the refusal of an invalid restart policy (\"invalid restart policy: ...\"); older clients get 20.10's words (\"maximum retry count cannot be negative\"); update reads it the same way"},
	{ID: IPAMWords, Since: "1.44", Route: "POST /networks/create",
		Change: "not in the changelog: engine 25 checks IPAM configs up front (\"invalid network config:\\ninvalid subnet ...\"); older clients get 20.10's words (\"Invalid subnet <s> : invalid CIDR address: <s>\")"},
	{ID: CreateEndpointMAC, Since: "1.44", Route: ContainerCreate, Change: "endpoint-specific MacAddress; the container-wide Config.MacAddress deprecated"},

	// v1.43
	{Since: "1.43", Route: ImageList, Change: "no hard-coded <none>:<none> and <none>@<none> for untagged images", Old: noneTags},
	{ID: CreateAnnotations, Since: "1.43", Route: ContainerCreate, Change: "HostConfig.Annotations"},

	// v1.42
	{Since: "1.42", Route: SystemInfo, Change: "KernelMemory and KernelMemoryTCP omitted when not supported (never, on cgroup v2)", Old: keep(map[string]any{"KernelMemory": false, "KernelMemoryTCP": false})},
	{Since: "1.42", Route: ContainerInspect, Change: "KernelMemory and KernelMemoryTCP omitted when not set", Old: under("HostConfig", keep(map[string]any{"KernelMemory": 0, "KernelMemoryTCP": 0}))},
	{ID: VolumePruneAnonymousOnly, Since: "1.42", Route: "POST /volumes/prune", Change: "only anonymous volumes are pruned unless the all filter is set; before, every unused volume"},
	{ID: StopSignal, Since: "1.42", Route: "POST /containers/{name}/stop", Change: "stop and restart accept a signal parameter"},
	{ID: CreateConsoleSize, Since: "1.42", Route: ContainerCreate, Change: "HostConfig.ConsoleSize respected"},
	{ID: ExecConsoleSize, Since: "1.42", Route: "POST /containers/{name}/exec", Change: "ConsoleSize sets the exec's terminal size at creation"},
	{ID: CreateMountOptionsCheck, Since: "1.42", Route: ContainerCreate, Change: "BindOptions, VolumeOptions, TmpfsOptions refused on a mount of another type"},
	{ID: DFTypeParam, Since: "1.42", Route: SystemDF, Change: "type parameter selects the object types"},
	{Since: "1.42", Route: SystemDF, Change: "BuilderSize removed (BuildCache has it)", Old: keep(map[string]any{"BuilderSize": 0})},
	{ID: AttachWSStreams, Since: "1.42", Route: "GET /containers/{name}/attach/ws", Change: "stdin, stdout and stderr parameters attach only those streams; before, all three"},
	{ID: StreamContentType, Since: "1.42", Route: "GET /containers/{name}/logs", Change: "Content-Type application/vnd.docker.multiplexed-stream for a multiplexed stream (raw-stream before, whatever the framing)"},

	// v1.41
	{ID: ImageListFilterParam, Since: "1.41", Route: ImageList, Change: "the filter (singular) parameter removed"},
	{ID: CreatePlatform, Since: "1.41", Route: ContainerCreate, Change: "platform parameter: the local image must be for that platform, else 404"},
	{ID: StatsOneShot, Since: "1.41", Route: "GET /containers/{name}/stats", Change: "one-shot parameter"},

	// v1.40
	{ID: UpdatePidsLimit, Since: "1.40", Route: "POST /containers/{name}/update", Change: "PidsLimit can be updated"},

	// v1.30
	{ID: WaitCondition, Since: "1.30", Route: "POST /containers/{name}/wait", Change: "condition parameter"},

	// v1.28
	{ID: AttachWSBinary, Since: "1.28", Route: "GET /containers/{name}/attach/ws", Change: "binary websocket frames; text frames before"},
}

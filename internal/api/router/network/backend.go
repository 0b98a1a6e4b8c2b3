package network

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/network"
)

// Backend is what the network routes need of the network service.
type Backend interface {
	Create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error)
	List(ctx context.Context) []network.Inspect
	Inspect(ctx context.Context, ref string) (network.Inspect, error)
	Remove(ctx context.Context, ref string) error
	Prune(ctx context.Context, match func(labels map[string]string, created time.Time) bool) (network.PruneReport, error)
}

// ContainerBackend connects containers to networks: the container
// service's job (as in moby), which asks the network service for the
// endpoint.
type ContainerBackend interface {
	ConnectNetwork(ctx context.Context, ref, network string, es *network.EndpointSettings) error
	DisconnectNetwork(ctx context.Context, ref, network string, force bool) error
}

package api

import (
	"context"
)

// ImageBackend is what the image routes need from the image service.
type ImageBackend interface {
	Ping(ctx context.Context) error
}

func (s *Server) imageRoutes() {}

package cri

import (
	"context"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/image"
)

// Images is what the CRI needs from the image service: the same store
// `wharf images` shows.
type Images interface {
	Get(ctx context.Context, ref string) (*image.Image, error)
	List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error)
	Inspect(ctx context.Context, ref string) (*imagetypes.InspectResponse, error)
	Pull(ctx context.Context, ref reference.Named, o backend.ImagePullOptions, out progress.Output) error
	Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error)
}

// ListImages lists every image of the store, or the one the filter names.
func (s *Server) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	if ref := req.GetFilter().GetImage().GetImage(); ref != "" {
		img, err := s.imageStatus(ctx, ref)
		if err != nil || img == nil {
			return &runtimeapi.ListImagesResponse{}, err
		}
		return &runtimeapi.ListImagesResponse{Images: []*runtimeapi.Image{img}}, nil
	}
	list, err := s.cfg.Images.List(ctx, filters.Args{})
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ListImagesResponse{Images: make([]*runtimeapi.Image, 0, len(list))}
	for _, sum := range list {
		resp.Images = append(resp.Images, &runtimeapi.Image{
			Id:          sum.ID,
			RepoTags:    sum.RepoTags,
			RepoDigests: sum.RepoDigests,
			Size:        uint64(max(sum.Size, 0)),
			Spec:        &runtimeapi.ImageSpec{Image: sum.ID},
		})
	}
	return resp, nil
}

// ImageStatus describes one image; a missing image is an empty answer,
// not an error, as the CRI asks.
func (s *Server) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	ref := req.GetImage().GetImage()
	if ref == "" {
		return nil, errs.Invalid("no image given")
	}
	img, err := s.imageStatus(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ImageStatusResponse{Image: img}, nil
}

// imageStatus is ref's CRI description, nil if the store has no such image.
func (s *Server) imageStatus(ctx context.Context, ref string) (*runtimeapi.Image, error) {
	in, err := s.cfg.Images.Inspect(ctx, ref)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	img := &runtimeapi.Image{
		Id:          in.ID,
		RepoTags:    in.RepoTags,
		RepoDigests: in.RepoDigests,
		Size:        uint64(max(in.Size, 0)),
		Spec:        &runtimeapi.ImageSpec{Image: in.ID},
	}
	if in.Config != nil {
		img.Uid, img.Username = imageUser(in.Config.User)
	}
	return img, nil
}

// imageUser splits an image's USER into the CRI's uid or user name (the
// group part is not the CRI's business here).
func imageUser(user string) (*runtimeapi.Int64Value, string) {
	user, _, _ = strings.Cut(user, ":")
	if user == "" {
		return nil, ""
	}
	if uid, err := strconv.ParseInt(user, 10, 64); err == nil {
		return &runtimeapi.Int64Value{Value: uid}, ""
	}
	return nil, user
}

// PullImage pulls the image with the request's credentials, if any, and
// answers its id.
func (s *Server) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	ref, err := reference.ParseNormalizedNamed(req.GetImage().GetImage())
	if err != nil {
		return nil, errs.Invalid("invalid image reference %q: %v", req.GetImage().GetImage(), err)
	}
	ref = reference.TagNameOnly(ref)
	var o backend.ImagePullOptions
	if a := req.GetAuth(); a != nil {
		o.Auth = registry.AuthConfig{
			Username: a.Username, Password: a.Password, Auth: a.Auth,
			ServerAddress: a.ServerAddress, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken,
		}
	}
	if err := s.cfg.Images.Pull(ctx, ref, o, progress.DiscardOutput()); err != nil {
		return nil, err
	}
	img, err := s.cfg.Images.Get(ctx, ref.String())
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PullImageResponse{ImageRef: img.ID}, nil
}

// RemoveImage removes the image and all its names, as the CRI means it;
// a missing image is no error. An image a container uses is refused.
func (s *Server) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	ref := req.GetImage().GetImage()
	img, err := s.cfg.Images.Get(ctx, ref)
	if errdefs.IsNotFound(err) {
		return &runtimeapi.RemoveImageResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	// By id: every tag goes, as the CRI's RemoveImage means. force
	// removes an image with several names; one that a container uses is
	// still refused by the image service.
	if _, err := s.cfg.Images.Delete(ctx, img.ID, true, false); err != nil && !errdefs.IsNotFound(err) {
		return nil, err
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo reports the image store's file system: the bytes the
// images take as `wharf images` counts them.
func (s *Server) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	list, err := s.cfg.Images.List(ctx, filters.Args{})
	if err != nil {
		return nil, err
	}
	var used uint64
	for _, sum := range list {
		used += uint64(max(sum.Size, 0))
	}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{{
		Timestamp:  nowNano(),
		FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: s.cfg.ImageRoot},
		UsedBytes:  &runtimeapi.UInt64Value{Value: used},
		InodesUsed: &runtimeapi.UInt64Value{},
	}}}, nil
}

package layer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/moby/go-archive"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/ctxio"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/keylock"
)

// OverlayConfig says where an Overlay store keeps its layers.
type OverlayConfig struct {
	Root   string       // image layers (layers/, l/)
	RWRoot string       // read-write layers, one directory per key
	Untar  Untar        // nil: DefaultUntar()
	Log    *slog.Logger // nil: discard
	// Mounter mounts the overlays (nil: the kernel); the container
	// service's unit tests stand one in, having no privilege to mount.
	Mounter Mounter
}

// Overlay is a Store on overlayfs (layout in the package doc).
type Overlay struct {
	cfg OverlayConfig
	log *slog.Logger

	chains keylock.Map // one Create or Remove of a chain at a time
	keys   keylock.Map // one Prepare or RemoveRW of a key at a time

	mu sync.Mutex
	rw map[string][]digest.Digest // prepared read-write layers: key -> parents
}

// keyRe is what a read-write layer's key may be: one path element.
var keyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// rwRecord is <RWRoot>/<key>/rwlayer.json.
type rwRecord struct {
	Parents []digest.Digest `json:"parents"`
}

// NewOverlay opens (or creates) the store, removes what crashed
// extractions and removals left, and reads the read-write layers' records.
func NewOverlay(cfg OverlayConfig) (*Overlay, error) {
	if cfg.Untar == nil {
		cfg.Untar = DefaultUntar()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Mounter == nil {
		cfg.Mounter = kernelMounter{}
	}
	s := &Overlay{cfg: cfg, log: cfg.Log, rw: map[string][]digest.Digest{}}
	for _, d := range []string{filepath.Join(cfg.Root, "layers"), filepath.Join(cfg.Root, "l"), cfg.RWRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := s.cleanLayers(); err != nil {
		return nil, err
	}
	if err := s.loadRW(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Overlay) layerDir(chain digest.Digest) string {
	return filepath.Join(s.cfg.Root, "layers", chain.Encoded())
}

func (s *Overlay) markerPath(chain digest.Digest) string {
	return filepath.Join(s.layerDir(chain), "committed")
}

// shortLink is the short path handed to overlay as a lowerdir. 16 hex
// characters of the chain ID keep 100+ layers inside one page of mount data
// while collisions stay practically impossible.
func (s *Overlay) shortLink(chain digest.Digest) string {
	short := chain.Encoded()
	if len(short) > 16 {
		short = short[:16]
	}
	return filepath.Join(s.cfg.Root, "l", short)
}

// Dir implements Store.
func (s *Overlay) Dir(chain digest.Digest) string { return s.shortLink(chain) }

// Exists implements Store.
func (s *Overlay) Exists(ctx context.Context, chain digest.Digest) bool {
	if chain.Validate() != nil {
		return false
	}
	_, err := os.Stat(s.markerPath(chain))
	return err == nil
}

func checkChain(chain digest.Digest) error {
	if err := chain.Validate(); err != nil || chain.Algorithm() != digest.SHA256 {
		return errs.Invalid("invalid chain ID %q", chain)
	}
	return nil
}

// Create implements Store. The marker is written last, after the files
// are flushed, so it never vouches for data a crash lost.
func (s *Overlay) Create(ctx context.Context, chain digest.Digest, t Tar) error {
	if err := checkChain(chain); err != nil {
		return err
	}
	unlock := s.chains.Lock(chain.String())
	defer unlock()
	if s.Exists(ctx, chain) {
		return nil
	}
	if err := CheckTar(t); err != nil {
		return err
	}
	if err := s.extract(ctx, chain, t); err != nil {
		if rerr := s.removeFiles(chain); rerr != nil {
			s.log.Warn("removing a failed layer", "chain", chain, "err", rerr)
		}
		return err
	}
	return nil
}

func (s *Overlay) extract(ctx context.Context, chain digest.Digest, t Tar) error {
	dir := s.layerDir(chain)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	diff := filepath.Join(dir, "diff")
	if err := os.MkdirAll(diff, 0o755); err != nil {
		return err
	}
	var src io.Reader = io.NewSectionReader(t.Data, 0, t.Data.Size())
	if t.Progress != nil {
		src = t.Progress(src, t.Data.Size())
	}
	// Overlay format: whiteouts become 0/0 character devices and opaque
	// directories get the trusted.overlay.opaque xattr, so the directory
	// can be used as an overlay lowerdir as is. (ApplyLayer would instead
	// apply whiteouts as deletions; see dependencies.md pitfall 8.)
	opts := &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat}
	if err := s.cfg.Untar(ctxio.Reader(ctx, src), diff, opts); err != nil {
		err = fmt.Errorf("extracting layer %s: %w", t.DiffID, err)
		if ctx.Err() != nil || hostFault(err) {
			return err
		}
		// The tar's own fault (an entry escaping the layer, a link to a
		// path it does not hold, a truncated stream): bad input, a 400.
		return errs.Wrap(errdefs.ErrInvalidArgument, err)
	}
	link := s.shortLink(chain)
	_ = os.Remove(link)
	if err := os.Symlink(filepath.Join("..", "layers", chain.Encoded(), "diff"), link); err != nil {
		return err
	}
	if err := syncFS(diff); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(s.markerPath(chain), []byte(t.DiffID), 0o600, true)
}

// hostFault reports whether an extraction failed for the host's reasons
// (space, quota, I/O, a read-only or exhausted file system) rather than
// the tar's.
func hostFault(err error) bool {
	for _, e := range []error{unix.ENOSPC, unix.EDQUOT, unix.EIO, unix.EROFS, unix.ENOMEM, unix.EMFILE, unix.ENFILE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// syncFS flushes the extracted files so that the marker never outlives
// the data it vouches for. syncfs(2) on the file system is the cheap way.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// Chains implements Store: the layers with their marker.
func (s *Overlay) Chains(ctx context.Context) ([]digest.Digest, error) {
	des, err := os.ReadDir(filepath.Join(s.cfg.Root, "layers"))
	if err != nil {
		return nil, err
	}
	var out []digest.Digest
	for _, de := range des {
		chain := digest.NewDigestFromEncoded(digest.SHA256, de.Name())
		if chain.Validate() == nil && s.Exists(ctx, chain) {
			out = append(out, chain)
		}
	}
	return out, nil
}

// Remove implements Store.
func (s *Overlay) Remove(ctx context.Context, chain digest.Digest) error {
	if err := checkChain(chain); err != nil {
		return err
	}
	unlock := s.chains.Lock(chain.String())
	defer unlock()
	s.mu.Lock()
	for key, parents := range s.rw {
		if slices.Contains(parents, chain) {
			s.mu.Unlock()
			return errs.Conflict("layer %s is in use by read-write layer %s", chain, key)
		}
	}
	// Under mu, so no Prepare can take the layer as a parent meanwhile.
	err := os.Remove(s.markerPath(chain))
	s.mu.Unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.removeFiles(chain)
}

// removeFiles deletes a layer's directory and short link. The marker goes
// first: a crash halfway leaves an unmarked directory, which opening the
// store removes, never a marked layer without its link.
func (s *Overlay) removeFiles(chain digest.Digest) error {
	if err := os.Remove(s.markerPath(chain)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(s.shortLink(chain)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.RemoveAll(s.layerDir(chain))
}

// cleanLayers removes layer directories whose extraction never finished.
func (s *Overlay) cleanLayers() error {
	des, err := os.ReadDir(filepath.Join(s.cfg.Root, "layers"))
	if err != nil {
		return err
	}
	for _, de := range des {
		chain := digest.NewDigestFromEncoded(digest.SHA256, de.Name())
		if chain.Validate() != nil {
			s.log.Info("removing a stray entry among the layers", "name", de.Name())
			if err := os.RemoveAll(filepath.Join(s.cfg.Root, "layers", de.Name())); err != nil {
				return err
			}
			continue
		}
		if !s.Exists(context.Background(), chain) {
			s.log.Info("removing incomplete layer", "dir", de.Name())
			if err := s.removeFiles(chain); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Overlay) rwDir(key string) string { return filepath.Join(s.cfg.RWRoot, key) }

// loadRW reads every read-write layer's record. A directory without one is
// not a prepared layer (yet): Prepare records it when it is used.
func (s *Overlay) loadRW() error {
	des, err := os.ReadDir(s.cfg.RWRoot)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !de.IsDir() || !keyRe.MatchString(de.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.rwDir(de.Name()), "rwlayer.json"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var rec rwRecord
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil {
			return fmt.Errorf("read-write layer %s: %w", de.Name(), err)
		}
		s.rw[de.Name()] = rec.Parents
	}
	return nil
}

func (s *Overlay) describe(key string, parents []digest.Digest) RW {
	dir := s.rwDir(key)
	rw := RW{
		Key:     key,
		Parents: slices.Clone(parents),
		Upper:   filepath.Join(dir, "upper"),
		Work:    filepath.Join(dir, "work"),
	}
	for _, p := range parents {
		rw.Lowers = append(rw.Lowers, s.Dir(p))
	}
	return rw
}

// Prepare implements Store.
func (s *Overlay) Prepare(ctx context.Context, key string, parents []digest.Digest) (RW, error) {
	if !keyRe.MatchString(key) {
		return RW{}, errs.Invalid("invalid read-write layer name %q", key)
	}
	unlock := s.keys.Lock(key)
	defer unlock()
	s.mu.Lock()
	if had, ok := s.rw[key]; ok {
		s.mu.Unlock()
		if !slices.Equal(had, parents) {
			return RW{}, errs.Conflict("read-write layer %s exists over other layers", key)
		}
		return s.describe(key, had), nil
	}
	for _, p := range parents {
		if !s.Exists(ctx, p) {
			s.mu.Unlock()
			return RW{}, errs.NotFound("layer %s not found", p)
		}
	}
	s.rw[key] = slices.Clone(parents)
	s.mu.Unlock()
	if err := s.makeRW(key, parents); err != nil {
		s.mu.Lock()
		delete(s.rw, key)
		s.mu.Unlock()
		return RW{}, err
	}
	return s.describe(key, parents), nil
}

// makeRW makes a read-write layer's directories and record. The record is
// not synced: after a power loss the next Prepare writes it again.
func (s *Overlay) makeRW(key string, parents []digest.Digest) error {
	dir := s.rwDir(key)
	dirs := []string{"upper", "work"}
	if len(parents) == 0 {
		// Overlay needs a lower directory: give it an empty one.
		dirs = append(dirs, "empty")
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	b, err := json.Marshal(rwRecord{Parents: parents})
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "rwlayer.json"), b, 0o600, false)
}

// Stat implements Store.
func (s *Overlay) Stat(ctx context.Context, key string) (RW, error) {
	s.mu.Lock()
	parents, ok := s.rw[key]
	s.mu.Unlock()
	if !ok {
		return RW{}, errs.NotFound("read-write layer %s not found", key)
	}
	return s.describe(key, parents), nil
}

// Mount implements Store.
func (s *Overlay) Mount(ctx context.Context, key, target string) error {
	return s.mount(ctx, key, target, nil)
}

// MountIDMapped implements Store.
func (s *Overlay) MountIDMapped(ctx context.Context, key, target string, m IDMap) error {
	return s.mount(ctx, key, target, &m)
}

func (s *Overlay) mount(ctx context.Context, key, target string, m *IDMap) error {
	rw, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if IsMounted(target) {
		return nil
	}
	lowers := rw.Lowers
	if len(lowers) == 0 {
		lowers = []string{filepath.Join(s.rwDir(key), "empty")}
	}
	// overlay wants the topmost lower first.
	rev := slices.Clone(lowers)
	slices.Reverse(rev)
	if m != nil {
		mapped, closeAll, err := idmapLowers(rev, m.Userns)
		if err != nil {
			return err
		}
		defer closeAll() // overlay holds clones of its layers' mounts
		rev = mapped
		// The upper layer is not ID-mapped: the pod's root owns its
		// top, and what the pod writes keeps the pod's host ids.
		if err := os.Lchown(rw.Upper, int(m.UID), int(m.GID)); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(rev, ":"), rw.Upper, rw.Work)
	if len(opts) >= unix.Getpagesize() {
		return fmt.Errorf("overlay mount options too long (%d layers)", len(lowers))
	}
	if err := s.cfg.Mounter.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting container root file system: %w", err)
	}
	return nil
}

// Unmount implements Store.
func (s *Overlay) Unmount(ctx context.Context, target string) error {
	err := s.cfg.Mounter.Unmount(target, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", target, err)
	}
	return nil
}

// IsMounted reports whether path is a mount point (its device differs
// from its parent's).
func IsMounted(path string) bool {
	var st, parent unix.Stat_t
	if unix.Lstat(path, &st) != nil || unix.Lstat(filepath.Dir(path), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}

// Diff implements Store.
func (s *Overlay) Diff(ctx context.Context, key string, exclude []string) (io.ReadCloser, error) {
	rw, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	return archive.TarWithOptions(rw.Upper, &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat, ExcludePatterns: exclude})
}

// RemoveRW implements Store. The record goes first, so a crash halfway
// leaves a directory that is no longer a prepared layer.
func (s *Overlay) RemoveRW(ctx context.Context, key string) error {
	if !keyRe.MatchString(key) {
		return errs.Invalid("invalid read-write layer name %q", key)
	}
	unlock := s.keys.Lock(key)
	defer unlock()
	dir := s.rwDir(key)
	if err := os.Remove(filepath.Join(dir, "rwlayer.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.mu.Lock()
	delete(s.rw, key)
	s.mu.Unlock()
	for _, d := range []string{"upper", "work", "empty"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	// The directory itself goes too unless it holds more than the layer
	// (a container keeps its records beside it).
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EEXIST) {
		return err
	}
	return nil
}

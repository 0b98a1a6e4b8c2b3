package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/moby/sys/user"

	"github.com/wharf/wharf/internal/errs"
)

// validChown checks the form of --chown's "user[:group]".
func validChown(s string) error {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ":")
	if len(parts) > 2 || parts[0] == "" || (len(parts) == 2 && parts[1] == "") {
		return errs.Invalid("invalid chown string format: %s", s)
	}
	return nil
}

// chownIDs resolves --chown against st's image: its /etc/passwd and
// /etc/group are read only when a name needs them.
func (r *run) chownIDs(ctx context.Context, st *stageState, s string) (int, int, error) {
	read := func(name string) ([]byte, error) {
		if st.imageID == "" {
			return nil, fmt.Errorf("open %s: no such file or directory", name)
		}
		var b []byte
		err := r.withContainer(ctx, st.imageID, func(id string) error {
			rc, _, err := r.b.containers.ArchivePath(ctx, id, name)
			if err != nil {
				return fmt.Errorf("open %s: no such file or directory", name)
			}
			defer rc.Close()
			tr := tar.NewReader(rc)
			if _, err := tr.Next(); err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			b, err = io.ReadAll(io.LimitReader(tr, 16<<20))
			return err
		})
		return b, err
	}
	return parseChown(s, read)
}

// parseChown parses --chown's "user[:group]" as docker does: numbers are
// taken as they are, names are looked up in /etc/passwd and /etc/group
// (read with readFile, only when a name needs them); without a group the
// user's name or number names the group too. "root" is 0 even without
// the files.
func parseChown(s string, readFile func(name string) ([]byte, error)) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	if err := validChown(s); err != nil {
		return 0, 0, err
	}
	u, g, hasG := strings.Cut(s, ":")
	if !hasG {
		g = u
	}
	uid, err := lookupID(u, "user", "/etc/passwd", readFile, func(r io.Reader) (int, bool, error) {
		us, err := user.ParsePasswdFilter(r, func(e user.User) bool { return e.Name == u })
		if err != nil || len(us) == 0 {
			return 0, false, err
		}
		return us[0].Uid, true, nil
	})
	if err != nil {
		return 0, 0, errs.Invalid("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: %v", u, err)
	}
	gid, err := lookupID(g, "group", "/etc/group", readFile, func(r io.Reader) (int, bool, error) {
		gs, err := user.ParseGroupFilter(r, func(e user.Group) bool { return e.Name == g })
		if err != nil || len(gs) == 0 {
			return 0, false, err
		}
		return gs[0].Gid, true, nil
	})
	if err != nil {
		return 0, 0, errs.Invalid("unable to convert uid/gid chown string to host mapping: can't find gid for group %s: %v", g, err)
	}
	return uid, gid, nil
}

// lookupID is v as a number, or the ID find finds for the user or group
// named v in file.
func lookupID(v, what, file string, readFile func(string) ([]byte, error), find func(io.Reader) (int, bool, error)) (int, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, errors.New("negative ID")
		}
		return n, nil
	}
	b, err := readFile(file)
	if err != nil {
		if v == "root" {
			return 0, nil
		}
		return 0, err
	}
	id, ok, err := find(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	if !ok {
		if v == "root" {
			return 0, nil
		}
		return 0, fmt.Errorf("no such %s: %s", what, v)
	}
	return id, nil
}

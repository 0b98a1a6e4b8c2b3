package runtime

import "strconv"

// LogOptions are how conmon logs a container besides its k8s-file.
type LogOptions struct {
	// SizeMax truncates the k8s-file past this many bytes: the bound
	// while wharfd, which rotates it sooner, is not running (0: none).
	SizeMax int64
	// Journald also sends each line to the journal, with the fields
	// CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME and, with Tag,
	// CONTAINER_TAG and SYSLOG_IDENTIFIER.
	Journald bool
	Tag      string
	// Name is the container's name, for the journal (conmon's -n).
	Name string
}

func (l LogOptions) nameOr(id string) string {
	if l.Name != "" {
		return l.Name
	}
	return id
}

func (l LogOptions) args() []string {
	var args []string
	if l.SizeMax > 0 {
		args = append(args, "--log-size-max", strconv.FormatInt(l.SizeMax, 10))
	}
	if l.Journald {
		args = append(args, "-l", "journald:")
	}
	if l.Tag != "" {
		args = append(args, "--log-tag", l.Tag)
	}
	return args
}

package runtime

// LogOptions are how conmon logs a container besides its k8s-file.
// conmon's --log-size-max is not used: it counts bytes since its own last
// truncation, not since wharfd's rotations, so it would cut the live file
// short every so often.
type LogOptions struct {
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
	if l.Journald {
		args = append(args, "-l", "journald:")
	}
	if l.Tag != "" {
		args = append(args, "--log-tag", l.Tag)
	}
	return args
}

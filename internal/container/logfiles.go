package container

import (
	"bufio"
	"os"

	"github.com/wharf/wharf/internal/logger"
)

// rotatedEntries reads c's rotated log files, oldest first, leaving out
// live, the file being read as the current one (a rotation between
// opening it and listing these may have renamed it to <log>.1).
func (s *Service) rotatedEntries(c *Container, live *os.File) []logEntry {
	liveInfo, err := live.Stat()
	if err != nil {
		return nil
	}
	files := logger.Files(s.logPath(c))
	var entries []logEntry
	for _, name := range files[:len(files)-1] {
		if st, err := os.Stat(name); err != nil || os.SameFile(st, liveInfo) {
			continue
		}
		rc, err := logger.Open(name)
		if err != nil {
			continue // rotated on meanwhile: the next file has it
		}
		r := &logReader{r: bufio.NewReaderSize(rc, 64*1024)}
		for {
			e, ok := r.next(false)
			if !ok {
				break
			}
			entries = append(entries, e)
		}
		rc.Close()
	}
	return entries
}

// rotatedAway returns the new log file if the one f reads was rotated
// out (conmon made a new file at the log's path), else nil.
func (s *Service) rotatedAway(c *Container, f *os.File) *os.File {
	st, err := os.Stat(s.logPath(c))
	if err != nil {
		return nil
	}
	if cur, err := f.Stat(); err != nil || os.SameFile(st, cur) {
		return nil
	}
	next, err := os.Open(s.logPath(c))
	if err != nil {
		return nil
	}
	return next
}

package build

import (
	"bytes"
	"io"
	"sync"
)

// orderedOutput merges the output of stages building concurrently so that
// it reads as docker's classic builder's, one stage after the other: the
// earliest unfinished stage writes through, later ones are held until
// every stage before them is done. A failed stage's output goes out at
// once, so that the error comes with what led to it.
type orderedOutput struct {
	mu      sync.Mutex
	out     io.Writer
	cur     int // the stage writing through
	bufs    []bytes.Buffer
	clipped []bool // the held output reached maxHeldOutput
	done    []bool
}

// maxHeldOutput bounds the output held back for each stage, so that a
// stage printing without end while an earlier one runs cannot take the
// daemon's memory: BuildKit's limit on a step's log (the default of
// BUILDKIT_STEP_LOG_MAX_SIZE), with its note. The stage shown streams.
const (
	maxHeldOutput = 2 << 20
	clippedNote   = "\n[output clipped, log limit 2MiB reached]\n"
)

func newOrderedOutput(out io.Writer, n int) *orderedOutput {
	return &orderedOutput{out: out, bufs: make([]bytes.Buffer, n), clipped: make([]bool, n), done: make([]bool, n)}
}

// writer is the output of the stage at position pos.
func (o *orderedOutput) writer(pos int) io.Writer { return stageWriter{o, pos} }

type stageWriter struct {
	o   *orderedOutput
	pos int
}

func (w stageWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.pos == w.o.cur {
		return w.o.out.Write(p)
	}
	if w.o.clipped[w.pos] {
		return len(p), nil
	}
	buf := &w.o.bufs[w.pos]
	if room := maxHeldOutput - buf.Len(); len(p) > room {
		buf.Write(p[:room])
		buf.WriteString(clippedNote)
		w.o.clipped[w.pos] = true
		return len(p), nil
	}
	return buf.Write(p)
}

// finish marks the stage at pos done and lets the next ones through.
func (o *orderedOutput) finish(pos int, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done[pos] = true
	if failed {
		o.flush(pos)
	}
	for o.cur < len(o.done) && o.done[o.cur] {
		o.cur++
		if o.cur < len(o.done) {
			o.flush(o.cur)
		}
	}
}

func (o *orderedOutput) flush(pos int) {
	if o.bufs[pos].Len() > 0 {
		_, _ = o.out.Write(o.bufs[pos].Bytes())
		o.bufs[pos].Reset()
	}
}

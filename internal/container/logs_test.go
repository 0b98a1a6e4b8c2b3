package container

import (
	"bufio"
	"strings"
	"testing"
)

func TestLogReaderJoinsPartialLines(t *testing.T) {
	log := "2026-11-23T07:05:07.000000001+00:00 stdout F one\n" +
		"2026-11-23T07:05:07.000000002+00:00 stderr P par\n" +
		"2026-11-23T07:05:07.000000003+00:00 stderr F tial\n" +
		"garbage line\n" +
		"2026-11-23T07:05:07.000000004+00:00 stdout F \n" +
		"2026-11-23T07:05:07.000000005+00:00 stdout P no newline yet"
	r := &logReader{r: bufio.NewReader(strings.NewReader(log))}
	var got []string
	for {
		e, ok := r.next(false)
		if !ok {
			break
		}
		stream := "out"
		if e.stderr {
			stream = "err"
		}
		got = append(got, stream+":"+string(e.content))
	}
	want := []string{"out:one\n", "err:partial\n", "out:\n", "out:no newline yet"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestLogReaderFollowWaitsForWholeLines(t *testing.T) {
	r := &logReader{r: bufio.NewReader(strings.NewReader("2026-11-23T07:05:07.000000001+00:00 stdout F hal"))}
	if _, ok := r.next(true); ok {
		t.Fatal("a half-written line was returned while following")
	}
}

func FuzzParseLogLine(f *testing.F) {
	f.Add([]byte("2026-11-23T07:05:07.475781769+00:00 stdout F the line"))
	f.Add([]byte("x y"))
	f.Fuzz(func(t *testing.T, line []byte) {
		// Any input parses or is refused; never a panic, never a line
		// whose content runs past the input.
		if e, ok := parseLogLine(line); ok && len(e.content) > len(line) {
			t.Fatal("content longer than the line")
		}
	})
}

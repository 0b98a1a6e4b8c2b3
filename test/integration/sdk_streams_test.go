//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// daemonGoroutines reads the daemon's goroutine count from its
// /debug/pprof/goroutine (served with -D, as the suite runs it).
func daemonGoroutines(t *testing.T) (int, string) {
	t.Helper()
	c := testEnv.http()
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://wharf/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`goroutine profile: total (\d+)`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no goroutine count in /debug/pprof/goroutine: %.200s", body)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, string(body)
}

// rawRequest sends one HTTP/1.0 request (so no chunked encoding: the
// daemon must end a stream by closing the connection) and returns the
// connection, the response head already read.
func rawRequest(t *testing.T, method, path, body string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	conn, err := net.Dial("unix", testEnv.sock)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.0\r\nHost: wharf\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", method, path, len(body), body)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%s %s: %v (head so far %q)", method, path, err, head.String())
		}
		head.WriteString(line)
		if line == "\r\n" {
			return conn, br, head.String()
		}
	}
}

// Streams to HTTP/1.0 clients (no chunked encoding) end by closing the
// connection; streams whose clients stop reading or go away early leave
// nothing running in the daemon: its goroutine count comes back.
func TestStreamsClientsThatLeave(t *testing.T) {
	chatty := uniqueName(t, "chatty")
	runDetached(t, "wharf", chatty, "busybox", "sh", "-c", "while true; do echo line line line line line line line line; done")
	quiet := uniqueName(t, "quiet")
	runDetached(t, "wharf", quiet, "busybox", "sh", "-c", "echo one; echo two; sleep 300")
	time.Sleep(time.Second)

	// An HTTP/1.0 logs request of a container that has finished writing:
	// the answer ends with the connection.
	conn, br, head := rawRequest(t, "GET", "/v1.41/containers/"+quiet+"/logs?stdout=1", "")
	if !strings.HasPrefix(head, "HTTP/1.") || !strings.Contains(head, " 200 ") || strings.Contains(strings.ToLower(head), "chunked") {
		t.Fatalf("logs over HTTP/1.0: %q", head)
	}
	data, err := io.ReadAll(br)
	conn.Close()
	if err != nil || !strings.Contains(string(data), "two") {
		t.Fatalf("logs over HTTP/1.0: %q %v", data, err)
	}

	before, _ := daemonGoroutines(t)
	for i := 0; i < 5; i++ {
		// Followers that read a little, then hang up.
		for _, path := range []string{
			"/v1.41/containers/" + chatty + "/logs?stdout=1&follow=1",
			"/v1.41/containers/" + quiet + "/logs?stdout=1&follow=1",
			"/v1.41/events",
			"/v1.41/containers/" + quiet + "/stats",
		} {
			conn, br, _ := rawRequest(t, "GET", path, "")
			if strings.Contains(path, "logs") {
				br.ReadByte()
			}
			conn.Close()
		}
		// Attach and exec start hijacks whose client leaves.
		conn, _, _ := rawRequest(t, "POST", "/v1.41/containers/"+chatty+"/attach?stream=1&stdout=1&stdin=1", "")
		conn.Close()
		conn, _, _ = rawRequest(t, "POST", "/v1.41/containers/"+quiet+"/attach?stream=1&stdout=1&logs=1", "")
		conn.Close()
		hc := testEnv.http()
		resp, err := hc.Post("http://wharf/v1.41/containers/"+quiet+"/exec", "application/json",
			strings.NewReader(`{"Cmd":["sleep","1"],"AttachStdout":true,"AttachStdin":true}`))
		if err != nil {
			t.Fatal(err)
		}
		idBody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		hc.CloseIdleConnections()
		id := regexp.MustCompile(`"Id":"([0-9a-f]+)"`).FindSubmatch(idBody)
		if id == nil {
			t.Fatalf("exec create: %s", idBody)
		}
		conn, _, _ = rawRequest(t, "POST", "/v1.41/exec/"+string(id[1])+"/start", `{"Detach":false}`)
		conn.Close()
		// A reader that stops reading: a follower of the chatty container
		// whose socket fills, then goes away.
		conn, _, _ = rawRequest(t, "GET", "/v1.41/containers/"+chatty+"/logs?stdout=1&follow=1", "")
		time.Sleep(300 * time.Millisecond)
		conn.Close()
		// A build whose client hangs up in the middle of its context.
		c, err := net.Dial("unix", testEnv.sock)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /v1.41/build HTTP/1.1\r\nHost: wharf\r\nContent-Type: application/x-tar\r\nContent-Length: 1000000\r\n\r\n")
		c.Write(make([]byte, 4096))
		c.Close()
	}

	var after int
	var dump string
	deadline := time.Now().Add(20 * time.Second)
	for {
		after, dump = daemonGoroutines(t)
		if after <= before+3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if after > before+3 {
		t.Fatalf("the daemon had %d goroutines before the clients came and left, %d after:\n%s", before, after, dump)
	}
}

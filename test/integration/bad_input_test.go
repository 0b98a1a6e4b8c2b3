//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAPIRefusesBadInput: numbers and names a client gets wrong are 400s
// in dockerd's words, never a 500, and create nothing.
func TestAPIRefusesBadInput(t *testing.T) {
	name := uniqueName(t, "target")
	runDetached(t, "wharf", name, "busybox", "sleep", "60")
	before := cli(t, "wharf", "ps", "-aq", "--no-trunc")
	create := func(hostConfig string) string {
		return `{"Image":"busybox","HostConfig":` + hostConfig + `}`
	}
	cases := []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"POST", "/containers/create?name=" + strings.Repeat("a", 10000), `{"Image":"busybox"}`, 400, "Invalid container name (aaaaaaaaaaaaaaaaaaaa...): longer than 255 characters"},
		{"POST", "/containers/create?name=a%20b", `{"Image":"busybox"}`, 400, "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
		{"POST", "/containers/create", create(`{"Memory":-1}`), 400, "Minimum memory limit allowed is 6MB"},
		{"POST", "/containers/create", create(`{"Memory":1024}`), 400, "Minimum memory limit allowed is 6MB"},
		{"POST", "/containers/create", create(`{"CpuShares":-100}`), 400, "invalid CPU shares (-100): value must be a positive integer"},
		{"POST", "/containers/create", create(`{"CpuPeriod":10}`), 400, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{"POST", "/containers/create", create(`{"CpuQuota":10}`), 400, "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{"POST", "/containers/create", create(`{"OomScoreAdj":5000}`), 400, "Invalid value 5000, range for oom score adj is [-1000, 1000]"},
		{"POST", "/containers/create", create(`{"Ulimits":[{"Name":"nofile","Soft":10,"Hard":5}]}`), 400, "ulimit soft limit must be less than or equal to hard limit: 10 > 5"},
		{"POST", "/containers/create", create(`{"Ulimits":[{"Name":"bogus","Soft":1,"Hard":1}]}`), 400, "invalid ulimit type: bogus"},
		{"POST", "/containers/create", create(`{"PortBindings":{"80/tcp":[{"HostPort":"70000"}]}}`), 400, `invalid port specification: "70000"`},
		{"POST", "/containers/create", create(`{"ExtraHosts":["nohost"]}`), 400, `bad format for add-host: "nohost"`},
		{"POST", "/containers/create", create(`{"IpcMode":"bogus"}`), 400, "invalid IPC mode: bogus"},
		{"POST", "/containers/create", `{"Image":"busybox","Env":["=x"]}`, 400, "invalid environment variable: =x"},
		{"POST", "/containers/create", `{"Image":"busybox","StopSignal":"SIGBOGUS"}`, 400, "invalid signal: SIGBOGUS"},
		{"POST", "/containers/" + name + "/kill?signal=999", "", 400, "the linux daemon does not support signal 999"},
		{"POST", "/containers/" + name + "/kill?signal=SIGBOGUS", "", 400, "invalid signal: SIGBOGUS"},
		{"POST", "/containers/" + name + "/stop?signal=999", "", 400, "the linux daemon does not support signal 999"},
		{"POST", "/containers/" + name + "/update", `{"Memory":-1}`, 400, "Minimum memory limit allowed is 6MB"},
	}
	for _, tc := range cases {
		resp, body := apiCall(t, tc.method, tc.path, tc.body)
		wantError(t, resp, body, tc.status, tc.message)
	}
	if after := cli(t, "wharf", "ps", "-aq", "--no-trunc"); after != before {
		t.Errorf("refused requests changed the containers:\n%s\nbefore:\n%s", after, before)
	}
	if st := inspectField(t, name, "{{.State.Status}}"); st != "running" {
		t.Errorf("target is %s after refused signals", st)
	}
	// The CLIs show the daemon's words.
	for _, c := range clis {
		if r := testEnv.run(c, "kill", "-s", "999", name); r.code == 0 || !strings.Contains(r.stderr, "does not support signal 999") {
			t.Errorf("%s kill -s 999: exit %d %s", c, r.code, r.stderr)
		}
		if r := testEnv.run(c, "create", "--cpu-shares", "-100", "busybox"); r.code == 0 || !strings.Contains(r.stderr, "invalid CPU shares (-100)") {
			t.Errorf("%s create --cpu-shares -100: exit %d %s", c, r.code, r.stderr)
		}
	}
}

// TestAPIHugeBody: a 300 MB Env is refused after the route's cap (4 MiB)
// without the daemon reading, keeping or writing the rest.
func TestAPIHugeBody(t *testing.T) {
	pid := testEnv.daemon.Process.Pid
	containers := cli(t, "wharf", "ps", "-aq")
	before := vmRSS(t, pid)
	const envSize = 300 << 20
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		fmt.Fprint(w, `{"Image":"busybox","Env":["A=`)
		chunk := strings.Repeat("x", 1<<20)
		for i := 0; i < envSize>>20; i++ {
			if _, err := w.WriteString(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		fmt.Fprint(w, `"]}`)
		pw.CloseWithError(w.Flush())
	}()
	req, err := http.NewRequest("POST", "http://wharf/containers/create", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := testEnv.http()
	client.Timeout = 60 * time.Second
	resp, err := client.Do(req)
	pr.CloseWithError(io.ErrClosedPipe)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "request body is larger than the limit of 4194304 bytes") {
			t.Errorf("300 MB create: %d %s", resp.StatusCode, body)
		}
	} else {
		// The daemon may close the connection while the client still writes.
		t.Logf("300 MB create: %v (the daemon stopped reading)", err)
	}
	after := vmRSS(t, pid)
	t.Logf("wharfd VmRSS before %d KiB, after a 300 MB create %d KiB, peak %d KiB", before, after, vmHWM(t, pid))
	if after-before > 64<<10 {
		t.Errorf("wharfd grew by %d KiB on a refused 300 MB body", after-before)
	}
	if got := cli(t, "wharf", "ps", "-aq"); got != containers {
		t.Errorf("containers after: %s, before: %s", got, containers)
	}
}

func vmRSS(t *testing.T, pid int) int64 { return procStatusKiB(t, pid, "VmRSS:") }
func vmHWM(t *testing.T, pid int) int64 { return procStatusKiB(t, pid, "VmHWM:") }

func procStatusKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

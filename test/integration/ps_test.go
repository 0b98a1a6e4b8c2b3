//go:build integration

package integration

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// psSetup creates three containers labelled it=<test>: one running, one
// exited with code 3 and one only created. It returns their names and ids.
func psSetup(t *testing.T, c string) (label string, names, ids []string) {
	t.Helper()
	label = "it=" + uniqueName(t, "ps")
	up, exited, created := uniqueName(t, "up"), uniqueName(t, "exited"), uniqueName(t, "created")
	cleanupContainers(t, up, exited, created)
	ids = append(ids, strings.TrimSpace(cli(t, c, "run", "-d", "-l", label, "--name", up, "busybox", "sleep", "60")))
	ids = append(ids, strings.TrimSpace(cli(t, c, "run", "-d", "-l", label, "--name", exited, "busybox", "sh", "-c", "exit 3")))
	cli(t, c, "wait", exited)
	ids = append(ids, strings.TrimSpace(cli(t, c, "create", "-l", label, "--name", created, "busybox", "true")))
	return label, []string{up, exited, created}, ids
}

func sorted(s []string) string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return strings.Join(s, " ")
}

func TestPsListing(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			label, names, ids := psSetup(t, c)
			f := "label=" + label

			if got := lines(cli(t, c, "ps", "--filter", f, "--format", "{{.Names}}")); sorted(got) != names[0] {
				t.Errorf("ps shows %q, want only the running %s", got, names[0])
			}
			if got := lines(cli(t, c, "ps", "-a", "--filter", f, "--format", "{{.Names}}")); sorted(got) != sorted(names) {
				t.Errorf("ps -a shows %q, want %q", got, names)
			}
			var short []string
			for _, id := range ids {
				short = append(short, id[:12])
			}
			if got := lines(cli(t, c, "ps", "-aq", "--filter", f)); sorted(got) != sorted(short) {
				t.Errorf("ps -aq: %q, want %q", got, short)
			}
			if got := lines(cli(t, c, "ps", "-aq", "--no-trunc", "--filter", f)); sorted(got) != sorted(ids) {
				t.Errorf("ps -aq --no-trunc: %q, want %q", got, ids)
			}
			// The newest container is the created one; -n counts from the newest.
			if got := lines(cli(t, c, "ps", "-lq", "--no-trunc")); len(got) != 1 || got[0] != ids[2] {
				t.Errorf("ps -lq: %q, want %s", got, ids[2])
			}
			if got := lines(cli(t, c, "ps", "-n", "2", "-q", "--no-trunc")); len(got) != 2 || got[0] != ids[2] || got[1] != ids[1] {
				t.Errorf("ps -n 2: %q, want %s %s", got, ids[2], ids[1])
			}

			statuses := map[string]*regexp.Regexp{
				names[0]: regexp.MustCompile(`^Up (Less than a second|[0-9]+ seconds?|About a minute)$`),
				names[1]: regexp.MustCompile(`^Exited \(3\) (Less than a second|[0-9]+ seconds?|About a minute) ago$`),
				names[2]: regexp.MustCompile(`^Created$`),
			}
			for _, l := range lines(cli(t, c, "ps", "-a", "--filter", f, "--format", "{{.Names}}|{{.Status}}|{{.State}}|{{.Image}}|{{.Command}}")) {
				fields := strings.Split(l, "|")
				if len(fields) != 5 || !statuses[fields[0]].MatchString(fields[1]) {
					t.Errorf("status line %q", l)
					continue
				}
				if fields[3] != "busybox" || !strings.HasPrefix(fields[4], `"`) {
					t.Errorf("image/command in %q", l)
				}
			}
		})
	}
}

func TestPsTableHeaders(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			label, names, _ := psSetup(t, c)
			head := regexp.MustCompile(`\s{2,}`)
			out := lines(cli(t, c, "ps", "-a", "--filter", "label="+label))
			if len(out) != 4 {
				t.Fatalf("ps -a table:\n%s", strings.Join(out, "\n"))
			}
			if got := head.Split(out[0], -1); strings.Join(got, "|") != "CONTAINER ID|IMAGE|COMMAND|CREATED|STATUS|PORTS|NAMES" {
				t.Errorf("ps header %q", out[0])
			}
			out = lines(cli(t, c, "ps", "-s", "--filter", "label="+label))
			if len(out) != 2 || strings.Join(head.Split(out[0], -1), "|") != "CONTAINER ID|IMAGE|COMMAND|CREATED|STATUS|PORTS|NAMES|SIZE" {
				t.Errorf("ps -s table:\n%s", strings.Join(out, "\n"))
			}
			out = lines(cli(t, c, "ps", "-a", "--filter", "label="+label, "--format", "table {{.ID}}\t{{.Status}}"))
			if len(out) != 4 || strings.Join(head.Split(out[0], -1), "|") != "CONTAINER ID|STATUS" {
				t.Errorf("custom table:\n%s", strings.Join(out, "\n"))
			}
			if !strings.HasSuffix(lines(cli(t, c, "ps", "-a", "--filter", "name="+names[1]))[1], names[1]) {
				t.Errorf("row does not end with the name")
			}
		})
	}
}

func TestPsFilters(t *testing.T) {
	img := "ps-" + uniqueName(t, "img") + ":1"
	imgID := importImage(t, img, `CMD ["sh"]`)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			label, names, ids := psSetup(t, c)
			other := uniqueName(t, "other")
			cleanupContainers(t, other)
			cli(t, c, "create", "-l", label, "-l", "extra=yes", "--name", other, img, "true")

			scoped := func(filters ...string) string {
				args := []string{"ps", "-a", "--format", "{{.Names}}", "--filter", "label=" + label}
				for _, f := range filters {
					args = append(args, "--filter", f)
				}
				return sorted(lines(cli(t, c, args...)))
			}
			for _, tc := range []struct {
				filter []string
				want   string
			}{
				{[]string{"id=" + ids[1][:12]}, names[1]},
				{[]string{"id=" + ids[0]}, names[0]},
				{[]string{"name=" + names[2]}, names[2]},
				{[]string{"name=^/" + names[0] + "$"}, names[0]},
				{[]string{"label=extra=yes"}, other},
				{[]string{"label=extra"}, other},
				{[]string{"status=running"}, names[0]},
				{[]string{"status=exited"}, names[1]},
				{[]string{"status=created"}, sorted([]string{names[2], other})},
				{[]string{"status=running", "status=exited"}, sorted(names[:2])},
				{[]string{"exited=3"}, names[1]},
				{[]string{"exited=0"}, ""},
				{[]string{"ancestor=" + img}, other},
				{[]string{"ancestor=" + imgID}, other},
				{[]string{"ancestor=busybox"}, sorted(names)},
			} {
				if got := scoped(tc.filter...); got != tc.want {
					t.Errorf("--filter %q: %q, want %q", tc.filter, got, tc.want)
				}
			}
			if r := testEnv.run(c, "ps", "--filter", "nosuchfilter=1"); r.code == 0 || !strings.Contains(r.stderr, "invalid filter 'nosuchfilter'") {
				t.Errorf("unknown filter: %+v", r)
			}
		})
	}
}

func TestPsFormats(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			label, names, ids := psSetup(t, c)
			out := lines(cli(t, c, "ps", "-a", "--no-trunc", "--filter", "label="+label, "--filter", "name="+names[1], "--format", "{{.ID}} {{.Command}} {{.Label \"it\"}}"))
			want := ids[1] + ` "sh -c 'exit 3'" ` + strings.TrimPrefix(label, "it=")
			if len(out) != 1 || out[0] != want {
				t.Errorf("--no-trunc format: %q, want %q", out, want)
			}
			out = lines(cli(t, c, "ps", "-a", "--filter", "label="+label, "--format", "json"))
			if len(out) != 3 {
				t.Fatalf("--format json: %q", out)
			}
			for _, l := range out {
				var row struct{ ID, Names, Image, State, Labels string }
				if err := json.Unmarshal([]byte(l), &row); err != nil {
					t.Fatalf("json line %q: %v", l, err)
				}
				if row.Image != "busybox" || !strings.Contains(row.Labels, label) || len(row.ID) != 12 {
					t.Errorf("json row %+v", row)
				}
				wantState := map[string]string{names[0]: "running", names[1]: "exited", names[2]: "created"}[row.Names]
				if row.State != wantState {
					t.Errorf("json row %s has state %q, want %q", row.Names, row.State, wantState)
				}
			}
			// A container that wrote 1 MiB shows it in its size.
			big := uniqueName(t, "big")
			cleanupContainers(t, big)
			cli(t, c, "run", "--name", big, "busybox", "dd", "if=/dev/zero", "of=/big", "bs=1024", "count=1024")
			size := strings.TrimSpace(cli(t, c, "ps", "-a", "-s", "--filter", "name="+big, "--format", "{{.Size}}"))
			if !regexp.MustCompile(`^1\.0[0-9]MB \(virtual [0-9.]+[kM]B\)$`).MatchString(size) {
				t.Errorf("size %q", size)
			}
		})
	}
}

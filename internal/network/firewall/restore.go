package firewall

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// commandTimeout bounds one iptables-save or iptables-restore: the host's
// xtables lock or a huge ruleset may hold it, and a caller waits on mu.
const commandTimeout = 30 * time.Second

// key is how iptables-save prints r in its table: "nat -A CHAIN args"
// (an inserted rule too).
func (r Rule) key() string {
	return r.Table + " -A " + r.Chain + " " + strings.Join(r.Args, " ")
}

// line is r as an iptables-restore line of its table.
func (r Rule) line() string {
	if r.Insert {
		return "-I " + r.Chain + " 1 " + strings.Join(r.Args, " ")
	}
	return "-A " + r.Chain + " " + strings.Join(r.Args, " ")
}

// deleteLine is the iptables-restore line that deletes r.
func (r Rule) deleteLine() string {
	return "-D " + r.Chain + " " + strings.Join(r.Args, " ")
}

// byFamily splits rules into IPv4 and IPv6 ones.
func byFamily(rules []Rule) (v4, v6 []Rule) {
	for _, r := range rules {
		if r.IPv6 {
			v6 = append(v6, r)
		} else {
			v4 = append(v4, r)
		}
	}
	return v4, v6
}

// saved runs cmd-save and returns its rules, each as Rule.key reads
// ("-I" rules are printed as "-A").
func saved(cmd string) (map[string]bool, error) {
	out, err := save(cmd)
	if err != nil {
		return nil, err
	}
	return parseSaved(out), nil
}

// save runs cmd-save.
func save(cmd string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd+"-save").Output()
	if err != nil {
		return nil, fmt.Errorf("%s-save: %w", cmd, commandError(err))
	}
	return out, nil
}

// savedChains reads the chains in iptables-save's output, as
// "table CHAIN".
func savedChains(out []byte) map[string]bool {
	chains := map[string]bool{}
	table := ""
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			if name, _, ok := strings.Cut(line[1:], " "); ok {
				chains[table+" "+name] = true
			}
		}
	}
	return chains
}

// parseSaved reads iptables-save's output into Rule.key form.
func parseSaved(out []byte) map[string]bool {
	have := map[string]bool{}
	table := ""
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, "-A "):
			have[table+" "+line] = true
		}
	}
	return have
}

// A tableLine is one line of iptables-restore's input: a chain (":C - [0:0]")
// or a rule change ("-A C ...") in table.
type tableLine struct{ table, text string }

// ruleLines are rules as iptables-restore lines adding them (or, with
// del, deleting them).
func ruleLines(rules []Rule, del bool) []tableLine {
	var out []tableLine
	for _, r := range rules {
		text := r.line()
		if del {
			text = r.deleteLine()
		}
		out = append(out, tableLine{r.Table, text})
	}
	return out
}

// restore applies lines in one cmd-restore --noflush: all or none.
func restore(cmd string, lines []tableLine) error {
	if len(lines) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd+"-restore", "--noflush", "-w", "5")
	c.Stdin = strings.NewReader(restoreInput(lines))
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s-restore: %w: %s", cmd, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// restoreInput is lines as iptables-restore reads them: a section per
// table, its new chains first, then its rule changes in their order.
func restoreInput(lines []tableLine) string {
	var tables []string
	chains, rules := map[string][]string{}, map[string][]string{}
	for _, l := range lines {
		if _, ok := chains[l.table]; !ok {
			tables = append(tables, l.table)
			chains[l.table] = nil
		}
		if strings.HasPrefix(l.text, ":") {
			chains[l.table] = append(chains[l.table], l.text)
		} else {
			rules[l.table] = append(rules[l.table], l.text)
		}
	}
	var b strings.Builder
	for _, t := range tables {
		b.WriteString("*" + t + "\n")
		for _, l := range append(chains[t], rules[t]...) {
			b.WriteString(l + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	return b.String()
}

func commandError(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

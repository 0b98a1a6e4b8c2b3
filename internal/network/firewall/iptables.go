package firewall

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/coreos/go-iptables/iptables"
)

// Firewall applies rules.
type Firewall interface {
	Setup() error
	Add(rules []Rule) error
	Remove(rules []Rule)
	// DropForwarded sets the FORWARD policy to DROP, so that turning on
	// IP forwarding forwards only what wharf's rules accept.
	DropForwarded() error
	// DropForwarded6 is DropForwarded for IPv6.
	DropForwarded6() error
	// TeardownIfUnused removes wharf's chains and the jumps into them,
	// all but the user's WHARF-USER, if no rule is left in them (another
	// wharfd on the host may use them); it reports whether it did.
	TeardownIfUnused() (bool, error)
}

// Nop is the firewall when iptables management is off ("iptables": false).
type Nop struct{}

func (Nop) Setup() error                    { return nil }
func (Nop) Add([]Rule) error                { return nil }
func (Nop) Remove([]Rule)                   {}
func (Nop) DropForwarded() error            { return nil }
func (Nop) DropForwarded6() error           { return nil }
func (Nop) TeardownIfUnused() (bool, error) { return false, nil }

// IPTables applies rules with the iptables and ip6tables commands.
type IPTables struct {
	mu   sync.Mutex
	ipt  *iptables.IPTables
	ipt6 *iptables.IPTables // nil without ip6tables
	// ready6: wharf's chains exist in ip6tables. They are made with the
	// first IPv6 rule, so a host without IPv6 networks gets none.
	ready6 bool
}

// NewIPTables finds the iptables command (and ip6tables, if there).
func NewIPTables() (*IPTables, error) {
	ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	f := &IPTables{ipt: ipt}
	if ipt6, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv6), iptables.Timeout(5)); err == nil {
		f.ipt6 = ipt6
	}
	return f, nil
}

// families are the tables wharf may have rules in.
func (f *IPTables) families() []*iptables.IPTables {
	if f.ipt6 == nil {
		return []*iptables.IPTables{f.ipt}
	}
	return []*iptables.IPTables{f.ipt, f.ipt6}
}

// Setup creates wharf's chains and the jumps into them; it is idempotent.
// One iptables-save shows what is there, one iptables-restore --noflush
// makes the rest (it ran some fifteen iptables commands, most of a
// daemon's start-up time).
func (f *IPTables) Setup() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return setup("iptables")
}

func setup(cmd string) error {
	out, err := save(cmd)
	if err != nil {
		return err
	}
	have, chains := parseSaved(out), savedChains(out)
	var lines []tableLine
	newChain := func(c Rule) {
		if !chains[c.Table+" "+c.Chain] {
			lines = append(lines, tableLine{c.Table, ":" + c.Chain + " - [0:0]"})
		}
	}
	for _, c := range Chains() {
		newChain(c)
	}
	for _, r := range Jumps() {
		if !have[r.key()] {
			lines = append(lines, tableLine{r.Table, r.line()})
		}
	}
	// WHARF-USER, docker's DOCKER-USER for wharf: rules the user puts
	// there see forwarded traffic before wharf's. It is made once, with a
	// RETURN, and never flushed; its jump is moved back to the top of
	// FORWARD on every start, as dockerd does.
	user := Rule{Table: "filter", Chain: ChainUser}
	if !chains["filter "+ChainUser] {
		newChain(user)
		lines = append(lines, tableLine{"filter", "-A " + ChainUser + " -j RETURN"})
	}
	jump := Rule{Table: "filter", Chain: "FORWARD", Args: []string{"-j", ChainUser}, Insert: true}
	if have[jump.key()] {
		lines = append(lines, tableLine{"filter", jump.deleteLine()})
	}
	lines = append(lines, tableLine{"filter", jump.line()})
	return restore(cmd, lines)
}

// Purge is Teardown and the WHARF-USER chain too: for a host wharf
// leaves for good (the test suite's end).
func (f *IPTables) Purge() error {
	err := f.Teardown()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ipt := range f.families() {
		ipt.DeleteIfExists("filter", "FORWARD", "-j", ChainUser)
		if ok, cerr := ipt.ChainExists("filter", ChainUser); cerr == nil && ok {
			if cerr := ipt.ClearAndDeleteChain("filter", ChainUser); cerr != nil && err == nil {
				err = cerr
			}
		}
	}
	return err
}

// Add appends (or inserts) each rule that is not there yet: one
// iptables-save to see which are, one iptables-restore --noflush for the
// rest, per family, however many rules (a network's are seven, and two
// commands per rule kept every other network and port change waiting on
// mu for seconds under load). A rule is there when iptables-save prints
// it as the rule reads, which holds because the rules are written in
// iptables-save's own order of options (TestRulesAsIPTablesSavePrintsThem
// in test/integration checks it against the real command).
func (f *IPTables) Add(rules []Rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v4, v6 := byFamily(rules)
	if len(v6) > 0 {
		if f.ipt6 == nil {
			return errors.New("ip6tables is not available: IPv6 networks need it")
		}
		if !f.ready6 {
			if err := setup("ip6tables"); err != nil {
				return fmt.Errorf("ip6tables: %w", err)
			}
			f.ready6 = true
		}
	}
	for _, fam := range []struct {
		cmd   string
		rules []Rule
	}{{"iptables", v4}, {"ip6tables", v6}} {
		if len(fam.rules) == 0 {
			continue
		}
		have, err := saved(fam.cmd)
		if err != nil {
			return err
		}
		var missing []Rule
		for _, r := range fam.rules {
			if !have[r.key()] {
				missing = append(missing, r)
			}
		}
		if err := restore(fam.cmd, ruleLines(missing, false)); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the rules that exist; missing ones are fine. Those
// iptables-save shows go in one iptables-restore; any other (a rule
// written some other way by hand) is looked for one by one.
func (f *IPTables) Remove(rules []Rule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v4, v6 := byFamily(rules)
	for _, fam := range []struct {
		cmd   string
		ipt   *iptables.IPTables
		rules []Rule
	}{{"iptables", f.ipt, v4}, {"ip6tables", f.ipt6, v6}} {
		if len(fam.rules) == 0 || fam.ipt == nil {
			continue
		}
		have, err := saved(fam.cmd)
		var present []Rule
		for _, r := range fam.rules {
			if err == nil && have[r.key()] {
				present = append(present, r)
			} else {
				fam.ipt.DeleteIfExists(r.Table, r.Chain, r.Args...)
			}
		}
		if err := restore(fam.cmd, ruleLines(present, true)); err != nil {
			// Someone removed one meanwhile: one by one, then.
			for _, r := range fam.rules {
				fam.ipt.DeleteIfExists(r.Table, r.Chain, r.Args...)
			}
		}
	}
}

// DropForwarded sets filter FORWARD's policy to DROP, as dockerd does
// when it is the one enabling forwarding.
func (f *IPTables) DropForwarded() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ipt.ChangePolicy("filter", "FORWARD", "DROP")
}

// DropForwarded6 is DropForwarded for ip6tables, when wharf is the one
// enabling IPv6 forwarding (for an IPv6 network), as dockerd with
// ip6tables on.
func (f *IPTables) DropForwarded6() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ipt6 == nil {
		return nil
	}
	return f.ipt6.ChangePolicy("filter", "FORWARD", "DROP")
}

// TeardownIfUnused is Teardown when wharf's chains hold no rule.
func (f *IPTables) TeardownIfUnused() (bool, error) {
	f.mu.Lock()
	for _, ipt := range f.families() {
		for _, c := range Chains() {
			if ok, err := ipt.ChainExists(c.Table, c.Chain); err == nil && !ok && ipt == f.ipt6 {
				continue // no IPv6 network made them
			}
			rules, err := ipt.List(c.Table, c.Chain)
			if err != nil {
				f.mu.Unlock()
				return false, err
			}
			if len(rules) > 1 { // "-N CHAIN" and a rule
				f.mu.Unlock()
				return false, nil
			}
		}
	}
	f.mu.Unlock()
	return true, f.Teardown()
}

// Teardown removes the jumps into wharf's chains and the chains
// themselves: what Setup made, but WHARF-USER (the user's). Rules of
// running containers go with them, so it is for a wharfd that ends with
// no container running, and for hosts where no wharfd runs any more.
func (f *IPTables) Teardown() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var firstErr error
	for _, ipt := range f.families() {
		for _, r := range Jumps() {
			ipt.DeleteIfExists(r.Table, r.Chain, r.Args...)
		}
		for _, c := range Chains() {
			if ok, err := ipt.ChainExists(c.Table, c.Chain); err == nil && ok {
				if err := ipt.ClearAndDeleteChain(c.Table, c.Chain); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	f.ready6 = false
	return firstErr
}

// ForwardPolicy returns filter FORWARD's policy (ACCEPT or DROP).
func (f *IPTables) ForwardPolicy() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules, err := f.ipt.List("filter", "FORWARD")
	if err != nil || len(rules) == 0 {
		return "", err
	}
	// The first line is "-P FORWARD <policy>".
	fields := strings.Fields(rules[0])
	return fields[len(fields)-1], nil
}

// SetForwardPolicy sets filter FORWARD's policy.
func (f *IPTables) SetForwardPolicy(policy string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ipt.ChangePolicy("filter", "FORWARD", policy)
}

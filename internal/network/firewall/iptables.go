package firewall

import (
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
func (Nop) TeardownIfUnused() (bool, error) { return false, nil }

// IPTables applies rules with the iptables command.
type IPTables struct {
	mu  sync.Mutex
	ipt *iptables.IPTables
}

// NewIPTables finds the iptables command.
func NewIPTables() (*IPTables, error) {
	ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	return &IPTables{ipt: ipt}, nil
}

// Setup creates wharf's chains and the jumps into them; it is idempotent.
func (f *IPTables) Setup() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range Chains() {
		ok, err := f.ipt.ChainExists(c.Table, c.Chain)
		if err != nil {
			return err
		}
		if !ok {
			if err := f.ipt.NewChain(c.Table, c.Chain); err != nil {
				return err
			}
		}
	}
	if err := f.add(Jumps()); err != nil {
		return err
	}
	return f.setupUserChain()
}

// setupUserChain makes WHARF-USER, docker's DOCKER-USER for wharf: rules
// the user puts there see forwarded traffic before wharf's. It is made
// once, with a RETURN, and never flushed; its jump is moved back to the
// top of FORWARD on every start, as dockerd does.
func (f *IPTables) setupUserChain() error {
	ok, err := f.ipt.ChainExists("filter", ChainUser)
	if err != nil {
		return err
	}
	if !ok {
		if err := f.ipt.NewChain("filter", ChainUser); err != nil {
			return err
		}
		if err := f.ipt.Append("filter", ChainUser, "-j", "RETURN"); err != nil {
			return err
		}
	}
	if err := f.ipt.DeleteIfExists("filter", "FORWARD", "-j", ChainUser); err != nil {
		return err
	}
	return f.ipt.Insert("filter", "FORWARD", 1, "-j", ChainUser)
}

// Purge is Teardown and the WHARF-USER chain too: for a host wharf
// leaves for good (the test suite's end).
func (f *IPTables) Purge() error {
	err := f.Teardown()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ipt.DeleteIfExists("filter", "FORWARD", "-j", ChainUser)
	if ok, cerr := f.ipt.ChainExists("filter", ChainUser); cerr == nil && ok {
		if cerr := f.ipt.ClearAndDeleteChain("filter", ChainUser); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// Add appends (or inserts) each rule that is not there yet.
func (f *IPTables) Add(rules []Rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.add(rules)
}

func (f *IPTables) add(rules []Rule) error {
	for _, r := range rules {
		ok, err := f.ipt.Exists(r.Table, r.Chain, r.Args...)
		if err != nil {
			return fmt.Errorf("iptables -t %s -C %s %s: %w", r.Table, r.Chain, strings.Join(r.Args, " "), err)
		}
		if ok {
			continue
		}
		if r.Insert {
			err = f.ipt.Insert(r.Table, r.Chain, 1, r.Args...)
		} else {
			err = f.ipt.Append(r.Table, r.Chain, r.Args...)
		}
		if err != nil {
			return fmt.Errorf("iptables -t %s -A %s %s: %w", r.Table, r.Chain, strings.Join(r.Args, " "), err)
		}
	}
	return nil
}

// Remove deletes the rules that exist; missing ones are fine.
func (f *IPTables) Remove(rules []Rule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rules {
		f.ipt.DeleteIfExists(r.Table, r.Chain, r.Args...)
	}
}

// DropForwarded sets filter FORWARD's policy to DROP, as dockerd does
// when it is the one enabling forwarding.
func (f *IPTables) DropForwarded() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ipt.ChangePolicy("filter", "FORWARD", "DROP")
}

// TeardownIfUnused is Teardown when wharf's chains hold no rule.
func (f *IPTables) TeardownIfUnused() (bool, error) {
	f.mu.Lock()
	for _, c := range Chains() {
		rules, err := f.ipt.List(c.Table, c.Chain)
		if err != nil {
			f.mu.Unlock()
			return false, err
		}
		if len(rules) > 1 { // "-N CHAIN" and a rule
			f.mu.Unlock()
			return false, nil
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
	for _, r := range Jumps() {
		f.ipt.DeleteIfExists(r.Table, r.Chain, r.Args...)
	}
	var firstErr error
	for _, c := range Chains() {
		if ok, err := f.ipt.ChainExists(c.Table, c.Chain); err == nil && ok {
			if err := f.ipt.ClearAndDeleteChain(c.Table, c.Chain); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
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

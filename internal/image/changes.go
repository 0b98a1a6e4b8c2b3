package image

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
)

// validChanges are the Dockerfile instructions docker import/commit accept
// in --change (dockerd's validCommitCommands).
var validChanges = map[string]bool{
	"cmd": true, "entrypoint": true, "healthcheck": true, "env": true, "expose": true,
	"label": true, "onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true,
}

// applyChanges applies Dockerfile instructions to cfg, as dockerd's
// BuildFromConfig does for "docker import --change" and "docker commit
// --change". Variables are expanded against the config's environment.
func applyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	res, err := parser.Parse(strings.NewReader(strings.Join(changes, "\n")))
	if err != nil {
		return errs.Invalid("%v", err)
	}
	for _, n := range res.AST.Children {
		if !validChanges[strings.ToLower(n.Value)] {
			return errs.Invalid("%s is not a valid change command", strings.ToLower(n.Value))
		}
	}
	lex := shell.NewLex(res.EscapeToken)
	cmdSet := false
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseCommand(n)
		if err != nil {
			return errs.Invalid("%v", err)
		}
		if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
			err := ex.Expand(func(word string) (string, error) {
				out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(cfg.Env))
				return out, err
			})
			if err != nil {
				return errs.Invalid("%v", err)
			}
		}
		if err := applyChange(cfg, cmd, &cmdSet); err != nil {
			return errs.Invalid("%v", err)
		}
	}
	return nil
}

func applyChange(cfg *dockerspec.DockerOCIImageConfig, cmd any, cmdSet *bool) error {
	switch c := cmd.(type) {
	case *instructions.CmdCommand:
		cfg.Cmd = cmdLine(c.ShellDependantCmdLine)
		*cmdSet = true
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = cmdLine(c.ShellDependantCmdLine)
		// Like docker: a new ENTRYPOINT resets a CMD not set alongside it.
		if !*cmdSet {
			cfg.Cmd = nil
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			cfg.Env = setEnv(cfg.Env, kv.Key, kv.Value)
		}
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
		}
	case *instructions.ExposeCommand:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range c.Ports {
			ports, err := parsePorts(p)
			if err != nil {
				return err
			}
			for _, port := range ports {
				cfg.ExposedPorts[port] = struct{}{}
			}
		}
	case *instructions.UserCommand:
		cfg.User = c.User
	case *instructions.WorkdirCommand:
		wd := c.Path
		if !path.IsAbs(wd) {
			base := cfg.WorkingDir
			if base == "" {
				base = "/"
			}
			wd = path.Join(base, wd)
		}
		cfg.WorkingDir = path.Clean(wd)
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v = strings.TrimSpace(v); v == "" {
				return fmt.Errorf("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
	case *instructions.StopSignalCommand:
		cfg.StopSignal = c.Signal
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
	default:
		return fmt.Errorf("%T is not a valid change command", cmd)
	}
	return nil
}

// cmdLine turns shell form ("CMD echo hi") into ["/bin/sh","-c","echo hi"].
func cmdLine(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return []string{"/bin/sh", "-c", strings.Join(c.CmdLine, " ")}
	}
	return append([]string(nil), c.CmdLine...)
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if name, _, _ := strings.Cut(e, "="); name == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// parsePorts expands "80", "80/udp" and "8000-8002/tcp" into "port/proto" keys.
func parsePorts(spec string) ([]string, error) {
	p, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(p, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", p)
	}
	end := start
	if isRange {
		if end, err = strconv.ParseUint(hi, 10, 16); err != nil || end < start {
			return nil, fmt.Errorf("invalid containerPort: %s", p)
		}
	}
	var out []string
	for n := start; n <= end; n++ {
		out = append(out, fmt.Sprintf("%d/%s", n, proto))
	}
	return out, nil
}

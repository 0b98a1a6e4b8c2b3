//go:build tools

// Package tools pins the CRI test tools for hack/tools/crictl/build.sh.
package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
	_ "sigs.k8s.io/cri-tools/pkg/validate"
)

//go:build tools

// Package tools pins the kubelet for hack/tools/kubelet/build.sh.
package tools

import _ "k8s.io/kubernetes/cmd/kubelet/app"

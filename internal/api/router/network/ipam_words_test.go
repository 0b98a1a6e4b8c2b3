package network

import (
	"context"
	"testing"

	"github.com/wharf/wharf/internal/api/httputil"
)

// Bad IPAM addresses are refused in the words of the client's engine:
// 20.10's before API 1.44 (checked against dockerd 20.10), engine 25's
// up-front check after; good ones and other bodies are left alone.
func TestCheckIPAMAddresses(t *testing.T) {
	for _, tc := range []struct {
		version, body, want string
	}{
		{"1.41", `{"IPAM":{"Config":[{"Subnet":"10.0.0.0/33"}]}}`, "Invalid subnet 10.0.0.0/33 : invalid CIDR address: 10.0.0.0/33"},
		{"1.41", `{"IPAM":{"Config":[{"Subnet":"10.0.9.0/24","Gateway":"bad"}]}}`, "invalid gateway address bad in Ipam configuration"},
		{"1.41", `{"IPAM":{"Config":[{"Subnet":"10.0.9.0/24","IPRange":"x"}]}}`, `failed to parse pool request for address space "LocalDefault" pool "10.0.9.0/24" subpool "x": Invalid Address SubPool`},
		{"1.51", `{"IPAM":{"Config":[{"Subnet":"nope","Gateway":"bad"},{"Subnet":"10.0.9.0/24","Gateway":"bad","AuxiliaryAddresses":{"r":"x"}}]}}`,
			"invalid network config:\ninvalid subnet nope: invalid CIDR block notation\ninvalid gateway bad: invalid address\ninvalid auxiliary address r: invalid address"},
		{"1.51", `{"IPAM":{"Config":[{"Subnet":"10.0.9.0/24","Gateway":"10.0.9.1"}]}}`, ""},
		{"1.41", `{"Name":"x"}`, ""},
		{"1.41", `not json`, ""},
	} {
		err := checkIPAMAddresses(httputil.WithVersion(context.Background(), tc.version), []byte(tc.body))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.version, tc.body, got, tc.want)
		}
	}
}

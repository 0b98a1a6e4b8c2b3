package daemon

import "testing"

func TestRuncSetsExecLimits(t *testing.T) {
	for out, want := range map[string]bool{
		"runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n": false,
		"runc version 1.1.12\n":                          false,
		"runc version 1.1.13\n":                          true,
		"runc version 1.4.4+wharf\nspec: 1.3.0\n":        true,
		"runc version 2.0.0\n":                           true,
		"crun version 1.8.1\ncommit: abc\nspec: 1.0.0\n": true,
		"": false,
	} {
		if got := runcSetsExecLimits([]byte(out)); got != want {
			t.Errorf("%q: got %v, want %v", out, got, want)
		}
	}
}

// TestFeaturesIDMap reads `runc features`: runc 1.4 ID-maps mounts, 1.1
// says nothing of it.
func TestFeaturesIDMap(t *testing.T) {
	for in, want := range map[string]bool{
		`{"ociVersionMax":"1.3.0","linux":{"mountExtensions":{"idmap":{"enabled":true}}}}`: true,
		`{"linux":{"mountExtensions":{"idmap":{"enabled":false}}}}`:                        false,
		`{"ociVersionMax":"1.0.2-dev","linux":{"namespaces":["user"]}}`:                    false,
		`runc: unknown command "features"`:                                                 false,
	} {
		if got := featuresIDMap([]byte(in)); got != want {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
}

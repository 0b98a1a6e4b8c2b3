package container

import "testing"

func TestValidateCPUList(t *testing.T) {
	for list, ok := range map[string]bool{"": true, "0": true, "0-3": true, "0,2-3,7": true, "abc": false, "1-": false, "3-1": false, "0,,1": false, "-1": false} {
		if err := validateCPUList(list); (err == nil) != ok {
			t.Errorf("%q: %v", list, err)
		}
	}
}

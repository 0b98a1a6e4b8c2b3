package filters

import (
	"testing"
	"time"
)

func TestParseBothForms(t *testing.T) {
	for _, in := range []string{`{"status":{"running":true}}`, `{"status":["running"]}`} {
		a, err := Parse(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !a.Exact("status", "running") || a.Exact("status", "exited") {
			t.Fatalf("%s: wrong match %v", in, a)
		}
	}
	if _, err := Parse(`{bad`); err == nil {
		t.Fatal("malformed filters accepted")
	}
}

func TestLabels(t *testing.T) {
	labels := map[string]string{"a": "1", "b": "2"}
	cases := []struct {
		filter string
		want   bool
	}{
		{"a", true}, {"a=1", true}, {"a=2", false}, {"c", false}, {"a!=2", true}, {"a!=1", false}, {"c!=1", true},
	}
	for _, c := range cases {
		a := Args{}
		a.Add("label", c.filter)
		if got := a.Labels("label", labels); got != c.want {
			t.Errorf("label=%s: got %v want %v", c.filter, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	a := Args{}
	a.Add("bogus", "x")
	if err := a.Validate("status"); err == nil || err.Error() != "invalid filter 'bogus'" {
		t.Fatalf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"status":{"running":true}}`)
	f.Add(`{"label":["a=b"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err == nil {
			_ = a.Get("status")
		}
	})
}

func TestTimestamp(t *testing.T) {
	if got, err := Timestamp("0"); err != nil || got.Unix() != 0 {
		t.Errorf(`"0": %v %v`, got, err)
	}
	if got, err := Timestamp("1700000000"); err != nil || got.Unix() != 1700000000 {
		t.Errorf("unix seconds: %v %v", got, err)
	}
	if got, err := Timestamp("2026-11-23T07:05:07Z"); err != nil || got.Unix() != 1795417507 {
		t.Errorf("RFC 3339: %v %v", got, err)
	}
	if got, err := Timestamp("10m"); err != nil || time.Since(got) < 9*time.Minute {
		t.Errorf("duration: %v %v", got, err)
	}
	if _, err := Timestamp("yesterday"); err == nil || err.Error() != `invalid timestamp "yesterday"` {
		t.Errorf("garbage: %v", err)
	}
}

func TestTime(t *testing.T) {
	a := Args{}
	if got, err := a.Time("until"); err != nil || !got.IsZero() {
		t.Errorf("absent term: %v, %v", got, err)
	}
	a.Add("until", "1700000000")
	if got, err := a.Time("until"); err != nil || got.Unix() != 1700000000 {
		t.Errorf("unix seconds: %v, %v", got, err)
	}
	a = Args{}
	a.Add("until", "yesterday")
	if _, err := a.Time("until"); err == nil {
		t.Error("a bad timestamp is accepted")
	}
}

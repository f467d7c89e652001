package provision

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rules returns an ACL's rules, comments and blank lines left out.
func rules(acl string) []string {
	var out []string
	for _, l := range strings.Split(acl, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestACLMatchesExample: the generated ACL has the rules of the documented
// configs/mosquitto/acl.example (which adds an operator account), under
// any topic root: agents read their own alerts and figures, the collector
// writes every facility's.
func TestACLMatchesExample(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "configs", "mosquitto", "acl.example"))
	if err != nil {
		t.Fatal(err)
	}
	want := rules(string(example))
	if i := slices.Index(want, "user greenpulse-operator"); i >= 0 {
		want = want[:i]
	}
	if got := rules(ACL("greenpulse")); !slices.Equal(got, want) {
		t.Errorf("generated ACL rules\n%s\nacl.example's\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, rule := range []string{"pattern read site2/%u/alerts", "pattern read site2/%u/figures",
		"topic write site2/+/alerts", "topic write site2/+/figures", "topic read site2/#"} {
		if !slices.Contains(rules(ACL("site2")), rule) {
			t.Errorf("ACL(site2) lacks %q", rule)
		}
	}
	for _, r := range rules(ACL("greenpulse")) {
		if strings.HasPrefix(r, "pattern write") && strings.HasSuffix(r, "/figures") {
			t.Errorf("agents may write their figures: %q", r)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/registry"
)

// writeRegistry writes the first n synthetic facilities to a CSV file.
func writeRegistry(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	if err := registry.WriteCSV(&b, registry.Synthesize(n, 1)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "facilities.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// secretsOf returns every password and private key line in the state.
func secretsOf(t *testing.T, out string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "provision-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	type acct struct{ Password, Key string }
	var st struct {
		Collector, Server *acct
		Facilities        map[string]*acct
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	var out2 []string
	add := func(a *acct) {
		if a == nil {
			return
		}
		if a.Password != "" {
			out2 = append(out2, a.Password)
		}
		if lines := strings.Split(a.Key, "\n"); len(lines) > 2 {
			out2 = append(out2, lines[1])
		}
	}
	add(st.Collector)
	add(st.Server)
	for _, a := range st.Facilities {
		add(a)
	}
	ca, err := os.ReadFile(filepath.Join(out, "ca", "ca.key"))
	if err == nil {
		out2 = append(out2, strings.Split(string(ca), "\n")[1])
	}
	return out2
}

func TestProvisionPrintsNoSecret(t *testing.T) {
	reg := writeRegistry(t, 5)
	out := filepath.Join(t.TempDir(), "out")
	first := registry.Synthesize(5, 1)[0].ID
	for _, args := range [][]string{
		{"provision", "--registry", reg, "--out", out, "--tls", "--broker", "ssl://mqtt.example.org:8883"},
		{"provision", "--registry", reg, "--out", out},
		{"provision", "--registry", reg, "--out", out, "--rotate", first},
		{"provision", "--registry", reg, "--out", out, "--rotate", "greenpulse-collector"},
		{"provision", "--registry", reg, "--out", out, "--rotate", "NOPE-1"},
		{"provision", "--registry", reg, "--out", out, "--broker", "tcp://mqtt.example.org:1883"},
		{"provision", "-h"},
	} {
		c, stdout, stderr := testCLI(nil)
		err := c.run(t.Context(), args)
		all := stdout.String() + stderr.String()
		if err != nil {
			all += err.Error()
		}
		for _, s := range secretsOf(t, out) {
			if strings.Contains(all, s) {
				t.Errorf("%q printed a secret", args)
			}
		}
		if len(args) == 5 && !strings.Contains(stdout.String(), "created 0, kept 5, rotated 0, removed from passwd 0") {
			t.Errorf("rerun printed %q", stdout.String())
		}
	}
}

func TestProvisionSummary(t *testing.T) {
	reg := writeRegistry(t, 3)
	out := t.TempDir()
	c, stdout, _ := testCLI(nil)
	if err := c.run(t.Context(), []string{"provision", "--registry", reg, "--out", out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"provisioned 3 facilities in " + out, "created 3, kept 0, rotated 0, removed from passwd 0",
		filepath.Join(out, "broker"), filepath.Join(out, "collector"), filepath.Join(out, "facilities"), "pass --broker"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestProvisionFlagErrors(t *testing.T) {
	reg := writeRegistry(t, 2)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit\nA,a,b,clinic,0,IQ-BG,BG-KRK,33.3,44.3,0,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out}, "--registry is required"},
		{[]string{"--registry", reg}, "--out is required"},
		{[]string{"--registry", bad, "--out", out}, "bad.csv:2: type:"},
		{[]string{"--registry", filepath.Join(out, "none.csv"), "--out", out}, "none.csv"},
		{[]string{"--registry", reg, "--out", out, "--broker", "nohost"}, "--broker"},
		{[]string{"--registry", reg, "--out", out, "--rotate", "NOPE-1"}, `"NOPE-1"`},
		{[]string{"--registry", reg, "--out", out, "extra"}, "unexpected argument"},
	} {
		c, _, _ := testCLI(nil)
		err := c.run(t.Context(), append([]string{"provision"}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("provision %q: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

func TestProvisionRotateCollectorSummary(t *testing.T) {
	reg := writeRegistry(t, 2)
	out := t.TempDir()
	c, _, _ := testCLI(nil)
	if err := c.run(t.Context(), []string{"provision", "--registry", reg, "--out", out}); err != nil {
		t.Fatal(err)
	}
	c, stdout, _ := testCLI(nil)
	if err := c.run(t.Context(), []string{"provision", "--registry", reg, "--out", out, "--rotate", "greenpulse-collector"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kept 2, rotated 1,", "rotated: greenpulse-collector", filepath.Join(out, "collector", "credentials.env"), "broker/passwd"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

// TestProvisionFresh: a folder whose state is gone is refused, and --fresh
// starts over.
func TestProvisionFresh(t *testing.T) {
	reg := writeRegistry(t, 2)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"provision", "--registry", reg, "--out", out}
	c, _, _ := testCLI(nil)
	if err := c.run(t.Context(), args); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "provision-state.json")); err != nil {
		t.Fatal(err)
	}
	c, _, _ = testCLI(nil)
	if err := c.run(t.Context(), args); err == nil || !strings.Contains(err.Error(), "--fresh") || !strings.Contains(err.Error(), "provision-state.json") {
		t.Fatalf("rerun without the state: %v, want an error naming the state file and --fresh", err)
	}
	c, stdout, _ := testCLI(nil)
	if err := c.run(t.Context(), append(args, "--fresh")); err != nil || !strings.Contains(stdout.String(), "created 2, kept 0") {
		t.Fatalf("--fresh: %v\n%s", err, stdout)
	}
}

func TestProvisionWarnsOfSharedOut(t *testing.T) {
	reg := writeRegistry(t, 1)
	out := t.TempDir()
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}
	c, _, stderr := testCLI(nil)
	if err := c.run(t.Context(), []string{"provision", "--registry", reg, "--out", out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "warning: --out "+out) {
		t.Errorf("stderr %q, want a warning about --out", stderr)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o755 {
		t.Errorf("--out mode %o, want 755 left as it was", fi.Mode().Perm())
	}
}

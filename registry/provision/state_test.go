package provision

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBadStateIsAnError(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 2)
	provisionInto(t, Config{Out: out}, reg)
	path := filepath.Join(out, StateFile)
	good := readFile(t, path)
	for _, tc := range []struct{ name, data string }{
		{"not JSON", "{"},
		{"other format", strings.Replace(string(good), `"format": 1`, `"format": 2`, 1)},
		{"unknown key", strings.Replace(string(good), `"format": 1`, `"format": 1, "extra": 1`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Run(Config{Out: out}, reg)
			if err == nil || !strings.Contains(err.Error(), StateFile) {
				t.Errorf("Run with a bad state: %v, want an error naming the state file", err)
			}
			if got := readFile(t, path); string(got) != tc.data {
				t.Error("the bad state file was changed")
			}
		})
	}
}

func TestCAIsNeverRemade(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 2)
	res := provisionInto(t, Config{Out: out, TLS: tlsOn()}, reg)
	if !res.CACreated {
		t.Fatal("first TLS run made no CA")
	}
	ca := readFile(t, filepath.Join(out, CADir, "ca.crt"))
	if res = provisionInto(t, Config{Out: out, Rotate: reg.Facilities()[0].ID}, reg); res.CACreated || !bytes.Equal(ca, readFile(t, filepath.Join(out, CADir, "ca.crt"))) {
		t.Error("a rerun remade the CA")
	}
	if err := os.Remove(filepath.Join(out, CADir, "ca.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(Config{Out: out}, reg); err == nil || !strings.Contains(err.Error(), "ca.key") {
		t.Errorf("Run without ca.key: %v, want an error naming it", err)
	}
}

func TestServerCertFollowsBrokerHost(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 1)
	provisionInto(t, Config{Out: out, Broker: "ssl://a.example.org:8883", TLS: tlsOn()}, reg)
	facCert := readState(t, out).Facilities[reg.Facilities()[0].ID].Cert
	provisionInto(t, Config{Out: out, Broker: "ssl://b.example.org:8883"}, reg)
	st := readState(t, out)
	c, err := parseCert([]byte(st.Server.Cert))
	if err != nil || c.VerifyHostname("b.example.org") != nil {
		t.Errorf("server certificate after a host change: %v", err)
	}
	if st.Facilities[reg.Facilities()[0].ID].Cert != facCert {
		t.Error("a broker host change replaced a facility's certificate")
	}
}

func TestRenewsExpiringCertificates(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 2)
	provisionInto(t, Config{Out: out, TLS: tlsOn()}, reg)
	before := readState(t, out)
	later := testNow.Add(leafValidity - 10*24*time.Hour)
	res := provisionInto(t, Config{Out: out, Now: func() time.Time { return later }}, reg)
	if len(res.Renewed) != 3 || len(res.Kept) != 2 || res.CACreated {
		t.Fatalf("rerun near expiry: %+v; want the collector and both facilities renewed, the CA kept", res)
	}
	after := readState(t, out)
	for id, a := range after.Facilities {
		if a.Cert == before.Facilities[id].Cert || a.Password != before.Facilities[id].Password || !a.NotAfter.After(later.Add(2*365*24*time.Hour)) {
			t.Errorf("%s: certificate not renewed, or password changed", id)
		}
	}
}

// TestMissingStateIsAnError: a folder with output files but no state (or
// a state without accounts) is refused unless --fresh, which starts over.
func TestMissingStateIsAnError(t *testing.T) {
	reg := testRegistry(t, 2)
	id := reg.Facilities()[0].ID
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, out string)
	}{
		{"no state", func(t *testing.T, out string) { os.Remove(filepath.Join(out, StateFile)) }},
		{"no state, no passwd", func(t *testing.T, out string) {
			os.Remove(filepath.Join(out, StateFile))
			os.Remove(filepath.Join(out, BrokerDir, "passwd"))
		}},
		{"no state, no facilities", func(t *testing.T, out string) {
			os.Remove(filepath.Join(out, StateFile))
			os.RemoveAll(filepath.Join(out, FacilitiesDir))
		}},
		{"state without accounts", func(t *testing.T, out string) {
			os.WriteFile(filepath.Join(out, StateFile), []byte(`{"format":1,"broker":"tcp://127.0.0.1:1883","topic_root":"greenpulse","tls":false,"facilities":{}}`), 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			provisionInto(t, Config{Out: out}, reg)
			agentPath := filepath.Join(out, FacilitiesDir, id, "agent.yaml")
			tc.damage(t, out)
			agent, _ := os.ReadFile(agentPath)
			_, err := Run(Config{Out: out, Now: func() time.Time { return testNow }}, reg)
			if err == nil || !strings.Contains(err.Error(), filepath.Join(out, StateFile)) || !strings.Contains(err.Error(), "--fresh") || !strings.Contains(err.Error(), "backup") {
				t.Fatalf("Run: %v, want an error naming the state file, the backup and --fresh", err)
			}
			if got, _ := os.ReadFile(agentPath); !bytes.Equal(got, agent) {
				t.Error("the refused run changed agent.yaml")
			}
			old := readStateMaybe(out)
			res := provisionInto(t, Config{Out: out, Fresh: true}, reg)
			if len(res.Created) != 2 {
				t.Errorf("--fresh: %+v, want every facility created", res)
			}
			if old != nil && old.Collector != nil && readState(t, out).Collector.Password == old.Collector.Password {
				t.Error("--fresh kept the collector's password")
			}
		})
	}
	// A new, empty folder needs no --fresh.
	provisionInto(t, Config{Out: filepath.Join(t.TempDir(), "new")}, reg)
}

func readStateMaybe(out string) *state {
	s, ok, err := loadState(filepath.Join(out, StateFile))
	if err != nil || !ok {
		return nil
	}
	return s
}

// TestFreshReplacesEverySecret: --fresh on a good state replaces every
// password and certificate, and keeps an existing CA.
func TestFreshReplacesEverySecret(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 2)
	provisionInto(t, Config{Out: out, TLS: tlsOn()}, reg)
	before := readState(t, out)
	ca := readFile(t, filepath.Join(out, CADir, "ca.crt"))
	res := provisionInto(t, Config{Out: out, Fresh: true}, reg)
	after := readState(t, out)
	if len(res.Created) != 2 || res.CACreated || !bytes.Equal(ca, readFile(t, filepath.Join(out, CADir, "ca.crt"))) {
		t.Errorf("--fresh: %+v; want both created, the CA kept", res)
	}
	if !after.TLS {
		t.Error("--fresh forgot --tls of the previous run")
	}
	for id, a := range before.Facilities {
		if b := after.Facilities[id]; b.Password == a.Password || b.Cert == a.Cert {
			t.Errorf("--fresh kept %s's password or certificate", id)
		}
	}
	if after.Collector.Password == before.Collector.Password {
		t.Error("--fresh kept the collector's password")
	}
}

// TestMissingCAIsAnError: ca.crt and ca.key both gone while the state
// holds certificates: refused (no silent reissue), unless --fresh.
func TestMissingCAIsAnError(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 2)
	provisionInto(t, Config{Out: out, TLS: tlsOn()}, reg)
	stateBefore := readFile(t, filepath.Join(out, StateFile))
	if err := os.RemoveAll(filepath.Join(out, CADir)); err != nil {
		t.Fatal(err)
	}
	_, err := Run(Config{Out: out, Now: func() time.Time { return testNow }}, reg)
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), filepath.Join(out, CADir)) || !strings.Contains(err.Error(), "--fresh") {
		t.Fatalf("Run without the CA: %v, want an error naming %s and --fresh", err, CADir)
	}
	if !bytes.Equal(stateBefore, readFile(t, filepath.Join(out, StateFile))) {
		t.Error("the refused run changed the state")
	}
	res := provisionInto(t, Config{Out: out, Fresh: true}, reg)
	if !res.CACreated || len(res.Created) != 2 || len(res.Renewed) != 0 {
		t.Errorf("--fresh without a CA: %+v; want a new CA and every facility created", res)
	}
}

func TestRotateCollector(t *testing.T) {
	out := t.TempDir()
	reg := testRegistry(t, 2)
	provisionInto(t, Config{Out: out}, reg)
	before := readState(t, out).Collector.Password
	res := provisionInto(t, Config{Out: out, Rotate: CollectorUser}, reg)
	if !res.CollectorRotated || len(res.Rotated) != 0 || len(res.Kept) != 2 {
		t.Errorf("--rotate %s: %+v; want CollectorRotated and both facilities kept", CollectorUser, res)
	}
	if readState(t, out).Collector.Password == before {
		t.Error("the collector's password was not replaced")
	}
	if res = provisionInto(t, Config{Out: out}, reg); res.CollectorRotated {
		t.Error("a rerun without --rotate reported the collector rotated")
	}
}

func TestBrokerURLRefusesUserQueryFragment(t *testing.T) {
	for _, raw := range []string{
		"tcp://user:s3cretPW@mqtt.example.org:1883",
		"tcp://s3cretPW@mqtt.example.org:1883",
		"ssl://u:s3cretPW@mqtt.example.org",
		"tcp://mqtt.example.org:1883?x=1",
		"tcp://mqtt.example.org:1883/?",
		"tcp://mqtt.example.org:1883#frag",
		"tcp://mqtt.example.org:1883/#",
	} {
		err := Config{Out: "x", Broker: raw}.Validate()
		if err == nil || !strings.Contains(err.Error(), "--broker") {
			t.Errorf("%q: %v, want a --broker error", raw, err)
		} else if strings.Contains(err.Error(), "s3cretPW") {
			t.Errorf("%q: the error echoes the password: %v", raw, err)
		}
	}
	if err := (Config{Out: "x", Broker: "tcp://mqtt.example.org:1883/"}).Validate(); err != nil {
		t.Errorf("a plain URL: %v", err)
	}
}

// TestExistingOutKeepsItsMode: an existing --out is not chmodded; one
// others may read gets a warning.
func TestExistingOutKeepsItsMode(t *testing.T) {
	out := t.TempDir()
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}
	res := provisionInto(t, Config{Out: out}, testRegistry(t, 1))
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("--out mode after the run: %v, %v; want 755 (left as it was)", fi.Mode().Perm(), err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], out) || !strings.Contains(res.Warnings[0], "755") {
		t.Errorf("warnings %q, want one naming %s and its mode", res.Warnings, out)
	}
	if err := os.Chmod(out, 0o700); err != nil {
		t.Fatal(err)
	}
	if res := provisionInto(t, Config{Out: out}, testRegistry(t, 1)); len(res.Warnings) != 0 {
		t.Errorf("a 700 --out: warnings %q", res.Warnings)
	}
}

func TestSnippetTiesClientIDToUsername(t *testing.T) {
	for _, tls := range []bool{false, true} {
		if s := BrokerSnippet(BrokerInstallDir, "8883", tls); !regexp.MustCompile(`(?m)^use_username_as_clientid true$`).MatchString(s) {
			t.Errorf("tls=%v: the snippet lacks use_username_as_clientid true", tls)
		}
	}
}

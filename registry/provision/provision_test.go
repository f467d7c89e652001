package provision

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	agentconfig "github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

var testNow = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// testRegistry returns a registry of the first n synthetic facilities.
func testRegistry(t testing.TB, n int) *registry.Registry {
	t.Helper()
	return registryOf(t, registry.Synthesize(n, 1))
}

func registryOf(t testing.TB, fs []registry.Facility) *registry.Registry {
	t.Helper()
	var b bytes.Buffer
	if err := registry.WriteCSV(&b, fs); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Parse(&b, "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func tlsOn() *bool { v := true; return &v }

// provisionInto runs Run and fails the test on error.
func provisionInto(t testing.TB, cfg Config, reg *registry.Registry) *Result {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	res, err := Run(cfg, reg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func readState(t testing.TB, out string) *state {
	t.Helper()
	s, ok, err := loadState(filepath.Join(out, StateFile))
	if err != nil || !ok {
		t.Fatalf("load state: %v, %v", ok, err)
	}
	return s
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHashAgreesWithMosquittoPasswd(t *testing.T) {
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		testenv.Unavailable(t, "mosquitto_passwd is not installed (apt-get install mosquitto): %v", err)
	}
	for _, pw := range []string{"pw", "a-24-char-url-safe_pass0", "with space and ünïcode"} {
		path := filepath.Join(t.TempDir(), "passwd")
		if out, err := exec.Command(bin, "-c", "-b", path, "user", pw).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
		line := strings.TrimSpace(string(readFile(t, path)))
		field, ok := strings.CutPrefix(line, "user:")
		if !ok {
			t.Fatalf("mosquitto_passwd wrote %q", line)
		}
		if ok, err := VerifyPassword(field, pw); err != nil || !ok {
			t.Errorf("VerifyPassword(mosquitto_passwd's hash of %q) = %v, %v; want true", pw, ok, err)
		}
		if ok, _ := VerifyPassword(field, pw+"x"); ok {
			t.Errorf("VerifyPassword accepted a wrong password for %q", pw)
		}
		// Our own line for the same password has mosquitto_passwd's shape.
		ours, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		shape := func(s string) []int {
			p := strings.Split(s, "$")
			return []int{len(p), len(p[3]), len(p[4])}
		}
		if got, want := shape(ours), shape(field); !slices.Equal(got, want) || !strings.HasPrefix(field, "$7$101$") {
			t.Errorf("our field %v, mosquitto_passwd's %v (%s)", got, want, field[:7])
		}
	}
}

func TestHashFormat(t *testing.T) {
	h, err := HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$7\$101\$([A-Za-z0-9+/]{16})\$([A-Za-z0-9+/]{86}==)$`)
	m := re.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("hash %q does not match %s", h, re)
	}
	salt, _ := base64.StdEncoding.DecodeString(m[1])
	key, _ := base64.StdEncoding.DecodeString(m[2])
	if len(salt) != 12 || len(key) != 64 {
		t.Errorf("salt %d bytes, hash %d bytes; want 12, 64", len(salt), len(key))
	}
	if ok, err := VerifyPassword(h, "secret"); !ok || err != nil {
		t.Errorf("VerifyPassword(own hash) = %v, %v", ok, err)
	}
	if h2, _ := HashPassword("secret"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyPasswordRejectsMalformed(t *testing.T) {
	good, _ := HashPassword("pw")
	p := strings.Split(good, "$")
	for _, tc := range []struct{ name, field string }{
		{"empty", ""},
		{"plain", "pw"},
		{"sha256 ($6$)", "$6$" + strings.Join(p[2:], "$")},
		{"no iterations", "$7$$" + p[3] + "$" + p[4]},
		{"huge iterations", "$7$99999999$" + p[3] + "$" + p[4]},
		{"salt not base64", "$7$101$!!!$" + p[4]},
		{"hash not base64", "$7$101$" + p[3] + "$***"},
		{"extra part", good + "$x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ok, err := VerifyPassword(tc.field, "pw"); ok || err == nil {
				t.Errorf("VerifyPassword(%q) = %v, %v; want false and an error", tc.field, ok, err)
			}
		})
	}
}

func TestPasswords(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		pw, err := newPassword()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{24}$`).MatchString(pw) || seen[pw] {
			t.Fatalf("password %q: want 24 fresh URL-safe characters", pw)
		}
		seen[pw] = true
	}
}

// TestRerunKeepsSecrets: a rerun changes nothing, a new facility is added
// with the others untouched, a rotation changes one facility only, and a
// facility gone from the registry leaves passwd but keeps its folder.
func TestRerunKeepsSecrets(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "tls"}[tls], func(t *testing.T) {
			out := t.TempDir()
			all := registry.Synthesize(6, 1)
			cfg := Config{Out: out, Broker: "tcp://mqtt.example.org:1883"}
			if tls {
				cfg.Broker, cfg.TLS = "ssl://mqtt.example.org:8883", tlsOn()
			}
			res := provisionInto(t, cfg, registryOf(t, all[:5]))
			if len(res.Created) != 5 || len(res.Kept) != 0 {
				t.Fatalf("first run: %+v", res)
			}
			snapshot := func() map[string][]byte {
				files := map[string][]byte{}
				filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						files[strings.TrimPrefix(p, out+"/")] = readFile(t, p)
					}
					return nil
				})
				return files
			}
			first := snapshot()

			// Same registry, no flags: everything byte-identical, nothing written.
			res = provisionInto(t, Config{Out: out, Now: func() time.Time { return testNow.Add(time.Hour) }}, registryOf(t, all[:5]))
			if len(res.Kept) != 5 || res.FilesWritten != 0 || res.Broker != cfg.Broker || res.TLS != tls {
				t.Errorf("rerun: %+v; want 5 kept, no file written, the first run's broker and TLS", res)
			}
			if diff := diffFiles(first, snapshot()); diff != "" {
				t.Errorf("rerun changed files: %s", diff)
			}

			// A new facility: created; the others' files unchanged.
			res = provisionInto(t, Config{Out: out}, registryOf(t, all))
			if len(res.Created) != 1 || res.Created[0] != all[5].ID || len(res.Kept) != 5 {
				t.Errorf("add: %+v", res)
			}
			second := snapshot()
			for name, data := range first {
				if name != "broker/passwd" && name != StateFile && !bytes.Equal(second[name], data) {
					t.Errorf("adding a facility changed %s", name)
				}
			}
			if !bytes.HasPrefix(second["broker/passwd"], first["broker/passwd"]) {
				t.Error("adding a facility changed existing passwd lines")
			}

			// Rotate one: only its files, its passwd line (and the broker's
			// files that list it) change.
			victim := all[2].ID
			res = provisionInto(t, Config{Out: out, Rotate: victim}, registryOf(t, all))
			if len(res.Rotated) != 1 || res.Rotated[0] != victim || len(res.Kept) != 5 {
				t.Errorf("rotate: %+v", res)
			}
			third := snapshot()
			mayChange := map[string]bool{"broker/passwd": true, StateFile: true, "facilities/" + victim + "/agent.yaml": true,
				"facilities/" + victim + "/client.crt": tls, "facilities/" + victim + "/client.key": tls}
			for name, data := range second {
				if changed := !bytes.Equal(third[name], data); changed != mayChange[name] {
					t.Errorf("rotating %s: %s changed = %v, want %v", victim, name, changed, mayChange[name])
				}
			}
			before, after := readStateBytes(t, second), readStateBytes(t, third)
			for id, a := range before.Facilities {
				b := after.Facilities[id]
				if same := a.Password == b.Password && a.Cert == b.Cert; same == (id == victim) {
					t.Errorf("rotating %s: facility %s unchanged = %v", victim, id, same)
				}
			}

			// Remove one from the registry: out of passwd, folder kept.
			gone := all[0].ID
			res = provisionInto(t, Config{Out: out}, registryOf(t, all[1:]))
			if len(res.Removed) != 1 || res.Removed[0] != gone {
				t.Errorf("remove: %+v", res)
			}
			if strings.Contains(string(readFile(t, filepath.Join(out, "broker/passwd"))), "\n"+gone+":") {
				t.Errorf("%s is still in passwd", gone)
			}
			if _, err := os.Stat(filepath.Join(out, FacilitiesDir, gone, "agent.yaml")); err != nil {
				t.Errorf("folder of the removed facility: %v", err)
			}
		})
	}
}

func readStateBytes(t *testing.T, files map[string][]byte) *state {
	t.Helper()
	s, err := parseState(files[StateFile])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func diffFiles(a, b map[string][]byte) string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			d = append(d, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k+" (new)")
		}
	}
	return strings.Join(d, ", ")
}

func TestModes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	provisionInto(t, Config{Out: out, Broker: "ssl://10.0.0.5:8883", TLS: tlsOn()}, testRegistry(t, 3))
	secret := regexp.MustCompile(`(^|/)(provision-state\.json|passwd|acl|ca\.key|server\.key|client\.key|credentials\.env|agent\.yaml)$`)
	n := 0
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if st.Mode().Perm() != 0o700 {
				t.Errorf("folder %s: mode %o, want 700", p, st.Mode().Perm())
			}
		case secret.MatchString(p):
			n++
			if st.Mode().Perm() != 0o600 {
				t.Errorf("secret %s: mode %o, want 600", p, st.Mode().Perm())
			}
		case st.Mode().Perm()&0o022 != 0:
			t.Errorf("%s: mode %o is writable by others", p, st.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 2 + 1 + 1 + 1 + 1 + 3*2; n != want { // state, passwd+acl, ca.key, server.key, credentials.env, collector key, 3×(agent.yaml, client.key)
		t.Errorf("found %d secret files, want %d", n, want)
	}
}

func TestHandoverSheet(t *testing.T) {
	for _, tls := range []bool{false, true} {
		out := t.TempDir()
		cfg := Config{Out: out, Broker: "tcp://mqtt.example.org:1883"}
		if tls {
			cfg.Broker, cfg.TLS = "ssl://mqtt.example.org:8883", tlsOn()
		}
		reg := testRegistry(t, 4)
		provisionInto(t, cfg, reg)
		st := readState(t, out)
		for _, f := range reg.Facilities() {
			html := string(readFile(t, filepath.Join(out, FacilitiesDir, f.ID, "handover.html")))
			a := st.Facilities[f.ID]
			for _, want := range []string{f.ID, htmlEscape(f.Name), f.NameAr, f.Governorate, f.District, "@page", "size: A4", `dir="auto"`,
				"greenpulse-agent check-config", "/etc/greenpulse/agent.yaml", "Reporting", "-g greenpulse -m 640"} {
				if !strings.Contains(html, want) {
					t.Errorf("tls=%v: %s's sheet lacks %q", tls, f.ID, want)
				}
			}
			if tls && !strings.Contains(html, "client.key") {
				t.Errorf("%s's TLS sheet does not say where client.key goes", f.ID)
			}
			if strings.Contains(html, a.Password) || a.Key != "" && strings.Contains(html, pemBody(a.Key)) {
				t.Errorf("tls=%v: %s's sheet holds its password or key", tls, f.ID)
			}
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// pemBody is a line from the middle of a PEM block.
func pemBody(p string) string { return strings.Split(p, "\n")[1] }

// TestAgentConfigIsValid loads every generated agent.yaml with the agent's
// own loader, from the folder it is in (mqtt.tls paths are relative).
func TestAgentConfigIsValid(t *testing.T) {
	for _, tls := range []bool{false, true} {
		out := t.TempDir()
		cfg := Config{Out: out, Broker: "tcp://mqtt.example.org:1883"}
		if tls {
			cfg.Broker, cfg.TLS = "ssl://mqtt.example.org:8883", tlsOn()
		}
		reg := testRegistry(t, 2)
		provisionInto(t, cfg, reg)
		st := readState(t, out)
		for _, f := range reg.Facilities() {
			t.Run(f.ID, func(t *testing.T) {
				t.Setenv(agentconfig.EnvMQTTPassword, "")
				c, err := agentconfig.Load(filepath.Join(out, FacilitiesDir, f.ID, "agent.yaml"))
				if err != nil {
					t.Fatalf("agent config: %v", err)
				}
				if c.Facility != f.ID || c.MQTT.Username != f.ID || c.MQTT.Password != st.Facilities[f.ID].Password || c.MQTT.Broker != cfg.Broker || c.MQTT.TopicRoot != "greenpulse" {
					t.Errorf("config has facility %q, user %q, broker %q", c.Facility, c.MQTT.Username, c.MQTT.Broker)
				}
				if tls {
					if _, err := c.MQTT.TLS.Build(); err != nil {
						t.Errorf("TLS: %v", err)
					}
				}
			})
		}
	}
}

func TestErrors(t *testing.T) {
	reg := testRegistry(t, 2)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no out", Config{}, "--out"},
		{"bad broker", Config{Broker: "mqtt.example.org:1883"}, "--broker"},
		{"ws broker", Config{Broker: "ws://h:9001"}, `--broker: scheme "ws"`},
		{"tls with tcp", Config{Broker: "tcp://h:1883", TLS: tlsOn()}, "--broker: with --tls"},
		{"ssl without tls", Config{Broker: "ssl://h:8883"}, "add --tls"},
		{"bad root", Config{TopicRoot: "a/b"}, "--topic-root"},
		{"unknown rotate", Config{Rotate: "NO-SUCH-1"}, `--rotate: facility "NO-SUCH-1" is not in the registry`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "no out" {
				tc.cfg.Out = t.TempDir()
			}
			_, err := Run(tc.cfg, reg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestProvision2000 measures the target: 2,000 facilities in at most 30 s.
func TestProvision2000(t *testing.T) {
	if testing.Short() {
		t.Skip("provisions 2,000 facilities (skipped with -short)")
	}
	reg := testRegistry(t, 2000)
	for _, tls := range []bool{false, true} {
		out := t.TempDir()
		cfg := Config{Out: out, Broker: "tcp://mqtt.example.org:1883"}
		if tls {
			cfg.Broker, cfg.TLS = "ssl://mqtt.example.org:8883", tlsOn()
		}
		start := time.Now()
		res := provisionInto(t, cfg, reg)
		first := time.Since(start)
		start = time.Now()
		provisionInto(t, Config{Out: out}, reg)
		rerun := time.Since(start)
		t.Logf("tls=%v: 2000 facilities provisioned in %v (%d files), rerun in %v", tls, first.Round(time.Millisecond), res.FilesWritten, rerun.Round(time.Millisecond))
		if first > 30*time.Second {
			t.Errorf("tls=%v: %v, over the 30 s target", tls, first)
		}
	}
}

func FuzzParseState(f *testing.F) {
	out := f.TempDir()
	if _, err := Run(Config{Out: out, TLS: tlsOn(), Now: func() time.Time { return testNow }}, testRegistry(f, 2)); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(out, StateFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":1,"facilities":{}}`))
	f.Add([]byte(`{"format":1,"facilities":{"A":null}}`))
	f.Add([]byte(`{"format":1,"facilities":{"A":{"password":"AAAAAAAAAAAAAAAAAAAAAAAA","hash":"$7$1$AA==$AA=="}}}`))
	f.Add([]byte(`{"format":1,"collector":null,"facilities":null}`))
	// Times with an offset: "+00:00" parses as Local, saves as "Z".
	f.Add([]byte(`{"format":1,"server":{"created":"2026-12-02T10:00:00+00:00"},"facilities":{}}`))
	f.Add([]byte(`{"format":1,"server":{"created":"0000-01-01T00:30:00+01:00"},"facilities":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseState(data)
		if err != nil {
			return
		}
		// What parses must survive a save (saveState's encoding) and a
		// reload unchanged: a rerun relies on it.
		again, err := json.MarshalIndent(s, "", " ")
		if err != nil {
			t.Fatalf("a parsed state does not marshal: %v", err)
		}
		s2, err := parseState(again)
		if err != nil {
			t.Fatalf("a saved state does not parse: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip changed the state:\n%+v\n%+v", s, s2)
		}
	})
}

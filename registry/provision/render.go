package provision

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
	"github.com/greenpulse-health/greenpulse/registry"
)

//go:embed handover.html.tmpl
var templates embed.FS

var handoverTmpl = template.Must(template.ParseFS(templates, "handover.html.tmpl"))

// writer writes output files: atomically, and only when the content or
// the mode differs, so a rerun touches only what changed. It is safe for
// concurrent use.
type writer struct {
	mu      sync.Mutex
	written int
}

func (w *writer) write(path string, data []byte, perm os.FileMode) error {
	if st, err := os.Stat(path); err == nil && st.Mode().Perm() == perm {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			return nil
		}
	}
	if err := atomicfile.WritePerm(path, data, perm); err != nil {
		return err
	}
	w.mu.Lock()
	w.written++
	w.mu.Unlock()
	return nil
}

// mkdir creates dir 0700 and reports whether it existed; an existing
// folder's mode is left as it is (it may be shared on purpose).
func mkdir(dir string) (existed bool, err error) {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return true, fmt.Errorf("create folder %s: not a folder", dir)
		}
		return true, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("create folder %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return false, fmt.Errorf("create folder %s: %w", dir, err)
	}
	return false, nil
}

// ACL writes the broker's access control list for topic root: each agent
// writes only its facility's four streams and reads only its own alerts
// and month figures; the collector reads everything and writes
// rejections, alerts and figures.
func ACL(root string) string {
	return strings.ReplaceAll(`# Mosquitto ACL for GreenPulse, written by greenpulse-registry provision
# (see configs/mosquitto/acl.example for why each rule is there).
# Each agent logs in with its facility id; %u is the username. Mosquitto
# refuses a pattern match for usernames holding + # or /.
pattern write ROOT/%u/energy
pattern write ROOT/%u/solar
pattern write ROOT/%u/waste
pattern write ROOT/%u/status
pattern read ROOT/%u/alerts
pattern read ROOT/%u/figures

user greenpulse-collector
topic read ROOT/#
topic write ROOT/_rejected/#
topic write ROOT/+/alerts
topic write ROOT/+/figures
`, "ROOT", root)
}

func writeBroker(w *writer, out string, st *state, port string, fs []registry.Facility, authority *ca) error {
	dir := filepath.Join(out, BrokerDir)
	if _, err := mkdir(dir); err != nil {
		return err
	}
	var pw bytes.Buffer
	fmt.Fprintf(&pw, "%s:%s\n", CollectorUser, st.Collector.Hash)
	for _, f := range fs {
		fmt.Fprintf(&pw, "%s:%s\n", f.ID, st.Facilities[f.ID].Hash)
	}
	if err := w.write(filepath.Join(dir, "passwd"), pw.Bytes(), 0o600); err != nil {
		return err
	}
	if err := w.write(filepath.Join(dir, "acl"), []byte(ACL(st.TopicRoot)), 0o600); err != nil {
		return err
	}
	if authority != nil {
		for _, f := range []struct {
			name string
			data string
			perm os.FileMode
		}{{"ca.crt", string(authority.certPEM), 0o644}, {"server.crt", st.Server.Cert, 0o644}, {"server.key", st.Server.Key, 0o600}} {
			if err := w.write(filepath.Join(dir, f.name), []byte(f.data), f.perm); err != nil {
				return err
			}
		}
	}
	return w.write(filepath.Join(dir, BrokerConf), []byte(BrokerSnippet(BrokerInstallDir, port, authority != nil)), 0o644)
}

// BrokerSnippet is the Mosquitto configuration that uses the files of
// broker/ once installed in dir; with tls it adds the mutual-TLS listener
// on port (on all interfaces).
func BrokerSnippet(dir, port string, tls bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# GreenPulse broker access, written by greenpulse-registry provision.
# Install as /etc/mosquitto/conf.d/greenpulse.conf (Debian's mosquitto.conf
# has "include_dir /etc/mosquitto/conf.d"), with the files of this folder in
# %[1]s, owned by mosquitto, mode 600. Remove any allow_anonymous,
# password_file and acl_file lines from mosquitto.conf, then reload:
# systemctl reload mosquitto. Facilities log in with their facility id and
# the password in their agent.yaml; the ACL lets each write only its own
# streams and read only its own alerts and month figures.
allow_anonymous false
# Each client's id is its username, whatever id it sends: a facility cannot
# take over (and, with a clean session, wipe) the collector's or another
# agent's session by sending its client id. Not reloaded on SIGHUP:
# restart mosquitto after adding this line.
use_username_as_clientid true
password_file %[1]s/passwd
acl_file %[1]s/acl
`, dir)
	if tls {
		fmt.Fprintf(&b, `
# Mutual TLS: a client must show a certificate signed by the GreenPulse CA
# (ca/ca.crt) and log in with its password. Add an address after the port
# to listen on one interface only.
listener %[2]s
cafile %[1]s/ca.crt
certfile %[1]s/server.crt
keyfile %[1]s/server.key
require_certificate true
tls_version tlsv1.2
`, dir, port)
	}
	return b.String()
}

func writeCollector(w *writer, out string, st *state, authority *ca) error {
	dir := filepath.Join(out, CollectorDir)
	if _, err := mkdir(dir); err != nil {
		return err
	}
	env := fmt.Sprintf("# The collector's broker password (systemd EnvironmentFile). Secret: mode 600.\nGREENPULSE_MQTT_PASSWORD=%s\n", st.Collector.Password)
	if err := w.write(filepath.Join(dir, "credentials.env"), []byte(env), 0o600); err != nil {
		return err
	}
	var y strings.Builder
	fmt.Fprintf(&y, `# The mqtt section for the collector's config (collector.yaml): the
# username has no environment variable, so it goes in the file; the
# password comes from credentials.env (GREENPULSE_MQTT_PASSWORD).
mqtt:
  broker: %s
  username: %s
  topic_root: %s
`, st.Broker, CollectorUser, st.TopicRoot)
	if authority != nil {
		y.WriteString(`  # ca.crt, client.crt and client.key of this folder (client.key mode
  # 600), beside the collector's config: relative paths are the config
  # file's folder's.
  tls:
    ca_file: ca.crt
    cert_file: client.crt
    key_file: client.key
`)
		if err := writeTLSFiles(w, dir, authority, st.Collector); err != nil {
			return err
		}
	}
	return w.write(filepath.Join(dir, "collector.yaml"), []byte(y.String()), 0o644)
}

func writeTLSFiles(w *writer, dir string, authority *ca, a *account) error {
	if err := w.write(filepath.Join(dir, "ca.crt"), authority.certPEM, 0o644); err != nil {
		return err
	}
	if err := w.write(filepath.Join(dir, "client.crt"), []byte(a.Cert), 0o644); err != nil {
		return err
	}
	return w.write(filepath.Join(dir, "client.key"), []byte(a.Key), 0o600)
}

// AgentConfig returns a facility's agent.yaml.
func agentConfig(f registry.Facility, st *state, a *account, tls bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# GreenPulse agent configuration for %s, written by
# greenpulse-registry provision. SECRET: it holds this facility's broker
# password. Install as /etc/greenpulse/agent.yaml, owner root, group
# greenpulse, mode 640 (sudo install -o root -g greenpulse -m 640 agent.yaml
# /etc/greenpulse/), and never send it unencrypted. configs/agent.yaml documents every key; keys left out take
# their defaults.
facility: %s

http:
  # The waste entry page. To let phones on the LAN reach it, set
  # 0.0.0.0:8081 and a password (GREENPULSE_AGENT_PASSWORD, 8+ characters).
  listen: 127.0.0.1:8081

mqtt:
  broker: %s
  username: %s
  password: %s
  topic_root: %s
`, yamlComment(f.Name), f.ID, st.Broker, f.ID, a.Password, st.TopicRoot)
	if tls {
		b.WriteString(`  tls:
    # Installed beside this file, in /etc/greenpulse/ (client.key root,
    # group greenpulse, mode 640, as this file).
    ca_file: ca.crt
    cert_file: client.crt
    key_file: client.key
`)
	}
	b.WriteString(`
outbox:
  dir: /var/lib/greenpulse/outbox

sources:
  # A real site: no simulated meters. Staff enter waste hand-overs and meter
  # readings on the page; add Modbus devices as docs/modbus.md shows.
  simulate:
    enabled: false
  manual:
    enabled: true
`)
	return []byte(b.String())
}

// yamlComment keeps a name on one comment line.
func yamlComment(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// sheet is what handover.html.tmpl shows. It holds no secret.
type sheet struct {
	F                    registry.Facility
	GovName, GovNameAr   string
	DistName, DistNameAr string
	Broker, TopicRoot    string
	TLS                  bool
	NotAfter             time.Time
	Created              time.Time
}

func writeFacilities(w *writer, out string, st *state, fs []registry.Facility, authority *ca) error {
	root := filepath.Join(out, FacilitiesDir)
	if _, err := mkdir(root); err != nil {
		return err
	}
	govs := map[string]registry.Governorate{}
	for _, g := range registry.Governorates() {
		govs[g.Code] = g
	}
	dists := map[string]registry.District{}
	for _, d := range registry.Districts() {
		dists[d.Code] = d
	}
	// Files are fsynced one by one; a few writers at once let the file
	// system commit them together.
	jobs := make(chan registry.Facility)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(4, 2*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for f := range jobs {
				a := st.Facilities[f.ID]
				s := sheet{F: f, GovName: govs[f.Governorate].Name, GovNameAr: govs[f.Governorate].NameAr,
					DistName: dists[f.District].Name, DistNameAr: dists[f.District].NameAr,
					Broker: st.Broker, TopicRoot: st.TopicRoot, TLS: authority != nil, NotAfter: a.NotAfter, Created: a.Created}
				if err := writeFacility(w, filepath.Join(root, f.ID), f, st, a, authority, s); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, f := range fs {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func writeFacility(w *writer, dir string, f registry.Facility, st *state, a *account, authority *ca, s sheet) error {
	if _, err := mkdir(dir); err != nil {
		return err
	}
	if err := w.write(filepath.Join(dir, "agent.yaml"), agentConfig(f, st, a, authority != nil), 0o600); err != nil {
		return err
	}
	if authority != nil {
		if err := writeTLSFiles(w, dir, authority, a); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	if err := handoverTmpl.Execute(&b, s); err != nil {
		return fmt.Errorf("handover sheet of %s: %w", f.ID, err)
	}
	return w.write(filepath.Join(dir, "handover.html"), b.Bytes(), 0o644)
}

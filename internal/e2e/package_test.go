package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// The installed paths the packages promise (docs/packages.md).
const (
	pkgEtc       = "/etc/greenpulse"
	pkgData      = "/var/lib/greenpulse"
	pkgAgentConf = pkgEtc + "/agent.yaml"
	pkgCollConf  = pkgEtc + "/collector.yaml"
	pkgOutboxDB  = pkgData + "/outbox/outbox.db"
	pkgUnitDir   = "/lib/systemd/system"
	pkgWants     = "/etc/systemd/system/multi-user.target.wants"
)

var debPackages = []string{"greenpulse-agent", "greenpulse-collector"}

// leftovers are what a purge of both packages must remove: the folders,
// the enable links and the masks that removal leaves.
var leftovers = []string{pkgEtc, pkgData, pkgWants + "/greenpulse-agent.service", pkgWants + "/greenpulse-collector.service",
	"/etc/systemd/system/greenpulse-agent.service", "/etc/systemd/system/greenpulse-collector.service"}

// TestDebPackages builds the machine's .deb packages with
// scripts/package.sh (version 1.0.0, then 2.0.0), installs them with dpkg,
// checks the user, files, conffiles and units, runs the agent and the
// collector as their units would (user, groups, state directory, umask,
// the read-only file system, against a test broker and InfluxDB), upgrades
// and expects the edited configs and the outbox kept, then removes (data
// kept) and purges (all gone). It changes this machine, so it runs only as
// root, never where GreenPulse is already installed, and t.Cleanup purges
// whatever it installed even when it fails.
func TestDebPackages(t *testing.T) {
	testenv.RequireIntegration(t)
	if os.Geteuid() != 0 {
		t.Skip("installs .deb packages with dpkg: run as root")
	}
	for _, tool := range []string{"dpkg", "dpkg-query", "systemd-analyze", "setpriv", "unshare", "mount", "adduser"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Unavailable(t, "%s is not installed: %v", tool, err)
		}
	}
	arch := map[string]string{"amd64": "amd64", "arm64": "arm64"}[runtime.GOARCH]
	if arch == "" {
		t.Skipf("the collector is packaged for amd64 and arm64, not %s", runtime.GOARCH)
	}
	if left := alreadyHere(); left != "" {
		msg := left + " is already on this machine; the test would purge it"
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal(msg + " (a killed earlier run? dpkg -P greenpulse-agent greenpulse-collector)")
		}
		t.Skip(msg)
	}
	for _, find := range []func() (string, error){testenv.MosquittoPath, testenv.InfluxdPath} {
		if _, err := find(); err != nil {
			testenv.Unavailable(t, "%v", err)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	v1 := buildDebs(t, root, "1.0.0", arch)
	v2 := buildDebs(t, root, "2.0.0", arch)
	t.Logf("built both versions in %s", time.Since(started).Round(time.Second))

	t.Cleanup(func() { purgeEverything(t) })
	t.Logf("dpkg -i (version 1):\n%s", run(t, "dpkg", "-i", v1["greenpulse-agent"], v1["greenpulse-collector"]))

	// What the install made.
	u, err := user.Lookup("greenpulse")
	if err != nil {
		t.Fatalf("the greenpulse user: %v", err)
	}
	if u.HomeDir != pkgData {
		t.Errorf("greenpulse's home is %s, want %s", u.HomeDir, pkgData)
	}
	for _, c := range []struct {
		path       string
		mode       fs.FileMode
		owner, grp string
	}{
		{"/usr/bin/greenpulse-agent", 0o755, "root", "root"},
		{"/usr/bin/greenpulse-collector", 0o755, "root", "root"},
		{"/usr/bin/greenpulse-registry", 0o755, "root", "root"},
		{pkgUnitDir + "/greenpulse-agent.service", 0o644, "root", "root"},
		{pkgUnitDir + "/greenpulse-collector.service", 0o644, "root", "root"},
		{pkgEtc, fs.ModeDir | 0o750, "root", "greenpulse"},
		{pkgAgentConf, 0o640, "root", "greenpulse"},
		{pkgCollConf, 0o640, "root", "greenpulse"},
		{pkgData, fs.ModeDir | 0o750, "greenpulse", "greenpulse"},
		{"/usr/share/greenpulse/facilities.example.csv", 0o644, "root", "root"},
	} {
		checkOwner(t, c.path, c.mode, c.owner, c.grp)
	}
	// Enabled as debhelper does, though systemd is not running here.
	for _, p := range debPackages {
		if dst, err := os.Readlink(pkgWants + "/" + p + ".service"); err != nil || dst != pkgUnitDir+"/"+p+".service" {
			t.Errorf("%s is not enabled: %q, %v", p, dst, err)
		}
	}
	for pkg, conf := range map[string]string{"greenpulse-agent": pkgAgentConf, "greenpulse-collector": pkgCollConf} {
		if out := run(t, "dpkg-query", "-W", "-f=${Conffiles}", pkg); !strings.Contains(out, " "+conf+" ") {
			t.Errorf("%s's conffiles: want %s, got %q", pkg, conf, out)
		}
	}

	// systemd is not PID 1 here: verify loads the installed units offline
	// and checks their keys, user and ExecStart binary.
	agentUnit, collUnit := pkgUnitDir+"/greenpulse-agent.service", pkgUnitDir+"/greenpulse-collector.service"
	out, err := exec.Command("systemd-analyze", "verify", agentUnit, collUnit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "greenpulse") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	agent, coll := readUnit(t, agentUnit), readUnit(t, collUnit)
	for _, u := range []map[string]string{agent, coll} {
		for k, v := range map[string]string{"User": "greenpulse", "Group": "greenpulse", "StateDirectory": "greenpulse",
			"ProtectSystem": "strict", "NoNewPrivileges": "yes", "Restart": "on-failure", "PrivateTmp": "yes", "ProtectHome": "yes"} {
			if u[k] != v {
				t.Errorf("%s: %s=%q, want %q", u["ExecStart"], k, u[k], v)
			}
		}
	}
	if agent["SupplementaryGroups"] != "dialout" {
		t.Errorf("agent unit: SupplementaryGroups=%q, want dialout (Modbus RTU serial ports)", agent["SupplementaryGroups"])
	}

	// The sandbox is what the test claims: the unit's user and groups,
	// only the state directory writable.
	if out, err := asUnit(t, agent, []string{"id", "-nG"}).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "greenpulse dialout" {
		t.Errorf("id -nG as the agent's unit: %v: %q", err, out)
	}
	for path, writable := range map[string]bool{pkgData + "/probe": true, pkgEtc + "/probe": false, "/usr/probe": false} {
		out, err := asUnit(t, agent, []string{"touch", path}).CombinedOutput()
		if (err == nil) != writable {
			t.Errorf("touch %s as the agent's unit: %v %s, want writable = %v", path, err, out, writable)
		}
		os.Remove(path)
	}

	// The packaged agent config has no facility: the agent must say so.
	out, err = asUnit(t, agent, nil).CombinedOutput()
	t.Logf("the agent with the packaged config: %v: %s", err, out)
	if err == nil || !strings.Contains(string(out), "facility: required") {
		t.Errorf("the agent with the packaged config: want its facility error, got %v:\n%s", err, out)
	}

	// The collector with the packaged config, once the operator installed
	// the registry as docs/packages.md says.
	copyFile(t, "/usr/share/greenpulse/facilities.example.csv", pkgData+"/facilities.csv", 0o640)
	run(t, "chown", "greenpulse:greenpulse", pkgData+"/facilities.csv")
	out, err = asUnit(t, coll, []string{"/usr/bin/greenpulse-collector", "check-config", "--config", pkgCollConf}).CombinedOutput()
	t.Logf("greenpulse-collector check-config as its unit: %s", out)
	if err != nil || !strings.Contains(string(out), ": ok (registry") {
		t.Errorf("greenpulse-collector check-config as its unit: %v\n%s", err, out)
	}

	// A test broker and InfluxDB; the configs edited as an operator would.
	broker := testenv.StartMosquitto(t)
	influx := testenv.StartInfluxDB(t)
	collListen, agentListen := freeAddr(t), freeAddr(t)
	packaged, err := os.ReadFile(pkgCollConf)
	if err != nil {
		t.Fatal(err)
	}
	collConf := strings.NewReplacer("tcp://127.0.0.1:1883", broker.URL(), "http://127.0.0.1:8086", influx.URL(),
		"127.0.0.1:8080", collListen).Replace(string(packaged))
	// Written in place, as an editor does: owner and mode stay.
	writeFile(t, pkgCollConf, collConf)
	agentConf := fmt.Sprintf(`# Written by TestDebPackages.
facility: BG-H-001
http:
  listen: %s
mqtt:
  broker: %s
  topic_root: greenpulse
outbox:
  dir: %s/outbox
publish:
  status_interval: 2s
sources:
  simulate:
    enabled: true
    interval: 1s
    registry: /usr/share/greenpulse/facilities.example.csv
  manual:
    enabled: true
`, agentListen, broker.URL(), pkgData)
	writeFile(t, pkgAgentConf, agentConf)

	seen := teststack.Subscribe(t, broker.URL(), "greenpulse/BG-H-001/#")
	stopColl := startAsUnit(t, coll)
	teststack.WaitReady(t, collListen)
	stopAgent := startAsUnit(t, agent)
	waitMessage(t, seen, "a reading from the packaged agent on the broker", func(m teststack.Message) bool {
		return !strings.HasSuffix(m.Topic, "/status") && bytes.HasPrefix(m.Payload, []byte("["))
	})
	teststack.Eventually(t, 30*time.Second, "the agent's readings stored by the packaged collector", func() (bool, string) {
		n := teststack.CountPoints(t, influx.URL(), "energy", "kwh_total", "BG-H-001")
		return n > 0, fmt.Sprintf("%d points", n)
	})
	resp, err := http.Get("http://" + agentListen + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("agent /healthz: %s", resp.Status)
	}
	stopAgent()
	stopColl()
	checkOwner(t, pkgOutboxDB, 0o600, "greenpulse", "greenpulse")
	outbox, err := os.ReadFile(pkgOutboxDB)
	if err != nil {
		t.Fatal(err)
	}

	// Upgrade: the edited conffiles and the outbox stay.
	t.Logf("dpkg -i (version 2):\n%s", run(t, "dpkg", "-i", v2["greenpulse-agent"], v2["greenpulse-collector"]))
	for path, want := range map[string]string{pkgAgentConf: agentConf, pkgCollConf: collConf} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s after the upgrade: the operator's edit was not kept (%v)", path, err)
		}
		checkOwner(t, path, 0o640, "root", "greenpulse")
	}
	if got, err := os.ReadFile(pkgOutboxDB); err != nil || !bytes.Equal(got, outbox) {
		t.Errorf("%s changed or went during the upgrade (%v)", pkgOutboxDB, err)
	}
	if out := run(t, "/usr/bin/greenpulse-agent", "version"); !strings.Contains(out, "2.0.0") {
		t.Errorf("after the upgrade: %s", out)
	}
	// The new agent opens the kept outbox and reports its version.
	stopAgent = startAsUnit(t, agent)
	waitMessage(t, seen, "the upgraded agent's status", func(m teststack.Message) bool {
		return strings.HasSuffix(m.Topic, "/status") && bytes.Contains(m.Payload, []byte(`"version":"2.0.0"`))
	})
	stopAgent()

	// Remove keeps configuration and data; purge removes them.
	run(t, "dpkg", "-r", "greenpulse-agent", "greenpulse-collector")
	expectExist(t, "after dpkg -r", true, pkgAgentConf, pkgCollConf, pkgOutboxDB, pkgData+"/facilities.csv")
	expectExist(t, "after dpkg -r", false, "/usr/bin/greenpulse-agent", "/usr/bin/greenpulse-collector")
	if _, err := user.Lookup("greenpulse"); err != nil {
		t.Errorf("after dpkg -r: %v", err)
	}
	// The agent purged first: the collector (removed, config kept) still
	// has its files, the folders and the user.
	run(t, "dpkg", "-P", "greenpulse-agent")
	expectExist(t, "after dpkg -P greenpulse-agent", false, pkgAgentConf, pkgData+"/outbox")
	expectExist(t, "after dpkg -P greenpulse-agent", true, pkgCollConf, pkgData+"/facilities.csv")
	run(t, "dpkg", "-P", "greenpulse-collector")
	expectExist(t, "after purging both", false, leftovers...)
	if _, err := user.Lookup("greenpulse"); err == nil {
		t.Error("after purging both the greenpulse user is still there")
	}
	if _, err := user.LookupGroup("greenpulse"); err == nil {
		t.Error("after purging both the greenpulse group is still there")
	}
}

// alreadyHere names a GreenPulse package or user on this machine, or "".
func alreadyHere() string {
	for _, p := range debPackages {
		out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Status}", p).Output()
		if s := strings.TrimSpace(string(out)); s != "" && s != "not-installed" {
			return fmt.Sprintf("package %s (%s)", p, s)
		}
	}
	if _, err := user.Lookup("greenpulse"); err == nil {
		return "user greenpulse"
	}
	for _, p := range []string{pkgEtc, pkgData} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// buildDebs runs scripts/package.sh for one version and returns the
// packages' paths by name.
func buildDebs(t *testing.T, root, version, arch string) map[string]string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "package.sh"), "--version", version, "--arch", arch, "--out", out)
	cmd.Dir = root
	msg, err := cmd.CombinedOutput()
	t.Logf("scripts/package.sh --version %s --arch %s:\n%s", version, arch, msg)
	if err != nil {
		t.Fatalf("scripts/package.sh: %v", err)
	}
	debs := map[string]string{}
	for _, p := range debPackages {
		debs[p] = filepath.Join(out, fmt.Sprintf("%s_%s_%s.deb", p, version, arch))
		if _, err := os.Stat(debs[p]); err != nil {
			t.Fatalf("scripts/package.sh made no %s: %v", debs[p], err)
		}
	}
	return debs
}

// purgeEverything undoes the test on the machine: both packages purged,
// then whatever a failed purge left (folders, user, unit links) removed.
func purgeEverything(t *testing.T) {
	if out, err := exec.Command("dpkg", "-P", debPackages[0], debPackages[1]).CombinedOutput(); err != nil {
		t.Errorf("cleanup: dpkg -P: %v\n%s", err, out)
	}
	var left []string
	for _, p := range leftovers {
		if _, err := os.Lstat(p); err == nil {
			left = append(left, p)
			os.RemoveAll(p)
		}
	}
	if _, err := user.Lookup("greenpulse"); err == nil {
		left = append(left, "user greenpulse")
		exec.Command("userdel", "greenpulse").Run()
	}
	if _, err := user.LookupGroup("greenpulse"); err == nil {
		left = append(left, "group greenpulse")
		exec.Command("groupdel", "greenpulse").Run()
	}
	if len(left) > 0 {
		t.Errorf("cleanup: the purge left %s (removed now)", strings.Join(left, ", "))
	}
}

// readUnit returns the [Service] keys of a unit file (the last value of a
// key repeated).
func readUnit(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, section := map[string]string{}, ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = line
		} else if k, v, ok := strings.Cut(line, "="); ok && section == "[Service]" && !strings.HasPrefix(line, "#") {
			keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return keys
}

// sandbox is what asUnit does before it drops to the unit's user: a
// private mount namespace with what ProtectSystem=strict, StateDirectory,
// PrivateTmp and ProtectHome give (only the root file system is made
// read-only; systemd also covers its other mounts), the unit's umask, and
// setpriv for User, Group, SupplementaryGroups and NoNewPrivileges.
const sandbox = `set -e
state=$1 mask=$2 uid=$3 gid=$4 groups=$5
shift 5
mount --bind "$state" "$state"
mount -o remount,bind,ro /
mount -t tmpfs -o mode=1777 tmpfs /tmp
for d in /home /root /run/user; do
  if [ -d "$d" ]; then mount -t tmpfs -o mode=0700 tmpfs "$d"; fi
done
umask "$mask"
if [ -n "$groups" ]; then g="--groups=$groups"; else g=--clear-groups; fi
exec setpriv --reuid="$uid" --regid="$gid" "$g" --no-new-privs --inh-caps=-all -- "$@"
`

// asUnit returns the command the unit's ExecStart (or argv) would run,
// with the unit's user, groups and state directory and systemd's
// environment for it.
func asUnit(t *testing.T, unit map[string]string, argv []string) *exec.Cmd {
	t.Helper()
	if argv == nil {
		argv = strings.Fields(unit["ExecStart"])
	}
	if unit["ProtectSystem"] != "strict" || unit["StateDirectory"] == "" {
		t.Fatalf("the sandbox emulates ProtectSystem=strict with a StateDirectory; the unit has %q and %q",
			unit["ProtectSystem"], unit["StateDirectory"])
	}
	state := "/var/lib/" + unit["StateDirectory"]
	mask := unit["UMask"]
	if mask == "" {
		mask = "0022"
	}
	groups := strings.Join(strings.Fields(unit["SupplementaryGroups"]), ",")
	args := append([]string{"--mount", "--propagation", "private", "/bin/sh", "-c", sandbox, "sh",
		state, mask, unit["User"], unit["Group"], groups}, argv...)
	cmd := exec.Command("unshare", args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
		"HOME=" + state, "USER=" + unit["User"], "LOGNAME=" + unit["User"], "SHELL=/usr/sbin/nologin",
		"STATE_DIRECTORY=" + state}
	return cmd
}

// startAsUnit starts the unit's ExecStart as asUnit does and returns a
// stop that sends SIGTERM, as systemctl stop does, and expects a clean exit.
func startAsUnit(t *testing.T, unit map[string]string) (stop func()) {
	t.Helper()
	cmd := asUnit(t, unit, nil)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", unit["ExecStart"], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		// unshare, sh and setpriv exec: the pid is the service's.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v\n%s", unit["ExecStart"], err, buf.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("%s: not stopped 30 s after SIGTERM\n%s", unit["ExecStart"], buf.String())
		}
		if t.Failed() {
			t.Logf("%s logged:\n%s", unit["ExecStart"], buf.String())
		}
	}
	t.Cleanup(stop)
	return stop
}

// run runs a command and returns its output, failing the test on an error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkOwner expects path's type and permission bits, owner and group.
func checkOwner(t *testing.T, path string, mode fs.FileMode, owner, group string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Error(err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	o, g := strconv.Itoa(int(st.Uid)), strconv.Itoa(int(st.Gid))
	if u, err := user.LookupId(o); err == nil {
		o = u.Username
	}
	if gr, err := user.LookupGroupId(g); err == nil {
		g = gr.Name
	}
	got := fmt.Sprintf("%v %s:%s", fi.Mode().Type()|fi.Mode().Perm(), o, g)
	if want := fmt.Sprintf("%v %s:%s", mode, owner, group); got != want {
		t.Errorf("%s: %s, want %s", path, got, want)
	}
}

// expectExist expects each path to exist (want) or not, when.
func expectExist(t *testing.T, when string, want bool, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); (err == nil) != want {
			t.Errorf("%s: %s exists = %v, want %v (%v)", when, p, err == nil, want, err)
		}
	}
}

// waitMessage waits for a message on the broker that match accepts.
func waitMessage(t *testing.T, seen *teststack.Collected, what string, match func(teststack.Message) bool) {
	t.Helper()
	teststack.Eventually(t, 30*time.Second, what, func() (bool, string) {
		msgs := seen.Snapshot()
		for _, m := range msgs {
			if match(m) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d messages", len(msgs))
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

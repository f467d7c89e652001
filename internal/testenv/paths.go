package testenv

import (
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MosquittoPath finds the mosquitto binary: $GREENPULSE_MOSQUITTO, then
// PATH, then Debian's /usr/sbin/mosquitto (not on a normal user's PATH). It
// is safe for concurrent use.
func MosquittoPath() (string, error) {
	if p := os.Getenv("GREENPULSE_MOSQUITTO"); p != "" {
		return checkBinary("GREENPULSE_MOSQUITTO", p)
	}
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	if isExecutable("/usr/sbin/mosquitto") {
		return "/usr/sbin/mosquitto", nil
	}
	return "", fmt.Errorf("find mosquitto (looked at $GREENPULSE_MOSQUITTO, PATH, /usr/sbin/mosquitto): %w", ErrNotInstalled)
}

// InfluxdPath finds an InfluxDB 1.x influxd: $GREENPULSE_INFLUXD, then the
// cache that scripts/install-deps.sh fills ($GREENPULSE_CACHE/bin, then
// $HOME/.cache/greenpulse/bin), then PATH and GOPATH/bin. Binaries found on
// PATH or in GOPATH must say they are version 1.x, since an InfluxDB 2.x
// influxd there would not understand the 1.8 configuration. It is safe for
// concurrent use.
func InfluxdPath() (string, error) {
	if p := os.Getenv("GREENPULSE_INFLUXD"); p != "" {
		return checkBinary("GREENPULSE_INFLUXD", p)
	}
	cached := CachedBinaries("influxd")
	for _, p := range cached {
		if isExecutable(p) {
			return p, nil
		}
	}
	others := []string{}
	if p, err := exec.LookPath("influxd"); err == nil {
		others = append(others, p)
	}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		others = append(others, filepath.Join(gp, "bin", "influxd"))
	}
	var skipped []string
	for _, p := range others {
		if !isExecutable(p) {
			continue
		}
		out, err := exec.Command(p, "version").Output()
		if err == nil && strings.Contains(string(out), "InfluxDB v1.") {
			return p, nil
		}
		skipped = append(skipped, fmt.Sprintf("%s (%q)", p, strings.TrimSpace(string(out))))
	}
	if len(skipped) > 0 {
		return "", fmt.Errorf("find influxd 1.8: only found %s, which is not 1.x: %w", strings.Join(skipped, ", "), ErrNotInstalled)
	}
	return "", fmt.Errorf("find influxd 1.8 (looked at $GREENPULSE_INFLUXD, %s, PATH, GOPATH/bin): %w",
		strings.Join(cached, ", "), ErrNotInstalled)
}

// CachedBinaries returns where scripts/install-deps.sh puts the binary
// name, in the order to look: $GREENPULSE_CACHE/bin, then
// $HOME/.cache/greenpulse/bin.
func CachedBinaries(name string) []string {
	var paths []string
	if c := os.Getenv("GREENPULSE_CACHE"); c != "" {
		paths = append(paths, filepath.Join(c, "bin", name))
	}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".cache", "greenpulse", "bin", name))
	}
	return paths
}

func checkBinary(env, p string) (string, error) {
	if !isExecutable(p) {
		return "", fmt.Errorf("%s=%s: not an executable file", env, p)
	}
	return p, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode().Perm()&0o111 != 0
}

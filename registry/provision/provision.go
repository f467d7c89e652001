// Package provision makes everything needed to connect a registry's
// facilities to the broker: for each facility an agent configuration with
// its own broker login and a printable handover sheet; for the broker a
// Mosquitto 2.0 password file (hashed here, in Mosquitto's own format), the
// per-facility ACL and a configuration snippet; for the collector its
// credentials; and with TLS a private CA with a certificate per client
// (mutual TLS).
//
// Layout of the output folder (folders it creates 0700, secret files 0600):
//
//	provision-state.json        every secret made; the one file to back up
//	ca/ca.key, ca/ca.crt        the private CA (TLS only; never remade)
//	broker/passwd, broker/acl, broker/mosquitto-greenpulse.conf
//	broker/ca.crt, server.crt, server.key   (TLS only)
//	collector/credentials.env, collector/collector.yaml (+ TLS files)
//	facilities/<id>/agent.yaml, handover.html (+ TLS files)
//
// Run is idempotent: secrets and certificates already in the state are
// kept, new facilities get new ones, and a facility no longer in the
// registry leaves the password file (its folder and state stay). Nothing
// here writes a secret to a log or an error.
package provision

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
)

// CollectorUser is the collector's broker username, as in
// configs/mosquitto/acl.example.
const CollectorUser = "greenpulse-collector"

// Names of the files under the output folder.
const (
	StateFile     = "provision-state.json"
	CADir         = "ca"
	BrokerDir     = "broker"
	CollectorDir  = "collector"
	FacilitiesDir = "facilities"
	BrokerConf    = "mosquitto-greenpulse.conf"
	// BrokerInstallDir is where docs/provisioning.md has the operator
	// install broker/; the configuration snippet names files there.
	BrokerInstallDir = "/etc/mosquitto/greenpulse"
)

// Config says what to provision. Empty Broker and TopicRoot and a nil TLS
// keep what the previous run used (from the state), else the defaults.
type Config struct {
	Out       string // output folder (required)
	Broker    string // URL facilities reach the broker at
	TopicRoot string
	TLS       *bool
	// Rotate is a facility id (or CollectorUser) whose password, and
	// client certificate with TLS, is replaced.
	Rotate string
	// Fresh starts over: the state is ignored and every password, key and
	// certificate is made new (an existing CA in ca/ is kept; without one a
	// new CA is made). Without it, a folder that has broker/passwd or
	// facilities/ but no state (or a state without accounts), or TLS
	// accounts without ca/ca.crt and ca/ca.key, is an error.
	Fresh bool
	// Now is the clock for certificates and the state (default time.Now).
	Now func() time.Time
}

// Result says what Run did. It holds no secret.
type Result struct {
	Out       string
	Broker    string
	TopicRoot string
	TLS       bool
	// Created, Kept and Rotated are facility ids; Removed are ids in the
	// state but not in the registry, left out of the password file.
	Created, Kept, Rotated, Removed []string
	// CollectorRotated is set when Rotate was CollectorUser.
	CollectorRotated bool
	// CACreated is set when this run made the CA.
	CACreated bool
	// Renewed lists accounts (facility ids, CollectorUser) whose
	// certificate a rerun reissued because it expired within 30 days.
	Renewed []string
	// FilesWritten counts files written because they were new or changed.
	FilesWritten int
	// Warnings are for the operator (stderr); they hold no secret.
	Warnings []string
}

// Validate checks the configuration before any file is touched.
func (c Config) Validate() error {
	if c.Out == "" {
		return errors.New("--out: required: the folder to write into")
	}
	if c.TopicRoot != "" && !registry.IsID(c.TopicRoot) {
		return fmt.Errorf("--topic-root: %q must be 1-64 letters, digits, '_' or '-'", c.TopicRoot)
	}
	if c.Broker != "" {
		if _, _, _, err := parseBroker(c.Broker); err != nil {
			return err
		}
	}
	return nil
}

// parseBroker splits a broker URL into scheme, host and port. It refuses
// a user or password, a query and a fragment; its errors never quote a URL
// that holds an '@' (it may hold a password).
func parseBroker(raw string) (scheme, host, port string, err error) {
	if strings.Contains(raw, "@") {
		return "", "", "", errors.New("--broker: the URL holds a user or password (user:password@): remove it; every agent logs in with its own facility login from agent.yaml")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Path != "" && u.Path != "/" {
		return "", "", "", fmt.Errorf("--broker: want a URL such as tcp://mqtt.example.org:1883 or ssl://mqtt.example.org:8883, got %q", raw)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", "", "", fmt.Errorf("--broker: %q has a query or fragment (?… #…): want only scheme://host:port", raw)
	}
	scheme, host, port = u.Scheme, u.Hostname(), u.Port()
	switch scheme {
	case "tcp", "mqtt":
		if port == "" {
			port = "1883"
		}
	case "ssl", "tls", "mqtts":
		if port == "" {
			port = "8883"
		}
	default:
		return "", "", "", fmt.Errorf("--broker: scheme %q is not one of tcp, mqtt, ssl, tls, mqtts", scheme)
	}
	return scheme, host, port, nil
}

func isTLSScheme(s string) bool { return s == "ssl" || s == "tls" || s == "mqtts" }

// Run provisions every facility of reg into cfg.Out. It is not safe to run
// twice at once on one folder.
func Run(cfg Config, reg *registry.Registry) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	t := now().UTC().Truncate(time.Second)
	facilities := reg.Facilities()
	for _, f := range facilities {
		if f.ID == "_rejected" || f.ID == CollectorUser {
			return nil, fmt.Errorf("registry: facility id %q is reserved for the collector: rename the facility", f.ID)
		}
	}
	if cfg.Rotate != "" && cfg.Rotate != CollectorUser {
		if _, ok := reg.Lookup(cfg.Rotate); !ok {
			return nil, fmt.Errorf("--rotate: facility %q is not in the registry", cfg.Rotate)
		}
	}

	var warnings []string
	if existed, err := mkdir(cfg.Out); err != nil {
		return nil, err
	} else if existed {
		if fi, err := os.Stat(cfg.Out); err == nil && fi.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("warning: --out %s has mode %o: others may read it, and it holds every secret (chmod 700 it; it was left as it is)", cfg.Out, fi.Mode().Perm()))
		}
	}
	statePath := filepath.Join(cfg.Out, StateFile)
	st, _, err := loadState(statePath)
	if cfg.Fresh {
		// Start over: keep the previous run's settings (when the state is
		// readable), drop every account.
		if err != nil {
			st = emptyState()
		}
		st.Collector, st.Server, st.Facilities = nil, nil, map[string]*account{}
	} else {
		if err != nil {
			return nil, err
		}
		if st.Collector == nil && len(st.Facilities) == 0 {
			for _, p := range []string{filepath.Join(BrokerDir, "passwd"), FacilitiesDir} {
				if _, err := os.Lstat(filepath.Join(cfg.Out, p)); err == nil {
					return nil, fmt.Errorf("state %s is missing or holds no account, but %s exists: a run would replace every password and overwrite every agent.yaml. Restore %s from the backup, or pass --fresh to start over deliberately (replaces every secret; every facility then needs its new folder)",
						statePath, filepath.Join(cfg.Out, p), StateFile)
				}
			}
		}
	}
	// Flags override what the last run used.
	if cfg.Broker != "" {
		st.Broker = cfg.Broker
	}
	if cfg.TLS != nil {
		st.TLS = *cfg.TLS
	}
	if st.Broker == "" {
		st.Broker = "tcp://127.0.0.1:1883"
		if st.TLS {
			st.Broker = "ssl://127.0.0.1:8883"
		}
	}
	if cfg.TopicRoot != "" {
		st.TopicRoot = cfg.TopicRoot
	}
	if st.TopicRoot == "" {
		st.TopicRoot = "greenpulse"
	}
	scheme, host, port, err := parseBroker(st.Broker)
	if err != nil {
		return nil, err
	}
	if st.TLS != isTLSScheme(scheme) {
		if st.TLS {
			return nil, fmt.Errorf("--broker: with --tls want an ssl:// URL such as ssl://%s:8883, got %q", host, st.Broker)
		}
		return nil, fmt.Errorf("--broker: %q is a TLS URL: add --tls, or use tcp://", st.Broker)
	}

	res := &Result{Out: cfg.Out, Broker: st.Broker, TopicRoot: st.TopicRoot, TLS: st.TLS}
	var authority *ca
	if st.TLS {
		if authority, res.CACreated, err = loadOrCreateCA(cfg.Out, t, st.hasCert()); err != nil {
			return nil, err
		}
	}

	// Secrets first, saved before any file that uses them: a crash then
	// leaves files that a rerun rewrites from the state.
	ensure := func(name string, a **account, rotate bool) (created, rotated, renewed bool, err error) {
		if *a == nil {
			*a = &account{Created: t}
			created = true
		}
		acct := *a
		if created || rotate {
			pw, err := newPassword()
			if err != nil {
				return false, false, false, err
			}
			h, err := HashPassword(pw)
			if err != nil {
				return false, false, false, err
			}
			acct.Password, acct.Hash = pw, h
			if !created {
				acct.Rotated, rotated = t, true
			}
		}
		if authority != nil {
			renewed, err = ensureCert(authority, acct, name, "", created || rotate, t)
		}
		return created, rotated, renewed, err
	}
	if _, rotated, renewed, err := ensure(CollectorUser, &st.Collector, cfg.Rotate == CollectorUser); err != nil {
		return nil, err
	} else {
		res.CollectorRotated = rotated
		if renewed {
			res.Renewed = append(res.Renewed, CollectorUser)
		}
	}
	inRegistry := make(map[string]bool, len(facilities))
	for _, f := range facilities {
		inRegistry[f.ID] = true
		a := st.Facilities[f.ID]
		created, rotated, renewed, err := ensure(f.ID, &a, cfg.Rotate == f.ID)
		if err != nil {
			return nil, err
		}
		st.Facilities[f.ID] = a
		switch {
		case created:
			res.Created = append(res.Created, f.ID)
		case rotated:
			res.Rotated = append(res.Rotated, f.ID)
		default:
			res.Kept = append(res.Kept, f.ID)
		}
		if renewed && !created && !rotated {
			res.Renewed = append(res.Renewed, f.ID)
		}
	}
	for id := range st.Facilities {
		if !inRegistry[id] {
			res.Removed = append(res.Removed, id)
		}
	}
	slices.Sort(res.Removed)
	if authority != nil {
		if st.Server == nil {
			st.Server = &account{Created: t}
		}
		if st.Server.Host != host {
			st.Server.Cert = "" // a new host needs a new certificate
		}
		if _, err := ensureCert(authority, st.Server, host, host, false, t); err != nil {
			return nil, err
		}
		st.Server.Host = host
	}
	if err := saveState(statePath, st); err != nil {
		return nil, fmt.Errorf("save state: %w", err)
	}

	w := &writer{}
	if err := writeBroker(w, cfg.Out, st, port, facilities, authority); err != nil {
		return nil, err
	}
	if err := writeCollector(w, cfg.Out, st, authority); err != nil {
		return nil, err
	}
	if err := writeFacilities(w, cfg.Out, st, facilities, authority); err != nil {
		return nil, err
	}
	res.FilesWritten = w.written
	res.Warnings = warnings
	return res, nil
}

// ensureCert gives acct a certificate signed by authority when it has
// none, when force is set, or when it expires within renewBefore. It
// reports whether it replaced an existing one.
func ensureCert(authority *ca, acct *account, cn, host string, force bool, now time.Time) (bool, error) {
	had := acct.Cert != ""
	if had && !force {
		c, err := parseCert([]byte(acct.Cert))
		if err != nil {
			return false, fmt.Errorf("certificate of %q in the state: %w", cn, err)
		}
		if c.NotAfter.Sub(now) > renewBefore && c.CheckSignatureFrom(authority.cert) == nil {
			return false, nil
		}
	}
	certPEM, keyPEM, c, err := authority.issue(cn, host, now)
	if err != nil {
		return false, err
	}
	acct.Cert, acct.Key = string(certPEM), string(keyPEM)
	acct.Serial, acct.NotAfter = c.SerialNumber.Text(16), c.NotAfter.UTC()
	return had && !force, nil
}

// loadOrCreateCA reads ca/ca.crt and ca/ca.key, or makes them when neither
// exists and no account holds a certificate (issued set). One without the
// other, or neither while accounts hold certificates, is an error: a CA is
// never remade once facilities hold certificates it signed.
func loadOrCreateCA(out string, now time.Time, issued bool) (*ca, bool, error) {
	dir := filepath.Join(out, CADir)
	certPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	switch {
	case cerr == nil && kerr == nil:
		c, err := parseCA(certPEM, keyPEM)
		if err != nil {
			return nil, false, fmt.Errorf("CA %s, %s: %w", certPath, keyPath, err)
		}
		return c, false, nil
	case errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist):
		if issued {
			return nil, false, fmt.Errorf("CA: %s and %s are missing, but the state holds certificates it signed: restore %s from the backup (with the state file), or pass --fresh to start over (replaces every secret)", certPath, keyPath, dir)
		}
	case cerr != nil && !errors.Is(cerr, os.ErrNotExist):
		return nil, false, fmt.Errorf("read CA certificate: %w", cerr)
	case kerr != nil && !errors.Is(kerr, os.ErrNotExist):
		return nil, false, fmt.Errorf("read CA key: %w", kerr)
	default:
		return nil, false, fmt.Errorf("CA: only one of %s and %s exists: restore the other from the backup (the CA is never remade)", certPath, keyPath)
	}
	c, keyPEM, err := newCA(now)
	if err != nil {
		return nil, false, err
	}
	if _, err := mkdir(dir); err != nil {
		return nil, false, err
	}
	w := &writer{}
	if err := w.write(keyPath, keyPEM, 0o600); err != nil {
		return nil, false, err
	}
	if err := w.write(certPath, c.certPEM, 0o644); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

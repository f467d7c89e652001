package config

import (
	"crypto/tls"
	"net"
	"net/netip"
	"time"
)

// Access modes (access.mode).
const (
	// AccessUsers lets in only signed-in users, tokens and the admin token.
	AccessUsers = "users"
	// AccessPublic is AccessUsers, and shows national and governorate
	// aggregates to anyone.
	AccessPublic = "public"
	// AccessOpen shows everything to anyone who reaches the port, as a
	// national planner; allowed only on a loopback address.
	AccessOpen = "open"
)

// Access configures who may read the dashboard and API (collector/access).
type Access struct {
	Mode string `yaml:"mode"`
	// UsersFile is the users file that `greenpulse-collector user …`
	// edits, relative to the config file.
	UsersFile    string `yaml:"users_file"`
	SessionHours int    `yaml:"session_hours"`
	// SecureCookies marks the session cookie Secure over plain HTTP too,
	// for a TLS-terminating proxy in front of the collector.
	SecureCookies bool `yaml:"secure_cookies"`
	// LoginAttempts is how many failed sign-ins one user name or one
	// client address may have in LoginWindow before it must wait.
	LoginAttempts int           `yaml:"login_attempts"`
	LoginWindow   time.Duration `yaml:"login_window"`
	Proxy         AccessProxy   `yaml:"proxy"`
}

// AccessProxy trusts an authenticating reverse proxy (a ministry's SSO)
// to name the user in a header.
type AccessProxy struct {
	Header  string   `yaml:"header"`
	Trusted []string `yaml:"trusted"`
}

// DefaultAccess is sign-in required, users in users.json.
func DefaultAccess() Access {
	return Access{Mode: AccessUsers, UsersFile: "users.json", SessionHours: 12, LoginAttempts: 5, LoginWindow: 15 * time.Minute}
}

// TrustedPrefixes parses proxy.trusted; Validate has checked it.
func (p AccessProxy) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range p.Trusted {
		if pfx, err := parseTrusted(s); err == nil {
			out = append(out, pfx)
		}
	}
	return out
}

// parseTrusted reads one proxy.trusted entry: a CIDR, or one address.
func parseTrusted(s string) (netip.Prefix, error) {
	if pfx, err := netip.ParsePrefix(s); err == nil {
		return pfx.Masked(), nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

func (c Config) validateAccess(bad func(key, format string, args ...any)) {
	a := c.Access
	switch a.Mode {
	case AccessUsers, AccessPublic:
	case AccessOpen:
		host, _, _ := net.SplitHostPort(c.HTTP.Listen)
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			bad("access.mode", "open shows every facility to anyone who reaches the port: allowed only when http.listen is a loopback address, not %q; use users or public", c.HTTP.Listen)
		}
	default:
		bad("access.mode", "%q is not one of users, public, open", a.Mode)
	}
	if a.UsersFile == "" && a.Mode != AccessOpen {
		bad("access.users_file", "required: the users file that greenpulse-collector user add writes")
	}
	if a.SessionHours < 1 || a.SessionHours > 24*31 {
		bad("access.session_hours", "must be 1 to 744, got %d", a.SessionHours)
	}
	if a.LoginAttempts < 1 {
		bad("access.login_attempts", "must be at least 1, got %d", a.LoginAttempts)
	}
	if a.LoginWindow < time.Minute {
		bad("access.login_window", "must be at least 1m, got %s", a.LoginWindow)
	}
	if a.Proxy.Header != "" && len(a.Proxy.Trusted) == 0 {
		bad("access.proxy.trusted", "required with access.proxy.header: the addresses the proxy connects from; anyone else could send the header")
	}
	for i, s := range a.Proxy.Trusted {
		if _, err := parseTrusted(s); err != nil {
			bad("access.proxy.trusted", "[%d] %q: want an address or CIDR such as 127.0.0.1/32", i, s)
		}
	}
	if (c.HTTP.TLSCertFile == "") != (c.HTTP.TLSKeyFile == "") {
		bad("http.tls_cert_file", "set both http.tls_cert_file and http.tls_key_file, or neither")
	} else if c.HTTP.TLSCertFile != "" {
		if _, err := tls.LoadX509KeyPair(c.HTTP.TLSCertFile, c.HTTP.TLSKeyFile); err != nil {
			bad("http.tls_cert_file", "with http.tls_key_file: %v", err)
		}
	}
}

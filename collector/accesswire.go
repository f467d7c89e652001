package collector

import (
	"log/slog"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/access"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/registry"
)

// NewGuard builds the access guard of cfg's access section over the
// registry's areas.
func NewGuard(cfg config.Config, reg *registry.Registry, m *access.Metrics, log *slog.Logger) (*access.Guard, error) {
	a := cfg.Access
	return access.New(access.Options{
		Mode:          a.Mode,
		UsersFile:     a.UsersFile,
		SessionTTL:    time.Duration(a.SessionHours) * time.Hour,
		SecureCookies: a.SecureCookies,
		LoginAttempts: a.LoginAttempts,
		LoginWindow:   a.LoginWindow,
		ProxyHeader:   a.Proxy.Header,
		ProxyTrusted:  a.Proxy.TrustedPrefixes(),
		AdminToken:    cfg.HTTP.AdminToken,
		Country:       cfg.Rollup.Country,
	}, reg, m, log.With("part", "access"))
}

// Package mqtttls holds the TLS settings of an MQTT connection, shared by
// the agent's and the collector's configuration so that both read the same
// keys the same way.
package mqtttls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Config is the mqtt.tls section: an encrypted broker connection (brokers at
// ssl://, tls:// or mqtts://), optionally with a client certificate.
type Config struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Validate checks the files exist, naming each key under prefix (such as
// "mqtt.tls").
func (c Config) Validate(prefix string) error {
	var errs []error
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s: cert_file and key_file go together", prefix))
	}
	for key, file := range map[string]string{"ca_file": c.CAFile, "cert_file": c.CertFile, "key_file": c.KeyFile} {
		if file != "" {
			if _, err := os.Stat(file); err != nil {
				errs = append(errs, fmt.Errorf("%s.%s: %w", prefix, key, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Build returns the TLS client configuration, or nil when none is set.
func (c Config) Build() (*tls.Config, error) {
	if c.CAFile == "" && c.CertFile == "" && !c.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} // #nosec G402 -- opt-in, documented as never for production
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.tls.ca_file %s: no PEM certificates found", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load mqtt.tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

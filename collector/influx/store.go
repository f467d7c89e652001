// Package influx writes readings to InfluxDB and prepares its buckets. It
// talks to InfluxDB 2.x and to 1.8 with its /api/v2 compatibility endpoints,
// detecting which at start.
package influx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	apihttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/greenpulse-health/greenpulse/collector/config"
)

// Store writes line protocol to the raw bucket. It is safe for concurrent use.
type Store struct {
	cfg    config.InfluxDB
	client influxdb2.Client
	writeI api.WriteAPIBlocking // the indicator bucket
	query  api.QueryAPI
	raw    *writer // the raw bucket's writes, the hot path
	http   *http.Client
	log    *slog.Logger
}

// New returns a store for cfg. It does no I/O: Bootstrap checks the server.
func New(cfg config.InfluxDB, log *slog.Logger) *Store {
	opts := influxdb2.DefaultOptions().
		SetHTTPRequestTimeout(uint(cfg.Timeout.Seconds())).
		SetPrecision(time.Nanosecond)
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	return &Store{
		cfg:    cfg,
		client: client,
		writeI: client.WriteAPIBlocking(cfg.Org, cfg.IndicatorBucket),
		query:  client.QueryAPI(cfg.Org),
		raw:    newWriter(cfg.URL, cfg.Org, cfg.Bucket, cfg.Token, &http.Client{Timeout: cfg.Timeout, Transport: writeTransport()}),
		http:   &http.Client{Timeout: cfg.Timeout},
		log:    log,
	}
}

// WriteIndicators writes line protocol to the indicator bucket.
func (s *Store) WriteIndicators(ctx context.Context, lineProtocol []byte) error {
	if err := s.writeI.WriteRecord(ctx, string(lineProtocol)); err != nil {
		return fmt.Errorf("write indicators to %s: %w", s.cfg.IndicatorBucket, err)
	}
	return nil
}

// Query runs a Flux query. The caller iterates and closes the result.
func (s *Store) Query(ctx context.Context, flux string) (*api.QueryTableResult, error) {
	res, err := s.query.Query(ctx, flux)
	if err != nil {
		return nil, fmt.Errorf("flux query: %w", err)
	}
	return res, nil
}

// Buckets returns the raw and indicator bucket names.
func (s *Store) Buckets() (raw, indicators string) { return s.cfg.Bucket, s.cfg.IndicatorBucket }

// Close releases the client's connections.
func (s *Store) Close() {
	s.client.Close()
	s.raw.http.CloseIdleConnections()
}

// Write sends one batch of line protocol in a single request; it does not
// retry, so that the caller decides how long to wait and what to acknowledge.
func (s *Store) Write(ctx context.Context, lineProtocol []byte) error {
	if err := s.raw.write(ctx, lineProtocol); err != nil {
		return fmt.Errorf("write to influxdb bucket %q: %w", s.cfg.Bucket, err)
	}
	return nil
}

// WriteError is an HTTP error answer to a write.
type WriteError struct {
	Status  int
	Message string
}

func (e *WriteError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// IsPermanent reports whether retrying the same batch cannot succeed: the
// server parsed it and refused its content (a field type conflict, say, after
// InfluxDB stored the rest of the batch). Authentication errors, a missing
// bucket and overload are not permanent: an operator can fix those and the
// batch then goes through.
func IsPermanent(err error) bool {
	var werr *WriteError
	if !errors.As(err, &werr) {
		return false
	}
	return werr.Status == http.StatusBadRequest || werr.Status == http.StatusRequestEntityTooLarge ||
		werr.Status == http.StatusUnprocessableEntity
}

// Ping checks that the server answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.version(ctx)
	return err
}

// version asks /ping for the server's version header. Both 1.8 and 2.x
// answer /ping without authentication.
func (s *Store) version(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.cfg.URL, "/")+"/ping", nil)
	if err != nil {
		return "", fmt.Errorf("ping influxdb at %s: %w", s.cfg.URL, err)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("influxdb at %s is unreachable (check influxdb.url): %w", s.cfg.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ping influxdb at %s: HTTP %d (is this InfluxDB?)", s.cfg.URL, resp.StatusCode)
	}
	return resp.Header.Get("X-Influxdb-Version"), nil
}

// Bootstrap detects the server and, when configured to, creates the raw and
// indicator buckets (1.8: databases) that are missing. A wrong URL or token
// gives an error that says which.
func (s *Store) Bootstrap(ctx context.Context) error {
	v, err := s.version(ctx)
	if err != nil {
		return err
	}
	v2, err := s.isV2(ctx)
	if err != nil {
		return err
	}
	s.log.Info("influxdb detected", "url", s.cfg.URL, "version", v, "api_v2_native", v2)
	buckets := []string{s.cfg.Bucket, s.cfg.IndicatorBucket}
	if v2 {
		return s.createBuckets(ctx, buckets)
	}
	for _, b := range buckets {
		if err := s.createDatabase(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// isV2 tells InfluxDB 2.x from 1.8: both serve /api/v2/write and /api/v2/query,
// but only 2.x has the organisations API. The version header cannot tell:
// a 1.8 built with go install reports "unknown".
func (s *Store) isV2(ctx context.Context) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.cfg.URL, "/")+"/api/v2/orgs?limit=1", nil)
	if err != nil {
		return false, fmt.Errorf("probe influxdb api: %w", err)
	}
	if s.cfg.Token != "" {
		req.Header.Set("Authorization", "Token "+s.cfg.Token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("probe influxdb api at %s: %w", s.cfg.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	switch resp.StatusCode {
	case http.StatusNotFound:
		return false, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return false, fmt.Errorf("influxdb at %s refused the token (set influxdb.token or %s): HTTP %d", s.cfg.URL, config.EnvInfluxToken, resp.StatusCode)
	}
	return true, nil
}

// createDatabase runs CREATE DATABASE, which is a no-op when it exists. On
// 1.8 the token is "user:password", or empty with authentication off.
func (s *Store) createDatabase(ctx context.Context, bucket string) error {
	db, _, _ := strings.Cut(bucket, "/")
	if !s.cfg.CreateBuckets {
		return nil
	}
	form := url.Values{"q": {fmt.Sprintf("CREATE DATABASE %q", db)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.URL, "/")+"/query",
		strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("create database %q: %w", db, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(s.cfg.Token, ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("create database %q: %w", db, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("create database %q: influxdb refused the credentials (set influxdb.token to user:password or %s): HTTP %d", db, config.EnvInfluxToken, resp.StatusCode)
	case resp.StatusCode/100 != 2 || strings.Contains(string(body), `"error"`):
		return fmt.Errorf("create database %q: HTTP %d: %s", db, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	s.log.Info("influxdb database ready", "database", db)
	return nil
}

func (s *Store) createBuckets(ctx context.Context, buckets []string) error {
	org, err := s.client.OrganizationsAPI().FindOrganizationByName(ctx, s.cfg.Org)
	if err != nil {
		return fmt.Errorf("find influxdb org %q: %w", s.cfg.Org, explain(err))
	}
	for _, name := range buckets {
		_, err := s.client.BucketsAPI().FindBucketByName(ctx, name)
		if err == nil {
			continue
		}
		if !s.cfg.CreateBuckets {
			return fmt.Errorf("influxdb bucket %q: %w (create it, or set influxdb.create_buckets)", name, explain(err))
		}
		if _, err := s.client.BucketsAPI().CreateBucketWithName(ctx, org, name); err != nil {
			return fmt.Errorf("create influxdb bucket %q: %w", name, explain(err))
		}
		s.log.Info("influxdb bucket created", "bucket", name, "org", s.cfg.Org)
	}
	return nil
}

// explain turns an authorization failure into an instruction.
func explain(err error) error {
	var herr *apihttp.Error
	if errors.As(err, &herr) && (herr.StatusCode == http.StatusUnauthorized || herr.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("influxdb refused the token (set influxdb.token or %s): %w", config.EnvInfluxToken, err)
	}
	return err
}

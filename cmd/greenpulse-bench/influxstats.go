package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// influxCounter reads InfluxDB's own count of points it accepted over
// HTTP (SHOW STATS, module httpd, pointsWrittenOK). It is how completion is
// counted for every consumer alike: neither the collector's nor Telegraf's
// metrics are trusted to say what reached the database.
type influxCounter struct {
	url    string
	client *http.Client
}

func newInfluxCounter(influxURL string) *influxCounter {
	return &influxCounter{url: influxURL, client: &http.Client{Timeout: 10 * time.Second}}
}

// influxSeries is one series of an InfluxQL answer.
type influxSeries struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Values  [][]any  `json:"values"`
}

// query runs the InfluxQL q (on db, when not empty) and returns every
// series of the answer.
func (c *influxCounter) query(ctx context.Context, db, q string) ([]influxSeries, error) {
	params := url.Values{"q": {q}}
	if db != "" {
		params.Set("db", db)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/query?"+params.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer resp.Body.Close()
	var answer struct {
		Results []struct {
			Error  string         `json:"error"`
			Series []influxSeries `json:"series"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("%s: answer: %w", q, err)
	}
	var series []influxSeries
	for _, r := range answer.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("%s on %q: %s", q, db, r.Error)
		}
		series = append(series, r.Series...)
	}
	return series, nil
}

// pointsWrittenOK sums pointsWrittenOK over InfluxDB's HTTP listeners.
func (c *influxCounter) pointsWrittenOK(ctx context.Context) (int64, error) {
	series, err := c.query(ctx, "", "SHOW STATS")
	if err != nil {
		return 0, err
	}
	var total int64
	found := false
	for _, s := range series {
		if s.Name != "httpd" {
			continue
		}
		if i := slices.Index(s.Columns, "pointsWrittenOK"); i >= 0 {
			for _, row := range s.Values {
				if n, ok := row[i].(float64); ok {
					total += int64(n)
					found = true
				}
			}
		}
	}
	if !found {
		return 0, fmt.Errorf("SHOW STATS has no httpd pointsWrittenOK")
	}
	return total, nil
}

// waitFor polls until InfluxDB has accepted want points more than from,
// and returns when it first saw that; it gives up at deadline.
func (c *influxCounter) waitFor(ctx context.Context, from, want int64, deadline time.Time) (time.Time, error) {
	var seen int64
	for {
		n, err := c.pointsWrittenOK(ctx)
		now := time.Now()
		if err == nil {
			seen = n - from
			if seen >= want {
				return now, nil
			}
		}
		if now.After(deadline) || ctx.Err() != nil {
			return now, fmt.Errorf("InfluxDB accepted %d of %d points (last error: %v)", seen, want, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until the count has not changed for quiet, and returns it.
func (c *influxCounter) settle(ctx context.Context, quiet time.Duration) (int64, error) {
	last, err := c.pointsWrittenOK(ctx)
	if err != nil {
		return 0, err
	}
	since := time.Now()
	for time.Since(since) < quiet {
		time.Sleep(50 * time.Millisecond)
		n, err := c.pointsWrittenOK(ctx)
		if err != nil {
			return 0, err
		}
		if n != last {
			last, since = n, time.Now()
		}
	}
	return last, nil
}

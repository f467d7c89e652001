package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
)

type rollupOptions struct {
	facilities []int
	days       []int
	queries    int
}

// benchRollup measures the roll-up against its own InfluxDB: for each
// registry size, readings every 5 minutes from two energy meters and one
// inverter per facility and ten waste events a day, then the time to roll
// up one day and the longest day count, and the latency of a national
// monthly indicator query.
func benchRollup(ctx context.Context, o rollupOptions, out io.Writer) error {
	dir, err := os.MkdirTemp("", "greenpulse-bench-rollup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := startInfluxDB(ctx, filepath.Join(dir, "influxdb"))
	if err != nil {
		return err
	}
	defer db.Stop()
	loc := time.FixedZone("Asia/Baghdad", 3*3600)
	maxDays := 0
	for _, d := range o.days {
		maxDays = max(maxDays, d)
	}
	end := time.Now().In(loc)
	end = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
	start := end.AddDate(0, 0, -maxDays)
	fmt.Fprintf(out, "machine: %s; InfluxDB 1.8.10; readings every 5 min (2 meters + 1 inverter) and 10 waste events a day per facility\n", cpuModel())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, n := range o.facilities {
		cfg := config.Default().InfluxDB
		cfg.URL = db.URL()
		cfg.Bucket = fmt.Sprintf("bench%d", n)
		cfg.IndicatorBucket = fmt.Sprintf("bench%d_indicators", n)
		cfg.Timeout = 30 * time.Minute
		store := influx.New(cfg, log)
		if err := store.Bootstrap(ctx); err != nil {
			return err
		}
		reg, err := registry.Parse(strings.NewReader(registryCSV(registry.Synthesize(n, 1))), "synthetic")
		if err != nil {
			return err
		}
		t0 := time.Now()
		points, err := writeSynthetic(ctx, db.URL(), cfg.Bucket, reg.Facilities(), start, end)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%5d facilities: wrote %d points (%d days) in %s\n", n, points, maxDays, time.Since(t0).Round(time.Second))
		r := rollup.New(store, reg, rollup.Options{Params: indicators.DefaultParams(), Location: loc, Country: "IQ"}, log)
		for _, days := range o.days {
			from := end.AddDate(0, 0, -days)
			t1 := time.Now()
			var periods int
			for _, p := range indicators.Periods(indicators.Day, from, end, loc) {
				if _, err := r.Period(ctx, p); err != nil {
					return err
				}
				periods++
			}
			took := time.Since(t1)
			fmt.Fprintf(out, "      roll-up of %2d day(s): %s (%.2f s per day, %.1f ms per facility-day)\n",
				days, took.Round(time.Millisecond), took.Seconds()/float64(periods), 1000*took.Seconds()/float64(periods*n))
		}
		mres, err := r.Period(ctx, indicators.PeriodOf(indicators.Month, start, loc))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "      month %s: %d points, %d facilities reporting\n", mres.Period.Start.Format("2006-01"), mres.Points, mres.Reporting)
		var lat []time.Duration
		month := indicators.PeriodOf(indicators.Month, start, loc)
		for range o.queries {
			t2 := time.Now()
			rows, err := rollup.Read(ctx, store, rollup.Query{Level: "national", Period: indicators.Month, From: month.Start, To: month.End})
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return fmt.Errorf("national monthly query returned nothing")
			}
			lat = append(lat, time.Since(t2))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Fprintf(out, "      national monthly query (%d runs): median %s, p95 %s\n", len(lat),
			lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*95/100].Round(100*time.Microsecond))
		store.Close()
	}
	return nil
}

func registryCSV(fs []registry.Facility) string {
	var b strings.Builder
	if err := registry.WriteCSV(&b, fs); err != nil {
		panic(err)
	}
	return b.String()
}

// writeSynthetic writes the benchmark's readings in parallel batches.
func writeSynthetic(ctx context.Context, url, db string, fs []registry.Facility, start, end time.Time) (int, error) {
	jobs := make(chan registry.Facility)
	var mu sync.Mutex
	var total int
	var firstErr error
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Minute}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			flush := func() error {
				if buf.Len() == 0 {
					return nil
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/write?db="+db+"&precision=s", bytes.NewReader(buf.Bytes()))
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					return fmt.Errorf("write: %s: %s", resp.Status, body)
				}
				buf.Reset()
				return nil
			}
			for f := range jobs {
				n := facilityLines(&buf, f, start, end)
				err := flush()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				total += n
				mu.Unlock()
			}
		}()
	}
	for _, f := range fs {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return total, firstErr
}

var wasteKinds = [][2]string{{"general", "landfill"}, {"general", "offsite"}, {"infectious", "autoclave"},
	{"sharps", "incineration"}, {"pathological", "incineration"}, {"pharmaceutical", "offsite"}}

// facilityLines appends one facility's readings: counters that grow by a
// random amount each 5 minutes, a grid that is down about a quarter of the
// time, and ten waste events a day.
func facilityLines(b *bytes.Buffer, f registry.Facility, start, end time.Time) int {
	rng := rand.New(rand.NewPCG(uint64(len(f.ID)), uint64(f.Lat*1e6)))
	grid, gen, fuel, pv := 1e5*rng.Float64(), 1e4*rng.Float64(), 1e4*rng.Float64(), 1e5*rng.Float64()
	n := 0
	gridUp := true
	for t := start; t.Before(end); t = t.Add(5 * time.Minute) {
		ts := strconv.FormatInt(t.Unix(), 10)
		if rng.IntN(24) == 0 {
			gridUp = !gridUp
		}
		if gridUp {
			grid += 5 * rng.Float64()
		} else {
			gen += 4 * rng.Float64()
			fuel += 1.2 * rng.Float64()
		}
		pv += 3 * rng.Float64()
		fmt.Fprintf(b, "energy,facility=%s,meter=main,source=grid kwh_total=%.3f,available=%t %s\n", f.ID, grid, gridUp, ts)
		fmt.Fprintf(b, "energy,facility=%s,meter=gen1,source=generator kwh_total=%.3f,fuel_l_total=%.3f,available=%t %s\n", f.ID, gen, fuel, !gridUp, ts)
		fmt.Fprintf(b, "solar,facility=%s,inverter=main kwh_total=%.3f %s\n", f.ID, pv, ts)
		n += 3
		if t.Hour() >= 8 && t.Hour() < 18 && t.Minute() == 0 {
			k := wasteKinds[rng.IntN(len(wasteKinds))]
			fmt.Fprintf(b, "waste,facility=%s,category=%s,treatment=%s mass_kg=%.2f,stored_hours=%.1f %s\n",
				f.ID, k[0], k[1], 1+20*rng.Float64(), 48*rng.Float64(), ts)
			n++
		}
	}
	return n
}

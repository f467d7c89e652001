package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

type dashboardOptions struct {
	url         string
	facilities  int
	days        int
	runs        int
	screenshots string
	date        string
	agentURL    string
	agentPass   string
	views       string
	event       string
}

func runDashboardBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	var o dashboardOptions
	fs.StringVar(&o.url, "url", "", "a running collector to measure (e.g. the demo's http://127.0.0.1:8080); empty: start one with synthetic facilities")
	fs.IntVar(&o.facilities, "facilities", 2000, "synthetic facilities, when no --url")
	fs.IntVar(&o.days, "days", 1, "days of synthetic readings (5-minute data), rolled up, when no --url")
	fs.IntVar(&o.runs, "runs", 10, "page loads of the national view to time")
	fs.StringVar(&o.screenshots, "screenshots", "", "save a PNG of every view into this folder")
	fs.StringVar(&o.date, "date", "", "month (YYYY-MM) to show; empty: the month with data")
	fs.StringVar(&o.agentURL, "agent-url", "", "with --screenshots: also the waste entry page of this agent (e.g. the demo's http://127.0.0.1:8081), on a phone-sized screen")
	fs.StringVar(&o.agentPass, "agent-password", os.Getenv("GREENPULSE_AGENT_PASSWORD"), "the agent page's password")
	fs.StringVar(&o.views, "views", "national,events", "views to time: national (and its largest governorate), events")
	fs.StringVar(&o.event, "event", "", "event the Events view shows; empty: the one over the most facilities (without --url: one over every synthetic facility)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "greenpulse-bench-dashboard-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.url == "" {
		url, month, stopCollector, err := syntheticCollector(ctx, o, dir, out)
		if err != nil {
			return err
		}
		defer stopCollector()
		o.url = url
		if o.date == "" {
			o.date = month
		}
	}
	if o.date == "" {
		var areas struct{ Timezone string }
		if err := getJSON(ctx, o.url+"/api/v1/areas", &areas); err != nil {
			return err
		}
		loc, err := time.LoadLocation(areas.Timezone)
		if err != nil {
			return fmt.Errorf("the collector's timezone %q: %w", areas.Timezone, err)
		}
		o.date = time.Now().In(loc).Format("2006-01")
	}
	b, err := browser.Start(ctx, filepath.Join(dir, "chromium"), 1400, 900)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := awaitEvents(ctx, o.url, out); err != nil {
		return err
	}
	for _, v := range strings.Split(o.views, ",") {
		switch strings.TrimSpace(v) {
		case "national":
			err = timeNational(ctx, b, o, out)
		case "events":
			err = timeEvents(ctx, b, o, out)
		default:
			err = fmt.Errorf("--views: %q is neither national nor events", v)
		}
		if err != nil {
			return err
		}
	}
	if o.screenshots != "" {
		return screenshots(ctx, b, o, out)
	}
	return nil
}

// timeNational loads the national view runs times. The first load is cold
// (nothing cached); the others reuse the browser's cache of the vendored
// files, as a planner's second visit does. The time is the page's own
// performance.now() when the view marks itself drawn: navigation start to
// tiles, table, map with every facility and the trend chart on screen.
func timeNational(ctx context.Context, b *browser.Browser, o dashboardOptions, out io.Writer) error {
	page := o.url + "/#/national?period=month&date=" + o.date + "&ind=renewable_share_pct&lang=en"
	var warm []float64
	for i := range o.runs {
		v, err := loadTime(b, page, "national")
		if err != nil {
			return err
		}
		if errs := b.ConsoleErrors(); len(errs) > 0 {
			return fmt.Errorf("the national view logged errors: %s", strings.Join(errs, "; "))
		}
		if i == 0 {
			markers, _ := browser.Eval[string](b, 10*time.Second, `document.getElementById('map')?.dataset.markers ?? '0'`)
			rows, _ := browser.Eval[int](b, 10*time.Second, `document.querySelectorAll('#governorates tbody tr').length`)
			fmt.Fprintf(out, "national view, %s, month %s: cold load %.0f ms (%d governorate rows, %s facilities on the map)\n", o.url, o.date, v, rows, markers)
			printSlowRequests(b, out)
			continue
		}
		warm = append(warm, v)
	}
	if len(warm) > 0 {
		median, p95 := percentiles(warm)
		fmt.Fprintf(out, "national view, %d warm loads: median %.0f ms, p95 %.0f ms (target ≤ 1500 ms)\n", len(warm), median, p95)
	}
	// The drill-down of the governorate with the most facilities.
	gov, err := largestGovernorate(ctx, o.url)
	if err != nil {
		return err
	}
	page = o.url + "/#/area/governorate/" + gov + "?period=month&date=" + o.date + "&ind=renewable_share_pct&lang=en"
	var times []float64
	for range 3 {
		v, err := loadTime(b, page, "area")
		if err != nil {
			return err
		}
		times = append(times, v)
	}
	slices.Sort(times)
	fmt.Fprintf(out, "governorate view (%s), 3 loads: median %.0f ms, max %.0f ms; the last load's slow requests:\n", gov, times[1], times[2])
	printSlowRequests(b, out)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		return fmt.Errorf("the governorate view logged errors: %s", strings.Join(errs, "; "))
	}
	return nil
}

// screenshots saves each view, in English and the national one in Arabic.
func screenshots(ctx context.Context, b *browser.Browser, o dashboardOptions, out io.Writer) error {
	facility, governorate, district, err := showcase(ctx, o.url)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.screenshots, 0o755); err != nil {
		return err
	}
	q := "?period=month&date=" + o.date
	shots := []struct{ name, view, path string }{
		{"national", "national", "#/national" + q + "&ind=renewable_share_pct&lang=en"},
		{"national-ar", "national", "#/national" + q + "&ind=safely_treated_pct&lang=ar"},
		{"governorate", "area", "#/area/governorate/" + governorate + q + "&ind=grid_availability_pct&lang=en"},
		{"district", "area", "#/area/district/" + district + q + "&ind=renewable_share_pct&lang=en"},
		{"facility", "facility", "#/facility/" + facility + q + "&ind=renewable_share_pct&lang=en"},
		{"energy", "energy", "#/energy" + q + "&ind=renewable_share_pct&lang=en"},
		{"waste", "waste", "#/waste" + q + "&ind=safely_treated_pct&lang=en"},
		{"reporting", "reporting", "#/reporting" + q + "&ind=reporting_pct&lang=en"},
	}
	for _, s := range shots {
		if err := b.Do(time.Minute, chromedp.Navigate("about:blank"), chromedp.Navigate(o.url+"/"+s.path), browser.WaitReady(s.view)); err != nil {
			return fmt.Errorf("screenshot %s: %w", s.name, err)
		}
		png, err := b.Screenshot(30 * time.Second)
		if err != nil {
			return err
		}
		path := filepath.Join(o.screenshots, s.name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "screenshot %s (%d KB)\n", path, len(png)/1024)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		return fmt.Errorf("views logged errors: %s", strings.Join(errs, "; "))
	}
	if o.agentURL != "" {
		return agentScreenshots(b, o, out)
	}
	return nil
}

// agentScreenshots logs in to an agent's waste entry page on a phone-sized
// screen and saves it in each language.
func agentScreenshots(b *browser.Browser, o dashboardOptions, out io.Writer) error {
	if err := b.Do(time.Minute, chromedp.EmulateViewport(412, 915, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(o.agentURL+"/")); err != nil {
		return fmt.Errorf("open %s: %w", o.agentURL, err)
	}
	login, err := browser.Eval[bool](b, 10*time.Second, `document.getElementById("login-form") !== null`)
	if err != nil {
		return err
	}
	if login {
		if err := b.Do(30*time.Second, chromedp.SendKeys(chromedp.ID("password"), o.agentPass), chromedp.Click(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("waste-form"))); err != nil {
			return fmt.Errorf("log in to %s (--agent-password): %w", o.agentURL, err)
		}
	}
	for _, lang := range []string{"", "-ar"} {
		if err := waitReadyMark(b); err != nil {
			return err
		}
		if err := agentScreenshot(b, filepath.Join(o.screenshots, "agent-waste"+lang+".png"), out); err != nil {
			return err
		}
		// The meter readings form, below the waste form, where the agent has one.
		if ok, _ := browser.Eval[bool](b, 5*time.Second, `document.getElementById("meter-form") !== null`); ok {
			if err := b.Do(30*time.Second, chromedp.ScrollIntoView(chromedp.ID("meter-form"))); err != nil {
				return err
			}
			if err := agentScreenshot(b, filepath.Join(o.screenshots, "agent-meter"+lang+".png"), out); err != nil {
				return err
			}
			if _, err := browser.Eval[bool](b, 5*time.Second, `window.scrollTo(0, 0), true`); err != nil {
				return err
			}
		}
		// The page's language switch, where it has one.
		if ok, _ := browser.Eval[bool](b, 5*time.Second, `document.getElementById("lang") !== null`); !ok {
			break
		}
		before, err := browser.Eval[string](b, 5*time.Second, `document.documentElement.lang`)
		if err != nil {
			return err
		}
		if err := b.Do(30*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
			return err
		}
		if err := b.WaitFor(20*time.Second, fmt.Sprintf(`document.documentElement.lang !== %q`, before)); err != nil {
			return fmt.Errorf("the waste page's language switch: %w", err)
		}
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		return fmt.Errorf("the waste page logged errors: %s", strings.Join(errs, "; "))
	}
	return nil
}

// agentScreenshot saves what the browser shows to path.
func agentScreenshot(b *browser.Browser, path string, out io.Writer) error {
	png, err := b.Screenshot(30 * time.Second)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "screenshot %s (%d KB)\n", path, len(png)/1024)
	return nil
}

func waitReadyMark(b *browser.Browser) error {
	return b.WaitFor(20*time.Second, `document.body?.dataset.ready === "1"`)
}

// largestGovernorate is the governorate with the most facilities.
func largestGovernorate(ctx context.Context, url string) (string, error) {
	var fs []struct{ Governorate string }
	if err := getJSON(ctx, url+"/api/v1/facilities", &fs); err != nil {
		return "", err
	}
	count := map[string]int{}
	best := ""
	for _, f := range fs {
		count[f.Governorate]++
		if best == "" || count[f.Governorate] > count[best] {
			best = f.Governorate
		}
	}
	if best == "" {
		return "", errors.New("the registry is empty")
	}
	return best, nil
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// showcase picks what the screenshots show: the largest hospital with
// solar, its governorate and district.
func showcase(ctx context.Context, url string) (facility, governorate, district string, err error) {
	var fs []struct {
		ID, Type, Governorate, District string
		Beds                            int
		PVkWp                           float64 `json:"pv_kwp"`
	}
	if err := getJSON(ctx, url+"/api/v1/facilities", &fs); err != nil {
		return "", "", "", err
	}
	best := -1
	for i, f := range fs {
		if f.Type == "hospital" && f.PVkWp > 0 && (best < 0 || f.Beds > fs[best].Beds) {
			best = i
		}
	}
	if best < 0 {
		return "", "", "", errors.New("no hospital with solar in the registry")
	}
	return fs[best].ID, fs[best].Governorate, fs[best].District, nil
}

// syntheticCollector starts InfluxDB, a broker and a collector serving n
// synthetic facilities, with days of readings rolled up into indicators.
func syntheticCollector(ctx context.Context, o dashboardOptions, dir string, out io.Writer) (url, month string, stop func(), err error) {
	db, err := startInfluxDB(ctx, filepath.Join(dir, "influxdb"))
	if err != nil {
		return "", "", nil, err
	}
	broker, err := startBroker(ctx, filepath.Join(dir, "mosquitto"))
	if err != nil {
		_ = db.Stop()
		return "", "", nil, err
	}
	stops := []func(){func() { _ = db.Stop() }, func() { _ = broker.Stop() }}
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	regPath := filepath.Join(dir, "facilities.csv")
	if err := os.WriteFile(regPath, []byte(registryCSV(registry.Synthesize(o.facilities, 1))), 0o644); err != nil {
		return "", "", nil, err
	}
	reg, err := registry.Load(regPath)
	if err != nil {
		return "", "", nil, err
	}
	cfg := config.Default()
	cfg.Log.Level = "warn"
	cfg.Registry = regPath
	cfg.InfluxDB.URL = db.URL()
	cfg.InfluxDB.Timeout = 30 * time.Minute
	cfg.MQTT.Broker = broker.URL()
	cfg.Rollup.Enabled = false
	cfg.Alerts.Enabled = false // its state file would land in the working folder
	// The browser reads as anyone on this loopback port: the benchmark
	// measures drawing, not signing in.
	cfg.Access.Mode = config.AccessOpen
	port, err := testenv.FreePort()
	if err != nil {
		return "", "", nil, err
	}
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(cfg.InfluxDB, log)
	defer store.Close()
	if err := store.Bootstrap(ctx); err != nil {
		return "", "", nil, err
	}
	loc := time.FixedZone("Asia/Baghdad", 3*3600)
	now := time.Now().In(loc)
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	start := end.AddDate(0, 0, -o.days)
	t0 := time.Now()
	points, err := writeSynthetic(ctx, db.URL(), cfg.InfluxDB.Bucket, reg.Facilities(), start, end)
	if err != nil {
		return "", "", nil, err
	}
	r := rollup.New(store, reg, rollup.Options{Params: indicators.DefaultParams(), Location: loc, Country: "IQ"}, log)
	if _, err := r.Range(ctx, start, end); err != nil {
		return "", "", nil, err
	}
	fmt.Fprintf(out, "%d synthetic facilities: %d points over %d day(s) written and rolled up in %s\n", o.facilities, points, o.days, time.Since(t0).Round(time.Second))
	// An event over every facility, ending the day before the readings,
	// its days and baseline weeks written as the roll-up stores them.
	ev := benchEvent(reg, events.DateOf(start, loc).AddDays(-1))
	cfg.Events.List = []config.Event{{Event: ev}}
	t0 = time.Now()
	n, err := writeEventPoints(ctx, store, reg.Facilities(), ev, cfg.Events.BaselineWeeks, loc)
	if err != nil {
		return "", "", nil, err
	}
	fmt.Fprintf(out, "event %s over %d facilities, %d days after %d baseline weeks: %d indicator points written in %s\n",
		ev.ID, len(ev.Facilities(reg)), len(ev.Days()), cfg.Events.BaselineWeeks, n, time.Since(t0).Round(time.Second))

	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- collector.Run(cctx, cfg, "bench", log) }()
	stops = append(stops, func() { cancel(); <-done })
	url = "http://" + cfg.HTTP.Listen
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done: // the collector gave up: say why
			done <- err // for the stop function
			return "", "", nil, fmt.Errorf("collector: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			return "", "", nil, fmt.Errorf("collector on %s not ready after 30 s", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return url, start.Format("2006-01"), stop, nil
}

// loadTime loads page afresh and returns the page's own milliseconds from
// navigation start until view marked itself drawn.
func loadTime(b *browser.Browser, page, view string) (float64, error) {
	if err := b.Do(time.Minute, chromedp.Navigate("about:blank"), chromedp.Navigate(page), browser.WaitReady(view)); err != nil {
		return 0, fmt.Errorf("load %s: %w", page, err)
	}
	ms, err := browser.Eval[string](b, 10*time.Second, `document.body.dataset.readyMs`)
	if err != nil {
		return 0, err
	}
	var v float64
	if _, err := fmt.Sscan(ms, &v); err != nil {
		return 0, fmt.Errorf("readyMs %q: %w", ms, err)
	}
	return v, nil
}

// printSlowRequests lists the page's requests that took over 50 ms, as
// start+duration, to show where a load's time went.
func printSlowRequests(b *browser.Browser, out io.Writer) {
	slow, _ := browser.Eval[[]string](b, 10*time.Second, `performance.getEntriesByType('resource').filter((e) => e.duration > 50)
		.map((e) => Math.round(e.startTime) + '+' + Math.round(e.duration) + ' ms ' + e.name.replace(location.origin, ''))`)
	for _, s := range slow {
		fmt.Fprintf(out, "    %s\n", s)
	}
}

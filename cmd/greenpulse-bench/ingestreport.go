package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
)

// cpuUse is CPU seconds by process: consumer, influxd, mosquitto and load
// (the bench itself: the load generator, and the bare subscriber in its
// run).
type cpuUse map[string]float64

// cpuMeter reports the CPU time each process used since it was made, so
// that the figures show where a 2-core machine's time goes.
type cpuMeter struct {
	pids  map[string]int
	start map[string]float64
}

func newCPUMeter(pids map[string]int) *cpuMeter {
	c := &cpuMeter{pids: pids, start: map[string]float64{}}
	for name, pid := range pids {
		c.start[name] = cpuSeconds(pid)
	}
	return c
}

func (c *cpuMeter) since() cpuUse {
	u := cpuUse{}
	for name, pid := range c.pids {
		u[name] = cpuSeconds(pid) - c.start[name]
	}
	return u
}

// cpuSeconds reads utime+stime from /proc/<pid>/stat (clock ticks of 1/100 s
// on Linux).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name, which may hold spaces.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return "unknown CPU"
}

// thousands writes n with comma separators, as the docs' tables do.
func thousands(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func printCell(out io.Writer, r cellResult, o ingestOptions) {
	n := o.messages
	if r.perMessage > 1 {
		n = o.batchedMessages
	}
	fmt.Fprintf(out, "\nround %d: %s, %d reading(s) a message, %d messages\n", r.round, r.format, r.perMessage, n)
	fmt.Fprintf(out, "  %-16s %11s %8s   %-36s %9s\n", "", "readings/s", "of bare", "CPU s: consumer influxd mosquitto load", "peak RSS")
	row := func(name string, x runResult, consumer bool) {
		share, rss, own := "", "", "-"
		if consumer {
			share = fmt.Sprintf("%.0f %%", 100*x.rate/r.bare.rate)
			rss = fmt.Sprintf("%.1f MB", float64(x.peakRSS)/1e6)
			own = fmt.Sprintf("%.1f", x.cpu["consumer"])
		}
		fmt.Fprintf(out, "  %-16s %11s %8s   %15s %7.1f %9.1f %4.1f %9s", name, thousands(x.rate), share,
			own, x.cpu["influxd"], x.cpu["mosquitto"], x.cpu["load"], rss)
		fmt.Fprintln(out)
	}
	row("bare subscriber", r.bare, false)
	row("GreenPulse", r.greenpulse, true)
	if o.telegraf != "" {
		row("Telegraf", r.telegraf, true)
		fmt.Fprintf(out, "  GreenPulse : Telegraf %.2fx\n", r.greenpulse.rate/r.telegraf.rate)
	}
}

// printSummary gives each cell's range over the rounds and checks the
// targets run by run.
func printSummary(out io.Writer, results []cellResult, o ingestOptions) {
	fmt.Fprintf(out, "\nsummary over %d round(s), readings/s (min-max):\n", o.rounds)
	var cells []cell
	for _, r := range results {
		if !slices.Contains(cells, r.cell) {
			cells = append(cells, r.cell)
		}
	}
	var rssGP, rssTG []float64
	for _, c := range cells {
		var bare, gp, tg, vsTG, vsBare []float64
		for _, r := range results {
			if r.cell != c {
				continue
			}
			bare = append(bare, r.bare.rate)
			gp = append(gp, r.greenpulse.rate)
			vsBare = append(vsBare, 100*r.greenpulse.rate/r.bare.rate)
			rssGP = append(rssGP, float64(r.greenpulse.peakRSS)/1e6)
			if o.telegraf != "" {
				tg = append(tg, r.telegraf.rate)
				vsTG = append(vsTG, r.greenpulse.rate/r.telegraf.rate)
				rssTG = append(rssTG, float64(r.telegraf.peakRSS)/1e6)
			}
		}
		fmt.Fprintf(out, "  %-22s bare %s, GreenPulse %s", c.String()+":", span(bare, thousands), span(gp, thousands))
		if o.telegraf != "" {
			fmt.Fprintf(out, ", Telegraf %s", span(tg, thousands))
		}
		fmt.Fprintln(out)
		if o.telegraf != "" {
			want := 1.3
			if c.perMessage == 1 {
				want = 1.1
			}
			fmt.Fprintf(out, "  %-22s GreenPulse : Telegraf %s (target >= %.1fx: met in %d of %d runs)\n", "",
				span(vsTG, func(v float64) string { return fmt.Sprintf("%.2fx", v) }), want, countAtLeast(vsTG, want), len(vsTG))
		}
		if c.perMessage == 1 {
			fmt.Fprintf(out, "  %-22s GreenPulse : bare %s (target >= 90 %%: met in %d of %d runs)\n", "",
				span(vsBare, func(v float64) string { return fmt.Sprintf("%.0f %%", v) }), countAtLeast(vsBare, 90), len(vsBare))
		}
	}
	mb := func(v float64) string { return fmt.Sprintf("%.1f MB", v) }
	fmt.Fprintf(out, "collector peak RSS %s (target <= 60 MB: met in %d of %d runs)", span(rssGP, mb),
		countAtMost(rssGP, 60), len(rssGP))
	if o.telegraf != "" {
		fmt.Fprintf(out, "; Telegraf peak RSS %s", span(rssTG, mb))
	}
	fmt.Fprintln(out)
}

func span(v []float64, f func(float64) string) string {
	if len(v) == 0 {
		return "-"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	if f(lo) == f(hi) {
		return f(lo)
	}
	return f(lo) + "-" + f(hi)
}

func countAtLeast(v []float64, want float64) int {
	n := 0
	for _, x := range v {
		if x >= want {
			n++
		}
	}
	return n
}

func countAtMost(v []float64, limit float64) int {
	n := 0
	for _, x := range v {
		if x <= limit {
			n++
		}
	}
	return n
}

// printSchemaCheck compares what the two consumers stored, so that a
// reader can see that they wrote the same points: the energy measurement's
// tag keys and field keys with their types, in each database.
func printSchemaCheck(ctx context.Context, out io.Writer, influxURL string) {
	describe := func(db string) (string, error) {
		var parts []string
		for _, q := range []string{"SHOW TAG KEYS FROM energy", "SHOW FIELD KEYS FROM energy"} {
			rows, err := influxRows(ctx, influxURL, db, q)
			if err != nil {
				return "", err
			}
			parts = append(parts, strings.Join(rows, " "))
		}
		return "tags " + parts[0] + "; fields " + parts[1], nil
	}
	gp, err1 := describe("greenpulse")
	tg, err2 := describe("telegraf")
	if err1 != nil || err2 != nil {
		fmt.Fprintf(out, "schema check failed: %v %v\n", err1, err2)
		return
	}
	same := "the same"
	if gp != tg {
		same = "DIFFERENT"
	}
	fmt.Fprintf(out, "stored points: %s in both databases (collector: %s | Telegraf: %s)\n", same, gp, tg)
}

// influxRows runs an InfluxQL query and returns each row's values joined
// by ':', sorted.
func influxRows(ctx context.Context, influxURL, db, q string) ([]string, error) {
	values, err := influxValues(ctx, influxURL, db, q)
	if err != nil {
		return nil, err
	}
	var rows []string
	for _, v := range values {
		var cols []string
		for _, x := range v {
			cols = append(cols, fmt.Sprint(x))
		}
		rows = append(rows, strings.Join(cols, ":"))
	}
	slices.Sort(rows)
	return rows, nil
}

// influxValues runs an InfluxQL query and returns the rows of every series.
func influxValues(ctx context.Context, influxURL, db, q string) ([][]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, influxURL+"/query?"+url.Values{"db": {db}, "q": {q}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var answer struct {
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", q, db, err)
	}
	var rows [][]any
	for _, r := range answer.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("%s on %s: %s", q, db, r.Error)
		}
		for _, s := range r.Series {
			rows = append(rows, s.Values...)
		}
	}
	return rows, nil
}

// printContentCheck checks, run by run, that each database holds exactly
// the readings the consumers were given: their number and the sum of
// their kwh_total (reading j carries j+0.5, so n readings sum to n*n/2).
// It is what shows that Telegraf's json_v2 stored the same points as the
// collector, not just the same schema.
func printContentCheck(ctx context.Context, out io.Writer, influxURL string, sets []*messageSet) {
	bad := 0
	for _, set := range sets {
		n := set.readings()
		want := fmt.Sprintf("%d:%d", n, n*n/2)
		q := fmt.Sprintf("SELECT count(kwh_total), sum(kwh_total) FROM energy WHERE time >= %dms AND time < %dms",
			set.baseMs, set.baseMs+n)
		for _, db := range []string{"greenpulse", "telegraf"} {
			rows, err := influxValues(ctx, influxURL, db, q)
			got := ""
			if err == nil && len(rows) == 1 && len(rows[0]) == 3 {
				// time, count, sum
				count, _ := rows[0][1].(float64)
				sum, _ := rows[0][2].(float64)
				got = fmt.Sprintf("%.0f:%.0f", count, sum)
			}
			if got != want {
				bad++
				fmt.Fprintf(out, "content check: %s, %d/msg in %s: count:sum %q, want %q (%v)\n", set.format, set.perMessage, db, got, want, err)
			}
		}
	}
	if bad == 0 {
		fmt.Fprintf(out, "stored readings: every run's %d sets are in both databases, counted and summed exactly\n", len(sets))
	}
}

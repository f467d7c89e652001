package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

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
				span(vsTG, func(v float64) string { return fmt.Sprintf("%.2fx", v) }), want, countIf(vsTG, func(x float64) bool { return x >= want }), len(vsTG))
		}
		if c.perMessage == 1 {
			fmt.Fprintf(out, "  %-22s GreenPulse : bare %s (target >= 90 %%: met in %d of %d runs)\n", "",
				span(vsBare, func(v float64) string { return fmt.Sprintf("%.0f %%", v) }), countIf(vsBare, func(x float64) bool { return x >= 90 }), len(vsBare))
		}
	}
	mb := func(v float64) string { return fmt.Sprintf("%.1f MB", v) }
	fmt.Fprintf(out, "collector peak RSS %s (target <= 60 MB: met in %d of %d runs)", span(rssGP, mb),
		countIf(rssGP, func(x float64) bool { return x <= 60 }), len(rssGP))
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

// countIf counts the values for which ok holds.
func countIf(v []float64, ok func(float64) bool) int {
	n := 0
	for _, x := range v {
		if ok(x) {
			n++
		}
	}
	return n
}

// printSchemaCheck compares what the two consumers stored, so that a
// reader can see that they wrote the same points: the energy measurement's
// tag keys and field keys with their types, in each database.
func printSchemaCheck(ctx context.Context, out io.Writer, influx *influxCounter) {
	describe := func(db string) (string, error) {
		var parts []string
		for _, q := range []string{"SHOW TAG KEYS FROM energy", "SHOW FIELD KEYS FROM energy"} {
			rows, err := rowsText(ctx, influx, db, q)
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

// rowsText runs an InfluxQL query and returns each row's values joined by
// ':', sorted.
func rowsText(ctx context.Context, influx *influxCounter, db, q string) ([]string, error) {
	series, err := influx.query(ctx, db, q)
	if err != nil {
		return nil, err
	}
	var rows []string
	for _, s := range series {
		for _, v := range s.Values {
			var cols []string
			for _, x := range v {
				cols = append(cols, fmt.Sprint(x))
			}
			rows = append(rows, strings.Join(cols, ":"))
		}
	}
	slices.Sort(rows)
	return rows, nil
}

// printContentCheck checks, run by run, that each database holds exactly
// the readings the consumers were given: their number and the sum of
// their kwh_total (reading j carries j+0.5, so n readings sum to n*n/2).
// It is what shows that Telegraf's json_v2 stored the same points as the
// collector, not just the same schema.
func printContentCheck(ctx context.Context, out io.Writer, influx *influxCounter, sets []*messageSet) {
	bad := 0
	for _, set := range sets {
		n := set.readings()
		want := fmt.Sprintf("%d:%d", n, n*n/2)
		q := fmt.Sprintf("SELECT count(kwh_total), sum(kwh_total) FROM energy WHERE time >= %dms AND time < %dms",
			set.baseMs, set.baseMs+n)
		for _, db := range []string{"greenpulse", "telegraf"} {
			series, err := influx.query(ctx, db, q)
			got := ""
			if err == nil && len(series) == 1 && len(series[0].Values) == 1 && len(series[0].Values[0]) == 3 {
				// time, count, sum
				row := series[0].Values[0]
				count, _ := row[1].(float64)
				sum, _ := row[2].(float64)
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

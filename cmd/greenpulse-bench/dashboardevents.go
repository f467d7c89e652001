package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// eventList is GET /api/v1/surge as the benchmark reads it.
type eventList struct {
	Events []struct {
		ID         string
		Facilities int
	}
}

// awaitEvents asks for every event's answer and says how long each took:
// the collector computes them once it has started, reading every event
// facility's days from InfluxDB, and a view timed meanwhile would share
// the database with that (a national view's cold load 2.4 s instead of
// 0.9 s at 2,000 facilities). A request waits for the computation under
// way.
func awaitEvents(ctx context.Context, url string, out io.Writer) error {
	var list eventList
	if err := getJSON(ctx, url+"/api/v1/surge", &list); err != nil {
		return err
	}
	for _, e := range list.Events {
		t0 := time.Now()
		var answer json.RawMessage
		if err := getJSON(ctx, url+"/api/v1/surge?event="+e.ID, &answer); err != nil {
			return err
		}
		fmt.Fprintf(out, "GET /api/v1/surge?event=%s (%d facilities) after the collector started: %.0f ms, %.1f MB of JSON\n",
			e.ID, e.Facilities, float64(time.Since(t0).Microseconds())/1e3, float64(len(answer))/1e6)
	}
	return nil
}

// timeEvents times the Events view of one event: the API's answer on its
// own, from the collector's cache, then page loads, each split where the
// page had the answer: before it the API and the network, after it
// parsing and drawing.
func timeEvents(ctx context.Context, b *browser.Browser, o dashboardOptions, out io.Writer) error {
	var list eventList
	if err := getJSON(ctx, o.url+"/api/v1/surge", &list); err != nil {
		return err
	}
	id, most := o.event, -1
	for _, e := range list.Events {
		if o.event == "" && e.Facilities > most {
			id, most = e.ID, e.Facilities
		}
	}
	if id == "" {
		return errors.New("the collector has no events (the events: section of its configuration)")
	}
	var cached []float64
	for range 5 {
		t0 := time.Now()
		var answer json.RawMessage
		if err := getJSON(ctx, o.url+"/api/v1/surge?event="+id, &answer); err != nil {
			return err
		}
		cached = append(cached, float64(time.Since(t0).Microseconds())/1e3)
	}
	median, _ := percentiles(cached)
	fmt.Fprintf(out, "GET /api/v1/surge?event=%s from the collector's cache, 5 requests: median %.0f ms\n", id, median)
	page := o.url + "/#/events/" + id + "?lang=en"
	var total, api, draw []float64
	for i := range o.runs {
		v, err := loadTime(b, page, "events")
		if err != nil {
			return err
		}
		if errs := b.ConsoleErrors(); len(errs) > 0 {
			return fmt.Errorf("the events view logged errors: %s", strings.Join(errs, "; "))
		}
		// requestStart, responseEnd, bytes on the wire of the answer.
		split, err := browser.Eval[[]float64](b, 10*time.Second, `(() => {
			const e = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/v1/surge?event='));
			return e ? [e.requestStart, e.responseEnd, e.transferSize] : [0, 0, 0]; })()`)
		if err != nil {
			return err
		}
		if i == 0 {
			markers, _ := browser.Eval[string](b, 10*time.Second, `document.getElementById('surge-map')?.dataset.markers ?? '0'`)
			fmt.Fprintf(out, "events view (%s), cold load %.0f ms: the answer %.0f ms (%.0f KB on the wire), then %.0f ms parsing and drawing (%s facilities on the map)\n",
				id, v, split[1]-split[0], split[2]/1e3, v-split[1], markers)
			continue
		}
		total, api, draw = append(total, v), append(api, split[1]-split[0]), append(draw, v-split[1])
	}
	if len(total) > 0 {
		median, p95 := percentiles(total)
		apiMedian, _ := percentiles(api)
		drawMedian, _ := percentiles(draw)
		fmt.Fprintf(out, "events view, %d warm loads: median %.0f ms, p95 %.0f ms (target ≤ 1500 ms); medians of the parts: the answer %.0f ms, parsing and drawing after it %.0f ms\n",
			len(total), median, p95, apiMedian, drawMedian)
	}
	return nil
}

// percentiles answers the median and the 95th percentile of v (sorted in
// place); with fewer than 20 values the 95th percentile is the largest.
func percentiles(v []float64) (median, p95 float64) {
	slices.Sort(v)
	return v[len(v)/2], v[min(len(v)-1, (len(v)*95+99)/100-1)]
}

// benchEvent is an eleven-day gathering over every governorate of reg,
// ending on last, as long as Arba'een's walk and return.
func benchEvent(reg *registry.Registry, last events.Date) events.Event {
	var govs []string
	for _, f := range reg.Facilities() {
		if !slices.Contains(govs, f.Governorate) {
			govs = append(govs, f.Governorate)
		}
	}
	return events.Event{ID: "bench-gathering", Name: "Benchmark gathering", NameAr: "تجمّع القياس", Areas: govs,
		First: last.AddDays(-10), Last: last, Source: "synthetic, greenpulse-bench"}
}

// writeEventPoints writes what the Events view reads for every facility
// of fs over e's days and the weeks before: facility-level day points of
// the surge measures and of safely_treated_pct with its parts, as the
// roll-up stores them. An ordinary day follows the facility's beds and
// the weekday; the event's days rise to a peak four fifths through,
// tripling in Karbala and Najaf; on-site treatment stays as it was, so
// the extra hazardous waste there goes untreated. A tenth of the
// facilities have no meter.
func writeEventPoints(ctx context.Context, store *influx.Store, fs []registry.Facility, e events.Event, weeks int, loc *time.Location) (int, error) {
	var b bytes.Buffer
	n := 0
	days := e.Days()
	peakAt := 0.8 * float64(len(days)-1)
	for i, f := range fs {
		rng := rand.New(rand.NewPCG(uint64(i), 2026))
		size, metered, peak := 1+float64(f.Beds)/50, rng.IntN(10) > 0, 1.4
		if f.Governorate == "IQ-KA" || f.Governorate == "IQ-NA" {
			peak = 3
		}
		for d := e.First.AddDays(-7 * weeks); !e.Last.Before(d); d = d.AddDays(1) {
			k := 1.0
			if j := e.First.DaysUntil(d); j >= 0 {
				k = 1 + (peak-1)*max(0, 1-math.Abs(float64(j)-peakAt)/float64(len(days)))
			}
			ts := d.In(loc).UnixNano()
			// The roll-up also writes each facility's day as one point
			// (rollup.FacilityDayMeasurement), which the surge reads.
			var day []string
			put := func(id string, v float64, terms string) {
				fmt.Fprintf(&b, "indicator,area=%s,indicator=%s,level=facility,period=day value=%.3f,facilities=1i%s %d\n", f.ID, id, v, terms, ts)
				entry := fmt.Sprintf("%s=%.3f", id, v)
				if terms != "" {
					var num, den float64
					fmt.Sscanf(terms, ",numerator=%f,denominator=%f", &num, &den)
					entry += fmt.Sprintf("/%.3f/%.3f", num, den)
				}
				day = append(day, entry)
				n++
			}
			week := 1 + 0.15*float64(d.Weekday()%3)
			waste := size * 12 * week * k * (0.85 + 0.3*rng.Float64())
			hazardous := 0.2 * waste
			safe := min(hazardous, 0.2*size*12*week*1.3)
			put("waste_kg", waste, "")
			put("hazardous_waste_kg", hazardous, "")
			put("safely_treated_pct", 100*safe/hazardous, fmt.Sprintf(",numerator=%.3f,denominator=%.3f", safe, hazardous))
			if k > 1.5 {
				put("storage_exceeded_count", float64(rng.IntN(4)), "")
			}
			if metered {
				energy := size * 150 * (1 + 0.3*(k-1)) * (0.9 + 0.2*rng.Float64())
				put("energy_kwh", energy, "")
				put("generator_fuel_l", 0.08*energy*(0.5+rng.Float64()), "")
			}
			fmt.Fprintf(&b, "%s,area=%s,period=day values=\"%s\" %d\n", rollup.FacilityDayMeasurement, f.ID, strings.Join(day, ";"), ts)
		}
		if b.Len() > 4<<20 || i == len(fs)-1 {
			if err := store.WriteIndicators(ctx, b.Bytes()); err != nil {
				return n, err
			}
			b.Reset()
		}
	}
	return n, nil
}

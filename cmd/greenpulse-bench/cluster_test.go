package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/decode"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/reading"
)

// TestDue checks the pacing: a publisher at rate r has sent the first
// message at once and then one every 1/r s, and dueAt is due's inverse.
func TestDue(t *testing.T) {
	for _, tc := range []struct {
		elapsed time.Duration
		rate    float64
		want    int
	}{
		{-time.Millisecond, 100, 0},
		{0, 100, 1},
		{9 * time.Millisecond, 100, 1},
		{10 * time.Millisecond, 100, 2},
		{time.Second, 100, 101},
		{15 * time.Second, 8000.0 / 6, 20001},
		{time.Second, 0, 0},
	} {
		if got := due(tc.elapsed, tc.rate); got != tc.want {
			t.Errorf("due(%s, %g) = %d, want %d", tc.elapsed, tc.rate, got, tc.want)
		}
		if tc.want > 0 {
			if at := dueAt(tc.want-1, tc.rate); at > max(tc.elapsed, 0) {
				t.Errorf("dueAt(%d, %g) = %s, after %s when due says it is sent", tc.want-1, tc.rate, at, tc.elapsed)
			}
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	for _, tc := range []struct {
		name string
		d    []time.Duration
		q    float64
		want time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of odd", ms(3, 1, 2), 0.5, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 0.5, 50 * time.Millisecond},
	} {
		if got := percentile(tc.d, tc.q); got != tc.want {
			t.Errorf("%s: percentile(%g) = %s, want %s", tc.name, tc.q, got, tc.want)
		}
	}
}

// TestSlope: a batching consumer's count climbs in steps; the rate is the
// steps' slope, whatever the phase of the window's ends.
func TestSlope(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var steady, stepped []sample
	for i := range 41 { // every 250 ms for 10 s
		s := float64(i) / 4
		steady = append(steady, sample{at(s), int64(1000 * s)})
		stepped = append(stepped, sample{at(s), 1000 * int64(s)}) // a write of 1,000 points each second
	}
	for _, tc := range []struct {
		name     string
		samples  []sample
		from, to float64
		want     float64 // within 5 %
	}{
		{"steady", steady, 2, 10, 1000},
		{"stepped", stepped, 2, 10, 1000},
		{"stepped, odd window", stepped, 2.1, 9.6, 1000},
		{"one sample", steady, 3, 3.1, 0},
		{"no samples", nil, 0, 10, 0},
	} {
		got := slope(tc.samples, at(tc.from), at(tc.to))
		if got < 0.95*tc.want || got > 1.05*tc.want {
			t.Errorf("%s: slope %.1f/s, want %.0f/s", tc.name, got, tc.want)
		}
	}
}

func TestJudge(t *testing.T) {
	good := stepResult{rate: 1000, perMessage: 5, step: 10 * time.Second, stored: 5000, drained: true, drainLag: 300 * time.Millisecond,
		load: loadResult{acked: 10000}}
	with := func(f func(*stepResult)) stepResult { r := good; f(&r); return r }
	for _, tc := range []struct {
		name string
		r    stepResult
		want string // "" for not saturated; else a word of the reasons
	}{
		{"keeps up", good, ""},
		{"just within", with(func(r *stepResult) { r.stored = 4760; r.load.acked = 9500; r.drainLag = 5 * time.Second }), ""},
		{"acks behind", with(func(r *stepResult) { r.load.acked = 9000 }), "acked 90 %"},
		{"stores behind", with(func(r *stepResult) { r.stored = 4000 }), "stored 80 %"},
		{"slow drain", with(func(r *stepResult) { r.drainLag = 6 * time.Second }), "drain 6.0 s"},
		{"never drained", with(func(r *stepResult) { r.drained = false }), "not drained"},
		{"failed publishes", with(func(r *stepResult) { r.load.failed = 3 }), "3 publishes failed"},
	} {
		saturated, why := judge(tc.r)
		if saturated != (tc.want != "") || !strings.Contains(strings.Join(why, ", "), tc.want) {
			t.Errorf("%s: judge = %v %q, want saturated %v with %q", tc.name, saturated, why, tc.want != "", tc.want)
		}
	}
}

func TestBottleneck(t *testing.T) {
	step := 10 * time.Second
	for _, tc := range []struct {
		name    string
		cpu     cpuUse
		machine float64
		want    []string
	}{
		{"the machine", cpuUse{"nats n1": 6, "nats n2": 5, "nats n3": 5, "collector 0": 2, "influxd": 1}, 19,
			[]string{"the machine (1.9 of 2 cores busy)", "busiest: nats x3 at 1.60 cores (max one 0.60)"}},
		{"one process", cpuUse{"mosquitto": 2, "collector 0": 9.5, "influxd": 3}, 15,
			[]string{"busiest: collector x1 at 0.95 cores"}},
		{"nothing", cpuUse{"mosquitto": 1, "collector 0": 2}, 4,
			[]string{"no process near a core (machine 0.4 of 2 cores)", "busiest: collector x1 at 0.20"}},
	} {
		got := bottleneck(stepResult{step: step, cpu: tc.cpu, machine: tc.machine}, 2)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q does not say %q", tc.name, got, w)
			}
		}
	}
}

// TestAppendPointIsTheCollectors: InfluxDB alone is given the lines the
// collector writes for the same readings, so that its figure is the
// collector's ceiling.
func TestAppendPointIsTheCollectors(t *testing.T) {
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	d := decode.New(reading.Limits{MaxFuture: time.Hour})
	for _, j := range []int64{0, 7, 123456} {
		payload := `{"ts":` + strconv.FormatInt(base+j, 10) + `,"source":"grid","kwh_total":` + strconv.FormatInt(j, 10) + `.5,"power_w":1200,"available":true}`
		res := d.Decode("BG-H-001", reading.Energy, []byte(payload), time.UnixMilli(base))
		if len(res.Readings) != 1 {
			t.Fatalf("%s: %d readings, rejected %+v", payload, len(res.Readings), res.Rejected)
		}
		batch := influx.NewBatch()
		if err := batch.Add(&res.Readings[0]); err != nil {
			t.Fatal(err)
		}
		if got, want := string(appendPoint(nil, "BG-H-001", j, base)), string(batch.Bytes()); got != want {
			t.Errorf("point %d:\n got %q\nwant %q (the collector's)", j, got, want)
		}
	}
}

package modbus

import (
	"context"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/internal/pymodbustest"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// The tests poll fast: the config's one-second floor is for sites.
const testInterval = 150 * time.Millisecond

// put writes v into img as reg encodes it.
func put(img pymodbustest.Image, unit uint8, reg regmap.Register, v float64) {
	u := img[unit]
	m := &u.Holding
	if reg.Table == regmap.Input {
		m = &u.Input
	}
	if *m == nil {
		*m = map[uint16]uint16{}
	}
	for i, w := range reg.Encode(v) {
		(*m)[reg.Address+uint16(i)] = w
	}
	img[unit] = u
}

// set changes reg's value on the running server.
func set(srv *pymodbustest.Server, unit uint8, reg regmap.Register, v float64) {
	table := pymodbustest.Holding
	if reg.Table == regmap.Input {
		table = pymodbustest.Input
	}
	srv.Set(unit, table, reg.Address, reg.Encode(v)...)
}

func mapDevice(name string, unit uint8, regs ...regmap.Register) config.ModbusDevice {
	d := config.ModbusDevice{Name: name, Unit: int(unit), Stream: "energy", Source: "grid", Meter: name, Interval: testInterval}
	for _, r := range regs {
		table := "holding"
		if r.Table == regmap.Input {
			table = "input"
		}
		d.Registers = append(d.Registers, config.ModbusRegister{Field: r.Field, Register: table, Address: int(r.Address),
			Type: string(r.Type), Order: string(r.Order), Scale: r.Scale, Offset: r.Offset})
	}
	return d
}

// collected gathers what a running source emits.
type collected struct {
	mu       sync.Mutex
	readings []reading.Reading
}

func (c *collected) emit(rs []reading.Reading) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readings = append(c.readings, rs...)
	return nil
}

// of returns the readings of meter, in order.
func (c *collected) of(meter string) []reading.Reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []reading.Reading
	for _, r := range c.readings {
		if r.Tag("meter") == meter || r.Tag("inverter") == meter {
			out = append(out, r)
		}
	}
	return out
}

func num(r reading.Reading, field string) (float64, bool) {
	f, ok := r.Field(field)
	return f.Num, ok
}

type running struct {
	src     *Source
	out     *collected
	metrics *Metrics
	stop    func()
}

// run starts a source over the buses until the test ends.
func run(t *testing.T, statePath string, buses ...config.ModbusBus) *running {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	src, err := New("BG-H-001", config.Modbus{Buses: buses}, statePath, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &collected{}
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out.emit) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		})
	}
	t.Cleanup(stop)
	return &running{src: src, out: out, metrics: m, stop: stop}
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tcpBus(srv *pymodbustest.Server, devs ...config.ModbusDevice) config.ModbusBus {
	return config.ModbusBus{Config: bus.Config{URL: srv.URL(), Timeout: 300 * time.Millisecond, Pause: 5 * time.Millisecond}, Devices: devs}
}

func TestRegisterMapsAgainstPymodbus(t *testing.T) {
	reg := func(field string, table regmap.Table, addr uint16, typ regmap.Type, order regmap.Order, scale, offset float64) regmap.Register {
		return regmap.Register{Field: field, Table: table, Address: addr, Type: typ, Order: order, Scale: scale, Offset: offset}
	}
	tests := []struct {
		name  string
		regs  []regmap.Register
		value map[string]float64 // what the device holds, decoded
	}{
		{"float32 ABCD", []regmap.Register{reg("kwh_total", regmap.Input, 72, regmap.Float32, regmap.ABCD, 0, 0)},
			map[string]float64{"kwh_total": 12345.5}},
		{"float32 CDAB", []regmap.Register{reg("kwh_total", regmap.Holding, 0, regmap.Float32, regmap.CDAB, 0, 0)},
			map[string]float64{"kwh_total": 777.25}},
		{"float32 BADC", []regmap.Register{reg("kwh_total", regmap.Input, 10, regmap.Float32, regmap.BADC, 0, 0)},
			map[string]float64{"kwh_total": 0.5}},
		{"float64 DCBA", []regmap.Register{reg("kwh_total", regmap.Holding, 100, regmap.Float64, regmap.DCBA, 0, 0)},
			map[string]float64{"kwh_total": 98765.4321}},
		{"uint32 CDAB scaled with int16 power", []regmap.Register{
			reg("kwh_total", regmap.Holding, 20, regmap.Uint32, regmap.CDAB, 0.01, 0),
			reg("power_w", regmap.Holding, 22, regmap.Int16, regmap.ABCD, 10, 0)},
			map[string]float64{"kwh_total": 4567.89, "power_w": 1230}},
		{"int32 offset and a fuel counter", []regmap.Register{
			reg("kwh_total", regmap.Input, 0, regmap.Int32, regmap.BADC, 0.1, 1000),
			reg("fuel_l_total", regmap.Input, 2, regmap.Uint16, regmap.DCBA, 0, 0)},
			map[string]float64{"kwh_total": 1234.5, "fuel_l_total": 321}},
	}
	img := pymodbustest.Image{}
	var devs []config.ModbusDevice
	for i, tt := range tests {
		unit := uint8(i + 1)
		for _, r := range tt.regs {
			put(img, unit, r, tt.value[r.Field])
		}
		devs = append(devs, mapDevice(tt.name[:5]+string(rune('a'+i)), unit, tt.regs...))
	}
	srv := pymodbustest.StartTCP(t, img)
	r := run(t, "", tcpBus(srv, devs...))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meter := devs[i].Meter
			waitFor(t, 5*time.Second, "a reading of "+tt.name, func() bool { return len(r.out.of(meter)) > 0 })
			got := r.out.of(meter)[0]
			for field, want := range tt.value {
				v, ok := num(got, field)
				if !ok || math.Abs(v-want) > 1e-3*math.Max(1, math.Abs(want)) {
					t.Errorf("%s = %v (present %v), want %v", field, v, ok, want)
				}
			}
			if got.Tag("source") != "grid" || got.Stream != reading.Energy {
				t.Errorf("reading %+v: want stream energy, source grid", got)
			}
		})
	}
}

func TestSentinelsAreNotPublished(t *testing.T) {
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Input, Address: 0, Type: regmap.Float32, Order: regmap.ABCD}
	power := regmap.Register{Field: "power_w", Table: regmap.Input, Address: 2, Type: regmap.Int16, Order: regmap.ABCD}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 500)
	put(img, 1, power, math.NaN()) // 0x8000: not implemented
	srv := pymodbustest.StartTCP(t, img)
	r := run(t, "", tcpBus(srv, mapDevice("m", 1, kwh, power)))
	waitFor(t, 5*time.Second, "two readings", func() bool { return len(r.out.of("m")) >= 2 })
	for _, rd := range r.out.of("m") {
		if _, ok := rd.Field("power_w"); ok {
			t.Fatalf("reading %+v carries power_w from a not-implemented register", rd)
		}
	}
	if n := testutil.ToFloat64(r.metrics.errors.WithLabelValues("m", "sentinel")); n < 2 {
		t.Errorf("sentinel errors counted %v, want ≥ 2", n)
	}

	// A counter marked not implemented: no reading at all, not a 0.
	n0 := testutil.ToFloat64(r.metrics.errors.WithLabelValues("m", "sentinel"))
	set(srv, 1, kwh, math.NaN())
	before := len(r.out.of("m"))
	// power_w counts one sentinel a poll, kwh_total now another: n0+5 means
	// at least two polls after the change, even with one under way at it.
	waitFor(t, 5*time.Second, "polls of the not-implemented counter", func() bool {
		return testutil.ToFloat64(r.metrics.errors.WithLabelValues("m", "sentinel")) >= n0+5
	})
	for _, rd := range r.out.of("m")[before:] {
		if v, _ := num(rd, "kwh_total"); v != 500 {
			t.Errorf("published kwh_total %v after the counter turned NaN", v)
		}
	}
}

func TestDeadUnitDoesNotStopTheBus(t *testing.T) {
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Input, Address: 0, Type: regmap.Float32, Order: regmap.ABCD}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 10)
	put(img, 3, kwh, 30)
	srv := pymodbustest.StartTCP(t, img)
	r := run(t, "", tcpBus(srv, mapDevice("alive", 1, kwh), mapDevice("dead", 2, kwh), mapDevice("late", 3, kwh)))
	waitFor(t, 8*time.Second, "both live meters polled 8 times", func() bool {
		return len(r.out.of("alive")) >= 8 && len(r.out.of("late")) >= 8
	})
	r.stop()
	if n := len(r.out.of("dead")); n != 0 {
		t.Errorf("%d readings from a unit that does not answer", n)
	}
	timeouts := testutil.ToFloat64(r.metrics.errors.WithLabelValues("dead", "timeout"))
	deadPolls := testutil.ToFloat64(r.metrics.polls.WithLabelValues("dead"))
	alivePolls := testutil.ToFloat64(r.metrics.polls.WithLabelValues("alive"))
	if timeouts < 1 || timeouts != deadPolls {
		t.Errorf("dead unit: %v timeouts in %v polls, want every poll a timeout", timeouts, deadPolls)
	}
	// Backoff: the dead unit is asked less and less often, so the others
	// are not held up by its timeouts.
	if deadPolls*2 > alivePolls {
		t.Errorf("dead unit polled %v times, alive %v: no backoff", deadPolls, alivePolls)
	}
	if last := testutil.ToFloat64(r.metrics.lastSuccess.WithLabelValues("alive")); time.Since(time.UnixMilli(int64(last*1000))) > 5*time.Second {
		t.Errorf("last success of the live meter %v is stale", last)
	}
	if last := testutil.ToFloat64(r.metrics.lastSuccess.WithLabelValues("dead")); last != 0 {
		t.Errorf("last success of the dead meter %v, want 0", last)
	}
}

func TestNightTimeDisappearance(t *testing.T) {
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Holding, Address: 0, Type: regmap.Uint32, Order: regmap.ABCD, Scale: 0.001}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 100)
	srv := pymodbustest.StartTCP(t, img)
	r := run(t, "", tcpBus(srv, mapDevice("inv", 1, kwh)))
	waitFor(t, 5*time.Second, "a reading before night", func() bool { return len(r.out.of("inv")) > 0 })

	srv.Stop() // the inverter switches Modbus off at dusk
	errs := func() float64 {
		var n float64
		for _, k := range bus.Kinds() {
			n += testutil.ToFloat64(r.metrics.errors.WithLabelValues("inv", k))
		}
		return n
	}
	waitFor(t, 5*time.Second, "failed polls while the inverter is dark", func() bool { return errs() >= 2 })
	set(srv, 1, kwh, 101.5) // it produced a little at dawn
	srv.Restart()
	// Backoff after a few failures is a few intervals: well within this.
	waitFor(t, 10*time.Second, "a reading after dawn", func() bool {
		rs := r.out.of("inv")
		v, _ := num(rs[len(rs)-1], "kwh_total")
		return v == 101.5
	})
}

func TestCounterGoingBackwardsIsHeldBack(t *testing.T) {
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Input, Address: 0, Type: regmap.Float32, Order: regmap.ABCD}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 5000)
	srv := pymodbustest.StartTCP(t, img)
	state := filepath.Join(t.TempDir(), StateFile)
	r := run(t, state, tcpBus(srv, mapDevice("grid", 1, kwh)))
	waitFor(t, 5*time.Second, "a first reading", func() bool { return len(r.out.of("grid")) > 0 })

	set(srv, 1, kwh, 0) // a garbled read, or a meter that lost its memory
	waitFor(t, 5*time.Second, "the drop counted", func() bool {
		return testutil.ToFloat64(r.metrics.errors.WithLabelValues("grid", "backwards")) >= 1
	})
	set(srv, 1, kwh, 5001)
	waitFor(t, 5*time.Second, "the counter going on", func() bool {
		rs := r.out.of("grid")
		v, _ := num(rs[len(rs)-1], "kwh_total")
		return v == 5001
	})
	for _, rd := range r.out.of("grid") {
		if v, _ := num(rd, "kwh_total"); v < 5000 {
			t.Fatalf("published kwh_total %v below the last value 5000", v)
		}
	}

	// After a restart the last value comes from the state file, the one
	// flushed at the stop: a read just below it is still held back, not
	// taken as a fresh start.
	r.stop()
	set(srv, 1, kwh, 5000.5)
	r2 := run(t, state, tcpBus(srv, mapDevice("grid", 1, kwh)))
	waitFor(t, 5*time.Second, "the low read counted after the restart", func() bool {
		return testutil.ToFloat64(r2.metrics.errors.WithLabelValues("grid", "backwards")) >= 1
	})
	if rs := r2.out.of("grid"); len(rs) != 0 {
		t.Fatalf("published %v after a restart, below the last value 5001", rs)
	}

	// A new meter counting on from its low value is accepted once it has
	// counted, as a reset.
	held := testutil.ToFloat64(r2.metrics.errors.WithLabelValues("grid", "backwards"))
	set(srv, 1, kwh, 3)
	// One poll may have been under way when the value changed: wait for two.
	waitFor(t, 5*time.Second, "the new meter's first reads held", func() bool {
		return testutil.ToFloat64(r2.metrics.errors.WithLabelValues("grid", "backwards")) >= held+2
	})
	set(srv, 1, kwh, 4)
	waitFor(t, 5*time.Second, "the new meter's series accepted", func() bool { return len(r2.out.of("grid")) > 0 })
	if v, _ := num(r2.out.of("grid")[0], "kwh_total"); v != 4 {
		t.Errorf("first value of the new series %v, want 4", v)
	}
}

func TestSDM630OverRTU(t *testing.T) {
	f := func(addr uint16) regmap.Register {
		return regmap.Register{Table: regmap.Input, Address: addr, Type: regmap.Float32, Order: regmap.ABCD}
	}
	img := pymodbustest.Image{}
	put(img, 1, f(0x0048), 8123.5) // import kWh
	put(img, 1, f(0x0034), 2300)   // total power W
	for _, a := range []uint16{0, 2, 4} {
		put(img, 1, f(a), 231)
	}
	put(img, 2, f(0x0048), 10) // a second meter whose mains are down
	put(img, 2, f(0x0034), 0)
	for _, a := range []uint16{0, 2, 4} {
		put(img, 2, f(a), 0)
	}
	srv := pymodbustest.StartRTU(t, img)
	sc := srv.Serial()
	b := config.ModbusBus{Config: bus.Config{URL: srv.URL(), Baud: sc.Baud, DataBits: sc.DataBits, Parity: sc.Parity,
		StopBits: sc.StopBits, Timeout: 500 * time.Millisecond, Pause: 20 * time.Millisecond}}
	for _, d := range []struct {
		name string
		unit int
	}{{"main", 1}, {"annex", 2}} {
		b.Devices = append(b.Devices, config.ModbusDevice{Name: d.name, Unit: d.unit, Preset: "sdm630", Stream: "energy",
			Source: "grid", Meter: d.name, Interval: 300 * time.Millisecond, MinVoltage: 100})
	}
	r := run(t, "", b)
	waitFor(t, 10*time.Second, "readings of both meters", func() bool {
		return len(r.out.of("main")) > 0 && len(r.out.of("annex")) > 0
	})
	main, annex := r.out.of("main")[0], r.out.of("annex")[0]
	if v, _ := num(main, "kwh_total"); v != 8123.5 {
		t.Errorf("main kwh_total %v, want 8123.5 (import)", v)
	}
	if v, _ := num(main, "power_w"); v != 2300 {
		t.Errorf("main power_w %v, want 2300", v)
	}
	if f, ok := main.Field("available"); !ok || !f.Bool {
		t.Errorf("main available %+v, want true (231 V)", f)
	}
	if f, ok := annex.Field("available"); !ok || f.Bool {
		t.Errorf("annex available %+v, want false (0 V: an outage)", f)
	}
}

func TestRegisterMapWithHoles(t *testing.T) {
	// pymodbus, like many meters, refuses a read that covers a register it
	// does not have: the source reads such a map register by register.
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Input, Address: 0, Type: regmap.Float32, Order: regmap.ABCD}
	power := regmap.Register{Field: "power_w", Table: regmap.Input, Address: 6, Type: regmap.Float32, Order: regmap.ABCD}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 42.5)
	put(img, 1, power, 900)
	srv := pymodbustest.StartTCP(t, img)
	r := run(t, "", tcpBus(srv, mapDevice("holes", 1, kwh, power)))
	waitFor(t, 5*time.Second, "a reading of a map with a hole", func() bool { return len(r.out.of("holes")) > 0 })
	got := r.out.of("holes")[0]
	if v, _ := num(got, "kwh_total"); v != 42.5 {
		t.Errorf("kwh_total %v, want 42.5", v)
	}
	if v, _ := num(got, "power_w"); v != 900 {
		t.Errorf("power_w %v, want 900", v)
	}
	if n := testutil.ToFloat64(r.metrics.errors.WithLabelValues("holes", "exception")); n != 0 {
		t.Errorf("%v exceptions counted for a map the device can serve", n)
	}
}

func TestSunSpecDeviceWithoutTheStreamsModel(t *testing.T) {
	// A SunSpec inverter configured as an energy meter: a mistake in the
	// config, so it is asked again only after maxBackoff, not every
	// interval.
	srv := startDeviceSim(t)
	d := config.ModbusDevice{Name: "pv-as-meter", Unit: 1, Preset: "sunspec", Stream: "energy", Source: "grid",
		Meter: "main", Interval: testInterval}
	r := run(t, "", config.ModbusBus{Config: bus.Config{URL: srv.URL(), Timeout: time.Second}, Devices: []config.ModbusDevice{d}})
	waitFor(t, 5*time.Second, "the first poll", func() bool {
		return testutil.ToFloat64(r.metrics.polls.WithLabelValues("pv-as-meter")) >= 1
	})
	time.Sleep(6 * testInterval)
	if n := testutil.ToFloat64(r.metrics.polls.WithLabelValues("pv-as-meter")); n != 1 {
		t.Errorf("polled %v times, want once", n)
	}
	if n := len(r.out.of("main")); n != 0 {
		t.Errorf("%d readings from a device with no meter model", n)
	}
}

// startDeviceSim serves BG-H-001's simulated devices until the test ends.
func startDeviceSim(t *testing.T) *devicesim.Server {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := reg.Lookup("BG-H-001")
	if !ok {
		t.Fatal("BG-H-001 is not in the registry")
	}
	srv := devicesim.New(f, devicesim.Options{Seed: 1})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestGarbledLeapIsHeldBack(t *testing.T) {
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Input, Address: 0, Type: regmap.Float32, Order: regmap.ABCD}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 5000)
	srv := pymodbustest.StartTCP(t, img)
	dev := mapDevice("grid", 1, kwh)
	dev.MaxKW = 500 // 500 kW for 150 ms: a rise of about 0.02 kWh
	r := run(t, "", tcpBus(srv, dev))
	waitFor(t, 5*time.Second, "a first reading", func() bool { return len(r.out.of("grid")) > 0 })
	set(srv, 1, kwh, 3e9) // a flipped exponent bit
	waitFor(t, 5*time.Second, "the leap counted", func() bool {
		return testutil.ToFloat64(r.metrics.errors.WithLabelValues("grid", "leap")) >= 1
	})
	set(srv, 1, kwh, 5000.01)
	waitFor(t, 5*time.Second, "the counter going on", func() bool {
		rs := r.out.of("grid")
		v, _ := num(rs[len(rs)-1], "kwh_total")
		return v == float64(float32(5000.01))
	})
	for _, rd := range r.out.of("grid") {
		if v, _ := num(rd, "kwh_total"); v > 5001 {
			t.Fatalf("published kwh_total %v, a leap no facility could use", v)
		}
	}
}

func TestSlowUnitTimesOutThenRecovers(t *testing.T) {
	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Input, Address: 0, Type: regmap.Float32, Order: regmap.ABCD}
	img := pymodbustest.Image{}
	put(img, 1, kwh, 11)
	put(img, 2, kwh, 22)
	srv := pymodbustest.StartTCP(t, img)
	srv.SetDelay(1, 600*time.Millisecond) // the bus's timeout is 300 ms
	r := run(t, "", tcpBus(srv, mapDevice("slow", 1, kwh), mapDevice("quick", 2, kwh)))
	waitFor(t, 8*time.Second, "two timeouts of the slow unit", func() bool {
		return testutil.ToFloat64(r.metrics.errors.WithLabelValues("slow", "timeout")) >= 2
	})
	if n := len(r.out.of("slow")); n != 0 {
		t.Fatalf("%d readings from a unit slower than the timeout", n)
	}
	if n := len(r.out.of("quick")); n == 0 {
		t.Fatal("the quick unit gave nothing while the slow one timed out")
	}
	srv.SetDelay(1, 0)
	waitFor(t, 10*time.Second, "the slow unit read once it answers in time", func() bool { return len(r.out.of("slow")) > 0 })
	if v, _ := num(r.out.of("slow")[0], "kwh_total"); v != 11 {
		t.Errorf("slow unit kwh_total %v, want 11 (not its neighbour's late answer)", v)
	}
}

package agents_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/internal/pymodbustest"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestModbusReadingsReachInfluxDB runs the agent as `greenpulse-agent run`
// does with two buses: the device simulator's SunSpec inverter and SDM630
// grid meter, and a register-mapped meter served by pymodbus. Their
// readings reach InfluxDB through the broker and the collector with the
// values the devices held; while the pymodbus device is gone, the other
// bus goes on.
func TestModbusReadingsReachInfluxDB(t *testing.T) {
	stack := teststack.Start(t)
	teststack.RunCollector(t, stack.CollectorConfig(t, ".."))

	reg, err := registry.Load(filepath.Join("..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	row, ok := reg.Lookup(facility)
	if !ok {
		t.Fatalf("%s not in the registry", facility)
	}
	sim := devicesim.New(row, devicesim.Options{Seed: 1})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })

	kwh := regmap.Register{Field: "kwh_total", Table: regmap.Holding, Address: 100, Type: regmap.Float32, Order: regmap.CDAB}
	power := regmap.Register{Field: "power_w", Table: regmap.Holding, Address: 102, Type: regmap.Int16, Order: regmap.ABCD, Scale: 10}
	peer := pymodbustest.StartTCP(t, pymodbustest.Image{7: {Holding: words(kwh, 1234.5, power, 520.0)}})

	cfg := wasteAgentConfig(t, stack.Broker.URL(), "")
	cfg.Sources.Modbus.Buses = []config.ModbusBus{
		{Config: bus.Config{URL: sim.URL(), Timeout: time.Second}, Devices: []config.ModbusDevice{
			{Name: "inverter", Unit: int(devicesim.UnitInverter), Preset: "sunspec", Stream: "solar"},
			{Name: "grid", Unit: int(devicesim.UnitGridMeter), Preset: "sdm630", Stream: "energy", Source: "grid"},
		}},
		{Config: bus.Config{URL: peer.URL(), Timeout: 300 * time.Millisecond}, Devices: []config.ModbusDevice{
			{Name: "pumps", Unit: 7, Stream: "energy", Source: "other", Meter: "pumps", Registers: []config.ModbusRegister{
				{Field: "kwh_total", Register: "holding", Address: 100, Type: "float32", Order: "CDAB"},
				{Field: "power_w", Register: "holding", Address: 102, Type: "int16", Scale: 10},
			}},
		}},
	}
	for i := range cfg.Sources.Modbus.Buses {
		for j := range cfg.Sources.Modbus.Buses[i].Devices {
			cfg.Sources.Modbus.Buses[i].Devices[j].Interval = time.Second
		}
	}
	cfg.Sources.Modbus.Normalize()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	serveAgent(t, cfg)

	influx := stack.Influx.URL()
	last := func(measurement, where string) map[string]any {
		rows := teststack.InfluxQL(t, influx, fmt.Sprintf(
			`SELECT * FROM %q WHERE facility='%s' AND %s ORDER BY time DESC LIMIT 1`, measurement, facility, where))
		if len(rows) == 0 {
			return nil
		}
		return rows[0]
	}
	for _, q := range []struct{ measurement, where string }{
		{"solar", "inverter='main'"}, {"energy", "source='grid'"}, {"energy", "source='other'"},
	} {
		teststack.Eventually(t, 30*time.Second, q.measurement+" "+q.where+" stored", func() (bool, string) {
			return last(q.measurement, q.where) != nil, "none yet"
		})
	}

	// The stored values are the model's at the reading's time, through
	// SunSpec's scale factors and the SDM630's float32 words.
	solar := last("solar", "inverter='main'")
	ts := time.Unix(0, number(t, solar["time"]))
	want := map[string]reading.Reading{}
	for _, r := range sim.Sim().Samples(ts) {
		want[string(r.Stream)+"/"+r.Tag("source")] = r
	}
	pv := want["solar/"]
	wantPV, _ := pv.Field("kwh_total")
	if got := float(t, solar["kwh_total"]); math.Abs(got-wantPV.Num) > 0.002 {
		t.Errorf("solar kwh_total %v at %s, the model has %v", got, ts, wantPV.Num)
	}
	grid := last("energy", "source='grid'")
	ts = time.Unix(0, number(t, grid["time"]))
	for _, r := range sim.Sim().Samples(ts) {
		want[string(r.Stream)+"/"+r.Tag("source")] = r
	}
	gridModel := want["energy/grid"]
	wantGrid, _ := gridModel.Field("kwh_total")
	if got := float(t, grid["kwh_total"]); math.Abs(got-wantGrid.Num) > 1e-6*wantGrid.Num+0.001 {
		t.Errorf("grid kwh_total %v at %s, the model has %v", got, ts, wantGrid.Num)
	}
	wantLive, _ := gridModel.Field("available")
	if got, ok := grid["available"].(bool); !ok || got != wantLive.Bool {
		t.Errorf("grid available %v at %s, the model has %v", grid["available"], ts, wantLive.Bool)
	}
	pumps := last("energy", "source='other'")
	if float(t, pumps["kwh_total"]) != 1234.5 || float(t, pumps["power_w"]) != 520 || pumps["meter"] != "pumps" {
		t.Errorf("register-mapped meter stored as %v, want kwh_total 1234.5, power_w 520, meter pumps", pumps)
	}

	// The pymodbus device goes away: the simulator's devices go on.
	peer.Stop()
	before := teststack.CountPoints(t, influx, "solar", "kwh_total", facility)
	teststack.Eventually(t, 20*time.Second, "solar readings while the other bus is dead", func() (bool, string) {
		n := teststack.CountPoints(t, influx, "solar", "kwh_total", facility)
		return n >= before+3, fmt.Sprintf("%d points, had %d", n, before)
	})
	peer.Set(7, pymodbustest.Holding, kwh.Address, kwh.Encode(1240)...)
	peer.Restart()
	teststack.Eventually(t, 30*time.Second, "the register-mapped meter back", func() (bool, string) {
		got := last("energy", "source='other'")
		return float(t, got["kwh_total"]) == 1240, fmt.Sprint(got)
	})
}

// words is a register image of the registers, each with its value.
func words(regsAndValues ...any) map[uint16]uint16 {
	m := map[uint16]uint16{}
	for i := 0; i < len(regsAndValues); i += 2 {
		r := regsAndValues[i].(regmap.Register)
		v := regsAndValues[i+1].(float64)
		for j, w := range r.Encode(v) {
			m[r.Address+uint16(j)] = w
		}
	}
	return m
}

func number(t *testing.T, v any) int64 {
	t.Helper()
	n, err := v.(json.Number).Int64()
	if err != nil {
		t.Fatalf("%v is not an integer: %v", v, err)
	}
	return n
}

func float(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		return math.NaN()
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatalf("%v is not a number: %v", v, err)
	}
	return f
}

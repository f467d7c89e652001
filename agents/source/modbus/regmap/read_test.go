package regmap

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// image is an in-memory Reader: a unit's register tables, counting the
// requests it answers.
type image struct {
	words    map[Table]map[uint16]uint16
	requests []string // "table addr+qty"
	fail     map[uint16]error
	// holes are addresses the device does not have: a request covering
	// one is refused with "illegal data address".
	holes map[uint16]bool
}

// refused is a device's "illegal data address" answer.
type refused struct{}

func (refused) Error() string        { return "modbus exception 2 (illegal data address)" }
func (refused) RefusedAddress() bool { return true }

func (m *image) ReadRegisters(ctx context.Context, unit uint8, table Table, addr, qty uint16) ([]uint16, error) {
	m.requests = append(m.requests, fmt.Sprintf("%s %d+%d", table, addr, qty))
	if qty == 0 || qty > 125 {
		return nil, fmt.Errorf("illegal quantity %d", qty)
	}
	if err := m.fail[addr]; err != nil {
		return nil, err
	}
	for a := addr; a < addr+qty; a++ {
		if m.holes[a] {
			return nil, refused{}
		}
	}
	out := make([]uint16, qty)
	for i := range out {
		out[i] = m.words[table][addr+uint16(i)]
	}
	return out, nil
}

func (m *image) put(table Table, addr uint16, words ...uint16) {
	if m.words == nil {
		m.words = map[Table]map[uint16]uint16{}
	}
	if m.words[table] == nil {
		m.words[table] = map[uint16]uint16{}
	}
	for i, w := range words {
		m.words[table][addr+uint16(i)] = w
	}
}

func f32(field string, table Table, addr uint16) Register {
	return Register{Field: field, Table: table, Address: addr, Type: Float32, Order: ABCD}
}

// every returns float32 registers from addr from up to (not including) to,
// step words apart.
func every(from, to, step uint16) []Register {
	var regs []Register
	for a := from; a < to; a += step {
		regs = append(regs, f32(fmt.Sprint("f", a), Input, a))
	}
	return regs
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		regs []Register
		want []string
	}{
		{"one", []Register{f32("a", Input, 10)}, []string{"input 10+2"}},
		{"contiguous, any order", []Register{f32("b", Input, 2), f32("a", Input, 0), f32("c", Input, 4)}, []string{"input 0+6"}},
		{"gap of 8 joins", []Register{f32("a", Input, 0), f32("b", Input, 10)}, []string{"input 0+12"}},
		{"gap of 9 splits", []Register{f32("a", Input, 0), f32("b", Input, 11)}, []string{"input 0+2", "input 11+2"}},
		{"tables never mix", []Register{f32("a", Input, 0), f32("b", Holding, 2)}, []string{"holding 2+2", "input 0+2"}},
		{"overlapping", []Register{{Field: "w", Table: Holding, Address: 0, Type: Float64}, {Field: "lo", Table: Holding, Address: 1, Type: Uint16}},
			[]string{"holding 0+4"}},
		{"125 words fit", append(every(0, 118, 6), f32("z", Input, 123)), []string{"input 0+125"}},
		{"126 words split", every(0, 126, 2), []string{"input 0+124", "input 124+2"}},
		{"top of the address space", []Register{{Field: "a", Table: Input, Address: 0xFFFF, Type: Uint16}}, []string{"input 65535+1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range plan(tt.regs) {
				got = append(got, fmt.Sprintf("%s %d+%d", s.table, s.addr, s.qty))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	m := &image{}
	m.put(Input, 0x0000, 0x4366, 0x8000)  // 230.5 V
	m.put(Input, 0x0034, 0x4498, 0x6000)  // 1219 W
	m.put(Input, 0x0048, 0x7FC0, 0x0000)  // NaN: not implemented
	m.put(Holding, 40083, 0x0BB8)         // 3000
	m.put(Holding, 40084, 0xFFFE)         // SF -2
	m.put(Holding, 40093, 0x8000, 0x0000) // int32 sentinel
	regs := []Register{
		f32("voltage", Input, 0x0000),
		f32("power_w", Input, 0x0034),
		f32("kwh_total", Input, 0x0048),
		{Field: "ac_w", Table: Holding, Address: 40083, Type: Uint16, Scale: 0.01},
		{Field: "sf", Table: Holding, Address: 40084, Type: Int16},
		{Field: "wh", Table: Holding, Address: 40093, Type: Int32},
	}
	values, skipped, err := Read(context.Background(), m, 1, regs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"voltage": 230.5, "power_w": 1219, "ac_w": 30, "sf": -2}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("values = %v, want %v", values, want)
	}
	if !reflect.DeepEqual(skipped, []string{"wh", "kwh_total"}) {
		t.Errorf("skipped = %v, want [wh kwh_total]", skipped)
	}
	wantReq := []string{"holding 40083+12", "input 0+2", "input 52+2", "input 72+2"}
	if !reflect.DeepEqual(m.requests, wantReq) {
		t.Errorf("requests = %v, want %v", m.requests, wantReq)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("timeout")
	m := &image{fail: map[uint16]error{52: boom}}
	m.put(Input, 0, 0x4366, 0x8000)
	regs := []Register{f32("voltage", Input, 0), f32("power_w", Input, 52), f32("kwh_total", Input, 72)}
	values, _, err := Read(context.Background(), m, 3, regs)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	if want := "read unit 3 input registers 52-53: timeout"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if values["voltage"] != 230.5 || len(values) != 1 {
		t.Errorf("values = %v, want voltage only", values)
	}
	if len(m.requests) != 2 {
		t.Errorf("requests = %v: Read went on after the failed one", m.requests)
	}
}

func TestReadRejects(t *testing.T) {
	m := &image{}
	_, _, err := Read(context.Background(), m, 1, []Register{{Field: "x", Table: Input, Type: "float33"}})
	if err == nil || !strings.Contains(err.Error(), `type: "float33"`) {
		t.Errorf("err = %v, want the invalid type named", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Read(ctx, m, 1, []Register{f32("a", Input, 0)}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if len(m.requests) != 0 {
		t.Errorf("requests = %v, want none", m.requests)
	}
}

type shortReader struct{}

func (shortReader) ReadRegisters(context.Context, uint8, Table, uint16, uint16) ([]uint16, error) {
	return []uint16{1}, nil
}

func TestReadShortAnswer(t *testing.T) {
	_, _, err := Read(context.Background(), shortReader{}, 1, []Register{f32("a", Input, 0)})
	if err == nil || !strings.Contains(err.Error(), "got 1 registers, asked for 2") {
		t.Errorf("err = %v", err)
	}
}

func TestReadAcrossHoles(t *testing.T) {
	timeout := errors.New("request timed out")
	tests := []struct {
		name         string
		holes        []uint16
		fail         map[uint16]error
		regs         []Register
		wantValues   []string
		wantSkipped  []string
		wantRequests []string
		wantErr      bool
	}{
		{"a hole between two registers: asked one by one",
			[]uint16{4}, nil, []Register{f32("a", Input, 0), f32("b", Input, 6)},
			[]string{"a", "b"}, nil, []string{"input 0+8", "input 0+2", "input 6+2"}, false},
		{"a register the device lacks is skipped, the rest kept",
			[]uint16{6}, nil, []Register{f32("a", Input, 0), f32("b", Input, 6)},
			[]string{"a"}, []string{"b"}, []string{"input 0+8", "input 0+2", "input 6+2"}, false},
		{"a timeout costs one request and no retries",
			nil, map[uint16]error{0: timeout}, []Register{f32("a", Input, 0), f32("b", Input, 6)},
			nil, nil, []string{"input 0+8"}, true},
		{"a lone register refused is an error, asked once",
			[]uint16{0}, nil, []Register{f32("a", Input, 0)},
			nil, nil, []string{"input 0+2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &image{fail: tt.fail, holes: map[uint16]bool{}}
			for _, h := range tt.holes {
				m.holes[h] = true
			}
			for _, r := range tt.regs {
				m.put(r.Table, r.Address, 0x4248, 0) // 50.0
			}
			values, skipped, err := Read(context.Background(), m, 1, tt.regs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want an error: %v", err, tt.wantErr)
			}
			var got []string
			for _, r := range tt.regs {
				if _, ok := values[r.Field]; ok {
					got = append(got, r.Field)
				}
			}
			if !reflect.DeepEqual(got, tt.wantValues) || !reflect.DeepEqual(skipped, tt.wantSkipped) {
				t.Errorf("values %v, skipped %v; want values of %v, skipped %v", values, skipped, tt.wantValues, tt.wantSkipped)
			}
			if !reflect.DeepEqual(m.requests, tt.wantRequests) {
				t.Errorf("requests %v, want %v", m.requests, tt.wantRequests)
			}
		})
	}
}

package sunspec

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/reading"
)

func TestDiscoverBases(t *testing.T) {
	inv := common("Fronius", "Symo 8.2-3-M", "3.14.1", "SN-0042")
	for _, tc := range []struct {
		name  string
		img   image
		base  uint16
		probe int // requests spent finding the marker
	}{
		{"40000", chain{base: 40000, models: []block{inv, inv103(1234, 0, 5000000, 0)}}.image(), 40000, 1},
		{"50000", chain{base: 50000, models: []block{inv, inv103(1234, 0, 5000000, 0)}}.image(), 50000, 2},
		{"0", chain{base: 0, models: []block{inv, inv103(1234, 0, 5000000, 0)}}.image(), 0, 3},
		{"50000 behind other data at 40000", func() image {
			img := chain{base: 50000, models: []block{inv, inv103(1, 0, 1, 0)}}.image()
			img[40000], img[40001] = 0x1234, 0x5678
			return img
		}(), 50000, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, h := serve(t, map[uint8]image{7: tc.img})
			d, err := Discover(context.Background(), r, 7)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if d.Base != tc.base {
				t.Errorf("Base = %d, want %d", d.Base, tc.base)
			}
			want := Common{Manufacturer: "Fronius", Model: "Symo 8.2-3-M", Version: "3.14.1", Serial: "SN-0042"}
			if d.Common != want {
				t.Errorf("Common = %+v, want %+v", d.Common, want)
			}
			if got := d.ModelIDs(); !slices.Equal(got, []uint16{1, 103}) {
				t.Errorf("models = %v, want [1 103]", got)
			}
			if m := d.Models[1]; m.Addr != tc.base+2+2+66+2 || m.Len != 50 {
				t.Errorf("model 103 = %+v, want data at %d, length 50", m, tc.base+72)
			}
			// probe + 3 headers (1, 103, end) + common data.
			if got, want := h.Requests(), tc.probe+4; got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

func TestDiscoverStringsTrimmed(t *testing.T) {
	c := block{id: 1, data: data(65, map[int][]uint16{ // L = 65: no pad
		0: str("  SolarEdge ", 16), 16: str("SE5K\x00garbage", 16), 40: str("0003.2221", 8), 48: str("7E1234AB    ", 16),
	})}
	r, _ := serve(t, map[uint8]image{1: chain{base: 40000, models: []block{c}}.image()})
	d, err := Discover(context.Background(), r, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Common{Manufacturer: "SolarEdge", Model: "SE5K", Version: "0003.2221", Serial: "7E1234AB"}
	if d.Common != want {
		t.Errorf("Common = %+v, want %+v", d.Common, want)
	}
}

func TestDiscoverFailures(t *testing.T) {
	c := common("M", "D", "1", "S")
	tooMany := chain{base: 40000, models: []block{c}}
	for range maxModels + 10 {
		tooMany.models = append(tooMany.models, block{id: 64000})
	}
	for _, tc := range []struct {
		name    string
		img     image
		wantErr error // nil: success
		models  []uint16
	}{
		{"no marker anywhere", image{0: 1, 1: 2, 40000: 0, 40001: 0}, ErrNotSunSpec, nil},
		{"empty device", image{}, ErrNotSunSpec, nil},
		{"model id 0 after the inverter", func() image {
			img := chain{base: 40000, models: []block{c, inv103(1, 0, 1, 0)}, noEnd: true}.image()
			img[40000+2+68+52], img[40000+2+68+53] = 0, 0
			return img
		}(), ErrBrokenChain, []uint16{1, 103}},
		{"length runs past 65535", chain{base: 50000, models: []block{c, {id: 103, data: nil}}, noEnd: true}.image().with(50000+2+68, 103, 0xF000), ErrBrokenChain, []uint16{1}},
		{"endless chain", tooMany.image(), ErrBrokenChain, nil},
		{"no end marker: map just stops", chain{base: 40000, models: []block{c, inv103(1, 0, 1, 0)}, noEnd: true}.image(), nil, []uint16{1, 103}},
		{"first model is not common", chain{base: 40000, models: []block{inv103(1, 0, 1, 0)}}.image(), errors.New("not common model 1"), nil},
		{"end right after the marker", chain{base: 40000}.image(), ErrBrokenChain, nil},
		{"nothing after the marker", chain{base: 40000, noEnd: true}.image(), modbus.ErrIllegalDataAddress, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, h := serve(t, map[uint8]image{3: tc.img})
			d, err := Discover(context.Background(), r, 3)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Discover: %v", err)
			case tc.wantErr != nil && err == nil:
				t.Fatalf("Discover succeeded with %v, want error %v", d.ModelIDs(), tc.wantErr)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr) && !strings.Contains(err.Error(), tc.wantErr.Error()):
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if tc.models != nil && !slices.Equal(d.ModelIDs(), tc.models) {
				t.Errorf("models = %v, want %v", d.ModelIDs(), tc.models)
			}
			if n := h.Requests(); n > maxModels+5 {
				t.Errorf("%d requests: the walk is not bounded", n)
			}
		})
	}
}

func (img image) with(addr uint16, ws ...uint16) image {
	for i, w := range ws {
		img[addr+uint16(i)] = w
	}
	return img
}

// A unit that does not answer costs one request, not one per base.
func TestDiscoverDeadUnitStopsAtOnce(t *testing.T) {
	for _, e := range []error{modbus.ErrRequestTimedOut, modbus.ErrGWTargetFailedToRespond, context.DeadlineExceeded} {
		m := &memReader{err: e}
		_, err := Discover(context.Background(), m, 9)
		if !errors.Is(err, e) || errors.Is(err, ErrNotSunSpec) {
			t.Errorf("%v: Discover error %v", e, err)
		}
		if m.requests != 1 {
			t.Errorf("%v: %d requests, want 1", e, m.requests)
		}
	}
	// Over TCP, an unknown unit behind a gateway: one request.
	r, h := serve(t, map[uint8]image{1: {}})
	if _, err := Discover(context.Background(), r, 42); err == nil {
		t.Fatal("Discover of a missing unit succeeded")
	}
	if h.Requests() != 1 {
		t.Errorf("%d requests for a missing unit, want 1", h.Requests())
	}
}

func TestRead(t *testing.T) {
	c := common("Maker", "Model", "1.0", "123")
	sp := func(fs ...string) []string { return fs }
	for _, tc := range []struct {
		name    string
		models  []block
		solar   map[string]float64
		energy  map[string]float64
		skipped []string
	}{
		{"inverter 103 positive sf", []block{c, inv103(345, 1, 1234567, 1)}, map[string]float64{"power_w": 3450, "kwh_total": 12345.67}, nil, nil},
		{"inverter 103 negative sf", []block{c, inv103(12345, -2, 98765, -1)}, map[string]float64{"power_w": 123.45, "kwh_total": 9.8765}, nil, nil},
		{"inverter 101 zero power at night", []block{c, {id: 101, data: inv103(0, 0, 5000, 3).data}}, map[string]float64{"power_w": 0, "kwh_total": 5000}, nil, nil},
		{"inverter 103 power not implemented", []block{c, inv103(ni16, 0, 1000, 0)}, map[string]float64{"kwh_total": 1}, nil, sp("solar.power_w")},
		{"inverter 103 W_SF not implemented", []block{c, inv103(100, ni16, 1000, 0)}, map[string]float64{"kwh_total": 1}, nil, sp("solar.power_w")},
		{"inverter 103 acc32 zero is not implemented", []block{c, inv103(100, 0, 0, 0)}, map[string]float64{"power_w": 100}, nil, sp("solar.kwh_total")},
		{"inverter 103 WH_SF not implemented", []block{c, inv103(100, 0, 1000, ni16)}, map[string]float64{"power_w": 100}, nil, sp("solar.kwh_total")},
		{"inverter 103 WH_SF out of range", []block{c, inv103(100, 0, 1000, 11)}, map[string]float64{"power_w": 100}, nil, sp("solar.kwh_total")},
		{"inverter 113 float", []block{c, inv113(4321.5, 7.5e6)}, map[string]float64{"power_w": 4321.5, "kwh_total": 7500}, nil, nil},
		{"inverter 111 NaN power", []block{c, {id: 111, data: inv113(float32(math.NaN()), 1000).data}}, map[string]float64{"kwh_total": 1}, nil, sp("solar.power_w")},
		{"inverter 112 negative energy", []block{c, {id: 112, data: inv113(5, -1000).data}}, map[string]float64{"power_w": 5}, nil, sp("solar.kwh_total")},
		{"meter 203 import with sf", []block{c, meter203(-1500, 0, 4242, 3)}, nil, map[string]float64{"power_w": -1500, "kwh_total": 4242}, nil},
		{"meter 201 negative sf", []block{c, {id: 201, data: meter203(2500, -1, 123456, -1).data}}, nil, map[string]float64{"power_w": 250, "kwh_total": 12.3456}, nil},
		{"meter 203 sentinels", []block{c, meter203(ni16, 0, 0, 0)}, nil, map[string]float64{}, sp("energy.power_w", "energy.kwh_total")},
		{"meter 213 float", []block{c, meter213(812.25, 2.5e6)}, nil, map[string]float64{"power_w": 812.25, "kwh_total": 2500}, nil},
		{"meter 211 NaN import", []block{c, {id: 211, data: meter213(10, float32(math.NaN())).data}}, nil, map[string]float64{"power_w": 10}, sp("energy.kwh_total")},
		{"storage 124", []block{c, {id: 124, data: data(24, map[int][]uint16{6: u16(8765), 20: i16(-2)})}}, map[string]float64{"battery_soc_pct": 87.65}, nil, nil},
		{"storage 124 not implemented", []block{c, {id: 124, data: data(24, map[int][]uint16{6: u16(0xFFFF)})}}, map[string]float64{}, nil, sp("solar.battery_soc_pct")},
		{"storage 124 sf not implemented", []block{c, {id: 124, data: data(24, map[int][]uint16{6: u16(50), 20: u16(ni16)})}}, map[string]float64{}, nil, sp("solar.battery_soc_pct")},
		{"storage 713 with Pct_SF", []block{c, {id: 713, data: data(7, map[int][]uint16{2: u16(655), 6: i16(-1)})}}, map[string]float64{"battery_soc_pct": 65.5}, nil, nil},
		{"storage 713 draft without Pct_SF", []block{c, {id: 713, data: data(6, map[int][]uint16{2: u16(42)})}}, map[string]float64{"battery_soc_pct": 42}, nil, nil},
		{"storage 802", []block{c, {id: 802, data: data(62, map[int][]uint16{9: u16(99), 54: i16(0)})}}, map[string]float64{"battery_soc_pct": 99}, nil, nil},
		{"storage 802 above 100", []block{c, {id: 802, data: data(62, map[int][]uint16{9: u16(990), 54: i16(0)})}}, map[string]float64{}, nil, sp("solar.battery_soc_pct")},
		{"hybrid: inverter, meter, battery", []block{c, inv103(2000, 0, 10000, 0), {id: 120, data: data(26, nil)}, meter213(-300, 1000), {id: 802, data: data(62, map[int][]uint16{9: u16(55)})}},
			map[string]float64{"power_w": 2000, "kwh_total": 10, "battery_soc_pct": 55}, map[string]float64{"power_w": -300, "kwh_total": 1}, nil},
		{"second inverter model ignored", []block{c, inv103(1, 0, 1000, 0), inv113(2, 2000)}, map[string]float64{"power_w": 1, "kwh_total": 1}, nil, nil},
		{"short model: W_SF beyond L", []block{c, {id: 103, data: inv103(100, 0, 1000, 0).data[:13]}}, map[string]float64{}, nil, sp("solar.power_w", "solar.kwh_total")},
		{"common model only", []block{c}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, h := serve(t, map[uint8]image{2: chain{base: 40000, models: tc.models}.image()})
			d, err := Discover(context.Background(), r, 2)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			before := h.Requests()
			v, err := d.Read(context.Background(), r, 2)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if n, kinds := h.Requests()-before, len(kindsOf(d)); n != kinds {
				t.Errorf("Read made %d requests for %d models, want one each", n, kinds)
			}
			same(t, "solar", v.Solar, tc.solar)
			same(t, "energy", v.Energy, tc.energy)
			if !slices.Equal(v.Skipped, tc.skipped) {
				t.Errorf("skipped = %q, want %q", v.Skipped, tc.skipped)
			}
			for _, s := range []reading.Stream{reading.Solar, reading.Energy} {
				m, sk := v.Stream(s)
				want := v.Solar
				if s == reading.Energy {
					want = v.Energy
				}
				same(t, string(s), m, want)
				for _, f := range sk {
					if !slices.Contains(tc.skipped, string(s)+"."+f) {
						t.Errorf("Stream(%s) skipped %q, not in %q", s, f, tc.skipped)
					}
				}
			}
		})
	}
}

func kindsOf(d Device) map[string]bool {
	k := map[string]bool{}
	for _, m := range d.Models {
		if l, ok := layoutOf(m.ID); ok {
			k[l.kind] = true
		}
	}
	return k
}

func same(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s[%s] = %v (present %v), want %v", what, k, g, ok, w)
		}
	}
}

func TestReadErrorKeepsEarlierValues(t *testing.T) {
	c := common("M", "D", "1", "S")
	img := chain{base: 40000, models: []block{c, inv103(10, 0, 1000, 0), meter203(1, 0, 1, 0)}}.image()
	d, err := Discover(context.Background(), &memReader{img: img}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The meter's registers vanish (say the device restarts mid-poll).
	meter := d.Models[2]
	delete(img, meter.Addr)
	v, err := d.Read(context.Background(), &memReader{img: img}, 1)
	if !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Fatalf("Read error %v, want illegal data address", err)
	}
	if !reflect.DeepEqual(v.Solar, map[string]float64{"power_w": 10, "kwh_total": 1}) {
		t.Errorf("solar = %v", v.Solar)
	}
}

// TestDiscoveryTime checks the target: discovery of one device in at most
// 2 s on loopback, against a real Modbus TCP server.
func TestDiscoveryTime(t *testing.T) {
	c := common("Maker", "Model", "1.0", "123")
	models := []block{c, inv103(1, 0, 1, 0), {id: 120, data: data(26, nil)}, {id: 121, data: data(30, nil)},
		{id: 122, data: data(44, nil)}, {id: 123, data: data(24, nil)}, {id: 160, data: data(48, nil)}, meter203(1, 0, 1, 0),
		{id: 802, data: data(62, nil)}}
	r, h := serve(t, map[uint8]image{1: chain{base: 0, models: models}.image()}) // base 0: the slowest probe
	start := time.Now()
	d, err := Discover(context.Background(), r, 1)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("discovered %d models in %d requests in %v (target ≤ 2s)", len(d.Models), h.Requests(), took)
	if took > 2*time.Second {
		t.Errorf("discovery took %v, target is 2s", took)
	}
}

func BenchmarkDiscover(b *testing.B) {
	c := common("Maker", "Model", "1.0", "123")
	r, _ := serve(b, map[uint8]image{1: chain{base: 40000, models: []block{c, inv103(1, 0, 1, 0), meter203(1, 0, 1, 0)}}.image()})
	ctx := context.Background()
	for b.Loop() {
		if _, err := Discover(ctx, r, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDiscover feeds arbitrary register images: Discover and Read must
// neither panic nor loop.
func FuzzDiscover(f *testing.F) {
	c := common("M", "D", "1", "S")
	seed := func(ch chain) []byte {
		img := ch.image()
		b := []byte{byte(ch.base / 25000)}
		for a := int(ch.base); ; a++ {
			w, ok := img[uint16(a)]
			if !ok {
				break
			}
			b = append(b, byte(w>>8), byte(w))
		}
		return b
	}
	f.Add(seed(chain{base: 40000, models: []block{c, inv103(1, 0, 1, 0)}}))
	f.Add(seed(chain{base: 50000, models: []block{c, meter213(1, 2)}, noEnd: true}))
	f.Add(seed(chain{base: 0, models: []block{c, {id: 0, data: []uint16{0, 0}}}}))
	f.Add([]byte{0, 0x53, 0x75, 0x6e, 0x53, 0, 1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		base := Bases()[int(b[0])%3]
		img := image{}
		for i := 0; 2*i+2 < len(b) && int(base)+i <= 0xFFFF; i++ {
			img[base+uint16(i)] = uint16(b[1+2*i])<<8 | uint16(b[2+2*i])
		}
		m := &memReader{img: img}
		d, err := Discover(context.Background(), m, 1)
		if m.requests > maxModels+5 {
			t.Fatalf("%d requests: the walk is not bounded", m.requests)
		}
		if err != nil && len(d.Models) == 0 {
			return
		}
		for i, md := range d.Models {
			if int(md.Addr)+int(md.Len) > 0x10000 || (i > 0 && md.Addr <= d.Models[i-1].Addr) {
				t.Fatalf("model %d: %+v out of order or range", i, md)
			}
		}
		before := m.requests
		if _, err := d.Read(context.Background(), m, 1); err == nil && m.requests-before > 3 {
			t.Fatalf("Read made %d requests", m.requests-before)
		}
	})
}

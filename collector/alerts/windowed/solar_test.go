package windowed

import (
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// sol builds a facility with pv_kwp kWp and solar_kwh kwh on days 1, 2, ….
func sol(id, gov string, kWp float64, kwh ...float64) Facility {
	return fac(id, gov, pv(kWp), vals(indicators.SolarKWh, kwh...))
}

// peers3 are three 10 kWp peers yielding 4, 5 and 6 kWh/kWp on days 1–3:
// a median of 5 for any other facility, and 2.5 the default threshold.
func peers3(gov string) []Facility {
	return []Facility{sol(gov+"-P1", gov, 10, 40, 40, 40), sol(gov+"-P2", gov, 10, 50, 50, 50), sol(gov+"-P3", gov, 10, 60, 60, 60)}
}

func with(f Facility, others ...Facility) []Facility { return append([]Facility{f}, others...) }

func TestSolarUnderperforming(t *testing.T) {
	peersClear := func(gov string) []want {
		return []want{{facility: gov + "-P1", outcome: clears}, {facility: gov + "-P2", outcome: clears}, {facility: gov + "-P3", outcome: clears}}
	}
	runRuleCases(t, RuleSolarUnderperforming, []ruleCase{
		{name: "below on every day", facilities: with(sol("A", "G", 10, 24.9, 24, 20), peers3("G")...),
			want: append(peersClear("G"), want{facility: "A", outcome: fires, since: testNow(), severity: "warning",
				msg:   []string{"Solar yield 2.30 kWh/kWp a day against a governorate median of 5.00 kWh/kWp over the last 3 days, below 50 % of it on each day"},
				msgAr: []string{"2.30 كيلوواط ساعي لكل كيلوواط ذروة", "وسيط المحافظة البالغ 5.00", "خلال آخر 3 أيام،", "50%"}})},
		{name: "at the threshold on one day", facilities: with(sol("A", "G", 10, 24, 25, 24), peers3("G")...),
			want: append(peersClear("G"), want{facility: "A", outcome: clears})},
		{name: "above on the oldest day", facilities: with(sol("A", "G", 10, 24, 24, 30), peers3("G")...),
			want: append(peersClear("G"), want{facility: "A", outcome: clears})},
		{name: "yield per kWp, not kWh", facilities: with(sol("A", "G", 2, 9, 9, 9), peers3("G")...),
			want: append(peersClear("G"), want{facility: "A", outcome: clears})},
		{name: "a day the facility has no value",
			facilities: with(fac("A", "G", pv(10), on(indicators.SolarKWh, 1, 1, 3)), append(peers3("G"), sol("P4", "G", 10, 55, 55, 55))...),
			// A fourth peer so that the others still have three on day 2.
			want: append(peersClear("G"), want{facility: "P4", outcome: clears}, want{facility: "A", outcome: none})},
		{name: "a day with too few peers",
			facilities: []Facility{sol("A", "G", 10, 1, 1, 1), sol("P1", "G", 10, 40, 40, 40), sol("P2", "G", 10, 50, 50, 50),
				fac("P3", "G", pv(10), on(indicators.SolarKWh, 60, 1, 3))},
			// P3 has peers A, P1 and P2 on days 1 and 3 but no value on day 2.
			want: []want{{facility: "A", outcome: none}, {facility: "P1", outcome: none}, {facility: "P2", outcome: none}, {facility: "P3", outcome: none}}},
		{name: "min_peers 2 lets that day count", set: func(s *Settings) { s.SolarUnderperforming.MinPeers = 2 },
			facilities: []Facility{sol("A", "G", 10, 1, 1, 1), sol("P1", "G", 10, 40, 40, 40), sol("P2", "G", 10, 50, 50, 50),
				fac("P3", "G", pv(10), on(indicators.SolarKWh, 60, 1, 3))},
			// A's peers on day 2 are P1 and P2: median 4.5.
			want: []want{{facility: "A", outcome: fires}, {facility: "P1", outcome: clears}, {facility: "P2", outcome: clears}, {facility: "P3", outcome: none}}},
		{name: "without pv_kwp neither judged nor a peer",
			facilities: []Facility{sol("A", "G", 10, 1, 1, 1), sol("P1", "G", 10, 40, 40, 40), sol("P2", "G", 10, 50, 50, 50),
				sol("NOPV", "G", 0, 60, 60, 60)},
			want: []want{{facility: "A", outcome: none}, {facility: "P1", outcome: none}, {facility: "P2", outcome: none}, {facility: "NOPV", outcome: none}}},
		{name: "peers of another governorate do not count",
			facilities: append([]Facility{sol("A", "G", 10, 1, 1, 1), sol("P1", "G", 10, 40, 40, 40), sol("P2", "G", 10, 50, 50, 50)}, peers3("H")...),
			// Each of H's three has only two peers, too.
			want: []want{{facility: "A", outcome: none}, {facility: "P1", outcome: none}, {facility: "P2", outcome: none},
				{facility: "H-P1", outcome: none}, {facility: "H-P2", outcome: none}, {facility: "H-P3", outcome: none}}},
		{name: "median 0", facilities: []Facility{sol("A", "G", 10, 0, 0, 0), sol("P1", "G", 10, 0, 0, 0), sol("P2", "G", 10, 0, 0, 0),
			sol("P3", "G", 10, 0, 0, 0)},
			want: []want{{facility: "A", outcome: none}, {facility: "P1", outcome: none}, {facility: "P2", outcome: none}, {facility: "P3", outcome: none}}},
		{name: "odd peers: the median, not the mean",
			facilities: []Facility{sol("A", "G", 10, 24, 24, 24), sol("P1", "G", 10, 40, 40, 40), sol("P2", "G", 10, 50, 50, 50),
				sol("P3", "G", 10, 1000, 1000, 1000)},
			want: []want{{facility: "A", outcome: fires, msg: []string{"median of 5.00 kWh/kWp"}}, {facility: "P1", outcome: clears},
				{facility: "P2", outcome: clears}, {facility: "P3", outcome: clears}}},
		{name: "even peers: the mean of the middle two, just below",
			facilities: with(sol("A", "G", 10, 27.4, 27.4, 27.4), append(peers3("G"), sol("P4", "G", 10, 70, 70, 70))...),
			want: []want{{facility: "A", outcome: fires, msg: []string{"2.74 kWh/kWp", "median of 5.50 kWh/kWp"}},
				{facility: "G-P1", outcome: clears}, {facility: "G-P2", outcome: clears}, {facility: "G-P3", outcome: clears}, {facility: "P4", outcome: clears}}},
		{name: "even peers: at the threshold",
			facilities: with(sol("A", "G", 10, 27.5, 27.5, 27.5), append(peers3("G"), sol("P4", "G", 10, 70, 70, 70))...),
			want: []want{{facility: "A", outcome: clears},
				{facility: "G-P1", outcome: clears}, {facility: "G-P2", outcome: clears}, {facility: "G-P3", outcome: clears}, {facility: "P4", outcome: clears}}},
		{name: "two facilities equally low are each other's peers",
			facilities: []Facility{sol("A", "G", 10, 10, 10, 10), sol("B", "G", 10, 10, 10, 10), sol("P1", "G", 10, 50, 50, 50),
				sol("P2", "G", 10, 60, 60, 60)},
			// A's peers: 1, 5, 6 → median 5; B's likewise.
			want: []want{{facility: "A", outcome: fires, msg: []string{"median of 5.00"}}, {facility: "B", outcome: fires},
				{facility: "P1", outcome: clears}, {facility: "P2", outcome: clears}}},
		{name: "days 1 judges yesterday only", set: func(s *Settings) { s.SolarUnderperforming.Days = 1 },
			facilities: with(sol("A", "G", 10, 24, 100), peers3("G")...),
			want:       append(peersClear("G"), want{facility: "A", outcome: fires, msg: []string{"over the last day,"}})},
		{name: "IQ-BA share overridden to 30",
			override:   map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.SolarUnderperforming.SharePct = 30 }},
			facilities: append(with(sol("BA", "IQ-BA", 10, 20, 20, 20), peers3("IQ-BA")...), with(sol("BG", "IQ-BG", 10, 20, 20, 20), peers3("IQ-BG")...)...),
			want: append(append(peersClear("IQ-BA"), peersClear("IQ-BG")...),
				want{facility: "BA", outcome: clears}, want{facility: "BG", outcome: fires, msg: []string{"below 50 %"}})},
	})
}

func TestMedianWithout(t *testing.T) {
	for _, c := range []struct {
		name   string
		ys     []float64
		own    float64
		median float64
		n      int
	}{
		{"alone", []float64{3}, 3, 0, 0},
		{"one peer", []float64{1, 3}, 1, 3, 1},
		{"odd, own first", []float64{1, 4, 5, 6}, 1, 5, 3},
		{"odd, own last", []float64{4, 5, 6, 9}, 9, 5, 3},
		{"odd, own in the middle", []float64{4, 5, 6, 7}, 5, 6, 3},
		{"even, own first", []float64{1, 4, 5, 6, 7}, 1, 5.5, 4},
		{"even, own last", []float64{4, 5, 6, 7, 9}, 9, 5.5, 4},
		{"even, own in the middle", []float64{4, 5, 6, 7, 8}, 6, 6, 4},
		{"duplicates of own", []float64{2, 2, 2, 8}, 2, 2, 3},
		{"own equal to the median", []float64{1, 5, 5, 9}, 5, 5, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			median, n := medianWithout(c.ys, c.own)
			if median != c.median || n != c.n {
				t.Errorf("medianWithout(%v, %g) = %g of %d, want %g of %d", c.ys, c.own, median, n, c.median, c.n)
			}
		})
	}
}

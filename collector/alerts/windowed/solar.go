package windowed

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// peerYields are the solar yields (solar_kwh per kWp of pv_kwp) of one
// governorate's facilities with pv_kwp > 0, for each of the last days: a
// facility's peers on a day are these less itself. Built once per
// Evaluate, sorted once per governorate and day, so that each facility's
// peer median costs a binary search rather than a pass over its peers.
type peerYields struct {
	// byDay[d-1] are day d's yields, ascending.
	byDay [][]float64
}

func newPeerYields(fs []Facility, members []int, days int) *peerYields {
	p := &peerYields{byDay: make([][]float64, days)}
	for d := 1; d <= days; d++ {
		var ys []float64
		for _, i := range members {
			if y, ok := yield(&fs[i], d); ok {
				ys = append(ys, y)
			}
		}
		slices.Sort(ys)
		p.byDay[d-1] = ys
	}
	return p
}

// yield is the facility's solar_kwh per kWp on the day; none without
// pv_kwp > 0 or a solar value. Both the peers' lists and the facility's
// own figure come from here, so equal inputs give bit-equal yields and
// medianWithout finds the facility's own entry.
func yield(f *Facility, day int) (float64, bool) {
	if !(f.PVkWp > 0) {
		return 0, false
	}
	kwh, ok := value(f, indicators.SolarKWh, day)
	if !ok {
		return 0, false
	}
	return kwh / f.PVkWp, true
}

// medianWithout returns the median of ys, sorted ascending, less one
// entry equal to own (which ys must hold), and how many entries that
// median is of.
func medianWithout(ys []float64, own float64) (median float64, n int) {
	pos := sort.SearchFloat64s(ys, own)
	if pos == len(ys) || ys[pos] != own {
		panic("windowed: facility's own yield missing from its governorate's yields")
	}
	n = len(ys) - 1
	if n == 0 {
		return 0, 0
	}
	// The k-th of the peers, skipping the facility's own entry.
	peer := func(k int) float64 {
		if k < pos {
			return ys[k]
		}
		return ys[k+1]
	}
	if n%2 == 1 {
		return peer(n / 2), n
	}
	return (peer(n/2-1) + peer(n/2)) / 2, n
}

// solarUnderperforming fires when, on every one of the last days days, the
// facility's solar yield was below share_pct % of the median yield of its
// governorate's peers. It judges only facilities with pv_kwp > 0, and is
// undecided if any of those days cannot be judged: the facility has no
// solar value, it has fewer than min_peers peers with one, or their median
// is 0 (a day without sun, or solar meters not reporting). Clear too needs
// every day judged, so that an alert is not cleared on a window with a
// gap in it.
func solarUnderperforming(f *Facility, st *Settings, peers *peerYields) verdict {
	sol := st.SolarUnderperforming
	if !(f.PVkWp > 0) || peers == nil || sol.Days < 1 || len(peers.byDay) < sol.Days {
		return undecided()
	}
	share := sol.SharePct / 100
	below := true
	var sumOwn, sumMedian float64
	for d := 1; d <= sol.Days; d++ {
		y, ok := yield(f, d)
		if !ok {
			return undecided()
		}
		median, n := medianWithout(peers.byDay[d-1], y)
		if n < sol.MinPeers || !(median > 0) {
			return undecided()
		}
		if !(y < share*median) {
			below = false
		}
		sumOwn += y
		sumMedian += median
	}
	if !below {
		return cleared()
	}
	days := float64(sol.Days)
	own, median := sumOwn/days, sumMedian/days
	return firing(time.Time{},
		fmt.Sprintf("Solar yield %.2f kWh/kWp a day against a governorate median of %.2f kWh/kWp over %s, below %s %% of it on each day",
			own, median, lastDaysEn(sol.Days), num(sol.SharePct)),
		fmt.Sprintf("بلغ الإنتاج الشمسي %.2f كيلوواط ساعي لكل كيلوواط ذروة يوميًا مقابل وسيط المحافظة البالغ %.2f كيلوواط ساعي لكل كيلوواط ذروة خلال %s، أي أقل من %s%% منه في كل يوم",
			own, median, lastDaysAr(sol.Days), num(sol.SharePct)))
}

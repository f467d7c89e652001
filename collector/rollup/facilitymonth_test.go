package rollup

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

func TestFacilityMonthRoundTrip(t *testing.T) {
	p := indicators.PeriodOf(indicators.Month, time.Date(2026, 11, 3, 0, 0, 0, 0, baghdad), baghdad)
	vals := []indicators.Value{
		{ID: indicators.GridKWh, Value: 1234.5678, Facilities: 1},
		{ID: indicators.GridAvailabilityPct, Value: 50, Facilities: 1, Ratio: true, Num: 36000, Den: 72000},
		{ID: indicators.StorageExceededCount, Value: 0, Facilities: 1},
	}
	var b bytes.Buffer
	appendFacilityMonth(&b, vals, "BG-H-001", p)
	line := b.String()
	if !strings.HasPrefix(line, `facility_month,area=BG-H-001,period=month values="grid_kwh=1234.5678;grid_availability_pct=50/36000/72000;storage_exceeded_count=0" `) {
		t.Fatalf("line %q", line)
	}
	field := line[strings.Index(line, `"`)+1 : strings.LastIndex(line, `"`)]
	got, err := ParseFacilityValues("BG-H-001", field)
	if err != nil || len(got) != 3 || got[0].Value != 1234.5678 || !got[1].HasTerms || got[1].Numerator != 36000 || got[1].Denominator != 72000 || got[2].HasTerms {
		t.Errorf("parsed %+v, %v", got, err)
	}
	b.Reset()
	appendFacilityMonth(&b, nil, "BG-H-002", p)
	if b.Len() != 0 {
		t.Errorf("a facility without values wrote %q", b.String())
	}
	for _, bad := range []string{"grid_kwh", "grid_kwh=x", "grid_kwh=1/2", "a=1;b"} {
		if _, err := ParseFacilityValues("F", bad); err == nil || !strings.Contains(err.Error(), "facility month of F") {
			t.Errorf("parse %q: %v, want an error naming the facility", bad, err)
		}
	}
}

// TestFacilityDayPoint: a day's values go to the facility_day
// measurement, tagged period=day, at the day's start.
func TestFacilityDayPoint(t *testing.T) {
	p := indicators.PeriodOf(indicators.Day, time.Date(2026, 8, 4, 10, 0, 0, 0, baghdad), baghdad)
	var b bytes.Buffer
	appendFacilityMonth(&b, []indicators.Value{{ID: indicators.WasteKg, Value: 12.5, Facilities: 1}}, "KA-H-001", p)
	want := FacilityDayMeasurement + `,area=KA-H-001,period=day values="waste_kg=12.5" ` + strconv.FormatInt(p.Start.UnixNano(), 10) + "\n"
	if got := b.String(); got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}

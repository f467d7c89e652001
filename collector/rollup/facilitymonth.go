package rollup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// A month's indicators of one facility are also written as one point of
// measurement facilityMonth (tags area, period; string field values), so
// that a reader wanting every indicator of every facility — the DHIS2
// export, 2,000 facilities × 14 indicators — reads 2,000 series instead
// of 84,000 (one per point and field): InfluxDB 1.8's Flux costs tens of
// µs a series, and that read took 7–12 s instead of 0.1–0.25 s. The
// indicator points stay the source of truth; this one is written in the
// same write, so the two never disagree.
const facilityMonth = "facility_month"

// FacilityDayMeasurement is the same for each facility's day: a reader of
// many facilities' days, such as a mass gathering's comparison (2,000
// facilities × 39 days × 6 indicators), reads 2,000 series instead of
// 12,000 (collector/surge).
const FacilityDayMeasurement = "facility_day"

// appendFacilityMonth writes vals as the facility's month or day point:
// entries "id=value" for sums and "id=value/numerator/denominator" for
// ratios, separated by ';'.
func appendFacilityMonth(b *bytes.Buffer, vals []indicators.Value, facility string, p indicators.Period) {
	if len(vals) == 0 {
		return
	}
	if p.Kind == indicators.Day {
		b.WriteString(FacilityDayMeasurement)
	} else {
		b.WriteString(facilityMonth)
	}
	b.WriteString(",area=")
	b.WriteString(facility)
	b.WriteString(",period=")
	b.WriteString(string(p.Kind))
	b.WriteString(" values=\"")
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(v.ID))
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(v.Value, 'g', -1, 64))
		if v.Ratio {
			b.WriteByte('/')
			b.WriteString(strconv.FormatFloat(v.Num, 'g', -1, 64))
			b.WriteByte('/')
			b.WriteString(strconv.FormatFloat(v.Den, 'g', -1, 64))
		}
	}
	b.WriteString("\" ")
	b.WriteString(strconv.FormatInt(p.Start.UnixNano(), 10))
	b.WriteByte('\n')
}

// FacilityValue is one indicator of one facility's month. A ratio has
// its numerator and denominator when HasTerms is true.
type FacilityValue struct {
	Facility               string
	Indicator              indicators.ID
	Value                  float64
	Numerator, Denominator float64
	HasTerms               bool
}

// FacilityMonth returns every facility's values of month p for the
// indicators ids, read from the one point per facility the roll-up writes
// for the month. A month rolled up before those points existed has none;
// its indicator points are read instead (slower, and without ratio parts).
func FacilityMonth(ctx context.Context, store Store, p indicators.Period, ids []indicators.ID) ([]FacilityValue, error) {
	_, bucket := store.Buckets()
	// The points stand at the month's start: a range of one nanosecond
	// needs no second, per-row filter on time.
	flux := fmt.Sprintf(`from(bucket: %q)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %q and r.period == "month" and r._field == "values")
  |> keep(columns: ["area", "_value"])
  |> group()`, bucket, p.Start.UTC().Format(time.RFC3339Nano), p.Start.Add(time.Nanosecond).UTC().Format(time.RFC3339Nano), facilityMonth)
	res, err := store.Query(ctx, flux)
	if err != nil {
		return nil, fmt.Errorf("read facility months: %w", err)
	}
	defer res.Close()
	var vals []FacilityValue
	found := false
	for res.Next() {
		found = true
		r := res.Record()
		s, _ := r.Value().(string)
		parsed, err := ParseFacilityValues(str(r.ValueByKey("area")), s)
		if err != nil {
			return nil, err
		}
		for _, v := range parsed {
			if slices.Contains(ids, v.Indicator) {
				vals = append(vals, v)
			}
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read facility months: %w", err)
	}
	if found {
		return vals, nil
	}
	rows, err := Read(ctx, store, Query{Indicators: ids, Level: "facility", Period: indicators.Month, From: p.Start, To: p.End, Terms: true})
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		if x.Start.Equal(p.Start) {
			vals = append(vals, FacilityValue{Facility: x.Area, Indicator: x.Indicator, Value: x.Value,
				Numerator: x.Numerator, Denominator: x.Denominator, HasTerms: x.HasTerms})
		}
	}
	return vals, nil
}

// ParseFacilityValues reads the values field of a facility_day or
// facility_month point, as appendFacilityMonth wrote it.
func ParseFacilityValues(facility, s string) ([]FacilityValue, error) {
	var out []FacilityValue
	for entry := range strings.SplitSeq(s, ";") {
		id, nums, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("facility month of %s: entry %q is not id=value", facility, entry)
		}
		v := FacilityValue{Facility: facility, Indicator: indicators.ID(id)}
		parts := strings.Split(nums, "/")
		var err error
		switch len(parts) {
		case 1:
			v.Value, err = strconv.ParseFloat(parts[0], 64)
		case 3:
			v.HasTerms = true
			var e1, e2, e3 error
			v.Value, e1 = strconv.ParseFloat(parts[0], 64)
			v.Numerator, e2 = strconv.ParseFloat(parts[1], 64)
			v.Denominator, e3 = strconv.ParseFloat(parts[2], 64)
			err = errors.Join(e1, e2, e3)
		default:
			err = fmt.Errorf("want value or value/numerator/denominator")
		}
		if err != nil {
			return nil, fmt.Errorf("facility month of %s: %s: %w", facility, entry, err)
		}
		out = append(out, v)
	}
	return out, nil
}

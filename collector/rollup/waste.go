package rollup

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// WasteRow is the waste one facility handed over in a range, for one
// category and treatment.
type WasteRow struct {
	Category  string  `json:"category"`
	Treatment string  `json:"treatment"`
	MassKg    float64 `json:"mass_kg"`
	Events    int64   `json:"events"`
}

// Waste sums a facility's raw waste events in [from, to) by category and
// treatment: the indicators keep only totals, and a facility manager wants
// to see where the kilograms went. Rows are ordered by category, then
// treatment.
func Waste(ctx context.Context, store Store, facility string, from, to time.Time) ([]WasteRow, error) {
	raw, _ := store.Buckets()
	// sum() and count() on one table stream would need two from() calls;
	// reduce() does both in one pass over a facility's few events.
	flux := fmt.Sprintf(`from(bucket: %q)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == "waste" and r.facility == %q and r._field == "mass_kg")
  |> filter(fn: (r) => r._time < %s)
  |> group(columns: ["category", "treatment"])
  |> reduce(identity: {kg: 0.0, n: 0}, fn: (r, accumulator) => ({kg: accumulator.kg + r._value, n: accumulator.n + 1}))`,
		raw, from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano), facility, to.UTC().Format(time.RFC3339Nano))
	res, err := store.Query(ctx, flux)
	if err != nil {
		return nil, fmt.Errorf("read waste of %s: %w", facility, err)
	}
	defer res.Close()
	var out []WasteRow
	for res.Next() {
		r := res.Record()
		out = append(out, WasteRow{
			Category: str(r.ValueByKey("category")), Treatment: str(r.ValueByKey("treatment")),
			MassKg: toFloat(r.ValueByKey("kg")), Events: int64(toFloat(r.ValueByKey("n"))),
		})
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read waste of %s: %w", facility, err)
	}
	slices.SortFunc(out, func(a, b WasteRow) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Treatment, b.Treatment))
	})
	return out, nil
}

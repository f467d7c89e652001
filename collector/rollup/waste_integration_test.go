package rollup

import (
	"context"
	"reflect"
	"testing"
)

// TestWasteSumsByCategoryAndTreatment checks the facility page's breakdown:
// events of the facility in [from, to) only, summed per category and
// treatment, with the event at `to` and another facility's left out.
func TestWasteSumsByCategoryAndTreatment(t *testing.T) {
	s := startStore(t)
	write(t, s, []point{
		{"waste,facility=BG-H-001,category=sharps,treatment=autoclave mass_kg=5", "2026-11-26T06:00:00Z"},
		{"waste,facility=BG-H-001,category=sharps,treatment=autoclave mass_kg=2.5", "2026-11-26T09:00:00Z"},
		{"waste,facility=BG-H-001,category=infectious,treatment=open_burning mass_kg=3", "2026-11-26T08:00:00Z"},
		{"waste,facility=BG-H-001,category=general,treatment=landfill mass_kg=20", "2026-11-27T00:00:00Z"},
		{"waste,facility=BG-H-002,category=sharps,treatment=autoclave mass_kg=100", "2026-11-26T06:00:00Z"},
	})
	got, err := Waste(context.Background(), s, "BG-H-001", at("2026-11-26T00:00:00Z"), at("2026-11-27T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	want := []WasteRow{
		{Category: "infectious", Treatment: "open_burning", MassKg: 3, Events: 1},
		{Category: "sharps", Treatment: "autoclave", MassKg: 7.5, Events: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("breakdown:\n got %+v\nwant %+v", got, want)
	}
}

package manual

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEntryReading(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	hours := func(h float64) *float64 { return &h }
	tests := []struct {
		name    string
		entry   Entry
		wantErr []string // each must appear
	}{
		{name: "ok", entry: Entry{Category: "Sharps ", Treatment: "autoclave", MassKg: 12.5, StoredHours: hours(20)}},
		{name: "dated earlier today", entry: Entry{Category: "general", Treatment: "landfill", MassKg: 80, Time: now.Add(-3 * time.Hour)}},
		{name: "unknown category", entry: Entry{Category: "sharp", Treatment: "autoclave", MassKg: 1},
			wantErr: []string{`category: "sharp" is not a waste category; choose one of: infectious, sharps`}},
		{name: "everything wrong", entry: Entry{Category: "x", Treatment: "burn", MassKg: 0, StoredHours: hours(-1), Time: now.Add(time.Hour)},
			wantErr: []string{"category:", `treatment: "burn" is not a treatment`, "mass_kg: the weight must be more than 0 kg", "stored_hours:", "ts: 2026-11-26 10:00 is in the future"}},
		{name: "grams for kilograms", entry: Entry{Category: "general", Treatment: "landfill", MassKg: 25000},
			wantErr: []string{"mass_kg: 25000 kg is more than 10,000 kg: was it entered in grams?"}},
		{name: "nothing chosen", entry: Entry{MassKg: 1},
			wantErr: []string{"category: choose the waste category: one of infectious, sharps", "treatment: choose how the waste was treated: one of autoclave"}},
		{name: "with a note", entry: Entry{Category: "general", Treatment: "offsite", MassKg: 3, Note: "Collected by Al-Noor contractor, truck 12"}},
		{name: "long note", entry: Entry{Category: "general", Treatment: "offsite", MassKg: 3, Note: strings.Repeat("ب", MaxNote+1)},
			wantErr: []string{"note: at most 200 characters, got 201"}},
		{name: "note on two lines", entry: Entry{Category: "general", Treatment: "offsite", MassKg: 3, Note: "a\nb"},
			wantErr: []string{"note: write it on one line"}},
		{name: "too old", entry: Entry{Category: "general", Treatment: "landfill", MassKg: 3, Time: now.AddDate(0, -3, 0)},
			wantErr: []string{"ts: 2026-08-26 09:00 is more than two months ago"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.entry.Reading("BG-H-001", now)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if r.Facility != "BG-H-001" || r.Tag("category") != strings.ToLower(strings.TrimSpace(tt.entry.Category)) {
					t.Errorf("reading %+v", r)
				}
				if id, ok := r.Field("id"); !ok || id.Str == "" {
					t.Errorf("no event id in %+v", r)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FieldError", err)
			}
		})
	}
}

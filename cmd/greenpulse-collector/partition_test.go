package main

import (
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/partition"
	"github.com/greenpulse-health/greenpulse/registry"
)

func TestCheckPartition(t *testing.T) {
	csv := "id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit\n" +
		"BG-H-001,A,أ,hospital,100,IQ-BG,BG-RSF,33.3,44.4,50,\n"
	reg, err := registry.Parse(strings.NewReader(csv), "one.csv")
	if err != nil {
		t.Fatal(err)
	}
	own := partition.Of("BG-H-001", 3)
	for _, tt := range []struct {
		name    string
		p       partition.Partition
		want    string // in the output
		wantErr string
	}{
		{"none", partition.Partition{Method: partition.FacilityFilters}, "", ""},
		{"its partition", partition.Partition{Count: 3, Index: own, Method: partition.FacilityFilters},
			"1 of 1 facilities, 1 topic filters, first greenpulse/BG-H-001/+", ""},
		{"mapped", partition.Partition{Count: 3, Index: (own + 1) % 3, Method: partition.NATSMapping},
			"0 of 1 facilities, 1 topic filters, first greenpulse/+/+/", ""},
		{"empty partition", partition.Partition{Count: 3, Index: (own + 1) % 3, Method: partition.FacilityFilters},
			"", "holds none of the registry's 1 facilities"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.MQTT.Partition = tt.p
			var out strings.Builder
			err := checkPartition(&out, cfg, reg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "mqtt.partition") {
					t.Fatalf("error %v, want one naming mqtt.partition and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tt.want) || (tt.want == "" && out.Len() != 0) {
				t.Errorf("printed %q, %v; want %q", out.String(), err, tt.want)
			}
		})
	}
}

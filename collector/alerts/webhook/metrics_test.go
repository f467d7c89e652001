package webhook

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/alerts/alertmanager"
)

// TestNotificationsSharedWithAlertmanager registers both destinations'
// metrics in one registry, as the collector does: client_golang accepts
// that only if the shared counter's help and label names agree, and then
// one query sees both destinations.
func TestNotificationsSharedWithAlertmanager(t *testing.T) {
	reg := prometheus.NewRegistry()
	alertmanager.NewMetrics(reg) // panics if the two disagree
	NewMetrics(reg).sent(false)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "greenpulse_collector_alerts_notifications_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["destination"]+","+labels["result"]] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"alertmanager,ok": 0, "alertmanager,error": 0, "webhook,ok": 0, "webhook,error": 1}
	if len(got) != len(want) {
		t.Fatalf("series = %v, want %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("series %s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}

package reading

import "testing"

// TestAlertsTopic: the collector publishes and the agent subscribes to
// SPEC's <root>/<facility>/alerts, which is no stream of readings.
func TestAlertsTopic(t *testing.T) {
	if got := AlertsTopic("greenpulse", "BG-H-001"); got != "greenpulse/BG-H-001/alerts" {
		t.Errorf("AlertsTopic = %q", got)
	}
	if _, ok := ParseStream(AlertsLevel); ok {
		t.Error("ParseStream takes the alerts topic for a stream")
	}
}

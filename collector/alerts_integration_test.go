package collector_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/internal/alertmanagertest"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestOpenBurningAlertEndToEnd publishes an open-burning waste event over
// MQTT to a collector that stores it in InfluxDB: the alert is in the API
// within seconds and Alertmanager notifies it; it is acknowledged through
// the API, and after a restart on the same state file it is still
// acknowledged. A restart with a shorter event window clears it, and
// Alertmanager notifies the resolution.
func TestOpenBurningAlertEndToEnd(t *testing.T) {
	s := startStack(t)
	am := alertmanagertest.Start(t)
	cfg := s.config(t)
	cfg.HTTP.AdminToken = "alerts-test-token"
	cfg.Alerts.Alertmanager.URLs = []string{am.URL()}
	api := "http://" + cfg.HTTP.Listen + "/api/v1/alerts"
	const id = "open_burning.BG-H-001"

	stop := runCollector(t, cfg)
	pub := publisher(t, s.broker.URL(), "agent-BG-H-001")
	sent := time.Now()
	publish(t, pub, "greenpulse/BG-H-001/waste",
		fmt.Sprintf(`{"ts":%d,"category":"infectious","treatment":"open_burning","mass_kg":12.5,"id":"ev-1"}`, sent.UnixMilli()))

	var got alerts.Alert
	teststack.Eventually(t, 60*time.Second, "open-burning alert in the API", func() (bool, string) {
		list, body := getAlerts(t, api+"?facility=BG-H-001&state=active")
		for _, a := range list {
			if a.ID == id {
				got = a
				return true, ""
			}
		}
		return false, body
	})
	t.Logf("alert in the API %s after publishing", time.Since(sent).Round(time.Millisecond))
	if got.Severity != alerts.Critical || got.State != alerts.ActiveUnacknowledged || got.District != "BG-RSF" ||
		got.Governorate != "IQ-BG" || got.MessageAr == "" || !strings.Contains(got.Message, "12.5 kg") {
		t.Errorf("alert %+v", got)
	}
	if n := countPoints(t, s.influx.URL(), "waste", "mass_kg", "BG-H-001"); n != 1 {
		t.Errorf("%d waste points stored, want 1", n)
	}
	if v := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_alerts_firing{rule="open_burning",severity="critical"}`); v != 1 {
		t.Errorf("greenpulse_collector_alerts_firing = %v, want 1", v)
	}

	_, note := am.WaitNotification(t, 30*time.Second, func(n alertmanagertest.Notification, a alertmanagertest.NotifiedAlert) bool {
		return a.Status == "firing" && a.Labels["alertname"] == "GreenPulseOpenBurning"
	})
	t.Logf("alert notified by Alertmanager %s after publishing", time.Since(sent).Round(time.Millisecond))
	want := map[string]string{"alertname": "GreenPulseOpenBurning", "rule": "open_burning", "facility": "BG-H-001",
		"district": "BG-RSF", "governorate": "IQ-BG", "severity": "critical"}
	for k, v := range want {
		if note.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, note.Labels[k], v, note.Labels)
		}
	}
	if note.Annotations["summary"] == "" || note.Annotations["summary_ar"] == "" || note.Annotations["description"] == "" {
		t.Errorf("annotations %v", note.Annotations)
	}

	teststack.AckAlert(t, api+"/"+id+"/ack", cfg.HTTP.AdminToken, `{"by":"Dr. Salma","comment":"waste contractor called"}`)
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	stop = runCollector(t, cfg)
	list, body := getAlerts(t, api+"?facility=BG-H-001")
	if len(list) != 1 || list[0].State != alerts.ActiveAcknowledged || list[0].Ack == nil ||
		list[0].Ack.By != "Dr. Salma" || list[0].Ack.Comment != "waste contractor called" {
		t.Fatalf("after a restart: %s", body)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// A window shorter than the event's age clears the alert at start.
	cfg.Alerts.EventWindow = time.Since(sent) / 2
	cfg.Alerts.CheckEvery = 100 * time.Millisecond
	runCollector(t, cfg)
	teststack.Eventually(t, 10*time.Second, "alert cleared", func() (bool, string) {
		list, body := getAlerts(t, api+"?state=cleared")
		return len(list) == 1 && list[0].ID == id && list[0].Ack != nil, body
	})
	am.WaitNotification(t, 30*time.Second, func(n alertmanagertest.Notification, a alertmanagertest.NotifiedAlert) bool {
		return a.Status == "resolved" && a.Labels["alertname"] == "GreenPulseOpenBurning"
	})
}

func getAlerts(t *testing.T, url string) ([]alerts.Alert, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, raw)
	}
	var list []alerts.Alert
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return list, string(raw)
}

package collector_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/alertmanagertest"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestWindowedAlertsEndToEnd runs the windowed rules every second in a
// collector with a real InfluxDB, Mosquitto and Alertmanager: a facility
// that sends a reading and then nothing fires agent_silent after its
// (short) window, Alertmanager is told, and the alert clears when the
// facility sends again; a facility whose messages keep being refused fires
// rejections_repeated; a day of low grid availability stored by the
// roll-up fires grid_availability_low only through Baghdad's override of
// the country's threshold.
func TestWindowedAlertsEndToEnd(t *testing.T) {
	s := startStack(t)
	am := alertmanagertest.Start(t)
	cfg := s.config(t)
	cfg.Alerts.Alertmanager.URLs = []string{am.URL()}
	cfg.Alerts.WindowedSchedule = "@every 1s"
	const silentAfter = 4 * time.Second
	cfg.Alerts.Rules.AgentSilent.SilentAfter = silentAfter
	cfg.Alerts.Rules.RejectionsRepeated.Count = 3
	cfg.Alerts.Rules.RejectionsRepeated.Within = 2 * time.Second // counted by the minute: this takes the last minute or two
	cfg.Alerts.Rules.GridAvailabilityLow.BelowPct = 10
	var govs map[string]yaml.Node
	if err := yaml.Unmarshal([]byte("IQ-BG:\n  grid_availability_low: {below_pct: 30, severity: critical}\n"), &govs); err != nil {
		t.Fatal(err)
	}
	cfg.Alerts.Governorates = govs
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	loc, _ := cfg.Rollup.Location()
	yesterday := indicators.PeriodOf(indicators.Day, time.Now().AddDate(0, 0, -1), loc)
	// Grid available 20 % of yesterday at a Baghdad facility (below its
	// governorate's 30 %) and at an Anbar one (not below the country's 10 %).
	cfg.HTTP.AdminToken = "windowed-test-token"
	stop := runCollector(t, cfg)
	writeIndicators(t, s.influx.URL(), cfg.InfluxDB.IndicatorBucket, yesterday.Start,
		"grid_availability_pct", map[string]float64{"BG-H-001": 20, "AN-H-001": 20})
	api := "http://" + cfg.HTTP.Listen + "/api/v1/alerts"
	pub := publisher(t, s.broker.URL(), "agent-BG-H-002")
	sent := time.Now()
	publish(t, pub, "greenpulse/BG-H-002/energy", fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":100}`, sent.UnixMilli()))
	for i := range 3 {
		publish(t, pub, "greenpulse/AN-H-002/energy", fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":"lots %d"}`, sent.UnixMilli(), i))
	}

	teststack.Eventually(t, 20*time.Second, "rejections_repeated and grid_availability_low", func() (bool, string) {
		list, _ := getAlerts(t, api+"?state=active")
		return hasAlert(list, "rejections_repeated.AN-H-002") && hasAlert(list, "grid_availability_low.BG-H-001"), notSilent(list)
	})
	list, _ := getAlerts(t, api+"?state=active")
	if hasAlert(list, "grid_availability_low.AN-H-001") {
		t.Errorf("Anbar's 20 %% grid fired against the country's 10 %% threshold: %s", notSilent(list))
	}
	if a := alertOf(list, "grid_availability_low.BG-H-001"); a.Severity != alerts.Critical || !strings.Contains(a.Message, "20") {
		t.Errorf("Baghdad's override (severity critical) not applied: %+v", a)
	}
	if hasAlert(list, "agent_silent.BG-H-002") {
		t.Errorf("agent_silent fired %s after the reading, before its %s window", time.Since(sent), silentAfter)
	}

	var silent alerts.Alert
	teststack.Eventually(t, 20*time.Second, "agent_silent for BG-H-002", func() (bool, string) {
		list, body := getAlerts(t, api+"?state=active&facility=BG-H-002")
		silent = alertOf(list, "agent_silent.BG-H-002")
		return silent.ID != "", body
	})
	if took := time.Since(sent); took < silentAfter {
		t.Errorf("agent_silent fired %s after the last reading, before its %s window", took, silentAfter)
	}
	if silent.MessageAr == "" || silent.Governorate != "IQ-BG" || silent.Severity != alerts.Warning {
		t.Errorf("silent alert %+v", silent)
	}
	am.WaitNotification(t, 30*time.Second, func(n alertmanagertest.Notification, a alertmanagertest.NotifiedAlert) bool {
		return a.Status == "firing" && a.Labels["alertname"] == "GreenPulseAgentSilent" && a.Labels["facility"] == "BG-H-002"
	})

	publish(t, pub, "greenpulse/BG-H-002/energy", fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":101}`, time.Now().UnixMilli()))
	teststack.Eventually(t, 20*time.Second, "agent_silent cleared", func() (bool, string) {
		list, body := getAlerts(t, api+"?state=cleared&facility=BG-H-002")
		return hasAlert(list, "agent_silent.BG-H-002"), body
	})
	am.WaitNotification(t, 30*time.Second, func(n alertmanagertest.Notification, a alertmanagertest.NotifiedAlert) bool {
		return a.Status == "resolved" && a.Labels["alertname"] == "GreenPulseAgentSilent" && a.Labels["facility"] == "BG-H-002"
	})
	if v := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_alerts_firing{rule="grid_availability_low",severity="critical"}`); v != 1 {
		t.Errorf("greenpulse_collector_alerts_firing for grid_availability_low = %v, want 1", v)
	}

	// A facility never heard from is silent too; acknowledged, its alert
	// stays acknowledged through a restart, when the collector has heard
	// nobody yet and cannot judge anyone silent for a while.
	const never = "agent_silent.AN-H-003"
	teststack.AckAlert(t, api+"/"+never+"/ack", cfg.HTTP.AdminToken, `{"by":"Dr. Salma","comment":"the agent's router is broken"}`)
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	runCollector(t, cfg)
	time.Sleep(2500 * time.Millisecond) // more than two runs of the rules, less than silent_after
	after, _ := getAlerts(t, api+"?facility=AN-H-003")
	if a := alertOf(after, never); a.State != alerts.ActiveAcknowledged || a.Ack == nil || a.Ack.By != "Dr. Salma" {
		t.Errorf("after a restart: %+v, want still acknowledged by Dr. Salma", a)
	}
}

// notSilent lists the ids of the alerts other than agent_silent, which
// fires for each of the registry's 240 facilities that send nothing.
func notSilent(list []alerts.Alert) string {
	var ids []string
	for _, a := range list {
		if a.Rule != "agent_silent" {
			ids = append(ids, a.ID)
		}
	}
	return strings.Join(ids, ", ")
}

func hasAlert(list []alerts.Alert, id string) bool { return alertOf(list, id).ID != "" }

func alertOf(list []alerts.Alert, id string) alerts.Alert {
	for _, a := range list {
		if a.ID == id {
			return a
		}
	}
	return alerts.Alert{}
}

// writeIndicators stores one day's facility values of an indicator as the
// roll-up would (SPEC's indicator schema), through InfluxDB 1.8's write
// endpoint, once the collector has made the database.
func writeIndicators(t *testing.T, influxURL, bucket string, day time.Time, id string, values map[string]float64) {
	t.Helper()
	var lp strings.Builder
	for area, v := range values {
		fmt.Fprintf(&lp, "indicator,area=%s,indicator=%s,level=facility,period=day facilities=1i,value=%g %d\n", area, id, v, day.UnixNano())
	}
	teststack.Eventually(t, 30*time.Second, "indicators written", func() (bool, string) {
		resp, err := http.Post(influxURL+"/write?db="+url.QueryEscape(bucket), "text/plain", strings.NewReader(lp.String()))
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent, resp.Status
	})
}

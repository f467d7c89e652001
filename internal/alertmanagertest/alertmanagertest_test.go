package alertmanagertest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/alertmanagertest"
)

// TestStart posts an alert by hand and sees it listed and notified: the
// harness's own check, independent of GreenPulse's client.
func TestStart(t *testing.T) {
	am := alertmanagertest.Start(t)
	body := `[{"labels":{"alertname":"HarnessCheck","facility":"f1"},"annotations":{"summary":"hello"}}]`
	resp, err := http.Post(am.URL()+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}
	labels := map[string]string{"alertname": "HarnessCheck", "facility": "f1"}
	alerts := am.WaitAlerts(t, 5*time.Second, func(as []alertmanagertest.Alert) bool {
		_, ok := alertmanagertest.Find(as, labels)
		return ok
	})
	if a, _ := alertmanagertest.Find(alerts, labels); a.Annotations["summary"] != "hello" {
		t.Errorf("listed annotations = %v, want summary hello", a.Annotations)
	}
	n, a := am.WaitNotification(t, 10*time.Second, alertmanagertest.Labeled("firing", labels))
	if n.Status != "firing" || n.Receiver != "test" || a.Annotations["summary"] != "hello" {
		t.Errorf("notification = %+v, alert %+v", n, a)
	}
}

package api

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/registry"
)

const adminToken = "t0ken"

// newAlertsAPI serves the API over a store holding an open-burning alert
// of BG-H-001 (Baghdad) and a cleared storage alert of BA-H-001 (Basra).
func newAlertsAPI(t *testing.T, enable bool) (*httptest.Server, *alerts.Store) {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := alerts.Open(filepath.Join(t.TempDir(), "alerts.json"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if _, err := store.Raise([]alerts.Event{
		{Rule: alerts.RuleOpenBurning, Facility: "BG-H-001", District: "BG-RSF", Governorate: "IQ-BG", Severity: alerts.Critical,
			Message: "Open burning, \"ward B\"", MessageAr: "حرق مكشوف", At: at},
		{Rule: alerts.RuleStorageExceeded, Facility: "BA-H-001", District: "BA-BSR", Governorate: "IQ-BA", Severity: alerts.Warning,
			Message: "stored 60 h", MessageAr: "خزنت", At: at.Add(time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Clear("storage_exceeded.BA-H-001", at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	api := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	if enable {
		api.EnableAlerts(store)
	}
	srv := httptest.NewServer(guarded(t, api, reg, adminToken))
	t.Cleanup(srv.Close)
	return srv, store
}

func TestListAlerts(t *testing.T) {
	srv, _ := newAlertsAPI(t, true)
	tests := []struct {
		query   string
		code    int
		want    []string // ids, newest first
		errWant string
	}{
		{"", 200, []string{"storage_exceeded.BA-H-001", "open_burning.BG-H-001"}, ""},
		{"?state=active", 200, []string{"open_burning.BG-H-001"}, ""},
		{"?state=cleared", 200, []string{"storage_exceeded.BA-H-001"}, ""},
		{"?state=active_unacknowledged&severity=critical&area=IQ-BG", 200, []string{"open_burning.BG-H-001"}, ""},
		{"?area=BA-BSR", 200, []string{"storage_exceeded.BA-H-001"}, ""},
		{"?rule=open_burning", 200, []string{"open_burning.BG-H-001"}, ""},
		{"?rule=agent_silent", 200, []string{}, ""},
		{"?facility=BG-H-002", 200, []string{}, ""},
		{"?state=open", 400, nil, "state"},
		{"?severity=high", 400, nil, "severity"},
		{"?rule=Open-Burning", 400, nil, "rule"},
		{"?area=a/b", 400, nil, "area"},
		{"?facility=" + strings.Repeat("x", 65), 400, nil, "facility"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, ct, body := get(t, srv.URL+"/api/v1/alerts"+tt.query, "")
			if code != tt.code || ct != "application/json" {
				t.Fatalf("%d %s: %s", code, ct, body)
			}
			if tt.code != 200 {
				var e map[string]string
				if err := json.Unmarshal([]byte(body), &e); err != nil || e["parameter"] != tt.errWant {
					t.Errorf("error %s does not name parameter %q", body, tt.errWant)
				}
				return
			}
			var list []alerts.Alert
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, a := range list {
				got = append(got, a.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListAlertsCSV(t *testing.T) {
	srv, _ := newAlertsAPI(t, true)
	code, ct, body := get(t, srv.URL+"/api/v1/alerts?format=csv", "")
	if code != 200 || ct != "text/csv; charset=utf-8" {
		t.Fatalf("%d %s: %s", code, ct, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != "id,rule,facility,district,governorate,severity,state,first_seen,last_seen,count,message,message_ar,ack_by,ack_at,ack_comment,cleared_at" {
		t.Fatalf("rows %q", rows)
	}
	if rows[2][0] != "open_burning.BG-H-001" || rows[2][10] != `Open burning, "ward B"` || rows[2][11] != "حرق مكشوف" ||
		rows[1][15] != "2026-11-20T11:00:00Z" {
		t.Errorf("rows %q", rows)
	}
	if code, _, _ := get(t, srv.URL+"/api/v1/alerts", "text/csv"); code != 200 {
		t.Errorf("Accept: text/csv answered %d", code)
	}
}

func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer is not a JSON object: %v", err)
	}
	return resp.StatusCode, out
}

func TestAckAlert(t *testing.T) {
	tests := []struct {
		name, id, token, body string
		code                  int
		param, errHas         string
	}{
		{"acknowledged", "open_burning.BG-H-001", adminToken, `{"by":"Dr. Salma","comment":"truck sent"}`, 200, "", ""},
		{"no token", "open_burning.BG-H-001", "", `{"by":"a"}`, 403, "", "not allowed"},
		{"wrong token", "open_burning.BG-H-001", "nope", `{"by":"a"}`, 401, "", "Bearer"},
		{"no by", "open_burning.BG-H-001", adminToken, `{"comment":"x"}`, 400, "by", "required"},
		{"control character in comment", "open_burning.BG-H-001", adminToken, `{"by":"a","comment":"\u0007"}`, 400, "comment", ""},
		{"unknown field", "open_burning.BG-H-001", adminToken, `{"by":"a","who":"b"}`, 400, "", "who"},
		{"not JSON", "open_burning.BG-H-001", adminToken, `by=a`, 400, "", "body"},
		{"unknown alert", "open_burning.BG-H-999", adminToken, `{"by":"a"}`, 404, "", "open_burning.BG-H-999"},
		{"cleared alert", "storage_exceeded.BA-H-001", adminToken, `{"by":"a"}`, 409, "", `"storage_exceeded.BA-H-001"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, store := newAlertsAPI(t, true)
			code, out := post(t, srv.URL+"/api/v1/alerts/"+tt.id+"/ack", tt.token, tt.body)
			if code != tt.code {
				t.Fatalf("%d %v, want %d", code, out, tt.code)
			}
			if code != 200 {
				if p, _ := out["parameter"].(string); p != tt.param {
					t.Errorf("parameter %q, want %q: %v", p, tt.param, out)
				}
				if e, _ := out["error"].(string); !strings.Contains(e, tt.errHas) {
					t.Errorf("error %q lacks %q", e, tt.errHas)
				}
				if a, _ := store.Get("open_burning.BG-H-001"); a.State != alerts.ActiveUnacknowledged {
					t.Errorf("a refused ack changed the alert: %+v", a)
				}
				return
			}
			if out["state"] != "active_acknowledged" || out["ack"].(map[string]any)["by"] != "Dr. Salma" {
				t.Errorf("answer %v", out)
			}
			if a, _ := store.Get(tt.id); a.State != alerts.ActiveAcknowledged || a.Ack.Comment != "truck sent" {
				t.Errorf("stored %+v", a)
			}
		})
	}
}

func TestAlertsOff(t *testing.T) {
	srv, _ := newAlertsAPI(t, false)
	if code, _, body := get(t, srv.URL+"/api/v1/alerts", ""); code != 404 || !strings.Contains(body, "alerts.enabled") {
		t.Errorf("%d %s", code, body)
	}
	if code, _ := post(t, srv.URL+"/api/v1/alerts/x.y/ack", adminToken, `{"by":"a"}`); code != 404 {
		t.Errorf("ack with alerts off: %d", code)
	}
}

func TestInertKeepsFormulasOutOfTheCSV(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"Dr Salma", "Dr Salma"},
		{"حرق مكشوف", "حرق مكشوف"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := inert(tt.in); got != tt.want {
			t.Errorf("inert(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAckTakesTheBearerSchemeInAnyCase(t *testing.T) {
	srv, _ := newAlertsAPI(t, true)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/alerts/open_burning.BG-H-001/ack", strings.NewReader(`{"by":"Dr Salma"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ack with a lower-case scheme answered %d, as roll-ups do not", resp.StatusCode)
	}
}

package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // in the error; "" for none
	}{
		{"loopback", Config{URL: "http://127.0.0.1:8080/hook"}, ""},
		{"https with path and query", Config{URL: "https://sms.example.org/api/send?to=ops", Timeout: 5 * time.Second}, ""},
		{"empty", Config{}, "webhook url: empty"},
		{"not a url", Config{URL: "http://ops:s3cret@gw:80x/send"}, "webhook url: not a URL"},
		{"scheme", Config{URL: "ftp://gw/send"}, `webhook url "ftp://gw": scheme`},
		{"no host", Config{URL: "http:///send"}, "webhook url: no host"},
		{"password", Config{URL: "https://ops:s3cret@gw/send"}, `webhook url "https://gw": must not carry a user or password`},
		{"user only", Config{URL: "https://s3cret@gw/send"}, `webhook url "https://gw": must not carry`},
		{"secret in path not shown", Config{URL: "ftp://gw/bots3cret/send"}, `webhook url "ftp://gw"`},
		{"negative timeout", Config{URL: "http://gw", Timeout: -time.Second}, "webhook timeout -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.cfg.Validate(); err != nil {
				got = err.Error()
			}
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) || strings.Contains(got, "s3cret") {
				t.Fatalf("Validate() = %q, want %q and never the secret", got, tt.want)
			}
		})
	}
}

func TestNewRefusesBadToken(t *testing.T) {
	t.Setenv(TokenEnv, "s3cret\nX-Evil: 1")
	_, err := New(Config{URL: "http://127.0.0.1:1/"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), TokenEnv) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("New() = %v, want an error naming %s without the token", err, TokenEnv)
	}
}

// request is what the test server saw of one POST.
type request struct {
	method, path, contentType, userAgent, auth string
	body                                       string
}

// serve starts a webhook whose handler answers the i-th request (from 0);
// every request is also sent on the returned channel before it is
// answered.
func serve(t *testing.T, answer func(i int, w http.ResponseWriter, r *http.Request)) (string, <-chan request) {
	t.Helper()
	reqs := make(chan request, 2*QueueSize)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		reqs <- request{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("User-Agent"),
			r.Header.Get("Authorization"), string(body)}
		if answer != nil {
			answer(int(n.Add(1))-1, w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, reqs
}

// hang is an answer that waits until the client gives up or the test
// ends.
func hang(t *testing.T) func(int, http.ResponseWriter, *http.Request) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before serve's srv.Close, which waits for handlers
	return func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

var sentAt = time.Date(2026, 12, 2, 13, 52, 42, 0, time.UTC)

// newTest builds a notifier for url with fast retries, a fixed clock, its
// own metrics and a log to read once Run returned.
func newTest(t *testing.T, url string) (*Notifier, *Metrics, *bytes.Buffer) {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	logs := &bytes.Buffer{}
	n, err := New(Config{URL: url, Timeout: 5 * time.Second}, m, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	n.backoff = time.Millisecond
	n.now = func() time.Time { return sentAt }
	return n, m, logs
}

// run runs n until the test ends, or until the returned stop is called;
// stop returns how long Run took to return.
func run(t *testing.T, n *Notifier) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run() = %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("Run did not return within 5s of its context's end")
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

// next returns the next request the server saw.
func next(t *testing.T, reqs <-chan request) request {
	t.Helper()
	select {
	case r := <-reqs:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no request within 5s")
		return request{}
	}
}

// waitFor polls cond until it holds, for at most 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func results(m *Metrics) (ok, failed float64) {
	return testutil.ToFloat64(m.notifications.WithLabelValues("ok")), testutil.ToFloat64(m.notifications.WithLabelValues("error"))
}

func testAlert(id string) alerts.Alert {
	first := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return alerts.Alert{
		ID: id, Rule: "open_burning", Facility: "F001", District: "D01", Governorate: "G01",
		Severity: alerts.Critical, Message: "Open burning reported", MessageAr: "حرق مكشوف",
		FirstSeen: first, LastSeen: first.Add(5 * time.Minute), Count: 2, State: alerts.ActiveUnacknowledged,
	}
}

// TestBodies checks the whole of each POST, and that the alert is taken
// as it was at the call.
func TestBodies(t *testing.T) {
	cleared := time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC)
	resolved := testAlert("open_burning.F001")
	resolved.State, resolved.ClearedAt = alerts.Cleared, &cleared
	const alertJSON = `"id":"open_burning.F001","rule":"open_burning","facility":"F001","district":"D01","governorate":"G01",` +
		`"severity":"critical","message":"Open burning reported","message_ar":"حرق مكشوف",` +
		`"first_seen":"2026-12-02T10:00:00Z","last_seen":"2026-12-02T10:05:00Z","count":2,`
	tests := []struct {
		name   string
		notify func(*Notifier, alerts.Alert)
		alert  alerts.Alert
		want   string
	}{
		{"firing", (*Notifier).Firing, testAlert("open_burning.F001"),
			`{"version":"1","status":"firing","alert":{` + alertJSON + `"state":"active_unacknowledged"},"sent_at":"2026-12-02T13:52:42Z"}`},
		{"resolved", (*Notifier).Resolved, resolved,
			`{"version":"1","status":"resolved","alert":{` + alertJSON +
				`"state":"cleared","cleared_at":"2026-12-02T11:00:00Z"},"sent_at":"2026-12-02T13:52:42Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, reqs := serve(t, nil)
			n, m, _ := newTest(t, url+"/hook/bot123?chat=ops")
			a := tt.alert
			tt.notify(n, a)
			a.Message = "changed after the call"
			if a.ClearedAt != nil {
				*a.ClearedAt = cleared.Add(time.Hour)
			}
			run(t, n)
			r := next(t, reqs)
			want := request{method: "POST", path: "/hook/bot123?chat=ops", contentType: "application/json",
				userAgent: "greenpulse-collector", body: tt.want}
			if r != want {
				t.Errorf("request\n got %+v\nwant %+v", r, want)
			}
			waitFor(t, "result counted", func() bool { ok, _ := results(m); return ok == 1 })
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name  string
		env   string // "": unset
		want  string
		notIn string // the log must not have it
	}{
		{"unset", "", "", ""},
		{"set", "s3cret-token", "Bearer s3cret-token", "s3cret-token"},
		{"trimmed", " s3cret-token\n", "Bearer s3cret-token", "s3cret-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(TokenEnv, tt.env)
			url, reqs := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "who are you", http.StatusUnauthorized)
			})
			n, m, logs := newTest(t, url)
			stop := run(t, n)
			n.Firing(testAlert("a1"))
			if got := next(t, reqs).auth; got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
			waitFor(t, "error counted", func() bool { _, failed := results(m); return failed == 1 })
			stop()
			if tt.notIn != "" && strings.Contains(logs.String(), tt.notIn) {
				t.Errorf("the log shows the token:\n%s", logs)
			}
		})
	}
}

// TestRetries checks which answers are retried, against a webhook that
// answers a script of statuses (0: drop the connection).
func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		ok       bool  // delivered
		statuses []int // answers in turn; the last repeats
		requests int
		log      string // in the log
	}{
		{"ok", true, []int{200}, 1, ""},
		{"204", true, []int{204}, 1, ""},
		{"503 then ok", true, []int{503, 200}, 2, "webhook: retrying"},
		{"connection dropped then ok", true, []int{0, 200}, 2, "webhook: retrying"},
		{"5xx throughout", false, []int{500}, 5, "tries=5 err=\"500 Internal Server Error: boom: no such table\""},
		{"400 not retried", false, []int{400}, 1, "tries=1 err=\"400 Bad Request: boom: no such table\""},
		{"404 not retried", false, []int{404}, 1, "404 Not Found"},
		{"429 rate limit then ok", true, []int{429, 200}, 2, "webhook: retrying"},
		{"408 then ok", true, []int{408, 200}, 2, "webhook: retrying"},
		{"redirect not followed", false, []int{302}, 1, "302 Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, reqs := serve(t, func(i int, w http.ResponseWriter, _ *http.Request) {
				status := tt.statuses[min(i, len(tt.statuses)-1)]
				switch status {
				case 0:
					conn, _, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Errorf("hijack: %v", err)
						return
					}
					conn.Close()
				case 302:
					w.Header().Set("Location", "/elsewhere")
					w.WriteHeader(status)
				default:
					w.WriteHeader(status)
					io.WriteString(w, "boom:\n  no such table\n")
				}
			})
			n, m, logs := newTest(t, url+"/hook")
			stop := run(t, n)
			n.Firing(testAlert("a1"))
			waitFor(t, "a result counted", func() bool { ok, failed := results(m); return ok+failed == 1 })
			stop()
			if ok, _ := results(m); (ok == 1) != tt.ok {
				t.Errorf("delivered = %v, want %v", ok == 1, tt.ok)
			}
			for i := range tt.requests {
				if r := next(t, reqs); r.path != "/hook" {
					t.Errorf("request %d went to %s", i, r.path)
				}
			}
			select {
			case r := <-reqs:
				t.Errorf("request %d more than %d: %+v", tt.requests+1, tt.requests, r)
			default:
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, logs)
			}
		})
	}
}

// TestQueueDropsOldest fills a small queue before Run starts: the oldest
// events go, counted, and the rest arrive in order.
func TestQueueDropsOldest(t *testing.T) {
	url, reqs := serve(t, nil)
	n, m, logs := newTest(t, url)
	n.max = 3
	for _, id := range []string{"a1", "a2", "a3", "a4"} {
		n.Firing(testAlert(id))
	}
	n.Resolved(testAlert("a4"))
	if got := testutil.ToFloat64(m.dropped); got != 2 {
		t.Errorf("dropped = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.pending); got != 3 {
		t.Errorf("pending = %v, want 3", got)
	}
	stop := run(t, n)
	for _, want := range []string{`"firing","alert":{"id":"a3"`, `"firing","alert":{"id":"a4"`, `"resolved","alert":{"id":"a4"`} {
		if r := next(t, reqs); !strings.Contains(r.body, want) {
			t.Errorf("body %s, want one with %s", r.body, want)
		}
	}
	waitFor(t, "queue empty", func() bool { return testutil.ToFloat64(m.pending) == 0 })
	stop()
	if !strings.Contains(logs.String(), "dropped=2") {
		t.Errorf("log does not tell of 2 dropped:\n%s", logs)
	}
}

// TestPostedOncePerFiring: changes of an active alert are not posted
// again; its clearing is, and so is its firing anew.
func TestPostedOncePerFiring(t *testing.T) {
	url, reqs := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	n, _, _ := newTest(t, url)
	run(t, n)
	a := testAlert("open_burning.F001")
	n.Firing(a)
	a.Count, a.Message = 3, "Open burning reported again"
	n.Firing(a) // a change: not posted
	n.Resolved(a)
	again := testAlert("open_burning.F001")
	again.FirstSeen = again.FirstSeen.Add(24 * time.Hour)
	n.Firing(again)
	n.Firing(again) // the same firing: not posted
	for _, want := range []string{`"status":"firing"`, `"status":"resolved"`, `"status":"firing"`} {
		if r := next(t, reqs); !strings.Contains(r.body, want) {
			t.Errorf("body %s, want %s", r.body, want)
		}
	}
	select {
	case r := <-reqs:
		t.Errorf("one POST too many: %s", r.body)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestFiringNeverBlocks calls Firing far more often than the queue holds
// while the webhook does not answer.
func TestFiringNeverBlocks(t *testing.T) {
	url, reqs := serve(t, hang(t))
	n, m, _ := newTest(t, url)
	run(t, n)
	n.Firing(testAlert("first"))
	next(t, reqs) // Run is in a POST that hangs
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3 * QueueSize {
			n.Firing(testAlert(fmt.Sprint("a", i)))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Firing blocked while the webhook hangs")
	}
	if got := testutil.ToFloat64(m.dropped); got != 2*QueueSize {
		t.Errorf("dropped = %v, want %d", got, 2*QueueSize)
	}
}

// TestRunStops cancels Run while it waits on the webhook.
func TestRunStops(t *testing.T) {
	tests := []struct {
		name   string
		answer func(t *testing.T) func(int, http.ResponseWriter, *http.Request)
	}{
		{"in a POST that hangs", hang},
		{"in the wait before a retry", func(*testing.T) func(int, http.ResponseWriter, *http.Request) {
			return func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }
		}},
		{"idle", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var answer func(int, http.ResponseWriter, *http.Request)
			if tt.answer != nil {
				answer = tt.answer(t)
			}
			url, reqs := serve(t, answer)
			n, m, _ := newTest(t, url)
			n.backoff = time.Hour
			stop := run(t, n)
			if answer != nil {
				n.Firing(testAlert("a1"))
				next(t, reqs)
			}
			if took := stop(); took > time.Second {
				t.Errorf("Run took %s to return after its context ended", took)
			}
			if ok, failed := results(m); ok+failed != 0 {
				t.Errorf("results ok %v, error %v: an event cut short by the end counts as neither", ok, failed)
			}
		})
	}
}

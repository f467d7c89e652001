package dhis2api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server answers each request with the next status of statuses (the last
// one repeats) and counts the requests.
func server(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32, *atomic.Value) {
	t.Helper()
	var n atomic.Int32
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		auth.Store(r.Header.Get("Authorization"))
		code := statuses[min(i, len(statuses)-1)]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"httpStatus":%q,"httpStatusCode":%d,"status":"ERROR","message":"answer %s"}`, http.StatusText(code), code, http.StatusText(code))
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &auth
}

func TestRetriesOnlyWhatMayPass(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		retries  int
		requests int32
		status   int
		err      error
	}{
		{"5xx then success", []int{503, 500, 200}, 4, 3, 200, nil},
		{"5xx beyond the retries", []int{500}, 2, 3, 500, nil},
		{"409 is an answer, not a failure", []int{409}, 4, 1, 409, nil},
		{"400 is never retried", []int{400, 200}, 4, 1, 400, nil},
		{"401 says the credentials are wrong", []int{401, 200}, 4, 1, 401, ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n, auth := server(t, tt.statuses...)
			c, err := New(Config{URL: srv.URL + "/dhis/", Token: "d2pat_secret", Retries: tt.retries, RetryInitial: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(context.Background(), http.MethodPost, "/api/dataValueSets", nil, map[string]int{"a": 1})
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "d2pat_secret") {
				t.Errorf("error %q carries the token", err)
			}
			if resp.Status != tt.status || n.Load() != tt.requests {
				t.Errorf("status %d after %d requests, want %d after %d", resp.Status, n.Load(), tt.status, tt.requests)
			}
			if got := auth.Load(); got != "ApiToken d2pat_secret" {
				t.Errorf("Authorization %q", got)
			}
		})
	}
}

func TestNetworkErrorsAreRetriedThenReported(t *testing.T) {
	srv, _, _ := server(t, 200)
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(Config{URL: url, Username: "gp", Password: "pw-secret", Retries: 2, RetryInitial: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Do(context.Background(), http.MethodGet, "/api/system/info", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "GET /api/system/info") || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("err %v, want the request named and no password", err)
	}
	if time.Since(start) < 3*time.Millisecond {
		t.Errorf("gave up in %s: the two retries did not wait", time.Since(start))
	}
}

func TestGetJSONNamesDHIS2sMessage(t *testing.T) {
	srv, _, auth := server(t, 404)
	c, _ := New(Config{URL: srv.URL, Username: "gp", Password: "pw"})
	var out map[string]any
	err := c.GetJSON(context.Background(), "/api/organisationUnits", nil, &out)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 404 || !strings.Contains(err.Error(), "answer Not Found") {
		t.Errorf("err %v, want a StatusError with DHIS2's message", err)
	}
	if got, _ := auth.Load().(string); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("Authorization %q, want basic", got)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "dhis2.example.org", Token: "t"}, "want an address"},
		{Config{URL: "https://admin:district@dhis2.example.org", Token: "t"}, "must not hold credentials"},
		{Config{URL: "https://dhis2.example.org"}, "token or a username"},
		{Config{URL: "https://admin:district%zz@dhis2.example.org", Token: "t"}, "want an address"},
		{Config{URL: "admin:district@dhis2.example.org", Token: "t"}, "want an address"},
	} {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "district") {
			t.Errorf("New(%q) = %v, want %q", tt.cfg.URL, err, tt.want)
		}
	}
}

func TestMessageOf(t *testing.T) {
	for body, want := range map[string]string{
		`{"message":"Period is locked"}`: "Period is locked",
		"":                               "(empty answer)",
		"<html>proxy error</html>":       "<html>proxy error</html>",
		strings.Repeat("x", 300):         strings.Repeat("x", 200) + "…",
		strings.Repeat("م", 300):         strings.Repeat("م", 200) + "…",
	} {
		if got := MessageOf([]byte(body)); got != want {
			t.Errorf("MessageOf(%.20q) = %q, want %q", body, got, want)
		}
	}
}

package alertmanager

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // in the error; "" for none
	}{
		{"one url", Config{URLs: []string{"http://127.0.0.1:9093"}}, ""},
		{"ha pair with prefix and auth", Config{URLs: []string{"https://u:p@am1/am", "https://am2/am"}, ResendEvery: time.Minute}, ""},
		{"no urls", Config{}, "no urls"},
		{"scheme", Config{URLs: []string{"ftp://am"}}, "scheme"},
		{"no host", Config{URLs: []string{"http:///x"}}, "no host"},
		{"query", Config{URLs: []string{"http://am?x=1"}}, "no query"},
		{"twice", Config{URLs: []string{"http://am", "http://am"}}, "twice"},
		{"password redacted", Config{URLs: []string{"ftp://u:secret@am"}}, "xxxxx"},
		{"negative timeout", Config{URLs: []string{"http://am"}, Timeout: -time.Second}, "timeout"},
		{"negative resend", Config{URLs: []string{"http://am"}, ResendEvery: -time.Second}, "resend_every"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error with %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "secret"):
				t.Fatalf("Validate() = %v: shows the password", err)
			}
		})
	}
}

// TestSendRetries checks which answers are retried, against a fake
// Alertmanager that answers a script of statuses.
func TestSendRetries(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int // answers in turn; the last repeats
		requests int32
		want     string // in the error; "" for none
	}{
		{"ok", []int{200}, 1, ""},
		{"5xx then ok", []int{503, 200}, 2, ""},
		{"5xx throughout", []int{500}, 3, "after 3 attempts: 500 Internal Server Error: boom"},
		{"400 not retried", []int{400}, 1, "400 Bad Request: boom"},
		{"404 not retried", []int{404}, 1, "404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if r.URL.Path != "/prefix/api/v2/alerts" || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
				}
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(tt.statuses[min(i, len(tt.statuses)-1)])
				io.WriteString(w, "boom\n")
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL+"/prefix")
			err := c.Send(context.Background(), []Alert{{Labels: map[string]string{"alertname": "x"}}})
			if got := n.Load(); got != tt.requests {
				t.Errorf("requests = %d, want %d", got, tt.requests)
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Send() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Send() = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestSendRedactsPassword checks that an unreachable URL's credentials are
// not in the error.
func TestSendRedactsPassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := newTestClient(t, "http://ops:s3cret@"+addr)
	err = c.Send(context.Background(), []Alert{{Labels: map[string]string{"alertname": "x"}}})
	if err == nil {
		t.Fatal("Send() to a closed port = nil")
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "http://ops:xxxxx@"+addr+"/api/v2/alerts") {
		t.Errorf("Send() = %v, want the URL named with its password redacted", err)
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"two\nlines  here", 20, "two lines here"},
		{"abcdef", 3, "abc…"},
		{"ééé", 3, "é…"}, // never splits a rune
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func newTestClient(t *testing.T, urls ...string) *Client {
	t.Helper()
	c, err := New(Config{URLs: urls, Timeout: 2 * time.Second}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond
	return c
}

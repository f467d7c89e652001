package influx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// TestStoreWrite writes to a real InfluxDB 1.8 through its /api/v2
// compatibility endpoint and checks what the pipeline's retry decisions
// rest on: a stored batch is readable, a refused one is permanent with
// InfluxDB's own message, a missing database and an unreachable server are
// not permanent.
func TestStoreWrite(t *testing.T) {
	testenv.RequireIntegration(t)
	db := testenv.StartInfluxDB(t)
	ctx := context.Background()
	if err := db.CreateDatabase(ctx, "greenpulse"); err != nil {
		t.Fatal(err)
	}
	store := func(url, bucket string) *Store {
		t.Helper()
		s := New(config.InfluxDB{URL: url, Org: "greenpulse", Bucket: bucket, Timeout: 5 * time.Second},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		t.Cleanup(s.Close)
		return s
	}
	good := store(db.URL(), "greenpulse/autogen")

	if err := good.Write(ctx, []byte("energy,facility=F1,meter=main,source=grid kwh_total=1.5 1700000000000000000\n"+
		"energy,facility=F1,meter=main,source=grid kwh_total=2.5 1700000001000000000\n")); err != nil {
		t.Fatalf("write two points: %v", err)
	}
	if got := countPoints(t, db.URL()); got != "2" {
		t.Fatalf("InfluxDB holds %s points after the write, want 2", got)
	}

	cases := []struct {
		name      string
		store     *Store
		lp        string
		permanent bool
		status    int    // 0: no HTTP answer
		message   string // part of the error
	}{
		{"field type conflict", good, "energy,facility=F1,meter=main,source=grid kwh_total=\"x\" 1700000002000000000\n", true, http.StatusBadRequest, "field type conflict"},
		{"unparsable line", good, "energy kwh_total=\n", true, http.StatusBadRequest, "unable to parse"},
		{"missing database", store(db.URL(), "nowhere/autogen"), "energy,facility=F1 kwh_total=1 1700000000000000000\n", false, http.StatusNotFound, "database not found"},
		{"unreachable server", store("http://127.0.0.1:1", "greenpulse/autogen"), "energy,facility=F1 kwh_total=1 1700000000000000000\n", false, 0, "greenpulse/autogen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.store.Write(ctx, []byte(c.lp))
			if err == nil {
				t.Fatal("write succeeded")
			}
			if got := IsPermanent(err); got != c.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, c.permanent, err)
			}
			var werr *WriteError
			switch {
			case c.status == 0 && errors.As(err, &werr):
				t.Errorf("a transport failure became an HTTP error: %v", err)
			case c.status != 0 && (!errors.As(err, &werr) || werr.Status != c.status):
				t.Errorf("error %v, want HTTP %d", err, c.status)
			}
			if !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %q does not say %q", err, c.message)
			}
		})
	}
	if got := countPoints(t, db.URL()); got != "2" {
		t.Errorf("InfluxDB holds %s points after the refused writes, want still 2", got)
	}
}

func countPoints(t *testing.T, influxURL string) string {
	t.Helper()
	resp, err := http.Get(influxURL + "/query?" + url.Values{"db": {"greenpulse"}, "q": {"SELECT count(kwh_total) FROM energy"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&answer); err != nil {
		t.Fatalf("count answer: %v", err)
	}
	// One series, one row: time, count.
	if len(answer.Results) != 1 || len(answer.Results[0].Series) != 1 || len(answer.Results[0].Series[0].Values) != 1 {
		t.Fatalf("count answer %+v", answer)
	}
	return fmt.Sprint(answer.Results[0].Series[0].Values[0][1])
}

func TestErrorMessage(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"code":"invalid","message":"unable to parse 'x': missing fields"}`, "invalid: unable to parse 'x': missing fields"},
		{`{"error":"partial write: field type conflict"}`, "partial write: field type conflict"},
		{"upstream timed out\n", "504 Gateway Timeout: upstream timed out"},
		{"", "504 Gateway Timeout"},
	} {
		if got := errorMessage("504 Gateway Timeout", "", []byte(c.body)); got != c.want {
			t.Errorf("errorMessage(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}

// TestWriterRequests checks the request the writer makes and how it reads
// each kind of answer, against a server that records what it got.
func TestWriterRequests(t *testing.T) {
	type got struct{ auth, query, body string }
	cases := []struct {
		name      string
		token     string
		status    int
		header    string // X-Influxdb-Error
		answer    string
		wantErr   bool
		permanent bool
		wantAuth  string
	}{
		{"2.x token", "s3cret-token", http.StatusNoContent, "", "", false, false, "Token s3cret-token"},
		{"1.8 user:password", "greenpulse:pw", http.StatusNoContent, "", "", false, false, "Token greenpulse:pw"},
		{"no token, no header", "", http.StatusNoContent, "", "", false, false, ""},
		{"any 2xx is stored", "", http.StatusCreated, "", "", false, false, ""},
		{"overloaded: retried", "", http.StatusServiceUnavailable, "", "", true, false, ""},
		{"too large: permanent", "", http.StatusRequestEntityTooLarge, "", `{"code":"request too large","message":"over 25 MB"}`, true, true, ""},
		{"1.8 header only", "", http.StatusBadRequest, "partial write: field type conflict", "not json", true, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen := make(chan got, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				seen <- got{auth: r.Header.Get("Authorization"), query: r.URL.RawQuery, body: string(body)}
				if c.header != "" {
					w.Header().Set("X-Influxdb-Error", c.header)
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.answer)
			}))
			t.Cleanup(srv.Close)
			w := newWriter(srv.URL, "greenpulse", "greenpulse/autogen", c.token, srv.Client())
			err := w.write(context.Background(), []byte("energy,facility=F1 kwh_total=1 1\n"))
			g := <-seen
			if g.auth != c.wantAuth {
				t.Errorf("Authorization %q, want %q", g.auth, c.wantAuth)
			}
			if want := "bucket=greenpulse%2Fautogen&org=greenpulse&precision=ns"; g.query != want {
				t.Errorf("query %q, want %q", g.query, want)
			}
			if g.body != "energy,facility=F1 kwh_total=1 1\n" {
				t.Errorf("body %q", g.body)
			}
			if (err != nil) != c.wantErr || IsPermanent(err) != c.permanent {
				t.Fatalf("error %v (permanent %v), want error %v, permanent %v", err, IsPermanent(err), c.wantErr, c.permanent)
			}
			if c.header != "" && !strings.Contains(err.Error(), c.header) {
				t.Errorf("error %q does not carry X-Influxdb-Error %q", err, c.header)
			}
			if c.token != "" && err != nil && strings.Contains(err.Error(), c.token) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

// TestWriterIsDoneWithTheBatchOnReturn answers before reading a large body,
// as a proxy refusing its size does: the batch's buffer is refilled as soon
// as Write returns, so the transport must be done with it by then (go test
// -race reports it otherwise).
func TestWriterIsDoneWithTheBatchOnReturn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	}))
	t.Cleanup(srv.Close)
	w := newWriter(srv.URL, "", "greenpulse", "", srv.Client())
	batch := []byte(strings.Repeat("energy,facility=F1 kwh_total=1 1\n", 1<<17)) // 4 MB
	for range 5 {
		err := w.write(context.Background(), batch)
		if !IsPermanent(err) {
			// A reset connection before the answer is read is a transport
			// error instead; either way the buffer must be free.
			var werr *WriteError
			if errors.As(err, &werr) {
				t.Fatalf("error %v, want HTTP 413", err)
			}
		}
		for i := range batch {
			batch[i] = 'x'
		}
	}
}

// FuzzErrorMessage feeds InfluxDB error answers of any shape: the message
// is never empty, so a log line always says something.
func FuzzErrorMessage(f *testing.F) {
	f.Add("", []byte(`{"code":"invalid","message":"unable to parse"}`))
	f.Add("partial write", []byte(`{"error":"partial write"}`))
	f.Add("", []byte("<html>bad gateway</html>"))
	f.Add("", []byte(`{"code":""}`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if got := errorMessage("502 Bad Gateway", header, body); got == "" {
			t.Fatalf("empty message for header %q body %q", header, body)
		}
	})
}

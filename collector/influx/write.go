package influx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// writer posts line protocol to /api/v2/write itself rather than through
// influxdb-client-go, whose WriteRecord takes a string: that would copy
// every batch (up to half a megabyte at 5,000 points) once more and leave
// it to the garbage collector, on the collector's hottest path. Both
// InfluxDB 2.x and 1.8 (its compatibility endpoint, bucket "db/rp", token
// "user:password") take the same request.
type writer struct {
	endpoint string // with org, bucket and precision
	token    string
	http     *http.Client
}

func newWriter(baseURL, org, bucket, token string, client *http.Client) *writer {
	q := url.Values{"org": {org}, "bucket": {bucket}, "precision": {"ns"}}
	return &writer{endpoint: strings.TrimRight(baseURL, "/") + "/api/v2/write?" + q.Encode(), token: token, http: client}
}

// write sends one batch. An HTTP error answer is a *WriteError with
// InfluxDB's own message; a transport failure is returned wrapped as it is.
// It returns only once the transport is done with lineProtocol, which the
// caller refills as soon as the batch is acknowledged.
func (w *writer) write(ctx context.Context, lineProtocol []byte) error {
	body := &sentBody{Reader: bytes.NewReader(lineProtocol), closed: make(chan struct{})}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint, body)
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(lineProtocol))
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if w.token != "" {
		req.Header.Set("Authorization", "Token "+w.token)
	}
	resp, err := w.http.Do(req)
	// The transport may go on reading the body after Do returns (an early
	// answer such as a proxy's 413, a timeout), but it always closes it.
	defer func() { <-body.closed }()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Drained, so that the connection is reused.
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return &WriteError{Status: resp.StatusCode, Message: errorMessage(resp.Status, resp.Header.Get("X-Influxdb-Error"), text)}
}

// sentBody is a request body that tells when the transport has closed it.
type sentBody struct {
	*bytes.Reader
	once   sync.Once
	closed chan struct{}
}

func (b *sentBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// errorMessage is the message of an InfluxDB error answer: 2.x says
// {"code": ..., "message": ...}, 1.8 says {"error": ...} and repeats it in
// its X-Influxdb-Error header; anything else (a proxy's page) is given as
// it came, after the status line.
func errorMessage(status, header string, body []byte) string {
	var answer struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &answer) == nil {
		switch {
		case answer.Message != "" && answer.Code != "":
			return answer.Code + ": " + answer.Message
		case answer.Message != "":
			return answer.Message
		case answer.Error != "":
			return answer.Error
		}
	}
	if header != "" {
		return header
	}
	if text := strings.TrimSpace(string(body)); text != "" {
		return fmt.Sprintf("%s: %s", status, text)
	}
	return status
}

// writeTransport keeps as many idle connections to InfluxDB as there can
// be writes at once (ingest.writers is at most 16); Go's default of two a
// host would open and close connections under load.
func writeTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

// Package dhis2api is the HTTP client GreenPulse talks to a DHIS2 server
// with: the collector's metadata setup and data push, and the registry's
// import of org units. It authenticates with a personal access token
// (Authorization: ApiToken …) or a username and password, retries network
// errors and 5xx answers with backoff, never retries a 4xx, and keeps the
// credentials out of every error it returns.
package dhis2api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The environment variables GreenPulse's commands read DHIS2 secrets
// from, so that no file need hold them.
const (
	EnvToken    = "GREENPULSE_DHIS2_TOKEN"
	EnvPassword = "GREENPULSE_DHIS2_PASSWORD"
)

// ErrUnauthorized is wrapped by the error of a request DHIS2 answered 401.
var ErrUnauthorized = errors.New("DHIS2 refused the credentials (401): the token is wrong, expired or revoked, or the username/password is wrong")

// Config says where DHIS2 is and how to log in.
type Config struct {
	// URL is the server's base address including any context path, e.g.
	// https://dhis2.moh.gov.iq or https://example.org/dhis; /api/… is
	// appended to it.
	URL string
	// Token is a personal access token; when set, Username and Password
	// are not used.
	Token              string
	Username, Password string
	// Timeout bounds one attempt of one request.
	Timeout time.Duration
	// Retries is how many times a request is sent again after a network
	// error or a 5xx answer; RetryInitial is the first pause, doubled after
	// each attempt up to RetryMax.
	Retries      int
	RetryInitial time.Duration
	RetryMax     time.Duration
	// UserAgent names GreenPulse in DHIS2's access log.
	UserAgent string
}

// Client sends requests to one DHIS2 server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
}

// New returns a client for cfg. It does no I/O.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("DHIS2 url: want an address such as https://dhis2.example.org, got %q", Redact(cfg.URL))
	}
	if u.User != nil {
		return nil, errors.New("DHIS2 url: must not hold credentials; give a token or username and password")
	}
	if cfg.Token == "" && cfg.Username == "" {
		return nil, errors.New("DHIS2: give a personal access token or a username and password")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.RetryInitial <= 0 {
		cfg.RetryInitial = time.Second
	}
	if cfg.RetryMax < cfg.RetryInitial {
		cfg.RetryMax = max(cfg.RetryInitial, 30*time.Second)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "greenpulse"
	}
	return &Client{cfg: cfg, base: u, http: &http.Client{Timeout: cfg.Timeout}}, nil
}

// Response is DHIS2's answer to one request: the status and body of the
// last attempt.
type Response struct {
	Status int
	Body   []byte
}

// StatusError is a non-2xx answer that the caller did not expect.
type StatusError struct {
	Method, Path string
	Status       int
	// Message is DHIS2's own explanation (the WebMessage "message"), or
	// the start of the body when it sent none.
	Message string
	err     error // ErrUnauthorized for a 401
}

func (e *StatusError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.err)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Message)
}

func (e *StatusError) Unwrap() error { return e.err }

// Do sends method path?query with body (JSON-encoded unless it is []byte,
// which is sent as is with contentType) and returns the answer of the last
// attempt, whatever its status. Network errors and 5xx answers are retried
// up to Config.Retries times with backoff; a 4xx is returned at once. A 401
// comes back as an error wrapping ErrUnauthorized.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (Response, error) {
	var payload []byte
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case Raw:
		payload, contentType = b.Body, b.ContentType
	default:
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return Response{}, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
	}
	target := c.base.JoinPath(path)
	target.RawQuery = query.Encode()

	wait := c.cfg.RetryInitial
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, method, target.String(), payload, body != nil, contentType)
		retriable := err != nil || resp.Status >= 500
		if !retriable || attempt >= c.cfg.Retries || ctx.Err() != nil {
			if err != nil {
				return resp, fmt.Errorf("%s %s: %w", method, path, err)
			}
			if resp.Status == http.StatusUnauthorized {
				return resp, &StatusError{Method: method, Path: path, Status: resp.Status, err: ErrUnauthorized}
			}
			return resp, nil
		}
		select {
		case <-ctx.Done():
			return resp, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, c.cfg.RetryMax)
	}
}

// Raw is a request body sent as it is, e.g. CSV.
type Raw struct {
	ContentType string
	Body        []byte
}

func (c *Client) once(ctx context.Context, method, target string, payload []byte, hasBody bool, contentType string) (Response, error) {
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return Response{}, err
	}
	if hasBody {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "ApiToken "+c.cfg.Token)
	} else {
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error names the address, which holds no credentials: New
		// refuses a URL with user info.
		return Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Response{Status: resp.StatusCode}, fmt.Errorf("read answer: %w", err)
	}
	return Response{Status: resp.StatusCode, Body: data}, nil
}

// maxBody bounds an answer held in memory: a page of org units or an
// import summary with every conflict of a chunk is well under it.
const maxBody = 64 << 20

// GetJSON sends GET path?query and decodes a 2xx answer into out. Any
// other answer is a *StatusError.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, out any) error {
	resp, err := c.Do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	if resp.Status/100 != 2 {
		return Unexpected(http.MethodGet, path, resp)
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("GET %s: the answer is not the JSON expected: %w", path, err)
	}
	return nil
}

// Unexpected returns the *StatusError for an answer the caller does not
// accept, with DHIS2's message in it.
func Unexpected(method, path string, resp Response) error {
	return &StatusError{Method: method, Path: path, Status: resp.Status, Message: MessageOf(resp.Body)}
}

// Redact returns raw, an address as a user typed it, with anything before
// an '@' after the scheme replaced, so that an error can quote a bad
// address without the password someone put in it (which url.Parse may
// not even have recognised).
func Redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, rest = "", raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	if ok {
		scheme += "://"
	}
	return scheme + "…@" + rest[at+1:]
}

// Clip cuts s to at most n runes, marking the cut with "…".
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// MessageOf returns the "message" of a DHIS2 WebMessage body, or the start
// of the body when it is not one.
func MessageOf(body []byte) string {
	var wm struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &wm) == nil && wm.Message != "" {
		return wm.Message
	}
	s := Clip(strings.TrimSpace(string(body)), 200)
	if s == "" {
		s = "(empty answer)"
	}
	return s
}

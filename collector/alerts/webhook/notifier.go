package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
)

// Notifier posts alert events to the webhook. It implements alerts.Notify.
// Firing and Resolved are safe for concurrent use, also while Run runs,
// and never block on the network; call Run once.
type Notifier struct {
	endpoint string // the configured URL
	name     string // its scheme and host: for errors and logs
	token    string // bearer token; "" for none
	http     *http.Client
	metrics  *Metrics
	log      *slog.Logger
	now      func() time.Time

	attempts int           // per event
	backoff  time.Duration // before the first retry, doubled after
	max      int           // events the queue holds

	mu sync.Mutex
	// posted holds the alerts whose firing was queued and that have not
	// cleared since, so that an alert is posted once when it fires and
	// once when it clears, not at every change while it lasts (an SMS at
	// each would bury the rest).
	posted  map[string]bool
	queue   []event       // oldest first
	dropped int           // since Run last logged drops
	wake    chan struct{} // buffered 1: the queue has events
}

// event is one Firing or Resolved call, its alert encoded at the call so
// that later changes to the alert do not reach it.
type event struct {
	status string // firing or resolved
	id     string // the alert's, for logs
	alert  json.RawMessage
}

// message is the body of one POST (the package comment shows it).
type message struct {
	Version string          `json:"version"`
	Status  string          `json:"status"`
	Alert   json.RawMessage `json:"alert"`
	SentAt  string          `json:"sent_at"`
}

// New validates cfg, reads the token from the environment variable
// TokenEnv and builds a notifier. A nil metrics records nothing; a nil
// log discards.
func New(cfg Config, metrics *Metrics, log *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	token := strings.TrimSpace(os.Getenv(TokenEnv))
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return nil, fmt.Errorf("%s: a bearer token is printable ASCII without spaces", TokenEnv)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, _ := url.Parse(cfg.URL) // Validate parsed it
	return &Notifier{
		endpoint: cfg.URL,
		name:     site(u),
		token:    token,
		http: &http.Client{
			Timeout: cfg.Timeout,
			// A redirect is answered as an error: a POST followed by
			// GET loses its body, and the token stays with our host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		metrics:  metrics,
		log:      log,
		now:      time.Now,
		attempts: 5,
		backoff:  time.Second,
		max:      QueueSize,
		wake:     make(chan struct{}, 1),
		posted:   map[string]bool{},
	}, nil
}

// Firing queues a's firing for Run to post, once for each time it fires:
// a change of an active alert (its count, its message) is not posted
// again. After a restart every active alert is posted once more, since
// what was posted is kept only in memory.
func (n *Notifier) Firing(a alerts.Alert) {
	n.mu.Lock()
	done := n.posted[a.ID]
	n.posted[a.ID] = true
	n.mu.Unlock()
	if done {
		return
	}
	n.enqueue("firing", a)
}

// Resolved queues a's clearing for Run to post.
func (n *Notifier) Resolved(a alerts.Alert) {
	n.mu.Lock()
	delete(n.posted, a.ID)
	n.mu.Unlock()
	n.enqueue("resolved", a)
}

func (n *Notifier) enqueue(status string, a alerts.Alert) {
	raw, err := json.Marshal(a)
	if err != nil {
		// Only a time beyond year 9999 does this: such an alert cannot
		// be posted at all.
		n.log.Warn("webhook: encode alert", "alert", a.ID, "err", err)
		n.metrics.sent(false)
		return
	}
	n.mu.Lock()
	full := len(n.queue) >= n.max
	if full {
		n.queue[0] = event{}
		n.queue = n.queue[1:]
		n.dropped++
	}
	n.queue = append(n.queue, event{status: status, id: a.ID, alert: raw})
	n.metrics.queued(len(n.queue), full)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// take removes the oldest event from the queue, and reports how many
// were dropped since the last call.
func (n *Notifier) take() (e event, ok bool, dropped int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	dropped, n.dropped = n.dropped, 0
	if len(n.queue) == 0 {
		return event{}, false, dropped
	}
	e = n.queue[0]
	n.queue[0] = event{}
	n.queue = n.queue[1:]
	n.metrics.queued(len(n.queue), false)
	return e, true, dropped
}

// Run posts the queued events in order until ctx ends, then returns nil;
// the event being posted then is neither delivered nor counted. Events
// that are not delivered are logged and dropped.
func (n *Notifier) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		e, ok, dropped := n.take()
		if dropped > 0 {
			n.log.Warn("webhook: queue full, dropped the oldest events", "url", n.name, "dropped", dropped)
		}
		if !ok {
			select {
			case <-ctx.Done():
			case <-n.wake:
			}
			continue
		}
		n.deliver(ctx, e)
	}
	return nil
}

// deliver posts e, retrying network errors, 5xx, 408 and 429 with backoff.
func (n *Notifier) deliver(ctx context.Context, e event) {
	body, err := json.Marshal(message{Version: "1", Status: e.status, Alert: e.alert,
		SentAt: n.now().UTC().Format(time.RFC3339)})
	if err != nil {
		panic(fmt.Sprintf("webhook: encode message: %v", err)) // alert is json.Marshal's output
	}
	wait := n.backoff
	for try := 1; ; try++ {
		again, err := n.post(ctx, body)
		if err == nil {
			n.metrics.sent(true)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !again || try == n.attempts {
			n.metrics.sent(false)
			n.log.Warn("webhook: alert not delivered", "url", n.name, "alert", e.id, "status", e.status,
				"tries", try, "err", err)
			return
		}
		n.log.Debug("webhook: retrying", "url", n.name, "alert", e.id, "try", try, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// post makes one POST of body; again says whether another try may help.
func (n *Notifier) post(ctx context.Context, body []byte) (again bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("build request") // its error would show the URL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "greenpulse-collector")
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	resp, err := n.http.Do(req)
	if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
		return true, uerr.Err // without the URL, whose path may hold a secret
	} else if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return false, nil
	}
	// 408 and 429 say "later", not "never": an SMS gateway's rate limit
	// must not lose the alert.
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
	return retry, fmt.Errorf("%s: %s", resp.Status, snippet(head, 200))
}

// snippet is the start of an answer's body for a log line: on one line,
// at most n bytes, whole runes.
func snippet(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

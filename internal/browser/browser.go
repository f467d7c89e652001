// Package browser drives Debian's headless Chromium (through chromedp) for
// the dashboard's browser tests, its render benchmark and its screenshots.
// It records what pages log as errors, so that a test can require a view
// to load cleanly.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// ExecPath finds Chromium: $GREENPULSE_CHROMIUM, then Debian's
// /usr/bin/chromium, then chromium on PATH.
func ExecPath() (string, error) {
	if p := os.Getenv("GREENPULSE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", errors.New("chromium not found (looked at $GREENPULSE_CHROMIUM, /usr/bin/chromium, PATH): run scripts/install-deps.sh, or apt-get install chromium")
}

// Browser is one headless Chromium with one tab. Its methods are not safe
// for concurrent use, except ConsoleErrors.
type Browser struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	errors []string
	synced int // the last Settle mark the listener has read
	marks  int // the last Settle mark written
}

// settleMark prefixes the console.debug lines by which Settle knows that
// the listener has read everything the page logged before them.
const settleMark = "greenpulse-settle-"

// Start launches Chromium with a fresh profile in dir and a window of
// width × height CSS pixels. The flags are those a machine with a closed
// network needs: without the background-networking ones Chromium keeps
// trying to reach Google's hosts.
func Start(ctx context.Context, dir string, width, height int) (*Browser, error) {
	path, err := ExecPath()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox, // Chromium refuses its sandbox when run as root, as in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{ctx: bctx, cancel: func() { cancelTab(); cancelAlloc() }, done: make(chan struct{})}
	if err := chromedp.Do(bctx); err != nil { // starts the browser, bound to ctx only
		b.cancel()
		return nil, fmt.Errorf("start chromium %s: %w", path, err)
	}
	messages := chromedp.Console(bctx)
	go func() {
		defer close(b.done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if n, ok := strings.CutPrefix(m.Text, settleMark); ok && m.Type == chromedp.ConsoleDebug {
				if v, err := strconv.Atoi(n); err == nil {
					b.mu.Lock()
					b.synced = v
					b.mu.Unlock()
				}
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
				b.mu.Unlock()
			}
		}
	}()
	return b, nil
}

// Settle lets the page draw two more frames (charts paint on animation
// frames, after the view marks itself ready) and then waits until the
// console listener has read every message logged before, so that
// ConsoleErrors blames errors on the page that made them.
func (b *Browser) Settle(timeout time.Duration) error {
	b.mu.Lock()
	b.marks++
	n := b.marks
	b.mu.Unlock()
	js := fmt.Sprintf(`new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => { console.debug(%q); done(true); })))`, settleMark+strconv.Itoa(n))
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)); err != nil {
		return fmt.Errorf("settle the page: %w", err)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		b.mu.Lock()
		done := b.synced >= n
		b.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("settle the page: the console listener did not catch up: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// SetTimezone makes the page run in the IANA timezone tz, as a browser in
// another country would.
func (b *Browser) SetTimezone(tz string) error {
	if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz}); err != nil {
		return fmt.Errorf("set the page's timezone to %s: %w", tz, err)
	}
	return nil
}

// ConsoleErrors returns the errors and uncaught exceptions logged since the
// last call, and forgets them.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.errors
	b.errors = nil
	return out
}

// Do runs actions in the tab, bounded by timeout.
func (b *Browser) Do(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](b *Browser, timeout time.Duration, expression string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expression))
}

// EvalAwait is Eval for an expression that gives a promise: it waits for
// the promise and decodes what it resolves to.
func EvalAwait[T any](b *Browser, timeout time.Duration, expression string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
}

// WaitFor polls the JavaScript condition js until it is true or timeout
// passes; evaluation errors in between (a page still loading) are retried.
func (b *Browser) WaitFor(timeout time.Duration, js string) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := Eval[bool](b, 2*time.Second, js)
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not true within %s (last error: %v)", js, timeout, err)
		}
		select {
		case <-b.ctx.Done():
			return b.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Screenshot captures the window as PNG.
func (b *Browser) Screenshot(timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

// WaitReady waits until the dashboard has drawn view: its shell marks
// <body data-ready="1" data-view="…"> once a view's data is loaded and
// drawn. It polls by evaluating, and tries again when the page's script
// context went away under the evaluation (a navigation in between), which
// chromedp's Poll reports as an error.
func WaitReady(view string) chromedp.Action[chromedp.Void] {
	// "ok" when drawn; the page's message when it gave up on another view
	// (or before any: the shell could not start); "" while loading.
	js := fmt.Sprintf(`(() => {
		const b = document.body;
		if (!b || b.dataset.ready !== "1") return "";
		if (b.dataset.view === %q) return "ok";
		const e = document.querySelector(".error");
		if (e) return e.textContent;
		return b.dataset.view ? "" : document.getElementById("app")?.textContent ?? "the page did not start";
	})()`, view)
	check := chromedp.Evaluate[string](js)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			got, err := check(ctx, t)
			switch {
			case got == "ok":
				return chromedp.Void{}, nil
			case got != "":
				return chromedp.Void{}, fmt.Errorf("view %s did not draw: %s", view, got)
			}
			if err != nil && ctx.Err() != nil {
				return chromedp.Void{}, fmt.Errorf("wait for view %s: %w (last: %v)", view, ctx.Err(), err)
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("wait for view %s: %w", view, ctx.Err())
			case <-tick.C:
			}
		}
	}
}

// SaveDownloads makes the browser save downloaded files into dir, under
// the names the page gives them, instead of asking.
func (b *Browser) SaveDownloads(dir string) error {
	_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	})
	if err != nil {
		return fmt.Errorf("let chromium save downloads into %s: %w", dir, err)
	}
	return nil
}

// Close stops Chromium.
func (b *Browser) Close() {
	b.cancel()
	<-b.done
}

package ingest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// flushDelay is how long written packets may wait to be coalesced into one
// system call. Acknowledgements leave in bursts of a whole batch; a
// millisecond is nothing to the broker's keepalive or retry timers.
const flushDelay = time.Millisecond

// bufferedConn buffers both directions of the broker connection. paho reads
// each packet's fixed header a byte at a time and writes every packet with a
// system call of its own; at one reading a message, those system calls were
// most of the collector's CPU. It is safe for concurrent use: paho's writer
// and the flush timer share it.
//
// Buffered writes can be lost when the process dies; for acknowledgements
// that only means the broker redelivers, and storage is idempotent.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader

	mu      sync.Mutex
	w       *bufio.Writer
	pending bool // a flush is scheduled
	err     error
}

func newBufferedConn(c net.Conn) *bufferedConn {
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 64<<10)}
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *bufferedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
		return n, err
	}
	if !c.pending {
		c.pending = true
		time.AfterFunc(flushDelay, c.flush)
	}
	return n, nil
}

func (c *bufferedConn) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = false
	if c.err != nil {
		return
	}
	if err := c.w.Flush(); err != nil {
		// paho learns of it when its next read fails on the closed
		// connection, and reconnects.
		c.err = err
		c.Conn.Close()
	}
}

// Close sends what is buffered (a DISCONNECT, the last acknowledgements)
// before closing.
func (c *bufferedConn) Close() error {
	c.mu.Lock()
	if c.err == nil {
		_ = c.w.Flush()
		c.err = net.ErrClosed
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// dialBroker opens the broker connection for paho: TCP, or TLS for ssl://,
// tls:// and mqtts:// brokers, read through a buffer.
func dialBroker(uri *url.URL, opts mqtt.ClientOptions) (net.Conn, error) {
	d := &net.Dialer{Timeout: opts.ConnectTimeout}
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "tcp", "mqtt":
		conn, err = d.Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts":
		cfg := opts.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		conn, err = tls.DialWithDialer(d, "tcp", uri.Host, cfg)
	default:
		return nil, fmt.Errorf("broker scheme %q: use tcp:// or ssl://", uri.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return newBufferedConn(conn), nil
}

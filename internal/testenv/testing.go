package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// RequireIntegration skips the test under go test -short: integration tests
// start real Mosquitto and InfluxDB processes. It is safe for concurrent use.
func RequireIntegration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts Mosquitto and InfluxDB (skipped with -short)")
	}
}

// StartMosquitto starts a broker on a free loopback port in a temp dir of
// the test and stops it when the test ends. It fails the test if the broker
// cannot start, or if it had died on its own by the end of the test. It is
// safe for concurrent use by parallel tests.
func StartMosquitto(t testing.TB) *Mosquitto {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMosquitto(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	// Registered before Start so that nothing outlives a failed start.
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("stop test broker: %v", err)
		}
	})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// StartInfluxDB starts InfluxDB on a free loopback port in a temp dir of the
// test and stops it when the test ends. It fails the test if InfluxDB
// cannot start, or if it had died on its own by the end of the test. It is
// safe for concurrent use by parallel tests.
func StartInfluxDB(t testing.TB) *InfluxDB {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	i, err := NewInfluxDB(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := i.Stop(); err != nil {
			t.Errorf("stop test influxdb: %v", err)
		}
	})
	if err := i.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return i
}

// Unavailable ends a test that needs a program the machine lacks: a skip
// on a developer's machine, a failure when CI is set (.ci/run sets it),
// so that CI cannot pass by skipping.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("%s\nCI is set, so this fails instead of skipping: run scripts/install-deps.sh", msg)
	}
	t.Skipf("%s\nskipped: run scripts/install-deps.sh as root to install it (with CI set this fails)", msg)
}

// StartNATSCluster starts a NATS cluster (3 nodes unless opt says) on free
// loopback ports in a temp dir of the test and stops it when the test
// ends. Without nats-server NATSVersion it skips, or fails under CI.
func StartNATSCluster(t testing.TB, opt NATSOptions) *NATSCluster {
	t.Helper()
	c, err := NewNATSCluster(t.TempDir(), opt)
	if errors.Is(err, ErrNotInstalled) {
		Unavailable(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			// A node the test killed and left down is not an error.
			if n.Pid() != 0 {
				if err := n.Stop(); err != nil {
					t.Errorf("stop test nats-server %s: %v", n.Name, err)
				}
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// NATSVersion is the nats-server that scripts/install-deps.sh builds and
// the cluster tests run: its MQTT behaviour (no $share, redelivery after
// ack_wait, the partition mapping) is what docs/cluster.md describes.
const NATSVersion = "v2.15.3"

// NATSServerPath finds nats-server NATSVersion: $GREENPULSE_NATS_SERVER,
// then the cache that scripts/install-deps.sh fills ($GREENPULSE_CACHE/bin,
// then $HOME/.cache/greenpulse/bin), then PATH, where only that version is
// taken (Debian's nats-server is 2.9, older than the MQTT fixes the cluster
// relies on). It is safe for concurrent use.
func NATSServerPath() (string, error) {
	if p := os.Getenv("GREENPULSE_NATS_SERVER"); p != "" {
		return checkBinary("GREENPULSE_NATS_SERVER", p)
	}
	looked := CachedBinaries("nats-server")
	if p, err := exec.LookPath("nats-server"); err == nil {
		looked = append(looked, p)
	}
	var wrong []string
	for _, p := range looked {
		if !isExecutable(p) {
			continue
		}
		out, err := exec.Command(p, "--version").Output()
		if err == nil && strings.Contains(string(out), NATSVersion) {
			return p, nil
		}
		wrong = append(wrong, fmt.Sprintf("%s (%q)", p, strings.TrimSpace(string(out))))
	}
	if len(wrong) > 0 {
		return "", fmt.Errorf("find nats-server %s: only found %s; run scripts/install-deps.sh: %w",
			NATSVersion, strings.Join(wrong, ", "), ErrNotInstalled)
	}
	return "", fmt.Errorf("find nats-server %s (looked at $GREENPULSE_NATS_SERVER, %s): %w",
		NATSVersion, strings.Join(looked, ", "), ErrNotInstalled)
}

// NATSOptions shape a test cluster.
type NATSOptions struct {
	// Nodes is the cluster's size; 0 means 3.
	Nodes int
	// MQTTInclude is a file of mqtt-block settings (configs/nats's
	// greenpulse-mqtt.conf) included in every node's mqtt block, and
	// Include files (the partition mappings) included at the top level.
	// They are copied beside each node's configuration.
	MQTTInclude string
	Include     []string
}

// NATSCluster is a NATS cluster with JetStream and MQTT on loopback ports,
// each node with its configuration, store and log in its own folder.
type NATSCluster struct {
	Nodes []*NATSNode
}

// NATSNode is one server of a NATSCluster. Stop or Kill followed by Start
// keeps its ports and its JetStream store. Its methods are safe for
// concurrent use.
type NATSNode struct {
	Name                              string
	Dir                               string
	MQTTPort, ClientPort, ClusterPort int
	MonitorPort                       int
	proc                              *process
	client                            *http.Client
}

// NewNATSCluster writes the nodes' configurations under dir and returns
// the cluster, not yet started.
func NewNATSCluster(dir string, opt NATSOptions) (*NATSCluster, error) {
	bin, err := NATSServerPath()
	if err != nil {
		return nil, err
	}
	n := opt.Nodes
	if n == 0 {
		n = 3
	}
	c := &NATSCluster{}
	for i := range n {
		node := &NATSNode{Name: fmt.Sprintf("n%d", i+1), Dir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			client: &http.Client{Timeout: 2 * time.Second}}
		for _, p := range []*int{&node.MQTTPort, &node.ClientPort, &node.ClusterPort, &node.MonitorPort} {
			if *p, err = FreePort(); err != nil {
				return nil, err
			}
		}
		c.Nodes = append(c.Nodes, node)
	}
	var routes []string
	for _, node := range c.Nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", node.ClusterPort))
	}
	for _, node := range c.Nodes {
		if err := node.write(bin, routes, opt); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (n *NATSNode) write(bin string, routes []string, opt NATSOptions) error {
	if err := os.MkdirAll(n.Dir, 0o755); err != nil {
		return fmt.Errorf("create nats dir %q: %w", n.Dir, err)
	}
	copyIn := func(src string) (string, error) {
		data, err := os.ReadFile(src)
		if err != nil {
			return "", fmt.Errorf("nats include: %w", err)
		}
		dst := filepath.Join(n.Dir, filepath.Base(src))
		return filepath.Base(src), os.WriteFile(dst, data, 0o644)
	}
	mqttInclude := ""
	if opt.MQTTInclude != "" {
		name, err := copyIn(opt.MQTTInclude)
		if err != nil {
			return err
		}
		mqttInclude = fmt.Sprintf("  include %q\n", name)
	}
	var includes strings.Builder
	for _, src := range opt.Include {
		name, err := copyIn(src)
		if err != nil {
			return err
		}
		fmt.Fprintf(&includes, "include %q\n", name)
	}
	logPath := filepath.Join(n.Dir, "nats.log")
	// Small JetStream limits: a test holds minutes of a few facilities.
	conf := fmt.Sprintf(`# Written by greenpulse internal/testenv for one test cluster node.
server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
log_file: %q
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: greenpulse-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
mqtt {
  listen: 127.0.0.1:%d
%s}
%s`, n.Name, n.ClientPort, n.MonitorPort, logPath, filepath.Join(n.Dir, "jetstream"), n.ClusterPort,
		strings.Join(routes, ", "), n.MQTTPort, mqttInclude, includes.String())
	confPath := filepath.Join(n.Dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("write nats config %q: %w", confPath, err)
	}
	outPath := filepath.Join(n.Dir, "stderr.log")
	n.proc = &process{name: "nats-server " + n.Name, bin: bin, args: []string{"-c", confPath},
		addr: fmt.Sprintf("127.0.0.1:%d", n.MQTTPort), outPath: outPath, logPaths: []string{outPath, logPath}}
	return nil
}

// MQTTURL returns the node's address for MQTT clients.
func (n *NATSNode) MQTTURL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", n.MQTTPort) }

// MQTTURLs returns every node's MQTT address, starting with node first
// and going round: a client given MQTTURLs(i) prefers node i and falls
// back on the next.
func (c *NATSCluster) MQTTURLs(first int) []string {
	var urls []string
	for i := range c.Nodes {
		urls = append(urls, c.Nodes[(first+i)%len(c.Nodes)].MQTTURL())
	}
	return urls
}

// Start starts every node at once (a JetStream cluster has no leader
// until a majority is up) and waits until each is healthy.
func (c *NATSCluster) Start(ctx context.Context) error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Go(func() { errs[i] = n.Start(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stop stops every node.
func (c *NATSCluster) Stop() error {
	var errs []error
	for _, n := range c.Nodes {
		errs = append(errs, n.Stop())
	}
	return errors.Join(errs...)
}

// Start starts the node and waits, for at most 60 s or until ctx ends,
// until its monitoring port says it is healthy: connected to the cluster,
// with JetStream current, so that MQTT sessions can be made on it. Alone,
// a node of a cluster never becomes healthy; start a majority together.
func (n *NATSNode) Start(ctx context.Context) error {
	return n.proc.start(ctx, 60*time.Second, n.healthy)
}

func (n *NATSNode) healthy(ctx context.Context) error {
	if err := dialable(n.proc.addr); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/healthz", n.MonitorPort), nil)
	if err != nil {
		return err
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// StreamLeader returns the index of the node that leads JetStream stream
// name (such as $MQTT_msgs, where NATS keeps every QoS 1 message), as
// the nodes' monitoring pages say: the node whose death costs the most.
func (c *NATSCluster) StreamLeader(ctx context.Context, name string) (int, error) {
	for _, n := range c.Nodes {
		if n.Pid() == 0 {
			continue
		}
		var jsz struct {
			AccountDetails []struct {
				StreamDetail []struct {
					Name    string `json:"name"`
					Cluster struct {
						Leader string `json:"leader"`
					} `json:"cluster"`
				} `json:"stream_detail"`
			} `json:"account_details"`
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			fmt.Sprintf("http://127.0.0.1:%d/jsz?streams=true", n.MonitorPort), nil)
		if err != nil {
			return 0, err
		}
		resp, err := n.client.Do(req)
		if err != nil {
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(&jsz)
		resp.Body.Close()
		if err != nil {
			continue
		}
		for _, a := range jsz.AccountDetails {
			for _, st := range a.StreamDetail {
				if st.Name != name || st.Cluster.Leader == "" {
					continue
				}
				for i, node := range c.Nodes {
					if node.Name == st.Cluster.Leader {
						return i, nil
					}
				}
			}
		}
	}
	return 0, fmt.Errorf("no node reports a leader of stream %s", name)
}

// Pid returns the node's process id, or 0 when it is not running.
func (n *NATSNode) Pid() int { return n.proc.pid() }

// Stop ends the node with SIGTERM, a clean shutdown, and waits until it
// has exited; after 30 s it is killed.
func (n *NATSNode) Stop() error { return n.proc.stop(syscall.SIGTERM, 30*time.Second) }

// Kill ends the node with SIGKILL, as a crash or a power cut of its
// process would (the kernel still holds what it wrote).
func (n *NATSNode) Kill() error { return n.proc.stop(syscall.SIGKILL, 10*time.Second) }

// LogTail returns the end of the node's logs, for a failing test.
func (n *NATSNode) LogTail() string { return n.proc.logTail() }

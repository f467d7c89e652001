package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/provision"
)

const provisionSynopsis = `provision --registry FILE --out DIR [--broker URL] [--tls] [--rotate ID] [--topic-root greenpulse] [--fresh]

Writes, for every facility of the registry, DIR/facilities/<id>/agent.yaml
(its broker login; secret, mode 600) and handover.html (a printable sheet
without secrets); DIR/broker/ (Mosquitto password file, ACL, config
snippet); DIR/collector/ (the collector's credentials); with --tls a private
CA in DIR/ca/ and a client certificate per facility. A rerun keeps every
secret in DIR/provision-state.json and adds new facilities; --broker,
--tls and --topic-root default to the previous run's. Without that state
file (or without DIR/ca/ once certificates were issued) it refuses to run:
restore them from the backup, or pass --fresh to start over (every secret
replaced). docs/provisioning.md is the operator's guide.`

// provision runs the provision subcommand. It never prints a secret.
func (c cli) provision(args []string) error {
	fs := c.newFlagSet("provision", provisionSynopsis)
	regPath := fs.String("registry", "", "facility list (CSV) to provision (required)")
	out := fs.String("out", "", "output folder, created 0700; holds every secret (required)")
	broker := fs.String("broker", "", "broker URL the agents connect to (default the previous run's, else tcp://127.0.0.1:1883, or ssl://127.0.0.1:8883 with --tls)")
	tls := fs.Bool("tls", false, "mutual TLS: a private CA, the broker's certificate and a client certificate per facility (default the previous run's)")
	rotate := fs.String("rotate", "", "replace the password (and client certificate) of this facility id, or of greenpulse-collector")
	root := fs.String("topic-root", "", "MQTT topic root (default the previous run's, else greenpulse)")
	fresh := fs.Bool("fresh", false, "start over: ignore the state and replace every password, key and certificate (every facility needs its new folder); needed when DIR has output files but no state, or no DIR/ca/")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *regPath == "" {
		return fmt.Errorf("provision: --registry is required")
	}
	if *out == "" {
		return fmt.Errorf("provision: --out is required")
	}
	cfg := provision.Config{Out: *out, Broker: *broker, TopicRoot: *root, Rotate: *rotate, Fresh: *fresh, Now: c.now}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "tls" {
			cfg.TLS = tls
		}
	})
	reg, err := registry.Load(*regPath)
	if err != nil {
		return err
	}
	res, err := provision.Run(cfg, reg)
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.stderr, w)
	}
	return c.printProvision(res)
}

// printProvision prints the summary: counts and paths, no secret.
func (c cli) printProvision(r *provision.Result) error {
	var b strings.Builder
	tls := "no TLS"
	if r.TLS {
		tls = "mutual TLS"
	}
	fmt.Fprintf(&b, "provisioned %d facilities in %s (broker %s, topic root %s, %s)\n",
		len(r.Created)+len(r.Kept)+len(r.Rotated), r.Out, r.Broker, r.TopicRoot, tls)
	rotated := len(r.Rotated)
	if r.CollectorRotated {
		rotated++
	}
	fmt.Fprintf(&b, "  created %d, kept %d, rotated %d, removed from passwd %d; %d files written\n",
		len(r.Created), len(r.Kept), rotated, len(r.Removed), r.FilesWritten)
	if r.CollectorRotated {
		fmt.Fprintf(&b, "  rotated: %s (install the new %s%s on the collector and restart it; install broker/passwd and reload the broker)\n",
			provision.CollectorUser, filepath.Join(r.Out, provision.CollectorDir, "credentials.env"), map[bool]string{true: " and client.crt/client.key", false: ""}[r.TLS])
	}
	if len(r.Rotated) > 0 {
		fmt.Fprintf(&b, "  rotated: %s (hand over the new agent.yaml%s, install broker/passwd and reload the broker)\n",
			strings.Join(r.Rotated, ", "), map[bool]string{true: " and client.crt/client.key", false: ""}[r.TLS])
	}
	if len(r.Renewed) > 0 {
		fmt.Fprintf(&b, "  certificates renewed before expiry: %s\n", strings.Join(r.Renewed, ", "))
	}
	for _, id := range r.Removed {
		fmt.Fprintf(&b, "  not in the registry: %s (left out of passwd; folder %s kept)\n", id, filepath.Join(r.Out, provision.FacilitiesDir, id))
	}
	if r.CACreated {
		fmt.Fprintf(&b, "  new CA: %s (back up ca.key: it is never remade)\n", filepath.Join(r.Out, provision.CADir))
	}
	fmt.Fprintf(&b, "broker:     %s (passwd, acl, %s%s)\n", filepath.Join(r.Out, provision.BrokerDir), provision.BrokerConf,
		map[bool]string{true: ", ca.crt, server.crt, server.key", false: ""}[r.TLS])
	fmt.Fprintf(&b, "collector:  %s (credentials.env, collector.yaml)\n", filepath.Join(r.Out, provision.CollectorDir))
	fmt.Fprintf(&b, "facilities: %s/<id> (agent.yaml, handover.html)\n", filepath.Join(r.Out, provision.FacilitiesDir))
	fmt.Fprintf(&b, "state:      %s (secret: back it up, never share it)\n", filepath.Join(r.Out, provision.StateFile))
	if strings.Contains(r.Broker, "://127.0.0.1") || strings.Contains(r.Broker, "://localhost") {
		fmt.Fprintf(&b, "note: the agents will connect to %s, this machine's loopback: pass --broker with the address facilities reach\n", r.Broker)
	}
	_, err := fmt.Fprint(c.stdout, b.String())
	return err
}

package main

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// telegrafProc is the peer the collector is measured against: a stock
// Telegraf reading the same topic into the same InfluxDB.
type telegrafProc struct {
	child
	logPath string
}

// telegrafConfig is the fairest Telegraf we know how to write for this
// load; each setting says why. Where a setting has a collector
// counterpart it is given the same value, so that the two differ in how
// they work, not in how they were told to.
const telegrafConfig = `# Written by greenpulse-bench ingest for one run.
[agent]
  ## mqtt_consumer is a service input: the interval paces only inputs that poll.
  interval = "10s"
  ## A batch leaves as soon as it holds metric_batch_size metrics; the flush
  ## interval only bounds how long a partial batch waits. 100ms, as the
  ## collector's ingest.flush_interval.
  flush_interval = "100ms"
  flush_jitter = "0s"
  ## A write starts when this many metrics wait. At 50 readings a message,
  ## 5000, the collector's ingest.batch_points. At 1 it must be below
  ## max_undelivered_messages, or a batch could never fill and every write
  ## would wait for the flush interval: 2000, half the window, as the
  ## collector's ingest.batch_messages is.
  metric_batch_size = %[1]d
  ## Room for everything max_undelivered_messages lets in at 50 readings a
  ## message (4000 x 50), so that no metric is dropped from a full buffer.
  metric_buffer_limit = 205000
  ## The collector adds no host tag; neither does this, so both write the
  ## same points.
  omit_hostname = true
  logfile = %[2]q
  ## No processors or aggregators here; set so that Telegraf does not warn
  ## about the default changing.
  skip_processors_after_aggregators = true

[[outputs.influxdb_v2]]
  urls = [%[3]q]
  ## InfluxDB 1.8 with authentication off takes any token.
  token = "bench"
  organization = ""
  ## Its own database, so that its points and the collector's never meet.
  bucket = "telegraf/autogen"
  ## Loopback: gzip (the default) would cost CPU and save nothing; the
  ## collector sends its batches plain too.
  content_encoding = "identity"
  ## 1, the default. More would overlap writes as the collector's
  ## ingest.writers do, but Telegraf 1.36.4 then silently drops part of every
  ## batch whose size the writer count does not divide (influxdata/telegraf
  ## pull request 18014, fixed in 1.37.0): this bench saw 666 of 2,000
  ## readings lost with 3. A peer that loses data is not a fair peer.
  concurrent_writes = %[4]d

[[inputs.mqtt_consumer]]
  servers = [%[5]q]
  topics = ["greenpulse/+/+"]
  ## At least once, as the collector: a message is acknowledged only once
  ## the output has written its metrics (tracking metrics), and a persistent
  ## session keeps what arrives while Telegraf is away.
  qos = 1
  persistent_session = true
  client_id = %[6]q
  ## As many unacknowledged messages as the broker lets out at once
  ## (max_inflight_messages 4000, as configs/mosquitto ships) and the
  ## collector holds (ingest.queue_messages 4200): with fewer it would idle
  ## waiting for acknowledgements.
  max_undelivered_messages = 4000
  ## The topic is wanted only for the facility tag (topic_parsing below).
  topic_tag = ""
%[7]s
  [[inputs.mqtt_consumer.topic_parsing]]
    topic = "greenpulse/+/+"
    tags = "_/facility/_"
  ## The agent leaves out the meter when it is the main one; the collector
  ## stores meter=main then.
  [inputs.mqtt_consumer.tags]
    meter = "main"
`

// telegrafParsers is the parser part of the input for each payload format.
var telegrafParsers = map[payloadFormat]string{
	lineProtocol: `  data_format = "influx"`,
	// json_v2 can express the agent's payload: an object or an array of
	// objects, each one metric, its ts in Unix milliseconds. It needs the
	// stream's fields by name, so a real deployment needs one such block a
	// stream, told apart by topic; the collector knows the schema.
	agentJSON: `  data_format = "json_v2"
  [[inputs.mqtt_consumer.json_v2]]
    measurement_name = "energy"
    [[inputs.mqtt_consumer.json_v2.object]]
      path = "@this"
      timestamp_key = "ts"
      timestamp_format = "unix_ms"
      tags = ["source", "meter"]
      [inputs.mqtt_consumer.json_v2.object.fields]
        kwh_total = "float"
        power_w = "float"
        fuel_l_total = "float"
        available = "bool"`,
}

func startTelegraf(ctx context.Context, o ingestOptions, dir, clientID, brokerURL, influxURL string, c cell) (*telegrafProc, error) {
	logPath := filepath.Join(dir, clientID+".log")
	conf := fmt.Sprintf(telegrafConfig, telegrafBatch(o, c), logPath, influxURL, o.telegrafWriters, brokerURL, clientID, telegrafParsers[c.format])
	path := filepath.Join(dir, clientID+".conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, o.telegraf, "--config", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start telegraf %s: %w", o.telegraf, err)
	}
	return &telegrafProc{child: child{cmd}, logPath: logPath}, nil
}

// telegrafBatch is metric_batch_size for a cell: --telegraf-batch if set,
// else as the config's comment says.
func telegrafBatch(o ingestOptions, c cell) int {
	switch {
	case o.telegrafBatch > 0:
		return o.telegrafBatch
	case c.perMessage == 1:
		return 2000
	}
	return 5000
}

func telegrafBatchText(o ingestOptions) string {
	one, more := telegrafBatch(o, cell{perMessage: 1}), telegrafBatch(o, cell{perMessage: 50})
	if one == more {
		return fmt.Sprint(one)
	}
	return fmt.Sprintf("%d at 1 reading a message, %d at more", one, more)
}

// afterRun prints Telegraf's errors and warnings, each distinct one once
// with how often it was logged.
func (p *telegrafProc) afterRun() {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return
	}
	var order []string
	seen := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		// "2026-12-03T06:52:27Z W! [agent] ..."
		_, msg, ok := strings.Cut(line, " ")
		if !ok || !(strings.HasPrefix(msg, "E! ") || strings.HasPrefix(msg, "W! ")) {
			continue
		}
		if seen[msg] == 0 {
			order = append(order, msg)
		}
		seen[msg]++
	}
	for _, msg := range order {
		fmt.Fprintf(os.Stderr, "    (telegraf, %d times: %s)\n", seen[msg], msg)
	}
}

// telegrafVersion is the Telegraf module version go recorded in the
// binary (a go-installed Telegraf says "unknown" to --version).
func telegrafVersion(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "of unknown version"
	}
	return info.Main.Version
}

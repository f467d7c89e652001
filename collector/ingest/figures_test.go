package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/reading"
)

// TestFiguresLevelIsThePublishers: the level the subscription leaves alone
// is the one the collector publishes figures on.
func TestFiguresLevelIsThePublishers(t *testing.T) {
	if topic := reading.FiguresTopic("greenpulse", "BG-H-001"); !ownLevel(topic[strings.LastIndexByte(topic, '/')+1:]) {
		t.Errorf("ingest does not leave %q alone, where figurestopic publishes", topic)
	}
	for level, own := range map[string]bool{"figures": true, "alerts": true, "energy": false, "status": false, "figure": false, "Figures": false, "": false} {
		if ownLevel(level) != own {
			t.Errorf("ownLevel(%q) = %v", level, !own)
		}
	}
}

// TestFiguresTopicIsLeftAlone sends the collector's own retained month
// figures as its subscription receives them, among readings: each is
// acknowledged in its place and counted as stream "figures", and none is
// stored, rejected or taken for a reading or a status, whatever its
// facility, size or payload.
func TestFiguresTopicIsLeftAlone(t *testing.T) {
	w := &scriptedWriter{}
	pub := &recordingPublisher{}
	p, statuses := newTestPipeline(t, w, pub)
	queue := make(chan Message, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, queue) }()

	acks := &ackLog{}
	msgs := []struct{ topic, payload string }{
		{"greenpulse/F1/figures", `{"facility":"F1","period":"month","start":"2026-12-01","computed_at":"2026-12-03T10:15:00Z","values":[{"indicator":"waste_kg","value":12,"facilities":1}]}`},
		{"greenpulse/F1/waste", fmt.Sprintf(`{"ts":%d,"category":"sharps","treatment":"autoclave","mass_kg":2}`, time.Now().Add(-time.Hour).UnixMilli())},
		{"greenpulse/GONE/figures", `{"facility":"GONE","values":[]}`},      // not in the registry
		{"greenpulse/F1/figures", strings.Repeat("x", 2<<20)},               // beyond max_payload_bytes
		{"greenpulse/F1/figures", `{"ts":1,"source":"grid","kwh_total":1}`}, // looks like a reading
		{"greenpulse/F1/figures", `{"online":false}`},                       // looks like a status
		{"greenpulse/F1/figure", `{}`},                                      // an unknown stream is still rejected
		{"greenpulse/F1/figures/extra", `{}`},                               // so is a deeper topic
	}
	for i, m := range msgs {
		queue <- acks.message(i, m.topic, m.payload)
	}
	waitFor(t, "all acks", func() bool { return len(acks.snapshot()) == len(msgs) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i, got := range acks.snapshot() {
		if got != i {
			t.Fatalf("acks %v, want in order", acks.snapshot())
		}
	}
	if got := w.stored(); len(got) != 1 || !strings.HasPrefix(got[0], "waste,") {
		t.Errorf("stored %q, want the one waste reading", got)
	}
	// A topic of more levels is a bad topic, rejected under _invalid.
	want := []string{"greenpulse/_rejected/F1/figure", "greenpulse/_rejected/_invalid/_invalid"}
	if fmt.Sprint(pub.topics) != fmt.Sprint(want) {
		t.Errorf("rejections published to %v, want only the unknown stream's and the deeper topic's", pub.topics)
	}
	if _, ok := statuses.Get("F1"); ok {
		t.Error("a figures message was taken for an agent status")
	}
	if v := testutil.ToFloat64(p.metrics.messages.WithLabelValues("figures")); v != 5 {
		t.Errorf(`messages_total{stream="figures"} = %v, want 5`, v)
	}
	if v := testutil.ToFloat64(p.metrics.messages.WithLabelValues("other")); v < 1 {
		t.Errorf(`messages_total{stream="other"} = %v: the unknown stream was not counted as other`, v)
	}
}

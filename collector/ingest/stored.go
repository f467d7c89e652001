package ingest

import (
	"errors"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Stored is told of waste readings once they are in InfluxDB, just before
// their messages are acknowledged (a crash in between redelivers them: an
// alert is repeated, never lost), and never of readings that were not
// stored: the facility alert rules (open burning, storage beyond the
// limit) hang on it. It is called from the acknowledging goroutine, batch
// after batch, so it must be quick, and must not keep rs, which the pipeline reuses;
// readings of other streams are not kept for it.
type Stored interface {
	Stored(rs []reading.Reading)
}

// OnStored has the pipeline tell s of stored waste readings. Call it
// before Run.
func (p *Pipeline) OnStored(s Stored) { p.stored = s }

// errRefused is writeWithRetry's answer when InfluxDB refused points of a
// batch permanently: the batch is acknowledged, but which of its readings
// were stored is unknown, so Stored is not told of them.
var errRefused = errors.New("influxdb refused points of the batch")

// tellStored passes b's waste readings to Stored.
func (p *Pipeline) tellStored(b *batch) {
	if p.stored == nil || len(b.waste) == 0 {
		return
	}
	if b.refused {
		p.log.Warn("alert rules skip a batch that influxdb partly refused", "waste_readings", len(b.waste))
		return
	}
	p.stored.Stored(b.waste)
}

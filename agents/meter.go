package agents

import (
	"fmt"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Meter readings typed by staff (log-meter and the agent's page): each
// entry is checked against the last readings that meterlog keeps, its
// counter reading (if it has one) goes to the outbox like a device's, and
// the entry and the new last readings go to meterlog, all under meterMu so
// that two entries never check against the same last reading.

// RecordMeter checks the meter reading e, typed at now, against the last
// readings; stores the counter reading it becomes, as Record does for
// source "manual"; and keeps the entry and the new last readings. A
// mistake comes back as *manual.FieldError values, an entry that needs an
// answer (a new meter? a big jump?) as a *manual.Question, and nothing is
// stored. Once the reading is stored the entry counts as recorded: a file
// that cannot be written is logged, not returned. It is safe for
// concurrent use.
func (a *Agent) RecordMeter(e manual.MeterEntry, now time.Time) (manual.MeterResult, error) {
	a.meterMu.Lock()
	defer a.meterMu.Unlock()
	res, err := e.Check(a.cfg.Facility, now, a.meters.State(), a.meterLimits())
	if err != nil {
		return manual.MeterResult{}, err
	}
	if res.Reading != nil {
		// A counter a device reads is the device's: a typed reading on
		// the same series would make both look reset.
		if dev, ok := a.cfg.Sources.Modbus.DeviceFeeding(res.Reading.Series()); ok {
			return manual.MeterResult{}, &manual.FieldError{Field: "meter", Message: fmt.Sprintf(
				"this meter (%s) is read over Modbus by device %q; type readings only for a meter no device reads, under another meter name",
				res.Reading.Series(), dev)}
		}
	}
	var seq uint64
	if res.Reading != nil {
		seq, err = a.record("manual", []reading.Reading{*res.Reading})
		if err != nil {
			return manual.MeterResult{}, err
		}
	}
	if err := a.meters.Add(meterlog.FromResult(seq, e, res), res.State); err != nil {
		a.log.Warn("meter reading stored but the list of last readings is not on disk", "err", err)
	}
	return res, nil
}

// MeterReadings returns the last reading of each counter, the generators'
// fuel counters and the recent entries, each with whether its reading
// still waits in the outbox.
func (a *Agent) MeterReadings() (meterlog.View, error) { return a.meters.View(a.outbox) }

// meterLimits are sources.manual.meters with defaults from the facility's
// size when the agent knows it (a simulated facility's registry row).
func (a *Agent) meterLimits() manual.MeterLimits {
	lim := a.cfg.Sources.Manual.Meters
	if a.sim != nil {
		f := a.sim.Facility()
		return lim.WithDefaults(f.Beds, f.PVkWp)
	}
	return lim.WithDefaults(0, 0)
}

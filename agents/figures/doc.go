// Package figures keeps the facility's own day and month figures on the
// agent, computed from the readings the agent stores, so that its page
// shows them while the link to the collector is down. The formulas are
// the collector's own (collector/indicators): counter differences
// (indicators.Difference), held grid availability
// (indicators.Availability), a facility's terms and values
// (indicators.Facility, Terms.Values) and a month as the merge of its days
// (FacilityInput.Merge), so that, for the same readings, a figure here
// equals the collector's facility-level indicator.
//
// # What is kept
//
// Per local day (figures.timezone, default Asia/Baghdad) and series:
//
//   - each counter series' increase (energy kwh_total and fuel_l_total per
//     meter and source, solar kwh_total per inverter): the difference
//     between consecutive readings goes to the day of the later one; a
//     negative one is a reset (the later value counts); a pair more than
//     48 h apart does not count (SPEC). Only each series' last reading is
//     kept, which is all the rule needs when readings come in time order;
//   - each grid meter's live and covered time: a sample holds until the
//     next one, at most 15 minutes, split at local midnight. The last
//     sample's own hold is added when figures are asked for, as the
//     collector's roll-up adds it;
//   - waste kg, events and storage breaches (stored_hours above
//     figures.storage_limit_hours) by category and treatment;
//   - whether the facility reported (any energy, solar or waste reading).
//
// Days of the current and the previous local month are kept; older ones
// are dropped. A reading dated before them still moves its series on.
//
// # Out-of-order readings
//
// A counter or availability reading dated at or before its series' last
// one is left out of the sums (it still marks its day as reported). The
// agent's sources produce each series in time order (typed meter
// readings are refused when dated before the last one), so such a reading
// is the simulator repeating ticks after the clock stepped back: the same
// readings as before, which the collector stores idempotently, so leaving
// them out is exact. Fitting a truly older reading in would need every
// reading of the series, which the store does not keep; the collector,
// which has them, would then differ for that day.
//
// # Crash safety and cost
//
// The store lives in memory and in <outbox.dir>/figures.json (through
// internal/jsonstate: rewritten whole and atomically, mode 0600 like its
// neighbours). A batch of readings is already fsynced once by the outbox;
// a second fsync per tick would double the disk work of every agent (241
// in one fleet simulator process), so the file is rewritten:
//
//   - at once after a batch holding waste: waste is rare (a few hand-overs
//     a day) and a lost waste event never comes back;
//   - otherwise at most every figures.save_interval (default 5 min), and
//     on Close. A crash loses at most that much of the meter sums, and
//     counters heal themselves: the next reading's difference is taken
//     from the last saved one and covers the lost readings too (it goes
//     to the day of that next reading, so across midnight the split
//     between the two days may differ from the collector's). Lost grid
//     availability does not come back: at most save_interval of it.
//
// A file that cannot be read is set aside as figures.json.bad and the
// store starts empty; figures are a view, never a reason to stop taking
// readings. A file written for another timezone keeps its series' last
// readings but drops its days, whose bounds no longer match.
//
// # The figures answer
//
// Report is what the agent's GET /api/v1/figures serves (agents/web adds
// the collector's official figures and whether it is connected). Field
// names are stable:
//
//	{"facility": "BG-H-001", "period": "day", "timezone": "Asia/Baghdad",
//	 "computed_at": "2026-12-03T10:15:00Z", "beds": 800, "pv_kwp": 500,
//	 "since": "2026-11-14T05:00:00Z",
//	 "periods": [
//	   {"name": "today", "kind": "day", "start": "2026-12-03", "days": 1, "reported": true,
//	    "values": {"grid_kwh": 812.4, "energy_kwh": 1210.9, "waste_kg": 96.5, ...},
//	    "grid_hours": {"live": 6.5, "covered": 10.25},
//	    "solar_kwh_per_kwp": 1.61,
//	    "waste": [{"category": "infectious", "treatment": "autoclave", "kg": 12.5, "events": 2, "storage_exceeded": 0}, ...]},
//	   {"name": "yesterday", ...}],
//	 "days": []}
//
// period=day gives the periods today and yesterday; period=month gives
// this_month and previous_month, and days: one entry per day of this month
// up to today, {"date", "reported", "values", "grid_hours",
// "solar_kwh_per_kwp"}, for the page's charts. values holds the
// facility-level indicators of collector/indicators by id (a ratio whose
// denominator is 0, or a figure with no readings, is absent, as the
// collector writes no point for it); grid_hours is null without grid
// availability samples; solar_kwh_per_kwp is null without solar readings
// or without pv_kwp; waste is ordered by category, then treatment, in the
// reading contract's order. since is the oldest reading counted (null
// before any; never before the first day kept).
package figures

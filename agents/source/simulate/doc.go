// Package simulate is a deterministic model of one health facility's
// meters and waste log: the grid meter, the standby generator, the solar
// inverter and the waste hand-overs of SPEC's MQTT contract, as a
// greenpulse-agent would read them at a real facility in Iraq.
//
// Every value is a pure function of the registry row, the seed, the time
// asked for and the mass gatherings it plays (Sim.SetSurges). Sim.Samples
// gives the meters at any instant, Sim.WasteEvents a local day's
// hand-overs, Sim.Readings the history of a period, and Source the live
// feed the agent runs; an agent restarted a week later, or history
// generated afterwards, continues the same counters.
//
//	registry row + seed ─► traits (generator? battery? treatment habits?)
//	local day ─► day plan: outages, PV and load on a 15-minute grid, totals
//	counter(t) = value at last reset + Σ day totals since + integral since midnight
//
// # Time
//
// Days are local to Asia/Baghdad, UTC+3 all year (Iraq dropped DST in
// 2008), like the collector's roll-ups. Power is linear between the nodes
// of a 15-minute grid (00:00 … 24:00); counters are its exact integral, so
// power and counters always agree and a sample between ticks lies between
// its neighbours.
//
// # Solar
//
// Solar time is UTC + longitude/15 h + the equation of time (the common
// 9.87 sin 2B − 7.53 cos B − 1.5 sin B fit); declination is Cooper's
// 23.45° sin(360°(284+n)/365). sin(elevation) = sin φ sin δ + cos φ cos δ
// cos h; below 0.01 the array makes nothing. Arrays face south, tilted 3 to
// 12° under the latitude; the incidence follows from the equivalent
// latitude φ − tilt. Clear-sky beam irradiance is 1361 W/m² × exp(−τ /
// sin el) with τ 0.18–0.24 per site for dusty air, plus diffuse light of 12
// % of the beam seen over (1 + cos tilt)/2 of the sky. Cells run 0.03 °C
// per W/m² above the air (about a 30 °C rise at 1000 W/m², an open rack's
// NOCT) and lose 0.35 % per °C above 25 °C (crystalline silicon
// datasheets). Inverter, wiring and mismatch keep 86–90 %, and dust costs
// 0.2–0.4 % a day since the last cleaning, every 7–28 days: the
// performance ratio comes to about 0.74 in the summer heat and 0.82 in
// winter.
//
// Each day has a sky: May–September 75 % clear (0.93–1 of clear-sky
// yield), 19 % hazy (0.82–0.93), 6 % dust storms (0.65–0.8); October–April
// 58 % clear (0.9–1), 30 % broken cloud (0.75–0.9), 12 % overcast
// (0.6–0.75), with hour-to-hour variation growing with the cloud. A day's
// yield is then held within 3.2–6.9 kWh per kWp, which clips 1.9 % of days
// at the bottom (cloudy winter days) and 3.5 % at the top (clear days near
// the solstice). Over configs/facilities.csv (seed 1, 2025) the mean daily
// yield is 4.2 kWh/kWp in January, 4.0 in December, 6.3–6.4 from May to
// July and 1,980 kWh/kWp over the year: the targets the model is tuned to
// are about 4 in winter and 6.5 in summer at 33°N.
//
// # Consumption
//
// Air temperature is 22.5 − 12.5 cos(2π(day − 14)/365.24) °C, Baghdad's
// normals (10 °C in January, 35 °C in July), 1.2 °C cooler per degree
// north of 33.3°N, ±7 °C over the day with the peak at 15:00. The load is a
// base times night share + a working-hours hump + cooling per °C above
// 24 °C + heating per °C below 16 °C, with ±7 % hourly noise:
//
//	hospital  base 0.95–1.6 kW/bed; night 0.8, hump 0.45 (07:00–21:00, half on
//	          Friday); cooling 4.5 %/°C, heating 1.5 %/°C
//	PHC       base 7.5–18 kW + 0.3 kW/bed; night 0.35, hump 1.4 (07:30–16:30,
//	          closed Friday); cooling 5 %/°C, mostly while open
//	other     base 15–40 kW + 0.8 kW/bed; night 0.7, hump 0.5 (07:00–19:00)
//
// Over the example registry hospitals average 1.2–1.3 kW per bed from
// October to April and 1.8 in July; PHC centres 8–12 kW.
//
// # Grid, generator and battery
//
// Each day's outage hours are feeder × (4 + 6 summer + 1.5 winter) ×
// U(0.75, 1.25), where summer and winter are 0–1 seasonal weights peaking
// in late July and mid-January (Iraq's supply gap is widest at the cooling
// peak) and feeder is 0.7–1.2 per facility (priority feeders lose less);
// the hours come as 2–5 cuts on 15-minute boundaries, clipped to 1–16 h.
// The example registry averages 3.9 h a day in April, 5 in January and 9.3
// in July. While the grid is live it supplies load − PV (never below 0);
// while it is down a generator, which 85 % of hospitals, 50 % of PHC
// centres and 70 % of other facilities have, supplies it at 0.27–0.33 L of
// diesel per kWh (manufacturers' part-load charts); without one the load
// beyond PV goes unserved. The generator's available field means running.
// A third of PV sites have a battery whose state of charge rises 30 %/h at
// full sun and falls 1 %/h standing by and 18 %/h (6 %/h with a generator)
// carrying critical circuits through outages, within 15–100 %. Its state
// at midnight comes from running the two days before from 60 %, which a
// battery that fills or empties forgets. It is an indicator only: its
// flows are small and are left out of the meters.
//
// # Counters and resets
//
// Each meter (grid, generator with its fuel counter, inverter) resets once
// per 512-day era, at local midnight on a day of the era's middle half, so
// resets come about every 1.4 years and at least 256 days apart, and the
// counters restart from up to 0.5 kWh (PV: 2 % of a kWp) or 0.5 L, as a
// replaced meter does. The counter at the start of a day is the restart
// value plus the day totals since, summed in day order, so it is the same
// whichever cached day the sum started from. A fresh Sim's first call
// walks back to the last reset (about 260 days, a millisecond); later
// calls reuse the cached days. Energy and fuel are rounded to 0.001, power
// to 1 W and state of charge to 0.1 %.
//
// # Waste
//
// A working day's mass is 0.5–1.8 kg per bed in hospitals (the example
// registry averages 1.0 kg per bed-day, Fridays included), 1.5–8 kg + 0.3 kg
// per bed in PHC centres and 2–20 kg + 0.5 kg per bed elsewhere, times
// 0.8–1.2. On Friday, the weekend, hospitals hand over 45 %; other
// facilities are closed on 70 % of Fridays and hand over 30 % on the rest.
// The hazardous share is 13–19 % per facility and 0.85–1.15 of that each
// day, so every day, month and facility lies within 11–22 % (WHO 2014:
// about 85 % general, 15 % hazardous). Hazardous mass is 62 % infectious
// (two hand-overs a weekday in hospitals), 17 % sharps (90 % of days), 8 %
// pathological (hospitals, 60 % of days), 8 % pharmaceutical (25 %), 4 %
// chemical (15 %) and 1 % radioactive (15 % of hospitals, 5 % of days).
//
// General waste goes to landfill (70 % of facilities) or offsite.
// Hazardous waste goes to the facility's method: hospitals autoclave 35 %,
// incineration 30 %, microwave 10 %, offsite 25 %; PHC centres offsite 70
// %, incineration 20 %, autoclave 10 %; others offsite 60 %, autoclave 40
// %. Pathological waste is incinerated or sent offsite, pharmaceutical
// waste sent offsite (70 %) or encapsulated, chemical waste sent offsite,
// radioactive waste held to decay (treatment other). 5 % of facilities
// burn 35 % of their hazardous hand-overs in the open; 10 % keep half of
// their hazardous waste 49–120 h; otherwise hazardous waste waits 4–40 h
// and general waste 2–24 h. Hand-overs fall on distinct minutes between
// 08:00 and 15:00 local time and have ids <facility>-<yyyymmdd>-<n>, n
// counting in time order.
//
// # Mass gatherings
//
// Sim.SetSurges plays events of registry/events, such as the Arba'een
// pilgrimage, at the facilities of their areas and only on their days
// (Sim.Effect tells what a day gets). Each event day carries a share of
// the peak factors: 30 % on the first day, rising linearly to all of it on
// the peak day (by default the day 80 % of the way through, where Arba'een
// falls in an event that spans the walk to it), falling to 50 % on the last
// day. A facility's exposure, 0.7–1.3 of the configured extra, is drawn
// once per facility and seed, since its distance from the route and the
// shrines is not in the registry. At the peak, by default (DefaultFactors,
// the fleet's --surge-* flags):
//
//	waste     × 2.5 at hospitals and other facilities, × 3 at PHC centres,
//	          as more hand-overs of ordinary size (at most 8 of a kind);
//	          the week's rhythm is off (no Friday closing or lull)
//	energy    the load × 1.3, so more grid import, generator kWh and fuel
//	outages   × 1 (unchanged)
//	storage   every hand-over waits × 2 as long, so storage breaches rise
//	capacity  on-site treatment (autoclave, microwave, incinerator) takes
//	          1.5 ordinary days of hazardous waste; the rest of each such
//	          hand-over goes, still hazardous, to landfill with the general
//	          waste: treated unsafely
//
// Over the 17 facilities of Karbala and Najaf in configs/facilities.csv
// (seed 1), an 11-day event comes out at 2.0 × the waste of the same
// weekdays in the four weeks before, 1.14 × the grid and generator kWh
// (PV covers part of the extra load), 3.6 × the storage breaches, and
// 13 % of its hazardous waste landfilled.
//
// Why these factors. Arba'een draws millions to Karbala, most of them
// walking, from 80 km to 500 km or more (ABNA). At seven public hospitals
// of Karbala, Najaf and Babel the daily average of non-communicable
// disease emergencies doubled during the 2014 gathering, and grew as the
// pilgrims approached Karbala (Lami et al., JMIR Public Health and
// Surveillance 5(3):e10890, 2019): hence about 2 to 2.5 for hospitals,
// and the ramp. Twenty health outlets along the Najaf–Karbala road saw
// 41,689 patients in the 11 days of the 2016 gathering (JMIR Public Health
// and Surveillance 5(4):e14510, 2019), about 190 each a day: walk-in
// care, the work of PHC centres, hence more for them. Karbala's
// municipality plans 4,200 cleaning workers and 350 machines for the
// Arba'een day (40een.com), and after the 2023 visit its campaigns cleared
// hundreds of tons of waste from the city's entrances (alarbaeen.ir, 14
// August 2023): collection does not keep up while the crowds are there,
// hence longer storage. No published figure of a facility's energy use or
// its treatment capacity during the event was found; 1.3 and 1.5 are this
// model's assumptions, kept configurable. The grid cuts both ways: the
// Ministry of Electricity exempted Karbala and the roads to it from
// programmed load-shedding for the 2018 Ashura visit (Economic Iraq) and
// ran an emergency plan for Karbala and the pilgrims' routes before
// Arba'een 2025 (IQNA), yet on 11 August 2025 the grid failed in Babylon
// and Karbala, more than 6,000 MW lost in a heat wave near 50 °C (The
// Media Line, 12 August 2025); so outage hours stay as they are by
// default.
//
// The counters carry on from the surged days' totals, so the days after an
// event continue from them, and history generated with the same surges
// equals the live feed.
//
// # Determinism
//
// A SplitMix64 hash of (seed, FNV-1a of the facility id, purpose, day or
// hour) seeds a math/rand/v2 PCG generator, or gives one uniform number,
// for each part of the model; nothing uses the global generator, so no
// part's draws shift another's.
package simulate

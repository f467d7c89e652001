package manual

import (
	"fmt"
	"math"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// The generator's counters: engine hours, fuel deliveries and tank
// levels, and the series they share (see meter.go for what each becomes).

// seriesInOrder refuses a generator reading dated before the last one
// sent on the same series, whichever of its counters that carried.
func (m *meterCheck) seriesInOrder(tag string) error {
	if t, ok := m.st.Series[tag]; ok && m.ts.Before(t) {
		return &FieldError{Field: "ts", Message: fmt.Sprintf("generator %s's last reading sent was taken on %s, later than %s; type this generator's readings in the order they were taken",
			m.meter, when(t), when(m.ts))}
	}
	return nil
}

// generator sends kWh counter kwh of the generator, with its fuel counter
// once the tank is followed and the last level is not later than this.
func (m *meterCheck) generator(kwh float64) (*reading.Reading, error) {
	var fuel *float64
	if f, ok := m.st.Fuel[m.meter]; ok && f.Counting {
		if lvl, ok := m.last(TankLevel); ok && !lvl.Time.After(m.ts) {
			fuel = &f.BurnedL
		}
	}
	m.markSeries(m.meter)
	return m.energy("generator", m.meter, kwh, fuel)
}

func (m *meterCheck) markSeries(tag string) {
	if m.st.Series == nil {
		m.st.Series = map[string]time.Time{}
	}
	if m.ts.After(m.st.Series[tag]) {
		m.st.Series[tag] = m.ts
	}
}

func (m *meterCheck) hours() (*reading.Reading, error) {
	prev, ok := m.last(GeneratorHours)
	if err := m.inOrder(GeneratorHours, prev, ok); err != nil {
		return nil, err
	}
	kwh, hasKWh := m.last(GeneratorKWh)
	derive := m.lim.GeneratorKWhPerHour > 0 && (!hasKWh || kwh.FromHours)
	if derive {
		if err := m.seriesInOrder(m.meter); err != nil {
			return nil, err
		}
	}
	if ok {
		// The engine cannot run longer than the clock: an hour of slack for
		// rounding on the display and in the times typed.
		clock := func(hours float64) float64 { return hours + 1 }
		if err := m.rise(GeneratorHours, prev, m.v, clock, "%s hours: the engine cannot run longer than the time that passed"); err != nil {
			return nil, err
		}
		m.gap(prev)
	}
	m.setLast(GeneratorHours, Last{Value: m.v, Time: m.ts})
	switch {
	case derive:
		v := m.v * m.lim.GeneratorKWhPerHour
		m.setLast(GeneratorKWh, Last{Value: v, Time: m.ts, FromHours: true})
		m.said = append(m.said, fmt.Sprintf("sent as the generator's kWh counter: %s h × %s kWh/h = %s kWh (sources.manual.meters.generator_kwh_per_hour)",
			num(m.v), num(m.lim.GeneratorKWhPerHour), num(v)))
		return m.generator(v)
	case hasKWh:
		m.said = append(m.said, "the generator's kWh come from its kWh readings; the hours are kept for the facility's records")
	default:
		m.said = append(m.said, "the reading contract has no engine hours: they are kept for the facility's records (set sources.manual.meters.generator_kwh_per_hour to count them as kWh)")
	}
	return nil, nil
}

func (m *meterCheck) delivered() error {
	if lvl, ok := m.last(TankLevel); ok && !m.ts.After(lvl.Time) {
		return &FieldError{Field: "ts", Message: fmt.Sprintf("the last tank level was read on %s, after this delivery (%s), so the delivery is already in it: record deliveries before the level that follows them",
			when(lvl.Time), when(m.ts))}
	}
	if m.lim.TankLitres > 0 && m.v > m.lim.TankLitres && !m.e.Confirm {
		return &Question{Field: "value", Flag: FlagConfirm, Kind: "big_delivery", Unit: UnitLitres,
			Message: fmt.Sprintf("%s L is more than the tank holds (%s L, sources.manual.meters.tank_litres); check the number, and confirm it if it is right", num(m.v), num(m.lim.TankLitres))}
	}
	f := m.fuel()
	f.DeliveredL += m.v
	if m.ts.After(f.LastDelivery) {
		f.LastDelivery = m.ts
	}
	m.setFuel(f)
	m.setLast(FuelDelivered, Last{Value: m.v, Time: m.ts})
	m.said = append(m.said, fmt.Sprintf("%s L delivered since the last tank level; the next tank level counts the fuel burned", num(f.DeliveredL)))
	return nil
}

func (m *meterCheck) fuel() Fuel { return m.st.Fuel[m.meter] }

func (m *meterCheck) setFuel(f Fuel) {
	if m.st.Fuel == nil {
		m.st.Fuel = map[string]Fuel{}
	}
	m.st.Fuel[m.meter] = f
}

func (m *meterCheck) tank() (*reading.Reading, error) {
	litres := m.v
	if m.unit == UnitPercent {
		litres = m.v / 100 * m.lim.TankLitres
	}
	if m.lim.TankLitres > 0 && litres > m.lim.TankLitres*1.02 {
		return nil, &FieldError{Field: "value", Message: fmt.Sprintf("%s L is more than the tank holds (%s L, sources.manual.meters.tank_litres): check the number", num(litres), num(m.lim.TankLitres))}
	}
	prev, ok := m.last(TankLevel)
	if err := m.inOrder(TankLevel, prev, ok); err != nil {
		return nil, err
	}
	f := m.fuel()
	if !f.LastDelivery.IsZero() && m.ts.Before(f.LastDelivery) {
		return nil, &FieldError{Field: "ts", Message: fmt.Sprintf("the last delivery was recorded on %s, after this level (%s): type the level read after the delivery", when(f.LastDelivery), when(m.ts))}
	}
	kwh, hasKWh := m.last(GeneratorKWh)
	tag, kwhTotal := m.meter, kwh.Value
	if !hasKWh {
		tag, kwhTotal = m.meter+fuelOnlySuffix, 0
	}
	if err := m.seriesInOrder(tag); err != nil {
		return nil, err
	}
	if ok {
		burned := prev.Value + f.DeliveredL - litres
		hours := m.ts.Sub(prev.Time).Hours()
		limit := m.lim.GeneratorMaxKW * litresPerKWh * math.Max(hours, 1)
		switch {
		case burned < 0 && !m.e.Confirm:
			return nil, &Question{Field: "value", Flag: FlagConfirm, Kind: "tank_rose", Last: &prev, Unit: UnitLitres,
				Message: fmt.Sprintf("the tank holds %s L more than the last level (%s L on %s) plus the %s L delivered since: was a delivery not recorded? Record it first; or confirm, and no fuel counts as burned",
					num(-burned), num(prev.Value), when(prev.Time), num(f.DeliveredL))}
		case burned < 0:
			m.warn = append(m.warn, "counted as no fuel burned: the tank holds more than the last level plus the deliveries")
			burned = 0
		case burned > limit && !m.e.Confirm:
			return nil, &Question{Field: "value", Flag: FlagConfirm, Kind: "big_jump", Last: &prev, Unit: UnitLitres,
				Message: fmt.Sprintf("that's a big jump: %s L burned since the last level (%s L on %s, %s hours earlier, with %s L delivered since) is more than a %s kW generator burns in that time (%s L; sources.manual.meters.generator_max_kw); check the number, and confirm it if it is right",
					num(burned), num(prev.Value), when(prev.Time), num(math.Round(hours*10)/10), num(f.DeliveredL), num(m.lim.GeneratorMaxKW), num(limit))}
		}
		f.BurnedL += burned
		m.said = append(m.said, fmt.Sprintf("%s L burned since the last level", num(burned)))
		m.gap(prev)
	} else {
		m.said = append(m.said, "the first tank level: the fuel burned is counted from the next one")
	}
	f.Counting = true
	f.DeliveredL = 0
	m.setFuel(f)
	m.setLast(TankLevel, Last{Value: litres, Time: m.ts})
	m.markSeries(tag)
	if !hasKWh {
		m.said = append(m.said, fmt.Sprintf("the generator has no kWh reading yet: the fuel is sent as meter %s", tag))
	}
	return m.energy("generator", tag, kwhTotal, &f.BurnedL)
}

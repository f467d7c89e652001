// Package catalog is what GreenPulse defines in DHIS2: the data elements
// it pushes (only quantities DHIS2 may sum up its hierarchy), the DHIS2
// indicators over them, the data set and indicator types, with the stable
// UIDs setup creates them with. It is read-only and imports nothing of
// the collector but the indicator ids, so that the config can validate
// dhis2.data_elements against it.
package catalog

import (
	"crypto/sha256"
	"math/big"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// Part says which stored number of an indicator a data element carries: its
// value (a sum), or a ratio's numerator or denominator.
type Part string

// The parts of a stored indicator point (fields of the indicator bucket).
const (
	Value       Part = "value"
	Numerator   Part = "numerator"
	Denominator Part = "denominator"
)

// Element is one extensive quantity GreenPulse pushes to DHIS2 as a data
// element: a number that DHIS2 may sum up its org-unit hierarchy.
type Element struct {
	// Key names the quantity in the collector config (dhis2.data_elements).
	Key       string
	Code      string // GP_…, the code setup gives the data element
	Name      string // English, unique in DHIS2
	ShortName string // at most 50 characters, unique in DHIS2
	Unit      string
	// Indicator and Part say where the number comes from in the indicator
	// bucket; Scale converts it (seconds to hours).
	Indicator indicators.ID
	Part      Part
	Scale     float64
	// ValueType is DHIS2's: NUMBER, or INTEGER_ZERO_OR_POSITIVE for counts.
	ValueType string
	// Decimals is how many decimal places the pushed value keeps.
	Decimals    int
	Description string
}

// UID returns the data element's UID that setup creates it with.
func (e Element) UID() string { return StableUID(e.Code) }

// Ratio is one DHIS2 indicator GreenPulse defines over its data elements:
// the ratio DHIS2 computes from summed numerator and denominator at every
// level of its hierarchy, so that its area figures equal ours.
type Ratio struct {
	Code, Name, ShortName string
	// Of is our indicator whose value this ratio equals.
	Of indicators.ID
	// Percent ratios use the indicator type with factor 100, the others
	// the one with factor 1.
	Percent                bool
	Numerator, Denominator string // element keys
	Description            string
}

// UID returns the indicator's UID that setup creates it with.
func (r Ratio) UID() string { return StableUID(r.Code) }

// Codes of the other objects setup creates.
const (
	DataSetCode           = "GP_MONTHLY"
	PercentTypeCode       = "GP_PERCENT"
	NumberTypeCode        = "GP_NUMBER"
	DataSetName           = "GreenPulse energy and health-care waste (monthly)"
	DataSetShortName      = "GreenPulse monthly"
	PercentTypeName       = "GreenPulse percentage (factor 100)"
	NumberTypeName        = "GreenPulse number (factor 1)"
	secondsPerHour        = 3600
	numberType            = "NUMBER"
	countType             = "INTEGER_ZERO_OR_POSITIVE"
	defaultDecimalsEnergy = 3
)

// DefaultDataSet is the UID of the data set setup creates.
func DefaultDataSet() string { return StableUID(DataSetCode) }

// Elements returns the pushed quantities in push order. Each call returns a
// fresh slice.
func Elements() []Element {
	el := func(key, code, name, short, unit string, id indicators.ID, part Part, desc string) Element {
		return Element{Key: key, Code: code, Name: name, ShortName: short, Unit: unit, Indicator: id, Part: part,
			Scale: 1, ValueType: numberType, Decimals: defaultDecimalsEnergy, Description: desc}
	}
	hours := func(e Element) Element { e.Scale = 1.0 / secondsPerHour; return e }
	count := func(e Element) Element { e.ValueType, e.Decimals = countType, 0; return e }
	return []Element{
		el("grid_kwh", "GP_GRID_KWH", "GreenPulse grid electricity (kWh)", "GP grid electricity kWh", "kWh",
			indicators.GridKWh, Value, "Electricity from the grid: increase of the grid meters' kWh counters in the month."),
		el("generator_kwh", "GP_GENERATOR_KWH", "GreenPulse generator electricity (kWh)", "GP generator electricity kWh", "kWh",
			indicators.GeneratorKWh, Value, "Electricity from generators: increase of the generator meters' kWh counters."),
		el("other_kwh", "GP_OTHER_KWH", "GreenPulse other electricity (kWh)", "GP other electricity kWh", "kWh",
			indicators.OtherKWh, Value, "Electricity from meters of source other."),
		el("solar_kwh", "GP_SOLAR_KWH", "GreenPulse solar electricity (kWh)", "GP solar electricity kWh", "kWh",
			indicators.SolarKWh, Value, "Photovoltaic yield: increase of the inverters' kWh counters."),
		el("energy_kwh", "GP_ENERGY_KWH", "GreenPulse electricity used (kWh)", "GP electricity used kWh", "kWh",
			indicators.EnergyKWh, Value, "Grid + generator + other + solar electricity (batteries excluded: they store, they do not supply)."),
		el("energy_kwh_bedded", "GP_ENERGY_KWH_BEDDED", "GreenPulse electricity used in facilities with beds (kWh)", "GP electricity used with beds kWh", "kWh",
			indicators.EnergyPerBedKWh, Numerator, "Electricity used by facilities that have beds: the numerator of electricity per bed-day."),
		el("bed_days_energy", "GP_BED_DAYS_ENERGY", "GreenPulse bed-days of facilities reporting electricity", "GP bed-days electricity", "bed-days",
			indicators.EnergyPerBedKWh, Denominator, "Beds × days in the month of facilities with beds that reported electricity: the denominator of electricity per bed-day."),
		hours(el("grid_hours_live", "GP_GRID_HOURS_LIVE", "GreenPulse hours with grid power", "GP hours with grid power", "h",
			indicators.GridAvailabilityPct, Numerator, "Hours of the covered time in which mains power was present: the numerator of grid availability.")),
		hours(el("grid_hours_covered", "GP_GRID_HOURS_COVERED", "GreenPulse hours of grid monitoring", "GP hours of grid monitoring", "h",
			indicators.GridAvailabilityPct, Denominator, "Hours covered by the grid meters' samples (each holds up to 15 min): the denominator of grid availability.")),
		el("generator_fuel_l", "GP_GENERATOR_FUEL_L", "GreenPulse generator fuel (L)", "GP generator fuel L", "L",
			indicators.GeneratorFuelL, Value, "Litres of fuel burned by generators: increase of their fuel counters."),
		el("co2e_energy_kg", "GP_CO2E_ENERGY_KG", "GreenPulse energy emissions (kg CO2e)", "GP energy emissions kg CO2e", "kg CO2e",
			indicators.CO2eEnergyKg, Value, "Grid kWh × grid factor + generator fuel × diesel factor (generators without fuel data: kWh × generator factor)."),
		el("co2e_avoided_kg", "GP_CO2E_AVOIDED_KG", "GreenPulse emissions avoided by solar (kg CO2e)", "GP emissions avoided kg CO2e", "kg CO2e",
			indicators.CO2eAvoidedKg, Value, "Solar kWh × grid factor."),
		el("waste_kg", "GP_WASTE_KG", "GreenPulse health-care waste (kg)", "GP health-care waste kg", "kg",
			indicators.WasteKg, Value, "All health-care waste handed over or treated."),
		el("hazardous_waste_kg", "GP_HAZARDOUS_WASTE_KG", "GreenPulse hazardous waste (kg)", "GP hazardous waste kg", "kg",
			indicators.HazardousWasteKg, Value, "Waste of every category but general."),
		el("safely_treated_kg", "GP_SAFELY_TREATED_KG", "GreenPulse hazardous waste safely treated (kg)", "GP hazardous safely treated kg", "kg",
			indicators.SafelyTreatedPct, Numerator, "Hazardous waste treated by autoclave, microwave, incineration, chemical, encapsulation or offsite."),
		el("unsafe_disposal_kg", "GP_UNSAFE_DISPOSAL_KG", "GreenPulse waste burned or dumped in the open (kg)", "GP unsafe disposal kg", "kg",
			indicators.UnsafeDisposalKg, Value, "Waste with treatment open_burning or open_dumping."),
		el("co2e_waste_kg", "GP_CO2E_WASTE_KG", "GreenPulse waste treatment emissions (kg CO2e)", "GP waste emissions kg CO2e", "kg CO2e",
			indicators.CO2eWasteKg, Value, "Kg by treatment × that treatment's emission factor."),
		count(el("storage_exceeded", "GP_STORAGE_EXCEEDED", "GreenPulse waste events stored too long", "GP waste stored too long", "events",
			indicators.StorageExceededCount, Value, "Waste events held longer than the storage limit (24 h by default) before treatment.")),
		el("waste_kg_bedded", "GP_WASTE_KG_BEDDED", "GreenPulse health-care waste of facilities with beds (kg)", "GP waste with beds kg", "kg",
			indicators.WastePerBedKg, Numerator, "Waste of facilities that have beds: the numerator of waste per bed-day."),
		el("bed_days_waste", "GP_BED_DAYS_WASTE", "GreenPulse bed-days of facilities reporting waste", "GP bed-days waste", "bed-days",
			indicators.WastePerBedKg, Denominator, "Beds × days in the month of facilities with beds that reported waste: the denominator of waste per bed-day."),
	}
}

// Ratios returns the DHIS2 indicators setup defines, in catalog order.
// Each call returns a fresh slice.
func Ratios() []Ratio {
	return []Ratio{
		{Code: "GP_RENEWABLE_SHARE", Name: "GreenPulse renewable share (%)", ShortName: "GP renewable share %", Of: indicators.RenewableSharePct,
			Percent: true, Numerator: "solar_kwh", Denominator: "energy_kwh", Description: "100 × solar electricity / electricity used."},
		{Code: "GP_ENERGY_PER_BED_DAY", Name: "GreenPulse electricity per bed-day (kWh)", ShortName: "GP electricity per bed-day", Of: indicators.EnergyPerBedKWh,
			Numerator: "energy_kwh_bedded", Denominator: "bed_days_energy", Description: "Electricity used by facilities with beds / their bed-days."},
		{Code: "GP_GRID_AVAILABILITY", Name: "GreenPulse grid availability (%)", ShortName: "GP grid availability %", Of: indicators.GridAvailabilityPct,
			Percent: true, Numerator: "grid_hours_live", Denominator: "grid_hours_covered", Description: "100 × hours with grid power / hours of grid monitoring."},
		{Code: "GP_HAZARDOUS_SHARE", Name: "GreenPulse hazardous waste share (%)", ShortName: "GP hazardous waste share %", Of: indicators.HazardousSharePct,
			Percent: true, Numerator: "hazardous_waste_kg", Denominator: "waste_kg", Description: "100 × hazardous waste / all health-care waste (WHO benchmark about 15 %)."},
		{Code: "GP_WASTE_PER_BED_DAY", Name: "GreenPulse waste per bed-day (kg)", ShortName: "GP waste per bed-day", Of: indicators.WastePerBedKg,
			Numerator: "waste_kg_bedded", Denominator: "bed_days_waste", Description: "Waste of facilities with beds / their bed-days."},
		{Code: "GP_SAFELY_TREATED", Name: "GreenPulse hazardous waste safely treated (%)", ShortName: "GP hazardous safely treated %", Of: indicators.SafelyTreatedPct,
			Percent: true, Numerator: "safely_treated_kg", Denominator: "hazardous_waste_kg", Description: "100 × hazardous waste safely treated / hazardous waste."},
	}
}

// uidAlphabet is DHIS2's UID alphabet; a UID is a letter, then ten letters
// or digits.
const uidAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// StableUID returns the UID GreenPulse gives the object with code: derived
// from the code alone (SHA-256 of "greenpulse:"+code, read as base 62), so
// that every installation creates the same UIDs and a rerun of setup finds
// what an earlier one created.
func StableUID(code string) string {
	sum := sha256.Sum256([]byte("greenpulse:" + code))
	n := new(big.Int).SetBytes(sum[:])
	base := big.NewInt(int64(len(uidAlphabet)))
	letters := big.NewInt(52)
	out := make([]byte, 11)
	m := new(big.Int)
	n.DivMod(n, letters, m)
	out[0] = uidAlphabet[m.Int64()]
	for i := 1; i < len(out); i++ {
		n.DivMod(n, base, m)
		out[i] = uidAlphabet[m.Int64()]
	}
	return string(out)
}

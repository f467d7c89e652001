// Package indicators computes SPEC's climate and health-care-waste
// indicators from per-series reductions of the raw readings: counter
// increases, availability time, waste masses by category and treatment.
// Each indicator is kept as a numerator and a denominator per facility, so
// that an area's value is recomputed from summed numerators and
// denominators, never averaged over facilities, and a zero denominator
// yields no value at all.
package indicators

// ID names an indicator; it is the "indicator" tag of the indicator bucket.
type ID string

// The indicators of SPEC, in catalog order.
const (
	GridKWh              ID = "grid_kwh"
	GeneratorKWh         ID = "generator_kwh"
	OtherKWh             ID = "other_kwh"
	SolarKWh             ID = "solar_kwh"
	EnergyKWh            ID = "energy_kwh"
	RenewableSharePct    ID = "renewable_share_pct"
	EnergyPerBedKWh      ID = "energy_per_bed_kwh"
	GridAvailabilityPct  ID = "grid_availability_pct"
	GeneratorFuelL       ID = "generator_fuel_l"
	CO2eEnergyKg         ID = "co2e_energy_kg"
	CO2eAvoidedKg        ID = "co2e_avoided_kg"
	WasteKg              ID = "waste_kg"
	HazardousWasteKg     ID = "hazardous_waste_kg"
	HazardousSharePct    ID = "hazardous_share_pct"
	WastePerBedKg        ID = "waste_per_bed_kg"
	SafelyTreatedPct     ID = "safely_treated_pct"
	UnsafeDisposalKg     ID = "unsafe_disposal_kg"
	CO2eWasteKg          ID = "co2e_waste_kg"
	StorageExceededCount ID = "storage_exceeded_count"
	ReportingPct         ID = "reporting_pct"
)

// Definition describes one indicator for people and for the API's catalog.
type Definition struct {
	ID         ID     `json:"id"`
	Unit       string `json:"unit"`
	NameEn     string `json:"name_en"`
	NameAr     string `json:"name_ar"`
	Definition string `json:"definition"`
	// Ratio indicators are Scale × numerator / denominator and have no
	// value when the denominator is zero; the others are sums.
	Ratio     bool    `json:"ratio"`
	Scale     float64 `json:"-"`
	AreasOnly bool    `json:"areas_only,omitempty"`
}

// Catalog lists every indicator in SPEC's order. It is read-only.
var Catalog = []Definition{
	{ID: GridKWh, Unit: "kWh", NameEn: "Grid electricity", NameAr: "كهرباء الشبكة", Definition: "increase of kwh_total of grid meters"},
	{ID: GeneratorKWh, Unit: "kWh", NameEn: "Generator electricity", NameAr: "كهرباء المولدة", Definition: "increase of kwh_total of generator meters"},
	{ID: OtherKWh, Unit: "kWh", NameEn: "Other electricity", NameAr: "كهرباء من مصادر أخرى", Definition: "increase of kwh_total of meters of source other"},
	{ID: SolarKWh, Unit: "kWh", NameEn: "Solar electricity", NameAr: "الكهرباء الشمسية", Definition: "increase of solar kwh_total"},
	{ID: EnergyKWh, Unit: "kWh", NameEn: "Electricity used", NameAr: "الكهرباء المستهلكة", Definition: "grid + generator + other + solar (battery excluded)"},
	{ID: RenewableSharePct, Unit: "%", NameEn: "Renewable share", NameAr: "نسبة الطاقة المتجددة", Definition: "100 × solar_kwh / energy_kwh", Ratio: true, Scale: 100},
	{ID: EnergyPerBedKWh, Unit: "kWh per bed-day", NameEn: "Electricity per bed-day", NameAr: "الكهرباء لكل سرير يومياً", Definition: "energy_kwh / (beds × days in period); facilities with beds > 0", Ratio: true, Scale: 1},
	{ID: GridAvailabilityPct, Unit: "%", NameEn: "Grid availability", NameAr: "توفر كهرباء الشبكة", Definition: "time-weighted share of the covered part of the period in which the grid was live; a sample holds up to 15 min", Ratio: true, Scale: 100},
	{ID: GeneratorFuelL, Unit: "L", NameEn: "Generator fuel", NameAr: "وقود المولدة", Definition: "increase of fuel_l_total"},
	{ID: CO2eEnergyKg, Unit: "kg CO2e", NameEn: "Energy emissions", NameAr: "انبعاثات الطاقة", Definition: "grid_kwh × grid factor + generator_fuel_l × diesel factor (generators without fuel data: generator_kwh × generator factor)"},
	{ID: CO2eAvoidedKg, Unit: "kg CO2e", NameEn: "Emissions avoided by solar", NameAr: "الانبعاثات المتجنبة بالطاقة الشمسية", Definition: "solar_kwh × grid factor"},
	{ID: WasteKg, Unit: "kg", NameEn: "Health-care waste", NameAr: "نفايات الرعاية الصحية", Definition: "sum of mass_kg"},
	{ID: HazardousWasteKg, Unit: "kg", NameEn: "Hazardous waste", NameAr: "النفايات الخطرة", Definition: "sum of mass_kg where category ≠ general"},
	{ID: HazardousSharePct, Unit: "%", NameEn: "Hazardous waste share", NameAr: "نسبة النفايات الخطرة", Definition: "100 × hazardous_waste_kg / waste_kg (WHO benchmark ≈ 15 %)", Ratio: true, Scale: 100},
	{ID: WastePerBedKg, Unit: "kg per bed-day", NameEn: "Waste per bed-day", NameAr: "النفايات لكل سرير يومياً", Definition: "waste_kg / (beds × days in period)", Ratio: true, Scale: 1},
	{ID: SafelyTreatedPct, Unit: "%", NameEn: "Hazardous waste safely treated", NameAr: "النفايات الخطرة المعالجة بأمان", Definition: "100 × hazardous kg treated by a safe method / hazardous_waste_kg", Ratio: true, Scale: 100},
	{ID: UnsafeDisposalKg, Unit: "kg", NameEn: "Unsafe disposal", NameAr: "التخلص غير الآمن", Definition: "kg with treatment open_burning or open_dumping"},
	{ID: CO2eWasteKg, Unit: "kg CO2e", NameEn: "Waste treatment emissions", NameAr: "انبعاثات معالجة النفايات", Definition: "Σ kg by treatment × that treatment's factor"},
	{ID: StorageExceededCount, Unit: "events", NameEn: "Waste stored too long", NameAr: "نفايات خُزنت مدة أطول من الحد", Definition: "waste events with stored_hours above the limit"},
	{ID: ReportingPct, Unit: "%", NameEn: "Reporting completeness", NameAr: "اكتمال الإبلاغ", Definition: "facilities that sent any reading in the period / facilities in the area", Ratio: true, Scale: 100, AreasOnly: true},
}

// Lookup returns the definition of id.
func Lookup(id ID) (Definition, bool) {
	for _, d := range Catalog {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}

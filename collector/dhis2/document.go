package dhis2

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Reader reads the stored facility-level values of a month: what
// rollup.FacilityMonth returns.
type Reader interface {
	FacilityMonth(ctx context.Context, month indicators.Period, ids []indicators.ID) ([]rollup.FacilityValue, error)
}

// Mapping says how GreenPulse's facilities and quantities are named in
// DHIS2: the collector config's dhis2 section.
type Mapping struct {
	DataSet string
	// OrgUnitIDScheme is uid (the registry's dhis2_org_unit), code or
	// attribute:<UID> (the facility id is the org unit's code or the
	// attribute's value).
	OrgUnitIDScheme string
	// DataElementIDScheme is uid or code; DataElements maps element keys
	// to a ministry's own data elements.
	DataElementIDScheme string
	DataElements        map[string]string
}

// DataElement returns the identifier e is pushed under.
func (m Mapping) DataElement(e catalog.Element) string {
	if id, ok := m.DataElements[e.Key]; ok {
		return id
	}
	if m.DataElementIDScheme == "code" {
		return e.Code
	}
	return e.UID()
}

// OrgUnit returns the identifier of f's org unit, or "" when f has none.
func (m Mapping) OrgUnit(f registry.Facility) string {
	if m.OrgUnitIDScheme == "uid" || m.OrgUnitIDScheme == "" {
		return f.DHIS2OrgUnit
	}
	return f.ID
}

// schemes returns DHIS2's dataElementIdScheme and orgUnitIdScheme for the
// identifiers the document uses.
func (m Mapping) schemes() (dataElement, orgUnit string) {
	dataElement, orgUnit = "UID", "UID"
	if m.DataElementIDScheme == "code" {
		dataElement = "CODE"
	}
	if m.OrgUnitIDScheme == "code" {
		orgUnit = "CODE"
	} else if attr, ok := strings.CutPrefix(m.OrgUnitIDScheme, "attribute:"); ok {
		orgUnit = "ATTRIBUTE:" + attr
	}
	return dataElement, orgUnit
}

// DataValue is one value of a DHIS2 dataValueSets document.
type DataValue struct {
	DataElement string `json:"dataElement"`
	Period      string `json:"period"`
	OrgUnit     string `json:"orgUnit"`
	Value       string `json:"value"`
}

// DataValueSet is the body of POST /api/dataValueSets: DHIS2's bulk
// format, each value naming its org unit and period.
type DataValueSet struct {
	DataSet             string      `json:"dataSet"`
	Period              string      `json:"period"`
	DataElementIDScheme string      `json:"dataElementIdScheme"`
	OrgUnitIDScheme     string      `json:"orgUnitIdScheme"`
	DataValues          []DataValue `json:"dataValues"`
}

// Origin says what one data value is: which facility and quantity, so
// that a conflict DHIS2 reports by index can be named for people.
type Origin struct {
	Facility, FacilityName string
	Element                string // element key
	ElementName            string
}

// Unmapped is a facility whose values cannot be pushed.
type Unmapped struct {
	Facility string `json:"facility"`
	Name     string `json:"name"`
	Values   int    `json:"values"`
	Reason   string `json:"reason"`
}

// Report says what a document holds and what it had to leave out.
type Report struct {
	Period     string `json:"period"`
	Facilities int    `json:"facilities"` // facilities with at least one value in the document
	Values     int    `json:"values"`
	// Unmapped lists facilities with values but no org unit: they are in
	// GreenPulse's figures and not in DHIS2's until they are mapped.
	Unmapped []Unmapped `json:"unmapped"`
	// Incomplete lists facilities some of whose ratio parts are missing
	// because their month was rolled up before GreenPulse stored
	// numerators and denominators; `greenpulse-collector rollup` over the
	// month fills them in.
	Incomplete []string `json:"incomplete,omitempty"`
}

// Document is what a push sends for one month: the data values in
// registry order, the origin of each, and the report.
type Document struct {
	Set     DataValueSet
	Origins []Origin
	Report  Report
}

// ParsePeriod reads a DHIS2 monthly period (YYYYMM) as the local month of
// loc.
func ParsePeriod(s string, loc *time.Location) (indicators.Period, error) {
	t, err := time.ParseInLocation("200601", s, loc)
	if err != nil || len(s) != 6 {
		return indicators.Period{}, fmt.Errorf("period %q: want a DHIS2 month such as 202611 (YYYYMM)", s)
	}
	return indicators.PeriodOf(indicators.Month, t, loc), nil
}

// PeriodID is p's DHIS2 monthly period identifier (YYYYMM).
func PeriodID(p indicators.Period) string { return p.Start.Format("200601") }

// Build reads month p's facility indicators and makes the document a push
// sends: one value per facility and element that has one, in registry
// then element order.
func Build(ctx context.Context, r Reader, reg *registry.Registry, m Mapping, p indicators.Period) (Document, error) {
	elements := catalog.Elements()
	var ids []indicators.ID
	for _, e := range elements {
		if !slices.Contains(ids, e.Indicator) {
			ids = append(ids, e.Indicator)
		}
	}
	rows, err := r.FacilityMonth(ctx, p, ids)
	if err != nil {
		return Document{}, fmt.Errorf("read the indicators of %s: %w", PeriodID(p), err)
	}
	type key struct {
		facility string
		id       indicators.ID
	}
	byKey := make(map[key]rollup.FacilityValue, len(rows))
	for _, row := range rows {
		byKey[key{row.Facility, row.Indicator}] = row
	}

	period := PeriodID(p)
	deScheme, ouScheme := m.schemes()
	doc := Document{
		Set:    DataValueSet{DataSet: m.DataSet, Period: period, DataElementIDScheme: deScheme, OrgUnitIDScheme: ouScheme, DataValues: []DataValue{}},
		Report: Report{Period: period, Unmapped: []Unmapped{}},
	}
	deIDs := make([]string, len(elements))
	for i, e := range elements {
		deIDs[i] = m.DataElement(e)
	}
	for _, f := range reg.Facilities() {
		ou := m.OrgUnit(f)
		n, incomplete := 0, false
		for i, e := range elements {
			row, ok := byKey[key{f.ID, e.Indicator}]
			if !ok {
				continue
			}
			v := row.Value
			switch e.Part {
			case catalog.Numerator, catalog.Denominator:
				if !row.HasTerms {
					incomplete = true
					continue
				}
				v = row.Numerator
				if e.Part == catalog.Denominator {
					v = row.Denominator
				}
			}
			n++
			if ou == "" {
				continue
			}
			doc.Set.DataValues = append(doc.Set.DataValues, DataValue{
				DataElement: deIDs[i], Period: period, OrgUnit: ou, Value: FormatValue(v*e.Scale, e.Decimals),
			})
			doc.Origins = append(doc.Origins, Origin{Facility: f.ID, FacilityName: f.Name, Element: e.Key, ElementName: e.Name})
		}
		if incomplete {
			doc.Report.Incomplete = append(doc.Report.Incomplete, f.ID)
		}
		switch {
		case n == 0:
		case ou == "":
			doc.Report.Unmapped = append(doc.Report.Unmapped, Unmapped{Facility: f.ID, Name: f.Name, Values: n,
				Reason: "no dhis2_org_unit in the registry"})
		default:
			doc.Report.Facilities++
		}
	}
	doc.Report.Values = len(doc.Set.DataValues)
	return doc, nil
}

// FormatValue writes v as the decimal string DHIS2 stores, rounded to
// decimals places, without exponent or trailing zeros.
func FormatValue(v float64, decimals int) string {
	scale := math.Pow10(decimals)
	v = math.Round(v*scale) / scale
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteCSV writes the document's values in DHIS2's CSV import layout
// (the bulk format of the Web API's data values section; empty category
// and attribute option combos mean the default ones).
func (d Document) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo", "value"})
	for _, v := range d.Set.DataValues {
		_ = cw.Write([]string{v.DataElement, v.Period, v.OrgUnit, "", "", v.Value})
	}
	cw.Flush()
	return cw.Error()
}

package registry

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// boxMargin is how far, in degrees, a facility may lie outside its
// governorate's bounding box: the boxes are approximate and border towns sit
// close to their edges.
const boxMargin = 0.3

var (
	idPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	uidPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{10}$`)
)

// IsID reports whether s is a valid facility id: 1 to 64 letters, digits,
// '_' or '-' (the MQTT topic level of SPEC).
func IsID(s string) bool { return idPattern.MatchString(s) }

// IsDHIS2UID reports whether s is a DHIS2 UID: 11 characters, a letter,
// then letters or digits. It is the one check of that form for the
// registry, the collector's dhis2 section and the importers.
func IsDHIS2UID(s string) bool { return uidPattern.MatchString(s) }

// fieldError is a problem with one column of one facility.
type fieldError struct {
	column, msg string
}

func (e fieldError) Error() string { return e.column + ": " + e.msg }

// Validate checks one facility on its own: every rule of the master list
// except those that span rows (unique ids, one governorate per district).
func (f Facility) Validate() error {
	var errs []error
	for _, e := range f.check() {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// check returns every single-row problem with f.
func (f Facility) check() []fieldError {
	var errs []fieldError
	add := func(column, format string, args ...any) {
		errs = append(errs, fieldError{column, fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(f.ID) {
		add("id", "want 1 to 64 letters, digits, '_' or '-', got %q", f.ID)
	}
	if msg := checkName(f.Name); msg != "" {
		add("name", "%s", msg)
	}
	if msg := checkName(f.NameAr); msg != "" {
		add("name_ar", "%s", msg)
	}
	switch f.Type {
	case TypeHospital, TypePHC, TypeOther:
	default:
		add("type", "want one of hospital, phc, other, got %q", string(f.Type))
	}
	if f.Beds < 0 {
		add("beds", "want a whole number ≥ 0, got %d", f.Beds)
	}
	g, knownGov := lookupGovernorate(f.Governorate)
	if !knownGov {
		add("governorate", "want an ISO 3166-2:IQ governorate code such as \"IQ-BG\", got %q", f.Governorate)
	}
	if strings.TrimSpace(f.District) == "" {
		add("district", "want a district code, got an empty value")
	} else if msg := checkName(f.District); msg != "" {
		add("district", "%s", msg)
	}
	checkCoord := func(column string, v, lo, hi float64) {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			add(column, "want a finite number, got %v", v)
		case knownGov && (v < lo-boxMargin || v > hi+boxMargin):
			add(column, "%v is outside %s (%s), which spans %v to %v", v, g.name, g.code, lo, hi)
		}
	}
	checkCoord("lat", f.Lat, g.minLat, g.maxLat)
	checkCoord("lon", f.Lon, g.minLon, g.maxLon)
	if math.IsNaN(f.PVkWp) || math.IsInf(f.PVkWp, 0) || f.PVkWp < 0 {
		add("pv_kwp", "want a finite number ≥ 0, got %v", f.PVkWp)
	}
	if f.DHIS2OrgUnit != "" && !IsDHIS2UID(f.DHIS2OrgUnit) {
		add("dhis2_org_unit", "want empty or a DHIS2 UID (11 characters: a letter, then letters or digits), got %q", f.DHIS2OrgUnit)
	}
	return errs
}

// checkName returns why s is not an acceptable name, or "" if it is.
func checkName(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "want a non-empty value"
	case !utf8.ValidString(s):
		return fmt.Sprintf("want valid UTF-8, got %q", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Sprintf("want no control characters, got %q", s)
	}
	return ""
}

// districtUse records where a district code was first seen.
type districtUse struct {
	gov  string
	line int
}

// parser holds the cross-row state of one Parse call.
type parser struct {
	name       string
	seenID     map[string]int         // id -> line of first occurrence
	districtAt map[string]districtUse // district -> governorate of first occurrence
	errs       []error
}

// row converts and checks one record, recording every problem in p.errs. It
// reports whether the row is good.
func (p *parser) row(line int, rec []string) (Facility, bool) {
	var bad []fieldError
	number := func(column, s string, want string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			bad = append(bad, fieldError{column, fmt.Sprintf("want %s, got %q", want, s)})
			return 0
		}
		return v
	}
	f := Facility{
		ID: rec[0], Name: rec[1], NameAr: rec[2], Type: Type(rec[3]),
		Governorate: rec[5], District: rec[6], DHIS2OrgUnit: rec[10],
	}
	beds, err := strconv.Atoi(rec[4])
	if err != nil || beds < 0 {
		bad = append(bad, fieldError{"beds", fmt.Sprintf("want a whole number ≥ 0, got %q", rec[4])})
	}
	f.Beds = max(beds, 0)
	f.Lat = number("lat", rec[7], "a finite number")
	f.Lon = number("lon", rec[8], "a finite number")
	f.PVkWp = number("pv_kwp", rec[9], "a finite number ≥ 0")

	// Semantic checks skip columns that did not even parse.
	unparsed := map[string]bool{}
	for _, e := range bad {
		unparsed[e.column] = true
	}
	for _, e := range f.check() {
		if !unparsed[e.column] {
			bad = append(bad, e)
		}
	}

	if first, dup := p.seenID[f.ID]; dup {
		bad = append(bad, fieldError{"id", fmt.Sprintf("duplicate %q, first on line %d", f.ID, first)})
	} else if f.ID != "" {
		p.seenID[f.ID] = line
	}
	if _, known := lookupGovernorate(f.Governorate); known && f.District != "" {
		if use, seen := p.districtAt[f.District]; !seen {
			p.districtAt[f.District] = districtUse{f.Governorate, line}
		} else if use.gov != f.Governorate {
			bad = append(bad, fieldError{"district", fmt.Sprintf("%q is in %s on line %d, got %s", f.District, use.gov, use.line, f.Governorate)})
		}
	}

	slices.SortStableFunc(bad, func(a, b fieldError) int {
		return slices.Index(header[:], a.column) - slices.Index(header[:], b.column)
	})
	for _, e := range bad {
		p.errs = append(p.errs, fmt.Errorf("%s:%d: %w", p.name, line, e))
	}
	return f, len(bad) == 0
}
